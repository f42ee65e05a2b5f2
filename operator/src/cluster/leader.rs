//! Leader election on a `coordination.k8s.io/v1` Lease, so that of several
//! operator replicas exactly one reconciles. kube 5 has no elector, so this
//! is the small one client-go's works like:
//!
//! - a candidate takes the Lease when it is free, released, or expired —
//!   judged by how long *this* replica has seen the record unchanged, not by
//!   the holder's clock — writing with the resourceVersion it read, so of two
//!   candidates only one write wins (`409 Conflict` for the other);
//! - the leader renews every `retry_period` and steps down when it could not
//!   renew for `renew_deadline`, or finds another holder; stepping down stops
//!   the work at once;
//! - on shutdown the leader releases the Lease so a successor need not wait.

use std::future::Future;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, ObjectMeta, PostParams};
use tokio::sync::watch;

/// Lease name, place and timings.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    /// Lease name.
    pub name: String,
    /// This replica's identity (`holderIdentity`).
    pub identity: String,
    /// How long the Lease holds without renewal.
    pub lease_duration: Duration,
    /// How long the leader acts without a successful renewal.
    pub renew_deadline: Duration,
    /// Renewal / retry period.
    pub retry_period: Duration,
}

/// One replica's view of the Lease.
pub struct Elector {
    api: Api<Lease>,
    cfg: LeaseConfig,
    /// The record last seen (resourceVersion) and when it was first seen.
    observed: Option<(String, Instant)>,
}

fn now() -> MicroTime {
    MicroTime(jiff::Timestamp::now())
}

impl Elector {
    /// An elector for the Lease `cfg.name` in `api`'s namespace.
    pub fn new(api: Api<Lease>, cfg: LeaseConfig) -> Self {
        Self {
            api,
            cfg,
            observed: None,
        }
    }

    /// This replica's identity.
    pub fn identity(&self) -> &str {
        &self.cfg.identity
    }

    /// Takes or renews the Lease once. `Ok(true)` when this replica holds it
    /// afterwards; `Ok(false)` when another does (or won a race).
    pub async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let me = self.cfg.identity.clone();
        let seconds = self.cfg.lease_duration.as_secs().max(1) as i32;
        let Some(lease) = self.api.get_opt(&self.cfg.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.cfg.name.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me),
                    lease_duration_seconds: Some(seconds),
                    acquire_time: Some(now()),
                    renew_time: Some(now()),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(e),
            };
        };
        let rv = lease.metadata.resource_version.clone().unwrap_or_default();
        let seen_at = match &self.observed {
            Some((seen, at)) if *seen == rv => *at,
            _ => {
                let at = Instant::now();
                self.observed = Some((rv, at));
                at
            }
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let mine = holder.as_deref() == Some(me.as_str());
        let duration = spec
            .lease_duration_seconds
            .map_or(self.cfg.lease_duration, |s| {
                Duration::from_secs(s.max(0) as u64)
            });
        let expired = seen_at.elapsed() > duration;
        if holder.is_some() && !mine && !expired {
            return Ok(false);
        }
        let mut next = lease;
        next.spec = Some(LeaseSpec {
            holder_identity: Some(me),
            lease_duration_seconds: Some(seconds),
            acquire_time: if mine { spec.acquire_time } else { Some(now()) },
            renew_time: Some(now()),
            lease_transitions: Some(
                spec.lease_transitions.unwrap_or(0) + i32::from(!mine && holder.is_some()),
            ),
            ..spec
        });
        match self
            .api
            .replace(&self.cfg.name, &PostParams::default(), &next)
            .await
        {
            Ok(written) => {
                self.observed = written
                    .metadata
                    .resource_version
                    .map(|rv| (rv, Instant::now()));
                Ok(true)
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the Lease up if this replica holds it, so a successor takes it
    /// at once instead of after `lease_duration`.
    pub async fn release(&self) -> Result<(), kube::Error> {
        let Some(mut lease) = self.api.get_opt(&self.cfg.name).await? else {
            return Ok(());
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(self.cfg.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(now());
        match self
            .api
            .replace(&self.cfg.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) | Err(kube::Error::Api(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Resolves once `rx` turns true (or its sender is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// What ended a term as leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermEnd {
    /// Could not renew in time, or another replica holds the Lease.
    Lost,
    /// Shutdown was asked for.
    Shutdown,
}

/// Runs `work` whenever this replica leads, until `shutdown` turns true.
/// `work` gets a receiver that turns true when the term ends; the returned
/// future is also dropped at that point, so nothing keeps acting after a
/// loss. Calls `on_term` with each term's end (for logs and tests).
pub async fn lead<W, F>(
    mut elector: Elector,
    mut shutdown: watch::Receiver<bool>,
    mut work: W,
    mut on_term: impl FnMut(TermEnd),
) where
    W: FnMut(watch::Receiver<bool>) -> F,
    F: Future<Output = ()>,
{
    let period = elector.cfg.retry_period;
    loop {
        // Candidate: try until elected or told to stop.
        loop {
            let stopping = *shutdown.borrow();
            if stopping {
                return;
            }
            match elector.try_acquire_or_renew().await {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "leader election: cannot read or write the Lease")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                _ = stopped(&mut shutdown) => return,
            }
        }
        tracing::info!(
            identity = elector.identity(),
            "leader election: elected, reconciling"
        );
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut running = Box::pin(work(stop_rx));
        let mut renewed = Instant::now();
        let mut finished = false;
        let end = loop {
            tokio::select! {
                _ = &mut running, if !finished => {
                    // The work ended by itself: keep renewing until shutdown.
                    finished = true;
                }
                _ = tokio::time::sleep(period) => {
                    match elector.try_acquire_or_renew().await {
                        Ok(true) => renewed = Instant::now(),
                        Ok(false) => break TermEnd::Lost,
                        Err(e) => {
                            tracing::warn!(error = %e, "leader election: renewal failed");
                            if renewed.elapsed() > elector.cfg.renew_deadline {
                                break TermEnd::Lost;
                            }
                        }
                    }
                }
                _ = stopped(&mut shutdown) => break TermEnd::Shutdown,
            }
        };
        let _ = stop_tx.send(true);
        on_term(end);
        match end {
            TermEnd::Lost => {
                tracing::warn!(
                    identity = elector.identity(),
                    "leader election: lost the Lease, stopped reconciling"
                );
                // `running` is dropped here: nothing keeps acting.
            }
            TermEnd::Shutdown => {
                // Let the work notice the stop and finish what it is doing.
                if !finished {
                    let _ = tokio::time::timeout(elector.cfg.renew_deadline, &mut running).await;
                }
                if let Err(e) = elector.release().await {
                    tracing::warn!(error = %e, "leader election: could not release the Lease");
                }
                on_term(end);
                return;
            }
        }
    }
}
