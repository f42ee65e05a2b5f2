//! `/v1/apps/{app}/volumes`: directories under the data dir with Fly's rules
//! (same region as the machine, one machine per volume, grow-only extend,
//! deletion states, duplicate names allowed).

use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{JsonBody, Params};
use super::middleware::ListView;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::Volume;
use crate::settings::is_region;

#[derive(Debug, Deserialize)]
pub struct CreateVolume {
    name: Option<String>,
    region: Option<String>,
    #[serde(default)]
    size_gb: Option<u64>,
    #[serde(default)]
    encrypted: Option<bool>,
    #[serde(default)]
    fstype: Option<String>,
    #[serde(default)]
    snapshot_retention: Option<u64>,
    #[serde(default)]
    auto_backup_enabled: Option<bool>,
    #[serde(default)]
    source_volume_id: Option<String>,
    #[serde(default)]
    snapshot_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateVolume {
    #[serde(default)]
    snapshot_retention: Option<u64>,
    #[serde(default)]
    auto_backup_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct ExtendVolume {
    size_gb: Option<u64>,
}

type AppVolume = Path<(String, String)>;

/// Largest volume Fly allows.
const MAX_SIZE_GB: u64 = 500;

pub async fn list(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    params: Params,
    view: Option<Extension<ListView>>,
) -> ApiResult<Json<Value>> {
    params.flag("summary")?;
    let now = ctx.clock.now();
    let db = ctx.shared.read();
    db.app(&app)?;
    let volumes = db
        .volumes_of(&app)
        .filter(|v| !v.is_destroyed())
        .map(|v| (v.created_at, v.to_json(now, None)))
        .collect();
    let view = view.map(|v| v.0).unwrap_or_default();
    Ok(Json(Value::Array(view.apply(now, volumes))))
}

pub async fn show(State(ctx): State<Ctx>, Path((app, id)): AppVolume) -> ApiResult<Json<Value>> {
    let db = ctx.shared.read();
    Ok(Json(db.volume(&app, &id)?.to_json(ctx.clock.now(), None)))
}

pub async fn create(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    JsonBody(body): JsonBody<CreateVolume>,
) -> ApiResult<Json<Value>> {
    let name = body
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("name: a volume name is required"))?;
    if name.len() > 30 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ApiError::bad_request(format!(
            "name: {name:?} is invalid: use up to 30 letters, digits and underscores"
        )));
    }
    let region = body
        .region
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::bad_request("region: a region is required (e.g. \"iad\")"))?;
    if !is_region(&region) {
        return Err(ApiError::bad_request(format!(
            "region: {region:?} is not a Fly region"
        )));
    }
    let size_gb = body.size_gb.unwrap_or(3);
    if size_gb == 0 || size_gb > MAX_SIZE_GB {
        return Err(ApiError::bad_request(format!(
            "size_gb: {size_gb} is outside 1..={MAX_SIZE_GB}"
        )));
    }
    let fstype = body.fstype.unwrap_or_else(|| "ext4".into());
    if !matches!(fstype.as_str(), "ext4" | "raw") {
        return Err(ApiError::bad_request(format!(
            "fstype: {fstype:?} is not one of \"ext4\", \"raw\""
        )));
    }
    if body.snapshot_id.is_some() {
        return Err(ApiError::unprocessable(
            "snapshot_id: restoring from snapshots is not supported by fly-local",
        ));
    }
    let now = ctx.clock.now();
    let mut w = ctx.shared.write();
    w.app(&app)?;
    let source = body
        .source_volume_id
        .as_deref()
        .map(|src| w.volume(&app, src).map(|v| v.id.clone()))
        .transpose()
        .map_err(|_| ApiError::bad_request("source_volume_id: no such volume in this app"))?;
    let id = loop {
        let id = crate::ids::volume_id();
        if !w.volumes.contains_key(&id) {
            break id;
        }
    };
    let dir = ctx.runtime.volume_dir(&id);
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApiError::internal(format!("cannot create the volume directory: {e}")))?;
    if let Some(src) = source {
        copy_dir(&ctx.runtime.volume_dir(&src), &dir)
            .map_err(|e| ApiError::internal(format!("cannot fork the volume: {e}")))?;
    }
    let volume = Volume {
        id: id.clone(),
        app: app.clone(),
        name,
        region,
        zone: crate::ids::nonce()[..4].to_owned(),
        size_gb,
        encrypted: body.encrypted.unwrap_or(true),
        fstype,
        snapshot_retention: body.snapshot_retention.unwrap_or(5),
        auto_backup_enabled: body.auto_backup_enabled.unwrap_or(true),
        state: "created".into(),
        attached_machine_id: None,
        created_at: now,
        updated_at: now,
        detach_after: None,
    };
    let out = volume.to_json(now, None);
    w.volumes.insert(id.clone(), volume);
    w.touch_volume(&id);
    w.commit()?;
    Ok(Json(out))
}

pub async fn update(
    State(ctx): State<Ctx>,
    Path((app, id)): AppVolume,
    JsonBody(body): JsonBody<UpdateVolume>,
) -> ApiResult<Json<Value>> {
    let now = ctx.clock.now();
    let mut w = ctx.shared.write();
    w.volume(&app, &id)?;
    let v = w.volumes.get_mut(&id).expect("checked");
    if let Some(r) = body.snapshot_retention {
        v.snapshot_retention = r;
    }
    if let Some(b) = body.auto_backup_enabled {
        v.auto_backup_enabled = b;
    }
    v.updated_at = now;
    let out = v.to_json(now, None);
    w.touch_volume(&id);
    w.commit()?;
    Ok(Json(out))
}

pub async fn extend(
    State(ctx): State<Ctx>,
    Path((app, id)): AppVolume,
    JsonBody(body): JsonBody<ExtendVolume>,
) -> ApiResult<Json<Value>> {
    let size = body
        .size_gb
        .ok_or_else(|| ApiError::bad_request("size_gb: the new size is required"))?;
    let now = ctx.clock.now();
    let mut w = ctx.shared.write();
    let current = w.volume(&app, &id)?.size_gb;
    if size <= current {
        return Err(ApiError::bad_request(format!(
            "size_gb: {size} must be greater than the current size ({current} GB); volumes can only grow"
        )));
    }
    if size > MAX_SIZE_GB {
        return Err(ApiError::bad_request(format!(
            "size_gb: {size} is above the maximum of {MAX_SIZE_GB}"
        )));
    }
    let v = w.volumes.get_mut(&id).expect("checked");
    v.size_gb = size;
    v.updated_at = now;
    let needs_restart = v.holder(now).is_some();
    let out = json!({ "volume": v.to_json(now, None), "needs_restart": needs_restart });
    w.touch_volume(&id);
    w.commit()?;
    Ok(Json(out))
}

/// Deletes a volume: refused (412) while a machine holds it; otherwise it
/// goes through `pending_destroy` and its directory is removed.
pub async fn delete(State(ctx): State<Ctx>, Path((app, id)): AppVolume) -> ApiResult<Json<Value>> {
    let now = ctx.clock.now();
    let out = {
        let mut w = ctx.shared.write();
        let vol = w.volume(&app, &id)?;
        if let Some(holder) = vol.holder(now) {
            let destroyed = w
                .machines
                .get(holder)
                .is_none_or(|m| m.state == crate::model::MachineState::Destroyed);
            return Err(ApiError::precondition(if destroyed {
                format!(
                    "volume is currently bound to machine {holder} (destroyed; the binding is released shortly)"
                )
            } else {
                format!("volume is currently bound to machine {holder}")
            }));
        }
        if vol.is_deleting() {
            return Ok(Json(vol.to_json(now, None)));
        }
        let v = w.volumes.get_mut(&id).expect("checked");
        v.state = "pending_destroy".into();
        v.attached_machine_id = None;
        v.updated_at = now;
        let out = v.to_json(now, None);
        w.touch_volume(&id);
        w.commit()?;
        out
    };
    let delay = ctx.settings.delays.volume_destroy;
    let ctx2 = ctx.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = std::fs::remove_dir_all(ctx2.runtime.volume_dir(&id));
        let mut w = ctx2.shared.write();
        if let Some(v) = w.volumes.get_mut(&id) {
            v.state = "destroyed".into();
            v.updated_at = ctx2.clock.now();
            w.touch_volume(&id);
            if let Err(err) = w.commit() {
                tracing::error!(volume = %id, error = %err, "cannot record volume destroy");
            }
        }
    });
    Ok(Json(out))
}

pub async fn snapshots(
    State(ctx): State<Ctx>,
    Path((app, id)): AppVolume,
) -> ApiResult<Json<Value>> {
    ctx.shared.read().volume(&app, &id)?;
    Ok(Json(json!([])))
}

pub async fn create_snapshot(
    State(ctx): State<Ctx>,
    Path((app, id)): AppVolume,
) -> ApiResult<Json<Value>> {
    ctx.shared.read().volume(&app, &id)?;
    Ok(Json(json!({})))
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
