//! `/v1/apps`: create, read, list by org, delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{JsonBody, Params};
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::{App, MachineState};
use crate::runtime::Command;

#[derive(Debug, Deserialize)]
pub struct CreateApp {
    #[serde(default)]
    name: Option<String>,
    /// The documented spelling; the Go client sends `name`.
    #[serde(default)]
    app_name: Option<String>,
    #[serde(default)]
    org_slug: Option<String>,
    #[serde(default)]
    network: Option<String>,
}

pub async fn list(State(ctx): State<Ctx>, params: Params) -> ApiResult<Json<Value>> {
    let org = params.get("org_slug").ok_or_else(|| {
        ApiError::bad_request("query parameter org_slug is required (an org slug, or 'personal')")
    })?;
    let db = ctx.shared.read();
    let apps: Vec<Value> = db
        .apps
        .values()
        .filter(|a| a.org_slug == org)
        .map(|a| app_json(&db, a))
        .collect();
    Ok(Json(json!({ "total_apps": apps.len(), "apps": apps })))
}

pub async fn create(
    State(ctx): State<Ctx>,
    JsonBody(body): JsonBody<CreateApp>,
) -> ApiResult<Response> {
    let name = body
        .name
        .or(body.app_name)
        .ok_or_else(|| ApiError::bad_request("name: an app name is required"))?;
    validate_name(&name)?;
    let org = body.org_slug.unwrap_or_else(|| "personal".into());
    if ctx.settings.foreign_apps.contains(&name) {
        return Err(name_taken());
    }
    let mut w = ctx.shared.write();
    if w.apps.contains_key(&name) {
        return Err(name_taken());
    }
    let app = App {
        id: name.clone(),
        name: name.clone(),
        org_slug: org.clone(),
        network: body.network.unwrap_or_else(|| "default".into()),
        created_at: ctx.clock.now(),
        secrets: Default::default(),
        secrets_version: 0,
        ips: Vec::new(),
    };
    let out = app.to_json(0, 0);
    w.apps.insert(name.clone(), app);
    w.touch_app(&name);
    w.commit()?;
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub async fn show(State(ctx): State<Ctx>, Path(app): Path<String>) -> ApiResult<Json<Value>> {
    if ctx.settings.foreign_apps.contains(&app) {
        return Err(ApiError::forbidden(format!(
            "app {app:?} belongs to an organization this token cannot access"
        )));
    }
    let db = ctx.shared.read();
    let a = db.app(&app)?;
    Ok(Json(app_json(&db, a)))
}

/// Deletes the app and everything in it: machines are destroyed (their
/// processes killed), volumes and IPs released, secrets dropped.
pub async fn delete(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    params: Params,
) -> ApiResult<StatusCode> {
    params.flag("force")?;
    let mut to_destroy = Vec::new();
    {
        let mut w = ctx.shared.write();
        w.app(&app)?;
        let machine_ids: Vec<String> = w.machines_of(&app).map(|m| m.id.clone()).collect();
        for id in machine_ids {
            let m = w.machines.get_mut(&id).expect("listed");
            if m.state == MachineState::Destroyed {
                w.machines.remove(&id);
            } else {
                m.state = MachineState::Destroying;
                to_destroy.push(id.clone());
            }
            w.touch_machine(&id);
        }
        let volume_ids: Vec<String> = w.volumes_of(&app).map(|v| v.id.clone()).collect();
        for id in volume_ids {
            w.volumes.remove(&id);
            w.touch_volume(&id);
            let _ = std::fs::remove_dir_all(ctx.runtime.volume_dir(&id));
        }
        w.apps.remove(&app);
        w.touch_app(&app);
        w.commit()?;
    }
    for id in to_destroy {
        ctx.runtime.send(&id, Command::Destroy);
    }
    Ok(StatusCode::ACCEPTED)
}

fn app_json(db: &crate::db::Db, app: &App) -> Value {
    let machines = db
        .machines_of(&app.name)
        .filter(|m| m.state != MachineState::Destroyed)
        .count();
    let volumes = db
        .volumes_of(&app.name)
        .filter(|v| !v.is_deleting())
        .count();
    app.to_json(machines, volumes)
}

fn name_taken() -> ApiError {
    ApiError::unprocessable("Validation failed: Name has already been taken")
        .with_code("name_taken")
}

fn validate_name(name: &str) -> ApiResult<()> {
    let ok = (2..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::unprocessable(format!(
            "name: {name:?} is invalid: use 2-63 lowercase letters, digits and dashes, not starting or ending with a dash"
        )))
    }
}
