//! Connecting to a Machines API: Fly (with `FLY_API_TOKEN`) or the embedded
//! fly-local. Every call is counted in the metrics by route and status.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use fly_machines::{CallRecord, Client, Token};

use crate::cli::FlyArgs;
use crate::metrics::Metrics;

/// A connected API.
pub struct Connection {
    /// The client.
    pub client: Client,
    /// Human description, e.g. `Fly API at https://api.machines.dev`.
    pub description: String,
}

/// Failpoint for crash-recovery tests: with `OPENCLAW_OPERATOR_EXIT_AFTER_WRITES=N`
/// the process aborts right after its Nth successful mutating API call, as a
/// `kill -9` at that exact point would. Unset in normal use.
pub const EXIT_AFTER_WRITES_ENV: &str = "OPENCLAW_OPERATOR_EXIT_AFTER_WRITES";

/// Builds a client for `base_url`, reporting each call to `metrics`.
pub fn client(base_url: &str, token: &str, metrics: Arc<Metrics>) -> anyhow::Result<Client> {
    let token = Token::new(token).context("FLY_API_TOKEN")?;
    let exit_after: Option<u64> = std::env::var(EXIT_AFTER_WRITES_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    let writes = std::sync::atomic::AtomicU64::new(0);
    let observer = move |call: &CallRecord<'_>| {
        metrics.api_call(call.route, call.status);
        let ok = call.status.is_some_and(|s| (200..300).contains(&s));
        if let Some(limit) = exit_after
            && ok
            && !matches!(call.method, "GET" | "HEAD")
            && writes.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 >= limit
        {
            eprintln!(
                "{EXIT_AFTER_WRITES_ENV}={limit}: aborting after {}",
                call.route
            );
            std::process::abort();
        }
    };
    Client::builder()
        .base_url(base_url)
        .with_context(|| format!("--fly-api-url {base_url}"))?
        .token(token)
        .user_agent(format!("openclaw-operator/{}", env!("CARGO_PKG_VERSION")))
        .observer(observer)
        .build()
        .context("building the Fly API client")
}

/// Connects to the API the user configured; `Ok(None)` when no token is set
/// (the caller then embeds fly-local).
pub fn from_args(args: &FlyArgs, metrics: Arc<Metrics>) -> anyhow::Result<Option<Connection>> {
    let Some(token) = args
        .fly_api_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    else {
        return Ok(None);
    };
    Ok(Some(Connection {
        client: client(&args.fly_api_url, token, metrics)?,
        description: format!("the Machines API at {}", args.fly_api_url),
    }))
}

/// Where a running `up` advertises its embedded fly-local (URL and token,
/// mode 0600), so `plan` can read the same state.
pub fn embedded_file(state_dir: &Path) -> PathBuf {
    state_dir.join("fly-local.json")
}

/// The embedded fly-local of a running `up`, if one answers.
pub async fn running_embedded(state_dir: &Path, metrics: Arc<Metrics>) -> Option<Connection> {
    let text = std::fs::read_to_string(embedded_file(state_dir)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let (url, token) = (v["baseUrl"].as_str()?, v["token"].as_str()?);
    let health = format!("{}/__fly-local/health", url.trim_end_matches('/'));
    let ok = tokio::task::spawn_blocking(move || {
        std::net::TcpStream::connect_timeout(
            &health_addr(&health)?,
            std::time::Duration::from_millis(500),
        )
        .ok()
    })
    .await
    .ok()
    .flatten()
    .is_some();
    if !ok {
        return None;
    }
    Some(Connection {
        client: client(url, token, metrics).ok()?,
        description: format!("the embedded fly-local of a running `up` ({url})"),
    })
}

fn health_addr(url: &str) -> Option<std::net::SocketAddr> {
    let rest = url.strip_prefix("http://")?;
    let host = rest.split('/').next()?;
    host.parse().ok()
}

/// A client that is never called: `plan` with nothing to read from.
pub fn offline(metrics: Arc<Metrics>) -> anyhow::Result<Connection> {
    Ok(Connection {
        client: client("http://127.0.0.1:9", "offline", metrics)?,
        description:
            "an empty Fly org (no FLY_API_TOKEN and no running `up`: assuming nothing exists yet)"
                .into(),
    })
}
