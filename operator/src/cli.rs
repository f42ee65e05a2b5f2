//! Command line: `crd`, `plan`, `up`, and `run` (the cluster controller).

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
}

/// Where resources are read from.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    /// A YAML file (one or more `---` documents) or a directory of them
    /// (`*.yaml`, `*.yml`, `*.json`, recursively). Repeatable.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    pub paths: Vec<PathBuf>,
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
