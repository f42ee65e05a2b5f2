//! Serving: HTTP + WebSocket on the bound sockets, the periodic `tick`/`health` events,
//! and graceful shutdown on SIGTERM/SIGINT.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::TcpListener;

use crate::net::listen::Bound;
use crate::state::Gateway;
use crate::state::lifecycle::{Phase, now_ms};

/// How long open connections get to take their close frame before the process exits.
const DRAIN_GRACE: Duration = Duration::from_secs(3);

/// Why serving stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Signal(&'static str),
}

/// Serves until SIGTERM/SIGINT, then drains: a `shutdown` event, close 1012 to every
/// client, and the listeners closed. Must run inside a Tokio runtime.
pub async fn serve(gateway: Arc<Gateway>, bound: Bound) -> std::io::Result<Stop> {
    // Signals are caught before anyone learns the gateway is up: a supervisor that
    // stops it right after the listening line still gets a clean shutdown.
    let signals = Signals::install()?;
    tracing::info!(target: "gateway", "listening on ws://{} (PID {})", bound.local_addr(), std::process::id());
    let app =
        crate::http::router(gateway.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut servers = tokio::task::JoinSet::new();
    for std_listener in std::iter::once(bound.primary).chain(bound.secondary) {
        let listener = TcpListener::from_std(std_listener)?;
        let app = app.clone();
        let mut stop = stop_rx.clone();
        servers.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        });
    }
    let timers = tokio::spawn(periodic_events(gateway.clone()));
    let background_stop = tokio_util::sync::CancellationToken::new();
    let mut background = tokio::task::JoinSet::new();
    for task in gateway.take_background_tasks() {
        background.spawn(task(gateway.clone(), background_stop.child_token()));
    }
    gateway.lifecycle.set(Phase::Running);

    let stop = signals.wait().await;
    let started = Instant::now();
    tracing::info!(target: "gateway", "received {}; shutting down", match stop { Stop::Signal(s) => s });
    // The event first, then draining: connections deliver it before their close frame.
    gateway
        .events
        .emit_scoped("shutdown", &json!({ "reason": "gateway stopping" }), None);
    gateway.lifecycle.set(Phase::Draining);
    timers.abort();
    background_stop.cancel();
    let _ = stop_tx.send(true);
    gateway.connections.close();
    let drained = tokio::time::timeout(DRAIN_GRACE, async {
        while servers.join_next().await.is_some() {}
        gateway.connections.wait().await;
        while background.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(target: "shutdown", "connections still open after {} ms; closing them", DRAIN_GRACE.as_millis());
    }
    tracing::info!(target: "shutdown", "completed cleanly in {}ms", started.elapsed().as_millis());
    Ok(stop)
}

async fn periodic_events(gateway: Arc<Gateway>) {
    let mut tick = tokio::time::interval(gateway.settings.tick_interval);
    let mut health = tokio::time::interval(gateway.settings.health_refresh_interval);
    tick.tick().await;
    health.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => gateway.events.emit_scoped("tick", &json!({ "ts": now_ms() }), None),
            _ = health.tick() => gateway.events.emit_health(&gateway.health()),
        }
    }
}

/// SIGTERM and SIGINT, registered once.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn wait(mut self) -> Stop {
        tokio::select! {
            _ = self.term.recv() => Stop::Signal("SIGTERM"),
            _ = self.int.recv() => Stop::Signal("SIGINT"),
        }
    }
}
