//! Machine actions: start, stop, restart, suspend, signal, cordon, uncordon.
//! Each validates the current state, records the transient state, and hands
//! the slow part to the machine's supervisor.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use nix::sys::signal::Signal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{JsonBody, Nonce, OptionalJsonBody, Params};
use super::guard::check_lease;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::{Event, MachineState, Source, duration, signal};
use crate::runtime::Command;

use MachineState::*;

type AppMachine = Path<(String, String)>;

pub async fn start(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
) -> ApiResult<Json<Value>> {
    let mut w = ctx.shared.write();
    let m = w.machine(&app, &id)?.clone();
    check_lease(&m, nonce.as_deref(), ctx.clock.unix_secs())?;
    let previous = m.state;
    let startable = match m.state {
        Stopped | Suspended | Failed => true,
        Created => !m.launch_pending,
        Started | Starting => {
            return Ok(Json(start_response(previous)));
        }
        _ => false,
    };
    if !startable {
        return Err(ApiError::precondition(format!(
            "unable to start machine from current state: '{}'",
            if m.state == Created {
                "created (still being prepared)".to_owned()
            } else {
                m.state.to_string()
            }
        )));
    }
    let machine = w.machines.get_mut(&id).expect("checked");
    machine.state = Starting;
    machine.restart_count = 0;
    machine.updated_at = ctx.clock.now();
    w.touch_machine(&id);
    w.commit()?;
    ctx.runtime.send(&id, Command::Start);
    Ok(Json(start_response(previous)))
}

fn start_response(previous: MachineState) -> Value {
    json!({ "previous_state": previous.as_str(), "migrated": false, "new_host": "" })
}

#[derive(Debug, Default, Deserialize)]
pub struct StopBody {
    #[serde(default)]
    signal: Option<Value>,
    #[serde(default)]
    timeout: Option<Value>,
}

pub async fn stop(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
    OptionalJsonBody(body): OptionalJsonBody<StopBody>,
) -> ApiResult<Json<Value>> {
    let signal = body
        .signal
        .as_ref()
        .map(signal::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("signal: {e}")))?;
    let timeout = body
        .timeout
        .as_ref()
        .map(parse_timeout)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("timeout: {e}")))?;
    transition(&ctx, &app, &id, nonce.as_deref(), "stop", |s| match s {
        Started | Starting | Restarting => Ok(Some(Stopping)),
        Stopped | Created | Suspended | Failed | Stopping => Ok(None),
        other => Err(other),
    })
    .map(|sent| {
        if sent {
            ctx.runtime.send(&id, Command::Stop { signal, timeout });
        }
        Json(json!({ "ok": true }))
    })
}

pub async fn restart(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
    params: Params,
) -> ApiResult<Json<Value>> {
    let signal = params
        .get("signal")
        .map(signal::parse_name)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("query parameter signal: {e}")))?;
    let timeout = params
        .get("timeout")
        .map(|t| parse_timeout(&Value::String(t.to_owned())))
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("query parameter timeout: {e}")))?;
    params.flag("force_stop")?;
    let sent = transition(&ctx, &app, &id, nonce.as_deref(), "restart", |s| match s {
        Started => Ok(Some(Restarting)),
        other => Err(other),
    })?;
    if sent {
        ctx.runtime.send(&id, Command::Restart { signal, timeout });
    }
    Ok(Json(json!({ "ok": true })))
}

pub async fn suspend(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
) -> ApiResult<Json<Value>> {
    let sent = transition(&ctx, &app, &id, nonce.as_deref(), "suspend", |s| match s {
        Started => Ok(Some(Suspending)),
        Suspended | Suspending => Ok(None),
        other => Err(other),
    })?;
    if sent {
        ctx.runtime.send(&id, Command::Suspend);
    }
    Ok(Json(json!({ "ok": true })))
}

#[derive(Debug, Deserialize)]
pub struct SignalBody {
    signal: Option<Value>,
}

pub async fn signal(
    State(ctx): State<Ctx>,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
    JsonBody(body): JsonBody<SignalBody>,
) -> ApiResult<Json<Value>> {
    let sig: Signal = body
        .signal
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("signal: required (e.g. \"SIGTERM\" or 15)"))
        .and_then(|v| {
            signal::parse(v).map_err(|e| ApiError::bad_request(format!("signal: {e}")))
        })?;
    {
        let db = ctx.shared.read();
        let m = db.machine(&app, &id)?;
        check_lease(m, nonce.as_deref(), ctx.clock.unix_secs())?;
        if m.state != Started {
            return Err(ApiError::precondition(format!(
                "machine is not started (state '{}')",
                m.state
            )));
        }
    }
    ctx.runtime.send(&id, Command::Signal(sig));
    Ok(Json(json!({ "ok": true })))
}

pub async fn cordon(
    State(ctx): State<Ctx>,
    path: AppMachine,
    nonce: Nonce,
) -> ApiResult<Json<Value>> {
    set_cordoned(ctx, path, nonce, true)
}

pub async fn uncordon(
    State(ctx): State<Ctx>,
    path: AppMachine,
    nonce: Nonce,
) -> ApiResult<Json<Value>> {
    set_cordoned(ctx, path, nonce, false)
}

fn set_cordoned(
    ctx: Ctx,
    Path((app, id)): AppMachine,
    Nonce(nonce): Nonce,
    cordoned: bool,
) -> ApiResult<Json<Value>> {
    let mut w = ctx.shared.write();
    let m = w.machine(&app, &id)?.clone();
    check_lease(&m, nonce.as_deref(), ctx.clock.unix_secs())?;
    if m.state == Destroyed {
        return Err(ApiError::precondition("machine is destroyed"));
    }
    let now = ctx.clock.now();
    let machine = w.machines.get_mut(&id).expect("checked");
    machine.cordoned = cordoned;
    machine.updated_at = now;
    machine.push_event(Event::new(
        if cordoned { "cordon" } else { "uncordon" },
        machine.state.as_str(),
        Source::User,
        now.as_millisecond(),
    ));
    w.touch_machine(&id);
    w.commit()?;
    Ok(Json(json!({ "ok": true })))
}

/// Applies a state rule: `rule(current)` gives the transient state to record
/// (`Some`), nothing to do (`None`), or refusal (`Err(state)` → 412).
/// Returns whether a command must be sent.
fn transition(
    ctx: &Ctx,
    app: &str,
    id: &str,
    nonce: Option<&str>,
    action: &str,
    rule: impl FnOnce(MachineState) -> Result<Option<MachineState>, MachineState>,
) -> ApiResult<bool> {
    let mut w = ctx.shared.write();
    let m = w.machine(app, id)?.clone();
    check_lease(&m, nonce, ctx.clock.unix_secs())?;
    match rule(m.state) {
        Ok(Some(next)) => {
            let machine = w.machines.get_mut(id).expect("checked");
            machine.state = next;
            machine.updated_at = ctx.clock.now();
            w.touch_machine(id);
            w.commit()?;
            Ok(true)
        }
        Ok(None) => Ok(false),
        Err(state) => Err(ApiError::precondition(format!(
            "unable to {action} machine from current state: '{state}'"
        ))),
    }
}

/// A timeout as the API accepts it: a Go duration string or seconds.
fn parse_timeout(v: &Value) -> Result<Duration, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(Duration::from_secs)
            .ok_or_else(|| format!("{n} is not a number of seconds")),
        Value::String(s) => match s.parse::<u64>() {
            Ok(secs) => Ok(Duration::from_secs(secs)),
            Err(_) => duration::parse_str(s),
        },
        other => Err(format!("{other} is not a duration")),
    }
}
