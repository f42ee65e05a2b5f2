//! `GET /machines/{id}/wait`: long-polls until the machine is in one of the
//! requested states (at once if it already is), else 408 after `timeout`
//! seconds (default and ceiling 60).

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::extract::Params;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::{MachineState, WaitTarget};

const MAX_TIMEOUT_SECS: i64 = 60;

pub async fn wait(
    State(ctx): State<Ctx>,
    Path((app, id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let names = params.all("state");
    let targets: Vec<WaitTarget> = if names.is_empty() {
        vec![WaitTarget::State(MachineState::Started)]
    } else {
        names
            .iter()
            .map(|s| {
                WaitTarget::parse(s).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "query parameter state: {s:?} is not one of started, stopped, suspended, destroyed, failed, settled"
                    ))
                })
            })
            .collect::<ApiResult<_>>()?
    };
    let timeout = match params.int("timeout")? {
        None => MAX_TIMEOUT_SECS,
        Some(t) if t < 0 => {
            return Err(ApiError::bad_request(
                "query parameter timeout: must not be negative",
            ));
        }
        Some(t) => t.min(MAX_TIMEOUT_SECS),
    };
    let version = params
        .get("version")
        .or_else(|| params.get("instance_id"))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    // Only states reached after this event count (event ids are ULIDs: they sort by time).
    let from_event = params
        .get("from_event_id")
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout as u64);
    let mut changes = ctx.shared.subscribe();
    loop {
        {
            let db = ctx.shared.read();
            let m = db.machine(&app, &id)?;
            let event_id = m.events.first().map(|e| e.id.clone()).unwrap_or_default();
            match &version {
                Some(v) if *v != m.instance_id => {
                    if !m.versions.iter().any(|r| r.version == *v) {
                        return Err(ApiError::bad_request(format!(
                            "version: {v} is not a version of machine {id}"
                        )));
                    }
                    // An old version is gone for good: it reads as replaced.
                    let done = targets.iter().any(|t| {
                        matches!(
                            t,
                            WaitTarget::Settled
                                | WaitTarget::State(
                                    MachineState::Stopped | MachineState::Destroyed
                                )
                        )
                    });
                    if done {
                        return Ok(Json(
                            json!({ "ok": true, "state": "replaced", "version": v, "event_id": event_id }),
                        ));
                    }
                }
                _ => {
                    let after_event = from_event
                        .as_deref()
                        .is_none_or(|from| event_id.as_str() > from);
                    if after_event && targets.iter().any(|t| t.matches(m.state)) {
                        return Ok(Json(json!({
                            "ok": true,
                            "state": m.state.as_str(),
                            "version": m.instance_id,
                            "event_id": event_id,
                        })));
                    }
                }
            }
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            Ok(Err(_)) | Err(_) => {
                return Err(ApiError::timeout(format!(
                    "machine {id} did not reach state {} within {timeout}s",
                    names.join(",").if_empty("started")
                )));
            }
        }
    }
}

trait IfEmpty {
    fn if_empty(self, default: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, default: &str) -> String {
        if self.is_empty() {
            default.to_owned()
        } else {
            self
        }
    }
}
