//! `up -f FILE|DIR…`: reconcile resources from files, re-reading them on
//! change, with a live status table; Ctrl-C leaves machines running unless
//! `--down`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::FutureExt;
use tokio::sync::watch;

use crate::applied::{AppliedStore, RecordError, SourceSet, api_identity};
use crate::board::Board;
use crate::cli::UpArgs;
use crate::connect;
use crate::controller::Controller;
use crate::embedded::{Embedded, EmbeddedOptions};
use crate::fly::FlyOptions;
use crate::metrics::Metrics;
use crate::reconcile::Context;
use crate::resource::ResourceKey;
use crate::secrets::LocalSecretResolver;
use crate::source::DirectorySource;
use crate::{server, table, telemetry};

/// Runs until Ctrl-C (or SIGTERM).
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let state = telemetry::state_dir();
    let table_mode = !args.no_table && std::io::stdout().is_terminal();
    let log_path = state.join("operator.log");
    if table_mode {
        telemetry::to_file(&log_path);
    } else {
        telemetry::to_stderr();
    }
    let applied = open_record(&args, &state)?;
    let metrics = Arc::new(Metrics::new());
    let board = Arc::new(Board::default());
    let (conn, embedded) = match connect::from_args(&args.fly, metrics.clone())? {
        Some(c) => (c, None),
        None => {
            let data = args
                .fly
                .fly_local_data
                .clone()
                .unwrap_or_else(|| state.join("fly-local"));
            let options = EmbeddedOptions {
                simulate: args.simulate,
                host_loopback: args.host_loopback,
            };
            let e = Embedded::start(&data, &state, options).await?;
            let conn = connect::Connection {
                client: connect::client(&e.base_url(), e.token(), metrics.clone())?,
                description: format!(
                    "embedded fly-local at {} (state in {}; no FLY_API_TOKEN)",
                    e.base_url(),
                    data.display()
                ),
            };
            (conn, Some(e))
        }
    };
    let local = match &embedded {
        Some(e) => Some(e.admin.clone()),
        // A fly-local started separately (`fly-local serve`) gets local URLs too.
        None => match args.fly.fly_api_token.as_deref() {
            Some(token) => crate::embedded::LocalAdmin::detect(&args.fly.fly_api_url, token).await,
            None => None,
        },
    };
    let secrets_dir = state.join("secrets");
    let ctx = Arc::new(Context {
        fly: Some(conn.client),
        kubernetes: None,
        fly_options: FlyOptions {
            check_interval: args.check_interval.unwrap_or(if embedded.is_some() {
                Duration::from_secs(2)
            } else {
                crate::fly::build::DEFAULT_CHECK_INTERVAL
            }),
            lease_holder: applied.as_ref().map(|s| s.lease_holder()),
            ..FlyOptions::default()
        },
        resolver: Arc::new(LocalSecretResolver::with_generated_dir(&secrets_dir)),
        reporter: board.clone(),
        metrics: metrics.clone(),
        resync: args.resync,
        generated_dir: Some(secrets_dir.clone()),
        local,
        applied: applied.clone(),
    });
    let addr = server::serve(args.metrics_addr, metrics, board.clone())
        .await
        .with_context(|| format!("--metrics-addr {}", args.metrics_addr))?;
    let snapshots = DirectorySource::new(args.source.paths.clone())
        .watch()
        .context("watching the resource files")?;
    if let Some(store) = &applied {
        eprintln!(
            "openclaw-operator: {} resource(s) applied from these files before (record {})",
            store.entries().len(),
            store.path().display()
        );
    }
    tracing::info!(api = %conn.description, metrics = %addr, "openclaw-operator up");
    eprintln!(
        "openclaw-operator: reconciling against the {}; metrics and /status on http://{addr}",
        conn.description
    );
    if let Some(e) = &embedded {
        eprintln!("openclaw-operator: {}", e.network_summary());
    }
    if table_mode {
        eprintln!("logs: {}", log_path.display());
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let controller = Controller::new(ctx, board.clone(), args.concurrency);
    let running = tokio::spawn(controller.run(snapshots, stop_rx));
    let drawing = tokio::spawn(if table_mode {
        draw(board.clone()).boxed()
    } else {
        announce(board.clone()).boxed()
    });
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    drawing.abort();
    let controller = running.await.context("controller task")?;
    if args.down {
        eprintln!("openclaw-operator: deleting every resource (--down)…");
        controller.down().await;
    } else {
        controller.stop();
        if embedded.is_some() {
            eprintln!(
                "openclaw-operator: stopped; the embedded fly-local stops with it, its machines \
                 stay declared and start again with the next `up` (--down deletes them)"
            );
        } else {
            eprintln!("openclaw-operator: stopped; gateways keep running (--down deletes them)");
        }
    }
    if let Some(e) = embedded {
        e.shutdown().await;
    }
    Ok(())
}

/// Opens this source set's record of applied resources (see [`crate::applied`]).
/// Another `up` on the same files is an error; a state directory that cannot
/// hold a record only disables pruning across restarts, with a warning.
fn open_record(
    args: &UpArgs,
    state: &std::path::Path,
) -> anyhow::Result<Option<Arc<AppliedStore>>> {
    let set = SourceSet::new(&args.source.paths, api_identity(&args.fly, state));
    match AppliedStore::open(state, set) {
        Ok(opened) => {
            if let Some((aside, why)) = &opened.set_aside {
                let msg = format!(
                    "the record of applied resources {} could not be used ({why}); it was moved to {} \
                     and nothing is pruned: resources removed from these files while the operator \
                     was stopped are left in place (the moved record lists them)",
                    opened.store.path().display(),
                    aside.display()
                );
                tracing::warn!("{msg}");
                eprintln!("openclaw-operator: warning: {msg}");
            }
            Ok(Some(Arc::new(opened.store)))
        }
        Err(e @ RecordError::Busy { .. }) => Err(e.into()),
        Err(e) => {
            let msg = format!(
                "{e}; continuing without a record: resources removed from these files while the \
                 operator is stopped will not be deleted"
            );
            tracing::warn!("{msg}");
            eprintln!("openclaw-operator: warning: {msg}");
            Ok(None)
        }
    }
}

async fn draw(board: Arc<Board>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let mut text = table::render(&board);
        text.push_str(&table::access(&board));
        text.push_str(
            "\nCtrl-C stops the operator and leaves every gateway declared (--down deletes them).\n",
        );
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\x1b[H\x1b[2J{text}");
        let _ = out.flush();
    }
}

/// Without the table (output piped, `--no-table`): prints each gateway's local URL and
/// token hint to stdout once it is known and again whenever it changes, so a log still
/// says where to open the Control UI.
async fn announce(board: Arc<Board>) {
    let mut shown: HashMap<ResourceKey, String> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        for (key, entry) in board.snapshot() {
            let Some(text) = table::access_entry(&key, &entry) else {
                continue;
            };
            if shown.get(&key) != Some(&text) {
                let mut out = std::io::stdout().lock();
                let _ = write!(out, "{text}");
                let _ = out.flush();
                shown.insert(key, text);
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
