//! The gateway's shared state: one [`Gateway`] value behind an `Arc`, built once by a
//! [`GatewayBuilder`] to which subsystems (core methods, agents, channels) contribute
//! their WebSocket methods, status parts and readiness checks.

pub mod events;
pub mod lifecycle;
pub mod presence;
pub mod report;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::env::Environment;
use crate::settings::Settings;
use crate::version::{BUILD_ID, COMPAT_VERSION};
use crate::ws::pairing::DeviceStore;
use crate::ws::registry::MethodRegistry;
use events::EventBus;
use lifecycle::{Lifecycle, now_ms};
use presence::{HostInfo, PresenceRegistry};
use report::{Readiness, Report};

/// Everything a request handler may need, shared by all connections.
#[derive(Debug)]
pub struct Gateway {
    pub settings: Settings,
    pub config: Config,
    pub env: Environment,
    /// Changes on every start; reported as `server.bootId` and in the lock file.
    pub boot_id: String,
    pub lifecycle: Lifecycle,
    pub events: Arc<EventBus>,
    pub presence: PresenceRegistry,
    pub methods: MethodRegistry,
    pub devices: DeviceStore,
    /// Open WebSocket connections, awaited during shutdown.
    pub connections: tokio_util::task::TaskTracker,
    health: Report,
    status: Report,
    readiness: Readiness,
    /// Where the lock file is, for `status` (None with `OPENCLAW_ALLOW_MULTI_GATEWAY=1`).
    pub lock_path: Option<std::path::PathBuf>,
    /// HTTP routes subsystems serve on the gateway port (the Telegram webhook).
    pub routes: axum::Router,
    background: BackgroundTasks,
}

/// A long-running job a subsystem starts once the gateway serves (a channel's bot
/// connection). It gets the gateway and a token that is cancelled at shutdown, and
/// should return soon after.
pub type BackgroundTask = Box<
    dyn FnOnce(Arc<Gateway>, CancellationToken) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send,
>;

/// The background tasks not started yet (taken once by the server).
#[derive(Default)]
struct BackgroundTasks(Mutex<Vec<BackgroundTask>>);

impl std::fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |t| t.len());
        write!(f, "BackgroundTasks({n} pending)")
    }
}

impl Gateway {
    /// The background tasks to start, once (later calls get none).
    pub fn take_background_tasks(&self) -> Vec<BackgroundTask> {
        std::mem::take(&mut *self.background.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The health snapshot (`health` method, `hello-ok.snapshot.health`, `health` events).
    pub fn health(&self) -> Value {
        let started = std::time::Instant::now();
        let mut base = Map::new();
        base.insert("ok".into(), json!(true));
        base.insert("ts".into(), json!(now_ms()));
        base.insert("plugins".into(), json!({ "loaded": [], "errors": [] }));
        base.insert("channels".into(), json!({}));
        base.insert("channelOrder".into(), json!([]));
        base.insert("channelLabels".into(), json!({}));
        base.insert("defaultAgentId".into(), json!("main"));
        base.insert("agents".into(), json!([]));
        let mut report = self.health.render(base);
        report["durationMs"] = json!(started.elapsed().as_millis() as u64);
        report
    }

    /// The `status` method's payload.
    pub fn status(&self) -> Value {
        let s = &self.settings;
        let mut base = Map::new();
        base.insert("runtimeVersion".into(), json!(COMPAT_VERSION));
        base.insert("buildId".into(), json!(BUILD_ID));
        base.insert("pid".into(), json!(std::process::id()));
        base.insert("uptimeMs".into(), json!(self.lifecycle.uptime_ms()));
        base.insert("processMemory".into(), json!({ "rssBytes": rss_bytes() }));
        base.insert("channelSummary".into(), json!([]));
        base.insert("queuedSystemEvents".into(), json!([]));
        base.insert("sessions".into(), json!({ "count": 0, "recent": [] }));
        base.insert(
            "gateway".into(),
            json!({
                "bind": s.bind.as_str(),
                "port": s.port,
                "authMode": s.auth.mode.as_str(),
                "stateDir": s.paths.state_dir,
                "configPath": s.paths.config_path,
                "lockPath": self.lock_path,
                "inContainer": s.in_container,
            }),
        );
        self.status.render(base)
    }

    /// Names of failing readiness checks (`["draining"]` while shutting down).
    pub fn failing_readiness(&self) -> Vec<String> {
        let mut failing = self.readiness.failing();
        if self.lifecycle.phase() == lifecycle::Phase::Draining {
            failing.insert(0, "draining".into());
        }
        failing
    }
}

/// Resident set size of this process, from `/proc/self/statm`.
pub fn rss_bytes() -> u64 {
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .unwrap_or(4096) as u64;
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page)
}

/// Collects what subsystems contribute before the [`Gateway`] is frozen.
pub struct GatewayBuilder {
    pub settings: Settings,
    pub config: Config,
    pub env: Environment,
    pub methods: MethodRegistry,
    pub health: Report,
    pub status: Report,
    pub readiness: Readiness,
    pub lock_path: Option<std::path::PathBuf>,
    /// Extra HTTP routes, merged before the Control UI fallback.
    pub routes: axum::Router,
    background: Vec<BackgroundTask>,
    events: Arc<EventBus>,
}

impl GatewayBuilder {
    pub fn new(settings: Settings, config: Config, env: Environment) -> Self {
        Self {
            settings,
            config,
            env,
            methods: MethodRegistry::default(),
            health: Report::default(),
            status: Report::default(),
            readiness: Readiness::default(),
            lock_path: None,
            routes: axum::Router::new(),
            background: Vec::new(),
            events: Arc::default(),
        }
    }

    /// Runs `task` once the gateway serves; see [`BackgroundTask`].
    pub fn on_start<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(Arc<Gateway>, CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.background
            .push(Box::new(move |gateway, stop| Box::pin(task(gateway, stop))));
    }

    /// The event bus, available before the gateway exists so subsystems can keep a handle.
    pub fn events(&self) -> Arc<EventBus> {
        self.events.clone()
    }

    pub fn build(self) -> Arc<Gateway> {
        let devices = DeviceStore::open(&self.settings.paths.state_dir);
        Arc::new(Gateway {
            settings: self.settings,
            config: self.config,
            env: self.env,
            boot_id: uuid::Uuid::new_v4().to_string(),
            lifecycle: Lifecycle::default(),
            events: self.events,
            presence: PresenceRegistry::new(HostInfo::detect()),
            methods: self.methods,
            devices,
            connections: tokio_util::task::TaskTracker::new(),
            health: self.health,
            status: self.status,
            readiness: self.readiness,
            lock_path: self.lock_path,
            routes: self.routes,
            background: BackgroundTasks(Mutex::new(self.background)),
        })
    }
}
