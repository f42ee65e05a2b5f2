//! `run`: the cluster controller. Connects to the cluster (kubeconfig or
//! in-cluster), optionally to Fly, serves `/metrics` and `/healthz`, and
//! runs the controllers until SIGTERM.

use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::watch;

use crate::board::Board;
use crate::cli::RunArgs;
use crate::cluster::leader::LeaseConfig;
use crate::cluster::{self, RunConfig};
use crate::commands::up::shutdown_signal;
use crate::metrics::Metrics;
use crate::{connect, server, telemetry};

/// Runs until Ctrl-C or SIGTERM.
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    telemetry::to_stderr();
    let client = kube::Client::try_default().await.context(
        "connecting to the cluster (KUBECONFIG, ~/.kube/config, or the in-cluster service account)",
    )?;
    let metrics = Arc::new(Metrics::new());
    let board = Arc::new(Board::default());
    let fly = connect::from_args(&args.fly, metrics.clone())?.map(|c| c.client);
    let addr = server::serve(args.metrics_addr, metrics.clone(), board.clone())
        .await
        .with_context(|| format!("--metrics-addr {}", args.metrics_addr))?;
    let lease = args.leader_election.then(|| {
        let identity = args.identity.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_else(|_| "openclaw-operator".into());
            format!("{host}-{}", std::process::id())
        });
        let namespace = args
            .lease_namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_owned());
        (
            namespace,
            LeaseConfig {
                name: args.lease_name.clone(),
                identity,
                lease_duration: args.lease_duration,
                renew_deadline: args.renew_deadline,
                retry_period: args.retry_period,
            },
        )
    });
    tracing::info!(
        namespaces = %if args.namespaces.is_empty() { "all".to_owned() } else { args.namespaces.join(",") },
        fly = fly.is_some(),
        leader_election = args.leader_election,
        metrics = %addr,
        "openclaw-operator run"
    );
    if fly.is_none() {
        tracing::info!("no FLY_API_TOKEN: resources with platform fly are reported as unsupported");
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    cluster::run(
        RunConfig {
            client,
            fly,
            namespaces: args.namespaces,
            resync: args.resync,
            concurrency: args.concurrency,
            lease,
            metrics,
            board,
        },
        stop_rx,
    )
    .await;
    tracing::info!("openclaw-operator run: stopped");
    Ok(())
}
