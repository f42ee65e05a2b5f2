//! The cluster front end (`openclaw-operator run`): watches `OpenClaw`
//! resources in a Kubernetes cluster (every namespace, or the ones given),
//! reconciles them through the shared pipeline — Fly-platform resources onto
//! Fly, Kubernetes-platform ones into the cluster — and, with leader election,
//! only on the replica holding the Lease.

pub mod controller;
pub mod leader;
pub mod reporter;
pub mod secrets;

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use kube::runtime::events::{Recorder, Reporter as EventSource};
use tokio::sync::watch;

use crate::board::Board;
use crate::crd::OpenClaw;
use crate::kubernetes::KubernetesBackend;
use crate::metrics::Metrics;

use self::controller::Shared;
use self::leader::{Elector, LeaseConfig};
use self::reporter::ClusterReporter;

/// Everything `run` needs, resolved from flags and environment.
pub struct RunConfig {
    /// The cluster.
    pub client: kube::Client,
    /// Fly, when a token is configured.
    pub fly: Option<fly_machines::Client>,
    /// Namespaces to watch; every namespace when empty.
    pub namespaces: Vec<String>,
    /// Periodic resync.
    pub resync: Duration,
    /// Reconciles at once (per namespace).
    pub concurrency: u16,
    /// Leader election, or `None` to act without one.
    pub lease: Option<(String, LeaseConfig)>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// The `/status` board.
    pub board: Arc<Board>,
}

/// Runs the controllers (while leading, with leader election) until
/// `shutdown` turns true.
pub async fn run(cfg: RunConfig, shutdown: watch::Receiver<bool>) {
    let identity = cfg.lease.as_ref().map_or_else(
        || "openclaw-operator".to_owned(),
        |(_, l)| l.identity.clone(),
    );
    let recorder = Recorder::new(
        cfg.client.clone(),
        EventSource {
            controller: "openclaw-operator".into(),
            instance: Some(identity),
        },
    );
    let kubernetes = Arc::new(KubernetesBackend::new(cfg.client.clone()));
    let namespaces: Vec<Option<String>> = if cfg.namespaces.is_empty() {
        vec![None]
    } else {
        cfg.namespaces.iter().cloned().map(Some).collect()
    };
    let work = |stop: watch::Receiver<bool>| {
        let futures = namespaces.iter().map(|ns| {
            let api: Api<OpenClaw> = match ns {
                Some(ns) => Api::namespaced(cfg.client.clone(), ns),
                None => Api::all(cfg.client.clone()),
            };
            let c = controller::controller(api, &cfg.client, ns.as_deref());
            let store = c.store();
            let reporter = Arc::new(ClusterReporter::new(
                cfg.client.clone(),
                recorder.clone(),
                store.clone(),
                cfg.board.clone(),
            ));
            let shared = Arc::new(Shared::new(
                cfg.client.clone(),
                cfg.fly.clone(),
                kubernetes.clone(),
                reporter,
                cfg.metrics.clone(),
                cfg.resync,
                store,
            ));
            let mut stop = stop.clone();
            let stopped = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            controller::run(c, shared, cfg.concurrency, stopped)
        });
        join_all(futures.collect::<Vec<_>>())
    };
    match &cfg.lease {
        None => {
            work(shutdown).await;
        }
        Some((namespace, lease)) => {
            let api: Api<Lease> = Api::namespaced(cfg.client.clone(), namespace);
            let elector = Elector::new(api, lease.clone());
            leader::lead(
                elector,
                shutdown,
                |stop| {
                    let w = work(stop);
                    async move {
                        w.await;
                    }
                },
                |_| {},
            )
            .await;
        }
    }
}
