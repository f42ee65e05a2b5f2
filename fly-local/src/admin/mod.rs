//! fly-local's own endpoints under `/__fly-local/` (never under `/v1`): the
//! request log, fault injection, process kill, logs, service endpoints, the
//! clock, and a readiness probe. The contract with clients is in
//! `notes/fly-local-contract.md`.

pub mod faults;
pub mod requests;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::extract::{JsonBody, OptionalJsonBody, Params};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::{MachineState, signal};
use crate::runtime::Command;
use faults::FaultSpec;

pub fn router(ctx: Ctx) -> Router {
    let authed = Router::new()
        .route(
            "/__fly-local/requests",
            get(requests_since).delete(clear_requests),
        )
        .route(
            "/__fly-local/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__fly-local/faults/{id}", delete(remove_fault))
        .route("/__fly-local/machines/{machine_id}/kill", post(kill))
        .route("/__fly-local/machines/{machine_id}/logs", get(logs))
        .route("/__fly-local/machines/{machine_id}/endpoint", get(endpoint))
        .route("/__fly-local/clock", get(clock).post(advance_clock))
        .route("/__fly-local/info", get(info))
        .layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            crate::api::middleware::auth,
        ));
    Router::new()
        .route(
            "/__fly-local/health",
            get(|| async { Json(json!({ "ok": true })) }),
        )
        .merge(authed)
        .with_state(ctx)
}

async fn requests_since(State(ctx): State<Ctx>, params: Params) -> ApiResult<Json<Value>> {
    let since = params.int("since")?.unwrap_or(0).max(0) as u64;
    Ok(Json(json!({ "requests": ctx.requests.since(since) })))
}

async fn clear_requests(State(ctx): State<Ctx>) -> StatusCode {
    ctx.requests.clear();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(ctx): State<Ctx>) -> Json<Value> {
    Json(json!({ "faults": ctx.faults.list() }))
}

async fn add_fault(
    State(ctx): State<Ctx>,
    JsonBody(spec): JsonBody<FaultSpec>,
) -> ApiResult<Response> {
    let fault = ctx.faults.add(spec).map_err(ApiError::bad_request)?;
    Ok((StatusCode::CREATED, Json(json!(fault))).into_response())
}

async fn clear_faults(State(ctx): State<Ctx>) -> StatusCode {
    ctx.faults.remove(None);
    StatusCode::NO_CONTENT
}

async fn remove_fault(State(ctx): State<Ctx>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    if ctx.faults.remove(Some(&id)) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("fault"))
    }
}

#[derive(Debug, Default, Deserialize)]
struct KillBody {
    #[serde(default)]
    signal: Option<Value>,
}

/// Kills a machine's process as if it crashed (the restart policy applies).
async fn kill(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<KillBody>,
) -> ApiResult<Json<Value>> {
    let sig = match &body.signal {
        Some(v) => signal::parse(v).map_err(|e| ApiError::bad_request(format!("signal: {e}")))?,
        None => nix::sys::signal::Signal::SIGKILL,
    };
    let state = ctx
        .shared
        .read()
        .machines
        .get(&id)
        .map(|m| m.state)
        .ok_or_else(|| ApiError::not_found("machine"))?;
    if state != MachineState::Started {
        return Err(ApiError::precondition(format!(
            "machine has no running process (state '{state}')"
        )));
    }
    ctx.runtime.send(&id, Command::Signal(sig));
    Ok(Json(json!({ "ok": true, "signal": sig.as_str() })))
}

async fn logs(
    State(ctx): State<Ctx>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    if !ctx.shared.read().machines.contains_key(&id) {
        return Err(ApiError::not_found("machine"));
    }
    let tail = params.int("tail")?.map(|n| n.max(0) as usize);
    let content_type = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    if !params.flag("follow")? {
        let text = ctx.runtime.logs.read(&id, tail);
        return Ok((content_type, text).into_response());
    }
    // Follow: what is there (or its tail), then each new line as it is
    // written, across restarts of the process, until the machine is
    // destroyed or the client hangs up.
    let logs = ctx.runtime.logs.clone();
    let lines = logs.lines_after(&id, None);
    let start = tail.map_or(0, |n| lines.len().saturating_sub(n));
    let first: String = lines[start..]
        .iter()
        .map(|l| format!("{}\n", l.text))
        .collect();
    let cursor = lines
        .iter()
        .filter_map(|l| l.at)
        .map(|t| t.as_nanosecond())
        .max();
    let state = (ctx, id, cursor.unwrap_or(0), Some(first));
    let stream = futures::stream::unfold(state, |(ctx, id, cursor, first)| async move {
        if let Some(text) = first {
            return Some((Ok::<_, std::io::Error>(text), (ctx, id, cursor, None)));
        }
        loop {
            let new = ctx.runtime.logs.lines_after(&id, Some(cursor));
            if let Some(last) = new.last() {
                let cursor = last.nanos();
                let text: String = new.iter().map(|l| format!("{}\n", l.text)).collect();
                return Some((Ok(text), (ctx, id, cursor, None)));
            }
            if !ctx.shared.read().machines.contains_key(&id) {
                return None;
            }
            tokio::time::sleep(FOLLOW_POLL).await;
        }
    });
    Ok((content_type, axum::body::Body::from_stream(stream)).into_response())
}

/// How often a followed log is checked for new lines.
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(200);

async fn endpoint(State(ctx): State<Ctx>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    if !ctx.shared.read().machines.contains_key(&id) {
        return Err(ApiError::not_found("machine"));
    }
    Ok(Json(
        json!({ "service_ports": ctx.runtime.endpoints_of(&id) }),
    ))
}

async fn clock(State(ctx): State<Ctx>) -> Json<Value> {
    Json(
        json!({ "now": ctx.clock.now().to_string(), "offset_ms": ctx.clock.offset().as_millis() as u64 }),
    )
}

#[derive(Debug, Deserialize)]
struct Advance {
    advance_secs: f64,
}

/// Moves the clock forward (lease expiry without waiting).
async fn advance_clock(
    State(ctx): State<Ctx>,
    JsonBody(body): JsonBody<Advance>,
) -> ApiResult<Json<Value>> {
    if !(body.advance_secs.is_finite() && body.advance_secs >= 0.0) {
        return Err(ApiError::bad_request(
            "advance_secs: must be a non-negative number",
        ));
    }
    ctx.clock
        .advance(std::time::Duration::from_secs_f64(body.advance_secs));
    Ok(clock(State(ctx)).await)
}

async fn info(State(ctx): State<Ctx>) -> Json<Value> {
    Json(json!({
        "isolation": format!("{:?}", ctx.runtime.isolation).to_lowercase(),
        "egress": ctx.runtime.egress.describe(),
        "host_address": ctx.runtime.egress.host_address().map(|a| a.to_string()),
        "simulate": ctx.settings.simulate,
        "default_region": ctx.settings.default_region,
        "images": ctx.settings.images.images,
    }))
}
