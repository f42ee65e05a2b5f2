//! Command line: `crd`, `plan`, `up`, `run` (the cluster controller), and
//! the day-2 commands `status`, `logs`, `token`, `proxy` and `import`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Run OpenClaw gateways on Fly.io (or the embedded fly-local) from
/// `OpenClaw` resources, and keep them healthy.
#[derive(Debug, Parser)]
#[command(name = "openclaw-operator", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the OpenClaw CustomResourceDefinition (YAML).
    Crd,
    /// Show the Fly API calls `up` would make for these resources, without
    /// making any write.
    Plan(PlanArgs),
    /// Reconcile resources from files/directories (GitOps), re-reading them
    /// on change; runs an embedded fly-local when FLY_API_TOKEN is unset.
    ///
    /// What it applies is recorded per set of -f paths (in
    /// $XDG_STATE_HOME/openclaw-operator/applied/): a resource removed from
    /// those files while `up` is stopped is deleted, per its deletionPolicy,
    /// by the next `up` with the same -f paths (`plan` lists it first).
    Up(UpArgs),
    /// Run as a Kubernetes controller: reconcile the cluster's `OpenClaw`
    /// resources (Fly platform onto Fly, Kubernetes platform into the
    /// cluster), with leader election so only one replica acts.
    Run(RunArgs),
    /// Show resources like `kubectl get`: those of the running `up` (or of
    /// the -f files); `status NAME` shows one in detail.
    Status(StatusArgs),
    /// Print a gateway's output (`-f` follows it, across restarts).
    Logs(LogsArgs),
    /// Print a gateway's token on stdout, for piping (never logged).
    Token(TokenArgs),
    /// Forward a local port to a gateway (a private/flycast one included).
    Proxy(ProxyArgs),
    /// Print an `OpenClaw` resource equivalent to a fly.toml (what cannot be
    /// mapped is listed as comments; secrets are referenced by name).
    Import(ImportArgs),
}

/// Where resources are read from.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    /// A YAML file (one or more `---` documents) or a directory of them
    /// (`*.yaml`, `*.yml`, `*.json`, recursively); `-` reads standard input
    /// (`plan`, `status`). Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    pub paths: Vec<PathBuf>,
}

/// Which `env:` and `file:` secret sources resources may read (see
/// [`crate::secrets::SourcePolicy`]).
#[derive(Debug, Args, Clone, Default)]
pub struct SecretPolicyArgs {
    /// A variable `env:` secret sources may read (`*` wildcards; repeatable).
    /// Default: any name except the operator's own credentials (FLY_*, KUBE*,
    /// AWS_*, …), which are read only when named exactly here.
    #[arg(
        long = "allow-secret-env",
        value_name = "NAME",
        env = "OPENCLAW_ALLOW_SECRET_ENV",
        value_delimiter = ','
    )]
    pub allow_env: Vec<String>,
    /// A directory `file:` secret sources may read under (repeatable).
    /// Default: the directory of the file that declares the resource.
    #[arg(
        long = "secret-file-root",
        value_name = "DIR",
        env = "OPENCLAW_SECRET_FILE_ROOTS",
        value_delimiter = ':'
    )]
    pub file_roots: Vec<PathBuf>,
}

impl SecretPolicyArgs {
    /// The policy these flags describe.
    pub fn policy(&self) -> crate::secrets::SourcePolicy {
        crate::secrets::SourcePolicy::new(self.allow_env.clone(), self.file_roots.clone())
    }
}

/// How to reach the Fly Machines API.
#[derive(Debug, Args, Clone)]
pub struct FlyArgs {
    /// Fly API token. Without it, an embedded fly-local is used.
    #[arg(long, env = "FLY_API_TOKEN", hide_env_values = true)]
    pub fly_api_token: Option<String>,
    /// Machines API base URL (a fly-local URL, or Fly's internal `http://_api.internal:4280`).
    #[arg(
        long,
        env = "FLY_FLAPS_BASE_URL",
        default_value = "https://api.machines.dev"
    )]
    pub fly_api_url: String,
    /// Data directory of the embedded fly-local used when FLY_API_TOKEN is
    /// unset (default: `$XDG_STATE_HOME/openclaw-operator/fly-local`, i.e.
    /// `~/.local/state/openclaw-operator/fly-local`).
    #[arg(long, value_name = "DIR")]
    pub fly_local_data: Option<PathBuf>,
}

/// `plan` arguments.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Resources to plan.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Fly API access (reads only).
    #[command(flatten)]
    pub fly: FlyArgs,
    /// Which secret sources resources may read.
    #[command(flatten)]
    pub secrets: SecretPolicyArgs,
}

/// `up` arguments.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Resources to reconcile.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Fly API access.
    #[command(flatten)]
    pub fly: FlyArgs,
    /// Run embedded fly-local machines without processes (scale tests).
    #[arg(long)]
    pub simulate: bool,
    /// Let the embedded fly-local's gateways reach services on this host's
    /// 127.0.0.1 (a local model server, fake providers) at `$FLY_LOCAL_HOST`
    /// (10.0.2.2). Off by default: an agent's tools could otherwise reach
    /// every unauthenticated local service. The internet is reachable either way.
    #[arg(long)]
    pub host_loopback: bool,
    /// How often every resource is re-read from Fly to heal drift.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub resync: Duration,
    /// Interval of the gateway health check set on machines (default: 15s
    /// on Fly, 2s on the embedded fly-local).
    #[arg(long, value_parser = parse_duration)]
    pub check_interval: Option<Duration>,
    /// Reconciles running at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Address of the `/metrics`, `/healthz` and `/status` server.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub metrics_addr: SocketAddr,
    /// On Ctrl-C, delete every resource (honouring its deletionPolicy) before exiting.
    #[arg(long)]
    pub down: bool,
    /// Print log lines instead of the live status table.
    #[arg(long)]
    pub no_table: bool,
    /// Which secret sources resources may read.
    #[command(flatten)]
    pub secrets: SecretPolicyArgs,
    /// Embedded fly-local: run images matching PATTERN with programs from
    /// DIRs (searched before the system PATH), e.g.
    /// `--image 'ghcr.io/openclaw/openclaw:*=/opt/node/bin'`; the same short
    /// form as `fly-local serve --image`. Repeatable; first match wins, before
    /// the built-in entries (our gateway, and the Node image when an npm
    /// install of openclaw is found).
    #[arg(long = "image", value_name = "PATTERN=DIR[:DIR…]", value_parser = parse_image)]
    pub images: Vec<fly_local::ImageSpec>,
    /// Embedded fly-local: an image table file (YAML, fly-local's format:
    /// pattern, path, entrypoint, cmd, env, workdir, bin), for images needing
    /// more than a PATH. Its entries come after the --image ones.
    #[arg(long = "images", value_name = "FILE")]
    pub images_file: Option<PathBuf>,
    /// Embedded fly-local: serve resource NAME (`name` or `namespace/name`)
    /// on this local port (default: the port it had before, else a free one;
    /// remembered in the state directory). Repeatable.
    #[arg(long = "port", value_name = "NAME=PORT", value_parser = parse_port)]
    pub ports: Vec<(String, u16)>,
}

fn parse_image(s: &str) -> Result<fly_local::ImageSpec, String> {
    fly_local::ImageSpec::parse_short(s)
}

fn parse_port(s: &str) -> Result<(String, u16), String> {
    let (name, port) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected NAME=PORT, e.g. quickstart=18789"))?;
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{s:?}: {port:?} is not a port (1-65535)"))?;
    if name.is_empty() {
        return Err(format!("{s:?}: the resource name is empty"));
    }
    Ok((name.to_owned(), port))
}

/// Output format of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A table (or, with NAME, a description).
    Text,
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// `status` arguments.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// One resource (`name` or `namespace/name`) to describe in detail.
    pub name: Option<String>,
    /// Read these files instead of asking a running `up` (`-` for stdin);
    /// what exists is then read from the Fly API (or a fly-local).
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Fly API access (reads only), with -f.
    #[command(flatten)]
    pub fly: FlyArgs,
}

/// `logs` arguments.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The resource (`name` or `namespace/name`).
    pub name: String,
    /// Keep printing new lines as they come, across machine restarts and
    /// restarts of `up`, until Ctrl-C.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only lines newer than this, e.g. `10m`, `1h`.
    #[arg(long, value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// The Fly app, when no running `up` knows the resource (default: NAME).
    #[arg(long)]
    pub app: Option<String>,
    /// Base URL of Fly's log API (the one flyctl polls).
    #[arg(long, env = "FLY_LOGS_BASE_URL", default_value = "https://api.fly.io")]
    pub fly_logs_url: String,
    /// Fly API access.
    #[command(flatten)]
    pub fly: FlyArgs,
}

/// `token` arguments.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The resource (`name` or `namespace/name`).
    pub name: String,
    /// Read the resource from these files instead of asking a running `up`.
    #[arg(short = 'f', long = "filename", value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Which secret sources resources may read (with -f).
    #[command(flatten)]
    pub secrets: SecretPolicyArgs,
}

/// `proxy` arguments.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The resource (`name` or `namespace/name`).
    pub name: String,
    /// Local port to listen on (default: the gateway's port, e.g. 3000).
    pub local_port: Option<u16>,
    /// Local address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// The Fly app, when no running `up` knows the resource (default: NAME).
    #[arg(long)]
    pub app: Option<String>,
    /// Fly API access.
    #[command(flatten)]
    pub fly: FlyArgs,
}

/// `import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The fly.toml to translate.
    pub file: PathBuf,
    /// `metadata.name` (default: the app name).
    #[arg(long)]
    pub name: Option<String>,
    /// `metadata.namespace`.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// With FLY_API_TOKEN, the app's secret names are read (never their
    /// values) and each becomes an `env:` reference.
    #[command(flatten)]
    pub fly: FlyArgs,
}

/// Parses `60s`, `5m`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (use e.g. 60s, 5m, 500ms)"))
}

/// `run` arguments.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Namespace to watch (repeatable; comma-separated in the environment).
    /// Every namespace when omitted (the chart then grants a ClusterRole).
    #[arg(
        long = "namespace",
        value_name = "NS",
        env = "OPENCLAW_WATCH_NAMESPACES",
        value_delimiter = ','
    )]
    pub namespaces: Vec<String>,
    /// Fly API access, for resources with `platform: fly`.
    #[command(flatten)]
    pub fly: FlyArgs,
    /// How often every resource is reconciled again to heal drift.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub resync: Duration,
    /// Reconciles running at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: u16,
    /// Address of the `/metrics`, `/healthz` and `/status` server.
    #[arg(long, default_value = "0.0.0.0:9464", env = "OPENCLAW_METRICS_ADDR")]
    pub metrics_addr: SocketAddr,
    /// Elect a leader on a Lease, so that of several replicas only one acts.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub leader_election: bool,
    /// Name of the `coordination.k8s.io` Lease.
    #[arg(long, default_value = "openclaw-operator")]
    pub lease_name: String,
    /// Namespace of the Lease (default: the pod's, else the kubeconfig's).
    #[arg(long, env = "POD_NAMESPACE")]
    pub lease_namespace: Option<String>,
    /// This replica's identity in the Lease (default: pod name, else host name and pid).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// How long a Lease holds without renewal before another replica may take it.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,
    /// How long the leader keeps acting without a successful renewal.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub renew_deadline: Duration,
    /// How often the Lease is renewed, or tried while not leading.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub retry_period: Duration,
}
