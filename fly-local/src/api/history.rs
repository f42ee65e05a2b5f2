//! `/machines/{id}/events` and `/versions`.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::extract::Params;
use crate::context::Ctx;
use crate::error::ApiResult;

pub async fn events(
    State(ctx): State<Ctx>,
    Path((app, id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let limit = params
        .int("limit")?
        .filter(|l| *l > 0)
        .unwrap_or(20)
        .min(50) as usize;
    let db = ctx.shared.read();
    let m = db.machine(&app, &id)?;
    Ok(Json(json!(m.events.iter().take(limit).collect::<Vec<_>>())))
}

pub async fn versions(
    State(ctx): State<Ctx>,
    Path((app, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let db = ctx.shared.read();
    let m = db.machine(&app, &id)?;
    Ok(Json(Value::Array(
        m.versions
            .iter()
            .map(|v| json!({ "version": v.version, "user_config": v.config.as_ref().unwrap_or(&m.config) }))
            .collect(),
    )))
}
