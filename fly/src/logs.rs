//! An app's logs, from Fly's log API — not part of the Machines API: it is
//! served by `api.fly.io` at `GET /api/v1/apps/{app}/logs`, the endpoint
//! flyctl polls for `fly logs` when it has no WireGuard tunnel for the
//! NATS stream (fly-go's `GetAppLogs`). Query `next_token` (empty at first),
//! optionally `instance` (a machine id) and `region`; the answer is
//! `{"data": [{"id", "attributes": {timestamp, message, level, instance,
//! region, meta}}], "meta": {"next_token"}}`. Passing the returned token back
//! gives the lines after; an empty page means nothing new yet, so following
//! is polling with a backoff (flyctl waits 64 ms doubling to 4 s). The same
//! token that authenticates the Machines API is accepted.
//!
//! fly-local serves the same path and shape, from its machines' output.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::auth::Token;
use crate::error::{ApiError, Error, message_and_code};

/// Where flyctl reads logs.
pub const DEFAULT_LOGS_URL: &str = "https://api.fly.io";

/// Route name of the call, for errors.
pub const LOGS_ROUTE: &str = "GET /api/v1/apps/{app_name}/logs";

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct LogEntry {
    /// RFC 3339.
    pub timestamp: String,
    /// The line.
    pub message: String,
    /// `info`, `warn`, `error`, …
    pub level: String,
    /// The machine id.
    pub instance: String,
    /// Region code.
    pub region: String,
    /// Extra fields; `meta.event.provider` says who wrote the line (`app`
    /// for the process, `runner` for the platform).
    pub meta: serde_json::Value,
}

impl LogEntry {
    /// `app` (the process), `runner` (the platform), or what the API says.
    pub fn provider(&self) -> &str {
        self.meta["event"]["provider"].as_str().unwrap_or("app")
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Datum>,
    #[serde(default)]
    meta: PageMeta,
}

#[derive(Deserialize)]
struct Datum {
    attributes: LogEntry,
}

#[derive(Default, Deserialize)]
struct PageMeta {
    #[serde(default)]
    next_token: String,
}

/// A client of the log API.
#[derive(Clone, Debug)]
pub struct LogsClient {
    base: Url,
    token: Token,
    http: reqwest::Client,
}

impl LogsClient {
    /// A client for the log API at `base` (e.g. [`DEFAULT_LOGS_URL`]).
    pub fn new(base: &str, token: Token) -> Result<Self, Error> {
        let base = Url::parse(base)
            .map_err(|e| Error::InvalidArgument(format!("log API URL {base:?}: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(crate::client::user_agent())
            .build()
            .map_err(|source| Error::Transport {
                route: LOGS_ROUTE,
                source,
            })?;
        Ok(Self { base, token, http })
    }

    /// One page of `app`'s lines after `next_token` (empty: the oldest kept),
    /// and the token to pass next time.
    pub async fn page(
        &self,
        app: &str,
        next_token: &str,
        instance: Option<&str>,
        region: Option<&str>,
    ) -> Result<(Vec<LogEntry>, String), Error> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| Error::InvalidArgument(format!("log API URL {}: not a base", self.base)))?
            .pop_if_empty()
            .extend(["api", "v1", "apps", app, "logs"]);
        url.query_pairs_mut().append_pair("next_token", next_token);
        if let Some(i) = instance {
            url.query_pairs_mut().append_pair("instance", i);
        }
        if let Some(r) = region {
            url.query_pairs_mut().append_pair("region", r);
        }
        let resp = self
            .http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, self.token.header().clone())
            .send()
            .await
            .map_err(|source| Error::Transport {
                route: LOGS_ROUTE,
                source,
            })?;
        let status = resp.status().as_u16();
        let request_id = resp
            .headers()
            .get(crate::client::REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.map_err(|source| Error::Transport {
            route: LOGS_ROUTE,
            source,
        })?;
        if !(200..300).contains(&status) {
            let (message, code) = message_and_code(status, &body);
            return Err(Error::from_status(
                ApiError {
                    route: LOGS_ROUTE,
                    status,
                    message,
                    code,
                    request_id,
                },
                None,
            ));
        }
        let page: Page = serde_json::from_slice(&body).map_err(|e| Error::Decode {
            route: LOGS_ROUTE,
            status,
            message: e.to_string(),
            request_id,
        })?;
        let token = if page.meta.next_token.is_empty() {
            next_token.to_owned()
        } else {
            page.meta.next_token
        };
        Ok((page.data.into_iter().map(|d| d.attributes).collect(), token))
    }
}
