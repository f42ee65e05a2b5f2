//! `/machines/{id}/lease`: acquire (or refresh with the nonce), read, release.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{NONCE_HEADER, Nonce, OptionalJsonBody, Params};
use super::guard::{check_lease, new_lease};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};

/// Used when a client sends no TTL.
const DEFAULT_TTL_SECS: u64 = 30;

#[derive(Debug, Default, Deserialize)]
pub struct LeaseBody {
    #[serde(default)]
    ttl: Option<u64>,
    #[serde(default)]
    description: Option<String>,
}

type AppMachine = Path<(String, String)>;

pub async fn show(State(ctx): State<Ctx>, Path((app, id)): AppMachine) -> ApiResult<Json<Value>> {
    let db = ctx.shared.read();
    let m = db.machine(&app, &id)?;
    m.live_lease(ctx.clock.unix_secs())
        .map(|l| Json(l.envelope()))
        .ok_or_else(|| ApiError::not_found("lease"))
}

pub async fn acquire(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
    params: Params,
    OptionalJsonBody(body): OptionalJsonBody<LeaseBody>,
) -> ApiResult<Response> {
    let ttl = match body.ttl {
        Some(t) => t,
        None => params
            .int("ttl")?
            .map(|t| t.max(1) as u64)
            .unwrap_or(DEFAULT_TTL_SECS),
    };
    let now = ctx.clock.unix_secs();
    let mut w = ctx.shared.write();
    let m = w.machine(&app, &id)?.clone();
    check_lease(&m, nonce.as_deref(), now)?;
    let (lease, status) = match m.live_lease(now) {
        Some(held) => {
            let mut refreshed = held.clone();
            refreshed.expires_at = now + ttl as i64;
            if let Some(d) = body.description {
                refreshed.description = d;
            }
            (refreshed, StatusCode::CREATED)
        }
        None => (
            new_lease(
                &ctx,
                ttl,
                body.description.as_deref().unwrap_or_default(),
                &m.instance_id,
            ),
            StatusCode::CREATED,
        ),
    };
    let out = lease.envelope();
    w.machines.get_mut(&id).expect("checked").lease = Some(lease);
    w.touch_machine(&id);
    w.commit()?;
    Ok((status, Json(out)).into_response())
}

pub async fn release(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
) -> ApiResult<Json<Value>> {
    let nonce = nonce.ok_or_else(|| {
        ApiError::bad_request(format!(
            "{NONCE_HEADER} header is required to release a lease"
        ))
    })?;
    let mut w = ctx.shared.write();
    let m = w.machine(&app, &id)?;
    match m.live_lease(ctx.clock.unix_secs()) {
        Some(l) if l.nonce == nonce => {}
        _ => {
            return Err(ApiError::not_found("lease")
                .with_message(format!("lease not found: no live lease with nonce {nonce}")));
        }
    }
    w.machines.get_mut(&id).expect("checked").lease = None;
    w.touch_machine(&id);
    w.commit()?;
    Ok(Json(json!({ "status": "success", "data": { "ok": true } })))
}
