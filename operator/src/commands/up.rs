//! `up -f FILE|DIR…`: reconcile resources from files, re-reading them on
//! change, with a live status table; Ctrl-C leaves machines running unless
//! `--down`.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

use crate::board::Board;
use crate::cli::UpArgs;
use crate::connect;
use crate::controller::Controller;
use crate::fly::FlyOptions;
use crate::metrics::Metrics;
use crate::reconcile::Context;
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
    let metrics = Arc::new(Metrics::new());
    let board = Arc::new(Board::default());
    let conn = match connect::from_args(&args.fly, metrics.clone())? {
        Some(c) => c,
        None => anyhow::bail!(
            "no FLY_API_TOKEN: the embedded fly-local is not part of this build yet; \
             set FLY_API_TOKEN (and FLY_FLAPS_BASE_URL to use a running `fly-local serve`)"
        ),
    };
    let secrets_dir = state.join("secrets");
    let ctx = Arc::new(Context {
        fly: conn.client,
        fly_options: FlyOptions::default(),
        resolver: Arc::new(LocalSecretResolver::with_generated_dir(&secrets_dir)),
        reporter: board.clone(),
        metrics: metrics.clone(),
        resync: args.resync,
    });
    let addr = server::serve(args.metrics_addr, metrics, board.clone())
        .await
        .with_context(|| format!("--metrics-addr {}", args.metrics_addr))?;
    let snapshots = DirectorySource::new(args.source.paths.clone())
        .watch()
        .context("watching the resource files")?;
    tracing::info!(api = %conn.description, metrics = %addr, "openclaw-operator up");
    eprintln!(
        "openclaw-operator: reconciling against the {}; metrics and /status on http://{addr}",
        conn.description
    );
    if table_mode {
        eprintln!("logs: {}", log_path.display());
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let controller = Controller::new(ctx, board.clone(), args.concurrency);
    let running = tokio::spawn(controller.run(snapshots, stop_rx));
    let drawing = table_mode.then(|| tokio::spawn(draw(board.clone(), secrets_dir)));
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    if let Some(d) = drawing {
        d.abort();
    }
    let controller = running.await.context("controller task")?;
    if args.down {
        eprintln!("openclaw-operator: deleting every resource (--down)…");
        controller.down().await;
    } else {
        controller.stop();
        eprintln!("openclaw-operator: stopped; gateways keep running (use --down to delete them)");
    }
    Ok(())
}

async fn draw(board: Arc<Board>, secrets_dir: std::path::PathBuf) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let mut text = table::render(&board);
        text.push_str(&format!(
            "\nGenerated gateway tokens: {}/<namespace>/<name>/OPENCLAW_GATEWAY_TOKEN\nCtrl-C stops the operator; gateways keep running (--down deletes them).\n",
            secrets_dir.display()
        ));
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\x1b[H\x1b[2J{text}");
        let _ = out.flush();
    }
}

async fn shutdown_signal() {
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
