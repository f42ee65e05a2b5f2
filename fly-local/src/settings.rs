//! Server settings: everything an embedder or the CLI can tune. Defaults are
//! chosen so tests are fast while every transient state still exists.

use std::path::PathBuf;
use std::time::Duration;

use crate::images::ImageTable;

/// How machine processes are isolated from the host and from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Isolation {
    /// Namespaces when running as root, the host fallback otherwise.
    #[default]
    Auto,
    /// Own mount, network, PID, UTS and IPC namespaces per machine; a fresh
    /// overlay root per boot; the volume bind-mounted at its mount path.
    Namespaces,
    /// Processes run on the host: shared network, volume paths rewritten in
    /// env and args. Logged as a warning on every launch.
    Host,
}

/// Delays of the asynchronous transitions (how long transient states last).
#[derive(Debug, Clone)]
pub struct Delays {
    /// From `created` to `starting` for a launching machine.
    pub launch: Duration,
    /// How long `starting` lasts before the process is spawned.
    pub start: Duration,
    /// Minimum duration of `stopping`, `restarting`, `suspending`, `replacing`.
    pub stop: Duration,
    /// How long `destroying` lasts.
    pub destroy: Duration,
    /// How long a volume stays bound to a destroyed machine.
    pub volume_unbind: Duration,
    /// How long a deleted volume stays in `pending_destroy`.
    pub volume_destroy: Duration,
    /// First restart delay of the restart policy (grows linearly, capped at 5 s).
    pub restart_backoff: Duration,
}

impl Default for Delays {
    fn default() -> Self {
        Self {
            launch: Duration::from_millis(20),
            start: Duration::from_millis(20),
            stop: Duration::from_millis(20),
            destroy: Duration::from_millis(20),
            volume_unbind: Duration::ZERO,
            volume_destroy: Duration::from_millis(20),
            restart_backoff: Duration::from_millis(100),
        }
    }
}

/// Outbound network of machines in namespace isolation (see
/// [`crate::runtime::egress`]). Host isolation shares the host's network and
/// ignores these.
#[derive(Debug, Clone)]
pub struct EgressSettings {
    /// The slirp4netns program: a bare name is looked up in `PATH`. When it
    /// cannot be found (or `/dev/net/tun` is missing) machines still run,
    /// without outbound network, and fly-local says so.
    pub slirp4netns: PathBuf,
    /// Let machines reach services on the host's loopback (a fake provider,
    /// a local model server) at [`crate::runtime::egress::HOST_LOOPBACK`],
    /// given to machines as `FLY_LOCAL_HOST`. A fly-local extension: a Fly
    /// machine cannot reach your laptop. Off by default because the
    /// machine's code (an agent that runs tools, fed by whoever talks to it
    /// on Discord) would otherwise reach every unauthenticated service bound
    /// to the host's 127.0.0.1; turn it on for development and tests.
    pub host_loopback: bool,
}

impl Default for EgressSettings {
    fn default() -> Self {
        Self {
            slirp4netns: PathBuf::from("slirp4netns"),
            host_loopback: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The API token clients must present (`Bearer` or `FlyV1`).
    pub token: String,
    /// The region of machines and volumes created without one.
    pub default_region: String,
    /// Run every machine without a process.
    pub simulate: bool,
    pub images: ImageTable,
    pub delays: Delays,
    pub isolation: Isolation,
    pub egress: EgressSettings,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Lease owner reported for this token.
    pub owner: String,
    /// App names that exist in an organization this token cannot see: GET
    /// answers 403 and create answers 422 `name_taken`, as on Fly.
    pub foreign_apps: Vec<String>,
    /// Reject `min_secrets_version` above the app's version with 412 (else accept).
    pub strict_secrets_version: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token: String::new(),
            default_region: "iad".into(),
            simulate: false,
            images: ImageTable::default(),
            delays: Delays::default(),
            isolation: Isolation::Auto,
            egress: EgressSettings::default(),
            max_body_bytes: 4 * 1024 * 1024,
            owner: "fly-local@tokens.fly.io".into(),
            foreign_apps: Vec::new(),
            strict_secrets_version: true,
        }
    }
}

/// Fly's region codes.
pub const REGIONS: &[&str] = &[
    "ams", "arn", "atl", "bog", "bom", "bos", "cdg", "den", "dfw", "ewr", "eze", "fra", "gdl",
    "gig", "gru", "hkg", "iad", "jnb", "lax", "lhr", "mad", "mia", "nrt", "ord", "otp", "phx",
    "qro", "scl", "sea", "sin", "sjc", "syd", "waw", "yul", "yyz",
];

pub fn is_region(code: &str) -> bool {
    REGIONS.contains(&code)
}
