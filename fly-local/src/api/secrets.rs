//! `/v1/apps/{app}/secrets`: app secrets with an app-wide version that grows
//! on every write. Values are returned only with `show_secrets`; machines see
//! secrets as env as of their last create/update.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{JsonBody, Params};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::Secret;

#[derive(Debug, Deserialize)]
pub struct SetSecret {
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SetSecrets {
    #[serde(default)]
    values: BTreeMap<String, Option<String>>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let show = params.flag("show_secrets")?;
    let db = ctx.shared.read();
    let a = db.app(&app)?;
    check_min_version(&params, a.secrets_version)?;
    Ok(Json(
        json!({ "secrets": a.secrets.values().map(|s| s.to_json(show)).collect::<Vec<_>>() }),
    ))
}

pub async fn show(
    State(ctx): State<Ctx>,
    Path((app, name)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let show = params.flag("show_secrets")?;
    let db = ctx.shared.read();
    let a = db.app(&app)?;
    check_min_version(&params, a.secrets_version)?;
    a.secrets
        .get(&name)
        .map(|s| Json(s.to_json(show)))
        .ok_or_else(|| ApiError::not_found("secret"))
}

pub async fn set(
    State(ctx): State<Ctx>,
    Path((app, name)): Path<(String, String)>,
    JsonBody(body): JsonBody<SetSecret>,
) -> ApiResult<Response> {
    validate_name(&name)?;
    let value = body
        .value
        .ok_or_else(|| ApiError::bad_request("value: required"))?;
    let now = ctx.clock.now();
    let mut w = ctx.shared.write();
    w.app(&app)?;
    let a = w.apps.get_mut(&app).expect("checked");
    let created_at = a.secrets.get(&name).map(|s| s.created_at).unwrap_or(now);
    let secret = Secret {
        name: name.clone(),
        value,
        created_at,
        updated_at: now,
    };
    a.secrets_version += 1;
    let version = a.secrets_version;
    let mut out = secret.to_json(false);
    out["version"] = json!(version);
    out["Version"] = json!(version);
    a.secrets.insert(name, secret);
    w.touch_app(&app);
    w.commit()?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub async fn delete(
    State(ctx): State<Ctx>,
    Path((app, name)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let mut w = ctx.shared.write();
    w.app(&app)?;
    let a = w.apps.get_mut(&app).expect("checked");
    if a.secrets.remove(&name).is_none() {
        return Err(ApiError::not_found("secret"));
    }
    a.secrets_version += 1;
    let version = a.secrets_version;
    w.touch_app(&app);
    w.commit()?;
    Ok(Json(json!({ "version": version, "Version": version })))
}

/// Bulk set/unset (`null` unsets); one version step for the whole call.
pub async fn update(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    JsonBody(body): JsonBody<SetSecrets>,
) -> ApiResult<Json<Value>> {
    for name in body.values.keys() {
        validate_name(name)?;
    }
    let now = ctx.clock.now();
    let mut w = ctx.shared.write();
    w.app(&app)?;
    let a = w.apps.get_mut(&app).expect("checked");
    for (name, value) in body.values {
        match value {
            Some(value) => {
                let created_at = a.secrets.get(&name).map(|s| s.created_at).unwrap_or(now);
                a.secrets.insert(
                    name.clone(),
                    Secret {
                        name,
                        value,
                        created_at,
                        updated_at: now,
                    },
                );
            }
            None => {
                a.secrets.remove(&name);
            }
        }
    }
    a.secrets_version += 1;
    let version = a.secrets_version;
    let secrets: Vec<Value> = a.secrets.values().map(|s| s.to_json(false)).collect();
    w.touch_app(&app);
    w.commit()?;
    Ok(Json(
        json!({ "secrets": secrets, "version": version, "Version": version }),
    ))
}

fn check_min_version(params: &Params, current: u64) -> ApiResult<()> {
    let raw = params.get("min_version").or_else(|| params.get("version"));
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(());
    };
    let min: u64 = raw.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "query parameter min_version: {raw:?} is not a version number"
        ))
    })?;
    if min > current {
        return Err(ApiError::precondition(format!(
            "secrets version {min} is not available yet (the app's secrets are at version {current})"
        )));
    }
    Ok(())
}

fn validate_name(name: &str) -> ApiResult<()> {
    let mut chars = name.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "secret name {name:?} is invalid: use letters, digits and underscores, not starting with a digit"
        )))
    }
}
