//! `GET /api/v1/apps/{app}/logs`: an app's log lines in the shape of Fly's
//! log API, the endpoint flyctl polls for `fly logs` (fly-go's
//! `GetAppLogs`, on `api.fly.io`): `?next_token=&instance=&region=` →
//! `{"data": [{"id", "type": "logs", "attributes": {"timestamp", "message",
//! "level", "instance", "region", "meta": {…}}}], "meta": {"next_token"}}`.
//! Lines come oldest first, at most [`PAGE`] per call; passing the returned
//! `next_token` back gives the lines after them (an empty page keeps the
//! token), so a client follows by polling. The token is a position in time,
//! so it stays valid across restarts of fly-local and of the machines.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::extract::Params;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::runtime::logs::{LogLine, Provider, format_time};

/// Lines per response.
pub const PAGE: usize = 1000;

/// A position: the time of a line and its machine (ties broken by id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Position {
    nanos: i128,
    machine: String,
}

impl Position {
    fn parse(token: &str) -> Result<Option<Self>, ApiError> {
        if token.is_empty() {
            return Ok(None);
        }
        let bad = || ApiError::bad_request("next_token: not a token this API returned");
        let (nanos, machine) = token.split_once('-').ok_or_else(bad)?;
        Ok(Some(Self {
            nanos: nanos.parse().map_err(|_| bad())?,
            machine: machine.to_owned(),
        }))
    }

    fn token(&self) -> String {
        format!("{}-{}", self.nanos, self.machine)
    }
}

/// The line as the API shows it: fly-local's own lines carry their level as
/// a prefix (` INFO …`), which is the `level` field here.
fn message(line: &LogLine) -> &str {
    let text = line.text.trim_start();
    if line.provider == Provider::Runner {
        for level in ["INFO ", "WARN ", "ERROR "] {
            if let Some(rest) = text.strip_prefix(level) {
                return rest;
            }
        }
    }
    text
}

pub async fn app_logs(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let after = Position::parse(params.get("next_token").unwrap_or(""))?;
    let instance = params.get("instance").filter(|s| !s.is_empty());
    let region = params.get("region").filter(|s| !s.is_empty());
    let machines: Vec<(String, String)> = {
        let db = ctx.shared.read();
        db.app(&app)?;
        db.machines_of(&app)
            .filter(|m| instance.is_none_or(|i| m.id == i))
            .filter(|m| region.is_none_or(|r| m.region == r))
            .map(|m| (m.id.clone(), m.region.clone()))
            .collect()
    };
    let logs = ctx.runtime.logs.clone();
    let since = after.clone();
    let lines = tokio::task::spawn_blocking(move || {
        let mut all: Vec<(Position, String, LogLine)> = Vec::new();
        for (id, region) in machines {
            let from = since.as_ref().map(|p| p.nanos - 1);
            for line in logs.lines_after(&id, from) {
                let pos = Position {
                    nanos: line.nanos(),
                    machine: id.clone(),
                };
                if since.as_ref().is_none_or(|s| pos > *s) {
                    all.push((pos, region.clone(), line));
                }
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.truncate(PAGE);
        all
    })
    .await
    .map_err(|e| ApiError::internal(format!("reading logs: {e}")))?;
    let next = lines
        .last()
        .map(|(p, _, _)| p.token())
        .or_else(|| after.map(|p| p.token()))
        .unwrap_or_default();
    let data: Vec<Value> = lines
        .iter()
        .map(|(pos, region, line)| {
            let provider = match line.provider {
                Provider::App => "app",
                Provider::Runner => "runner",
            };
            json!({
                "id": pos.token(),
                "type": "logs",
                "attributes": {
                    "timestamp": line.at.map(format_time).unwrap_or_default(),
                    "message": message(line),
                    "level": line.level(),
                    "instance": pos.machine,
                    "region": region,
                    "meta": {
                        "instance": pos.machine,
                        "region": region,
                        "event": { "provider": provider },
                    },
                },
            })
        })
        .collect();
    Ok(Json(
        json!({ "data": data, "meta": { "next_token": next } }),
    ))
}
