//! One reconcile of one resource, as a pipeline of named stages:
//! dereference → validate → build → diff/apply → status.
//!
//! `reconcile` is front-end agnostic: it takes the declared object and an
//! explicit [`Context`], reports through the context's [`Reporter`], and
//! returns what to do next as data ([`Action`]); [`error_policy`] turns a
//! failure into a requeue delay. An invalid spec stops before any write.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

use crate::crd::{OpenClaw, OpenClawStatus, Phase};
use crate::dereference::dereference;
use crate::fly::{self, FlyError, FlyOptions, FlyRun, Outcome};
use crate::metrics::Metrics;
use crate::report::{Event, Reporter};
use crate::resource::ResourceKey;
use crate::secrets::SecretResolver;
use crate::status::failed;
use crate::validate::{SpecErrors, Target, ValidOpenClaw, validate};

/// Everything a reconcile needs besides the resource.
pub struct Context {
    /// Machines API client (Fly or fly-local); `None` where no Fly API is
    /// configured (a cluster running Kubernetes-platform resources only).
    pub fly: Option<fly_machines::Client>,
    /// The cluster backend, for `platform: kubernetes` (cluster front end only).
    pub kubernetes: Option<Arc<crate::kubernetes::KubernetesBackend>>,
    /// Lease and wait tunables.
    pub fly_options: FlyOptions,
    /// Reads secret values.
    pub resolver: Arc<dyn SecretResolver>,
    /// Receives events and status.
    pub reporter: Arc<dyn Reporter>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Periodic resync (drift healing) interval.
    pub resync: Duration,
    /// Where generated secrets are kept (to tell people where their token is).
    pub generated_dir: Option<std::path::PathBuf>,
    /// The embedded fly-local's admin API, to show each gateway's local URL.
    pub local: Option<crate::embedded::LocalAdmin>,
    /// The record of applied resources (`up`): each Fly resource is recorded
    /// before its first write, so a restart can prune what was removed meanwhile.
    pub applied: Option<Arc<crate::applied::AppliedStore>>,
    /// What the fly-local behind `fly` can run, when it is one: an image it
    /// cannot run is an invalid spec, refused before any write.
    pub local_images: Option<crate::embedded::LocalImages>,
}

/// What to do after a reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Reconcile again after this delay (resync, or sooner while converging).
    Requeue(Duration),
    /// Nothing to do until the resource changes (invalid spec).
    AwaitChange,
}

/// Why a reconcile stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The spec is invalid, or a secret it references cannot be read.
    #[error("{0}")]
    Spec(SpecErrors),
    /// This front end does not run the resource's platform.
    #[error("{0}")]
    Unsupported(String),
    /// The Fly backend failed.
    #[error(transparent)]
    Fly(#[from] FlyError),
    /// The Kubernetes backend failed.
    #[error(transparent)]
    Kubernetes(#[from] crate::kubernetes::KubeError),
}

impl ReconcileError {
    /// Status reason.
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::Spec(e) => e.reason(),
            ReconcileError::Unsupported(_) => "PlatformUnsupported",
            ReconcileError::Fly(e) => e.reason(),
            ReconcileError::Kubernetes(e) => e.reason(),
        }
    }

    fn is_spec_problem(&self) -> bool {
        matches!(self, ReconcileError::Spec(e) if e.reason() == "InvalidSpec")
            || matches!(self, ReconcileError::Unsupported(_))
    }
}

/// Delay before retrying after `failures` consecutive failures: exponential
/// from 1 s, capped at 5 min, with jitter; a 429's `Retry-After` wins; an
/// invalid spec waits for a change.
pub fn error_policy(err: &ReconcileError, failures: u32) -> Action {
    if err.is_spec_problem() {
        return Action::AwaitChange;
    }
    if let ReconcileError::Fly(e) = err
        && let Some(after) = e.retry_after()
    {
        return Action::Requeue(after);
    }
    let base = Duration::from_secs(1) * 2u32.saturating_pow(failures.min(9));
    let capped = base.min(Duration::from_secs(300));
    let jitter = capped.mul_f64(rand::random::<f64>() * 0.2);
    Action::Requeue(capped + jitter)
}

/// The validated form of a declared object, or why it cannot be applied.
pub fn prepare(
    key: &ResourceKey,
    object: &Result<OpenClaw, SpecErrors>,
    resolver: &dyn SecretResolver,
    origin: Option<&Path>,
) -> Result<ValidOpenClaw, ReconcileError> {
    let obj = object
        .as_ref()
        .map_err(|e| ReconcileError::Spec(e.clone()))?;
    let base_dir = origin.and_then(Path::parent);
    let deref = dereference(key, &obj.spec, resolver, base_dir);
    validate(key, &obj.spec, deref).map_err(ReconcileError::Spec)
}

/// Result of [`reconcile`]: the new status and what to do next.
pub struct Reconciled {
    /// Status to publish.
    pub status: OpenClawStatus,
    /// The error, if the reconcile failed.
    pub error: Option<ReconcileError>,
    /// The validated spec, when validation passed (kept for deletion).
    pub valid: Option<ValidOpenClaw>,
    /// Whether the status says Ready/Suspended (settled) or still converging.
    pub settled: bool,
}

/// Reconciles one resource and publishes its events and status.
pub async fn reconcile(
    key: &ResourceKey,
    object: &Result<OpenClaw, SpecErrors>,
    origin: Option<&Path>,
    previous: &OpenClawStatus,
    ctx: &Context,
) -> Reconciled {
    let started = Instant::now();
    // Every log line of this reconcile carries the resource's name.
    let span = tracing::info_span!("reconcile", resource = %key);
    let generation = object.as_ref().ok().and_then(|o| o.metadata.generation);
    let result = run(key, object, origin, previous, generation, ctx)
        .instrument(span.clone())
        .await;
    let out = match result {
        Ok((status, valid)) => {
            let settled = matches!(status.phase, Phase::Ready | Phase::Suspended);
            Reconciled {
                status,
                error: None,
                valid: Some(valid),
                settled,
            }
        }
        Err((err, valid)) => {
            let reason = err.reason();
            let message = err.to_string();
            let status = failed(
                previous,
                reason,
                &message,
                err.is_spec_problem(),
                generation,
            );
            // One event per distinct problem, not one per retry.
            if previous.message.as_deref() != Some(message.as_str()) {
                ctx.reporter
                    .event(key, Event::warning(reason, message.clone()))
                    .await;
            }
            Reconciled {
                status,
                error: Some(err),
                valid,
                settled: false,
            }
        }
    };
    ctx.reporter.status(key, &out.status).await;
    ctx.metrics.reconciled(
        started.elapsed(),
        out.error.as_ref().map(ReconcileError::reason),
    );
    out
}

type StageResult = Result<(OpenClawStatus, ValidOpenClaw), (ReconcileError, Option<ValidOpenClaw>)>;

async fn run(
    key: &ResourceKey,
    object: &Result<OpenClaw, SpecErrors>,
    origin: Option<&Path>,
    previous: &OpenClawStatus,
    generation: Option<i64>,
    ctx: &Context,
) -> StageResult {
    let valid = prepare(key, object, ctx.resolver.as_ref(), origin).map_err(|e| (e, None))?;
    for w in &valid.warnings {
        if previous.phase == Phase::Pending {
            ctx.reporter
                .event(key, Event::warning("SpecWarning", w.clone()))
                .await;
        }
    }
    if let (Some(images), Target::Fly(_)) = (&ctx.local_images, &valid.target)
        && let Err(e) = images.check(&valid.image)
    {
        return Err((ReconcileError::Spec(SpecErrors(vec![e])), Some(valid)));
    }
    let target = match &valid.target {
        Target::Fly(t) => t.clone(),
        Target::Kubernetes(t) => {
            let (Some(backend), Ok(obj)) = (&ctx.kubernetes, object) else {
                return Err((
                    ReconcileError::Unsupported(
                        "spec.platform: kubernetes is reconciled by `openclaw-operator run` inside a cluster; \
                         this front end runs Fly resources only (set platform: fly, or apply it to a cluster)"
                            .into(),
                    ),
                    Some(valid),
                ));
            };
            let t = t.clone();
            let reporter = ctx.reporter.as_ref();
            return match crate::kubernetes::reconcile(
                backend,
                key,
                obj,
                &valid,
                &t,
                previous,
                reporter,
                &ctx.metrics,
            )
            .await
            {
                Ok(status) => Ok((status, valid)),
                Err(e) => Err((e.into(), Some(valid))),
            };
        }
    };
    let Some(fly_client) = &ctx.fly else {
        return Err((
            ReconcileError::Unsupported(
                "spec.platform: fly needs the Fly Machines API, and this operator has none configured; \
                 start it with FLY_API_TOKEN (and --fly-api-url for a fly-local)"
                    .into(),
            ),
            Some(valid),
        ));
    };
    if let Some(store) = &ctx.applied {
        let entry = crate::applied::AppliedEntry {
            app: target.app.clone(),
            deletion_policy: valid.deletion_policy,
            origin: origin.map(Path::to_path_buf).unwrap_or_default(),
        };
        if let Err(e) = store.record(key, entry).await {
            ctx.reporter
                .event(
                    key,
                    Event::warning(
                        "RecordNotSaved",
                        format!(
                            "{e}; if its file is deleted while the operator is stopped, \
                             the next `up` will not know to delete it"
                        ),
                    ),
                )
                .await;
        }
    }
    let desired = fly::build(&valid, &target, ctx.fly_options.check_interval);
    let outcome: Outcome = match FlyRun::new(fly_client, &ctx.fly_options, false)
        .reconcile(&desired)
        .await
    {
        Ok(o) => o,
        Err(e) => return Err((e.into(), Some(valid))),
    };
    for d in &outcome.drift {
        ctx.metrics.drift_corrected(d.field);
        ctx.reporter
            .event(
                key,
                Event::normal(
                    "DriftCorrected",
                    format!("{}: {} → {}", d.field, d.live, d.desired),
                ),
            )
            .await;
    }
    for _ in &outcome.stale_locks {
        ctx.metrics.stale_locks_cleared.inc();
    }
    for e in &outcome.events {
        ctx.reporter.event(key, e.clone()).await;
    }
    Ok((fly::status(&desired, &outcome, previous, generation), valid))
}

/// What to do after `r`, given the number of consecutive failures so far.
pub fn next_action(r: &Reconciled, failures: u32, resync: Duration) -> Action {
    match &r.error {
        Some(e) => error_policy(e, failures),
        None if r.settled => Action::Requeue(resync),
        // Converging (machine starting, check not passing yet): look again soon.
        None => Action::Requeue(Duration::from_secs(2).min(resync)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_spares_invalid_specs() {
        let fly_err = ReconcileError::Fly(FlyError::Blocked("x".into()));
        let Action::Requeue(d1) = error_policy(&fly_err, 0) else {
            panic!()
        };
        let Action::Requeue(d5) = error_policy(&fly_err, 5) else {
            panic!()
        };
        let Action::Requeue(dmax) = error_policy(&fly_err, 40) else {
            panic!()
        };
        assert!(
            d1 < d5 && dmax <= Duration::from_secs(360),
            "{d1:?} {d5:?} {dmax:?}"
        );
        let spec = ReconcileError::Spec(SpecErrors(vec![crate::validate::FieldError::invalid(
            "a", "b", "c",
        )]));
        assert_eq!(error_policy(&spec, 3), Action::AwaitChange);
    }
}
