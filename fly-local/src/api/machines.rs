//! `/v1/apps/{app}/machines`: create, list, get, update (a replace: the
//! process restarts with the new config), destroy.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{JsonBody, Nonce, Params, json_array};
use super::guard::{check_lease, new_lease};
use super::middleware::ListView;
use crate::context::Ctx;
use crate::db::Write;
use crate::error::{ApiError, ApiResult};
use crate::model::config::{self, ConfigView};
use crate::model::machine::VersionRecord;
use crate::model::{Event, Machine, MachineState, RenderOptions, Source};
use crate::runtime::Command;
use crate::settings::is_region;

#[derive(Debug, Deserialize)]
pub struct CreateMachine {
    config: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    skip_launch: bool,
    #[serde(default)]
    skip_service_registration: bool,
    #[serde(default)]
    skip_secrets: bool,
    #[serde(default)]
    lease_ttl: Option<u64>,
    #[serde(default)]
    min_secrets_version: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct UpdateMachine {
    config: Option<Value>,
    #[serde(default)]
    current_version: Option<String>,
    #[serde(default)]
    skip_launch: bool,
    #[serde(default)]
    skip_secrets: bool,
    #[serde(default)]
    skip_service_registration: Option<bool>,
    #[serde(default)]
    min_secrets_version: Option<u64>,
}

type AppMachine = Path<(String, String)>;

pub async fn list(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    params: Params,
    view: Option<Extension<ListView>>,
) -> ApiResult<Response> {
    let include_deleted = params.flag("include_deleted")?;
    let opts = RenderOptions {
        include_lease: params.flag("include_leases")?,
        summary: params.flag("summary")?,
    };
    let region = params.get("region").map(str::to_owned);
    let states = params.all("state");
    let meta = params.metadata_filters();
    let now = ctx.clock.unix_secs();
    let db = ctx.shared.read();
    db.app(&app)?;
    let machines: Vec<(jiff::Timestamp, &Machine)> = db
        .machines_of(&app)
        .filter(|m| include_deleted || m.state != MachineState::Destroyed)
        .filter(|m| region.as_deref().is_none_or(|r| m.region == r))
        .filter(|m| states.is_empty() || states.iter().any(|s| s == m.state.as_str()))
        .filter(|m| {
            let md = m.metadata();
            meta.iter().all(|(k, v)| md.get(k) == Some(v))
        })
        .map(|m| (m.created_at, m))
        .collect();
    let view = view.map(|v| v.0).unwrap_or_default();
    Ok(json_array(view.apply(ctx.clock.now(), machines), |m| {
        m.to_json(&ctx.runtime.checks_of(&m.id), opts, now)
    }))
}

pub async fn show(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    params: Params,
) -> ApiResult<Json<Value>> {
    let opts = RenderOptions {
        include_lease: params.flag("include_leases")?,
        summary: false,
    };
    let db = ctx.shared.read();
    let m = db.machine(&app, &id)?;
    Ok(Json(m.to_json(
        &ctx.runtime.checks_of(&m.id),
        opts,
        ctx.clock.unix_secs(),
    )))
}

pub async fn create(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    JsonBody(body): JsonBody<CreateMachine>,
) -> ApiResult<Json<Value>> {
    let raw = body
        .config
        .ok_or_else(|| ApiError::bad_request("config: a machine config is required"))?;
    let (config, view) = config::validate(&raw)?;
    ctx.runtime.check_image(&view.image)?;
    let region = body
        .region
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| ctx.settings.default_region.clone());
    if !is_region(&region) {
        return Err(ApiError::bad_request(format!(
            "region: {region:?} is not a Fly region (e.g. \"iad\", \"ams\")"
        )));
    }
    let now = ctx.clock.now();
    let mut w = ctx.shared.write();
    let a = w.app(&app)?.clone();
    check_secrets_version(&ctx, a.secrets_version, body.min_secrets_version)?;
    check_file_secrets(&view, &a.secrets)?;
    let id = unique_id(&w);
    if let Some(mount) = view.mount() {
        claim_volume(&mut w, &app, &mount.volume, &region, &id, now)?;
    }
    let lease = body.lease_ttl.map(|ttl| new_lease(&ctx, ttl, "", ""));
    let instance_id = crate::ids::ulid();
    let mut machine = Machine {
        id: id.clone(),
        name: body
            .name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(generated_name),
        app: app.clone(),
        region,
        instance_id: instance_id.clone(),
        private_ip: crate::ids::private_ip(&a.network),
        state: MachineState::Created,
        config,
        created_at: now,
        updated_at: now,
        events: Vec::new(),
        versions: vec![VersionRecord {
            version: instance_id.clone(),
            config: None,
        }],
        cordoned: body.skip_service_registration,
        lease: lease.map(|mut l| {
            l.version = instance_id.clone();
            l
        }),
        boot_secrets: if body.skip_secrets {
            BTreeMap::new()
        } else {
            secrets_env(&a)
        },
        restart_count: 0,
        launch_pending: !body.skip_launch,
    };
    machine.push_event(Event::new(
        "launch",
        "created",
        Source::User,
        now.as_millisecond(),
    ));
    let mut out = machine.to_json(&[], RenderOptions::default(), ctx.clock.unix_secs());
    if let Some(lease) = &machine.lease {
        out["nonce"] = json!(lease.nonce);
    }
    w.machines.insert(id.clone(), machine);
    w.touch_machine(&id);
    w.commit()?;
    if !body.skip_launch {
        ctx.runtime.send(&id, Command::Launch);
    }
    Ok(Json(out))
}

pub async fn update(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
    JsonBody(body): JsonBody<UpdateMachine>,
) -> ApiResult<Json<Value>> {
    let raw = body
        .config
        .ok_or_else(|| ApiError::bad_request("config: the whole machine config is required"))?;
    let (config, view) = config::validate(&raw)?;
    ctx.runtime.check_image(&view.image)?;
    let now = ctx.clock.now();
    let mut w = ctx.shared.write();
    let a = w.app(&app)?.clone();
    let m = w.machine(&app, &id)?.clone();
    check_lease(&m, nonce.as_deref(), ctx.clock.unix_secs())?;
    if let Some(expected) = body.current_version.as_deref().filter(|v| !v.is_empty())
        && expected != m.instance_id
    {
        return Err(ApiError::aborted(format!(
            "machine {id} version mismatch: current_version {expected} is not the current version {}",
            m.instance_id
        )));
    }
    if matches!(
        m.state,
        MachineState::Destroying | MachineState::Destroyed | MachineState::Replacing
    ) {
        return Err(ApiError::precondition(format!(
            "unable to update machine from current state: '{}'",
            m.state
        )));
    }
    check_secrets_version(&ctx, a.secrets_version, body.min_secrets_version)?;
    check_file_secrets(&view, &a.secrets)?;
    let old_volume = m
        .config
        .pointer("/mounts/0/volume")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let new_volume = view.mount().map(|mo| mo.volume.clone());
    if let Some(vol) = &new_volume
        && old_volume.as_ref() != Some(vol)
    {
        claim_volume(&mut w, &app, vol, &m.region, &id, now)?;
    }
    if let Some(old) = old_volume.filter(|o| new_volume.as_ref() != Some(o))
        && let Some(v) = w.volumes.get_mut(&old)
        && v.attached_machine_id.as_deref() == Some(id.as_str())
    {
        v.attached_machine_id = None;
        v.detach_after = None;
        w.touch_volume(&old);
    }
    let was_running = m.state.is_active();
    let launch = !body.skip_launch;
    let instance_id = crate::ids::ulid();
    let machine = w.machines.get_mut(&id).expect("checked above");
    machine.instance_id = instance_id.clone();
    let previous = std::mem::replace(&mut machine.config, config);
    if let Some(current) = machine.versions.first_mut() {
        current.config = Some(previous);
    }
    machine.versions.insert(
        0,
        VersionRecord {
            version: instance_id,
            config: None,
        },
    );
    machine.versions.truncate(50);
    machine.updated_at = now;
    machine.restart_count = 0;
    machine.launch_pending = false;
    if !body.skip_secrets {
        machine.boot_secrets = secrets_env(&a);
    }
    if let Some(cordon) = body.skip_service_registration {
        machine.cordoned = cordon;
    }
    if let Some(lease) = machine.lease.as_mut() {
        lease.version = machine.instance_id.clone();
    }
    let send = if was_running || launch {
        machine.state = MachineState::Replacing;
        Some(Command::Replace { launch })
    } else {
        None
    };
    machine.push_event(Event::new(
        "update",
        "replacing",
        Source::User,
        now.as_millisecond(),
    ));
    let out = machine.to_json(&[], RenderOptions::default(), ctx.clock.unix_secs());
    w.touch_machine(&id);
    w.commit()?;
    if let Some(cmd) = send {
        ctx.runtime.send(&id, cmd);
    }
    Ok(Json(out))
}

pub async fn destroy(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
    params: Params,
) -> ApiResult<Json<Value>> {
    let force = params.flag("force")? || params.flag("kill")?;
    let mut w = ctx.shared.write();
    let m = w.machine(&app, &id)?.clone();
    if m.state == MachineState::Destroyed {
        return Err(ApiError::not_found("machine"));
    }
    check_lease(&m, nonce.as_deref(), ctx.clock.unix_secs())?;
    if m.state == MachineState::Destroying {
        return Ok(Json(json!({ "ok": true })));
    }
    if m.state.is_active() && !force {
        return Err(ApiError::precondition(format!(
            "machine still active, refusing to destroy (state '{}'; stop it first or pass force=true)",
            m.state
        )));
    }
    let machine = w.machines.get_mut(&id).expect("checked above");
    machine.state = MachineState::Destroying;
    machine.launch_pending = false;
    machine.updated_at = ctx.clock.now();
    w.touch_machine(&id);
    w.commit()?;
    ctx.runtime.send(&id, Command::Destroy);
    Ok(Json(json!({ "ok": true })))
}

fn check_secrets_version(ctx: &Ctx, current: u64, min: Option<u64>) -> ApiResult<()> {
    match min {
        Some(min) if min > current && ctx.settings.strict_secrets_version => {
            Err(ApiError::precondition(format!(
                "secrets version {min} is not available yet (the app's secrets are at version {current})"
            )))
        }
        _ => Ok(()),
    }
}

fn check_file_secrets(
    view: &ConfigView,
    secrets: &BTreeMap<String, crate::model::Secret>,
) -> ApiResult<()> {
    for (i, file) in view.files.iter().enumerate() {
        if let Some(name) = &file.secret_name
            && !secrets.contains_key(name)
        {
            return Err(ApiError::bad_request(format!(
                "config.files[{i}].secret_name: secret {name:?} is not set on the app (set it with POST /apps/{{app}}/secrets/{name})"
            )));
        }
    }
    Ok(())
}

/// Attaches a volume to a machine, enforcing Fly's rules (same app, same
/// region, one machine per volume).
fn claim_volume(
    w: &mut Write<'_>,
    app: &str,
    volume_id: &str,
    region: &str,
    machine_id: &str,
    now: jiff::Timestamp,
) -> ApiResult<()> {
    let vol = w.volume(app, volume_id).map_err(|_| {
        ApiError::bad_request(format!(
            "config.mounts[0].volume: volume {volume_id} not found in app {app}"
        ))
    })?;
    if vol.is_deleting() {
        return Err(ApiError::precondition(format!(
            "volume {volume_id} is being destroyed ({})",
            vol.state
        )));
    }
    if vol.region != region {
        return Err(ApiError::precondition(format!(
            "volume {volume_id} is in region {}, the machine is in region {region}: a machine can only mount a volume in its own region",
            vol.region
        )));
    }
    if let Some(holder) = vol.holder(now).filter(|h| *h != machine_id) {
        return Err(ApiError::precondition(format!(
            "volume already claimed by machine {holder}"
        )));
    }
    let vol = w.volumes.get_mut(volume_id).expect("checked above");
    vol.attached_machine_id = Some(machine_id.to_owned());
    vol.detach_after = None;
    vol.updated_at = now;
    w.touch_volume(volume_id);
    Ok(())
}

fn secrets_env(app: &crate::model::App) -> BTreeMap<String, String> {
    app.secrets
        .iter()
        .map(|(k, s)| (k.clone(), s.value.clone()))
        .collect()
}

fn unique_id(db: &crate::db::Db) -> String {
    loop {
        let id = crate::ids::machine_id();
        if !db.machines.contains_key(&id) {
            return id;
        }
    }
}

/// A Fly-style generated name, e.g. `late-sun-6953`.
fn generated_name() -> String {
    use rand::Rng;
    const ADJ: &[&str] = &[
        "late",
        "quiet",
        "bold",
        "young",
        "lingering",
        "winter",
        "muddy",
        "small",
        "proud",
        "wild",
    ];
    const NOUN: &[&str] = &[
        "sun", "river", "breeze", "fire", "frost", "cloud", "meadow", "sea", "star", "leaf",
    ];
    let mut rng = rand::rng();
    format!(
        "{}-{}-{}",
        ADJ[rng.random_range(0..ADJ.len())],
        NOUN[rng.random_range(0..NOUN.len())],
        rng.random_range(1000..10000)
    )
}
