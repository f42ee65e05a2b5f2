//! Connecting to a Machines API: Fly (with `FLY_API_TOKEN`) or the embedded
//! fly-local. Every call is counted in the metrics by route and status.

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

/// Builds a client for `args`, reporting each call to `metrics`.
pub fn client(args: &FlyArgs, token: &str, metrics: Arc<Metrics>) -> anyhow::Result<Client> {
    let token = Token::new(token).context("FLY_API_TOKEN")?;
    let observer = move |call: &CallRecord<'_>| metrics.api_call(call.route, call.status);
    Client::builder()
        .base_url(&args.fly_api_url)
        .with_context(|| format!("--fly-api-url {}", args.fly_api_url))?
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
        client: client(args, token, metrics)?,
        description: format!("Machines API at {}", args.fly_api_url),
    }))
}
