//! `/machines/{id}/metadata`: the config's metadata map, editable without a
//! new machine version.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::extract::JsonBody;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
pub struct UpsertKey {
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateMetadata {
    #[serde(default)]
    metadata: BTreeMap<String, Option<String>>,
    #[serde(default)]
    machine_version: Option<String>,
}

pub async fn show(
    State(ctx): State<Ctx>,
    Path((app, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let db = ctx.shared.read();
    Ok(Json(json!(db.machine(&app, &id)?.metadata())))
}

pub async fn show_key(
    State(ctx): State<Ctx>,
    Path((app, id, key)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let db = ctx.shared.read();
    let md = db.machine(&app, &id)?.metadata();
    md.get(&key)
        .map(|v| Json(json!({ "value": v })))
        .ok_or_else(|| ApiError::not_found("metadata key"))
}

pub async fn upsert_key(
    State(ctx): State<Ctx>,
    Path((app, id, key)): Path<(String, String, String)>,
    JsonBody(body): JsonBody<UpsertKey>,
) -> ApiResult<StatusCode> {
    let value = body
        .value
        .ok_or_else(|| ApiError::bad_request("value: required"))?;
    edit(&ctx, &app, &id, None, |md| {
        md.insert(key, Value::String(value));
    })
}

pub async fn delete_key(
    State(ctx): State<Ctx>,
    Path((app, id, key)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    edit(&ctx, &app, &id, None, |md| {
        md.remove(&key);
    })
}

pub async fn update(
    State(ctx): State<Ctx>,
    Path((app, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<UpdateMetadata>,
) -> ApiResult<StatusCode> {
    edit(&ctx, &app, &id, body.machine_version.as_deref(), |md| {
        for (k, v) in body.metadata {
            match v.filter(|v| !v.is_empty()) {
                Some(v) => {
                    md.insert(k, Value::String(v));
                }
                None => {
                    md.remove(&k);
                }
            }
        }
    })
}

fn edit(
    ctx: &Ctx,
    app: &str,
    id: &str,
    version: Option<&str>,
    f: impl FnOnce(&mut Map<String, Value>),
) -> ApiResult<StatusCode> {
    let mut w = ctx.shared.write();
    let m = w.machine(app, id)?;
    if let Some(v) = version.filter(|v| !v.is_empty())
        && v != m.instance_id
    {
        return Err(ApiError::precondition(format!(
            "machine_version {v} is stale: the machine is at version {}",
            m.instance_id
        )));
    }
    let machine = w.machines.get_mut(id).expect("checked");
    let md = machine
        .config
        .as_object_mut()
        .expect("configs are objects")
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !md.is_object() {
        *md = Value::Object(Map::new());
    }
    f(md.as_object_mut().expect("made an object"));
    machine.updated_at = ctx.clock.now();
    w.touch_machine(id);
    w.commit()?;
    Ok(StatusCode::NO_CONTENT)
}
