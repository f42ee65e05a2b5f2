//! The gateway host and runtime as the official clients read them: `system.info`,
//! the event-loop measurement in `health`/`status`, `last-heartbeat`,
//! `system-event`, `update.status`, `diagnostics.stability`, and the session
//! census that completes `status` and `health` for the CLI's renderers.

pub mod census;
pub mod event_loop;
pub mod events;
pub mod host;

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::agents::Engine;
use crate::state::GatewayBuilder;
use crate::state::lifecycle::now_ms;
use crate::ws::errors::ErrorShape;
use crate::ws::registry::{Call, CallResult};
use crate::ws::scopes::Scope;
use census::Census;
use event_loop::EventLoop;
use events::SystemEvents;

/// Registers the system methods and parts; with an `engine`, `status` and `health`
/// also report sessions per agent.
pub fn install(builder: &mut GatewayBuilder, engine: Option<Engine>) {
    let event_loop = Arc::new(EventLoop::default());
    let sampler = event_loop.clone();
    builder.on_start(move |_gateway, stop| async move { sampler.run(stop).await });
    let system_events = Arc::new(SystemEvents::default());

    let el = event_loop.clone();
    builder.health.add("eventLoop", move || el.snapshot());
    builder.health.add("heartbeatSeconds", || Value::Null);
    let el = event_loop.clone();
    builder.status.add("eventLoop", move || el.snapshot());
    let queued = system_events.clone();
    builder
        .status
        .add("queuedSystemEvents", move || queued.list());
    let (tasks, audit) = census::no_tasks();
    builder.status.add("tasks", move || tasks.clone());
    builder.status.add("taskAudit", move || audit.clone());

    let el = event_loop.clone();
    builder
        .methods
        .register("system.info", Scope::Read, move |call: Call| {
            let el = el.clone();
            async move {
                no_params(&call, "system.info")?;
                let g = &call.gateway;
                let mut info = host::info(
                    g.settings.port,
                    &g.settings.paths.state_dir,
                    &g.boot_id,
                    g.lifecycle.uptime_ms(),
                    crate::state::rss_bytes(),
                );
                info["eventLoop"] = el.snapshot();
                Ok(info)
            }
        });
    // No heartbeat runs here, so there is never a last one.
    builder
        .methods
        .register("last-heartbeat", Scope::Read, |call: Call| async move {
            no_params(&call, "last-heartbeat")?;
            Ok(Value::Null)
        });
    let queue = system_events;
    let default_agent = builder.config.agents.config.agents.default_agent.clone();
    builder
        .methods
        .register("system-event", Scope::Admin, move |call: Call| {
            let queue = queue.clone();
            let main = format!("agent:{default_agent}:main");
            async move { system_event(&call, &queue, &main) }
        });
    builder
        .methods
        .register("update.status", Scope::Admin, |call: Call| async move {
            parse::<UpdateStatusParams>(&call, "update.status")?;
            // This gateway does not update itself: no sentinel, nothing known to
            // be available, the original's default channel.
            Ok(json!({"sentinel": null, "updateAvailable": null, "effectiveChannel": "stable"}))
        });
    builder.methods.register(
        "diagnostics.stability",
        Scope::Read,
        |call: Call| async move {
            parse::<StabilityParams>(&call, "diagnostics.stability")?;
            Ok(stability_snapshot(&jiff::Timestamp::now().to_string()))
        },
    );

    if let Some(engine) = engine {
        let e = engine.clone();
        builder
            .methods
            .register("status", Scope::Read, move |call: Call| {
                let e = e.clone();
                async move {
                    let census = Census::take(&e).await;
                    let mut v = call.gateway.status();
                    v["sessions"] = census.status_sessions();
                    v["heartbeat"] = census.status_heartbeat();
                    if wants_cli_projection(call.params.as_ref()) {
                        v["cliProjection"] = cli_projection(&e);
                    }
                    Ok(v)
                }
            });
        builder
            .methods
            .register("health", Scope::Read, move |call: Call| {
                let e = engine.clone();
                async move {
                    let census = Census::take(&e).await;
                    let mut v = call.gateway.health();
                    v["agents"] = census.health_agents();
                    v["sessions"] = census.health_sessions();
                    call.gateway.events.emit_health(&v);
                    Ok(v)
                }
            });
    }
}

fn wants_cli_projection(params: Option<&Value>) -> bool {
    params
        .and_then(|p| p.get("includeCliProjection"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// What the CLI's `status` reads about the roster without scanning the stores itself.
fn cli_projection(engine: &Engine) -> Value {
    let config = engine.config();
    let a = &config.agents;
    json!({
        "agents": {"defaultId": a.default_agent,
                   "ownership": if a.agents.len() == 1 { "sole" } else { "explicit" },
                   "selectionRequired": false,
                   "rows": a.agents.iter().map(|x| json!({"id": x.id})).collect::<Vec<_>>()},
        "updateChannel": null,
        "memoryPlugin": {"enabled": false, "slot": null, "reason": "no memory plugin in this gateway"},
    })
}

/// This gateway keeps no diagnostic event ring: an empty one of the original's size.
fn stability_snapshot(generated_at: &str) -> Value {
    json!({"generatedAt": generated_at, "capacity": 1000, "count": 0, "dropped": 0,
           "firstSeq": null, "lastSeq": null, "events": [], "summary": {"byType": {}}})
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateStatusParams {
    #[allow(dead_code)]
    refresh_checkout: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StabilityParams {
    #[allow(dead_code)]
    limit: Option<u64>,
    #[allow(dead_code)]
    r#type: Option<String>,
    #[allow(dead_code)]
    since_seq: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SystemEventParams {
    text: Option<String>,
    session_key: Option<String>,
    wake: Option<bool>,
}

fn system_event(call: &Call, queue: &SystemEvents, main: &str) -> CallResult {
    let p: SystemEventParams = parse(call, "system-event")?;
    let text = p.text.as_deref().map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(ErrorShape::invalid_request("text required"));
    }
    if p.wake == Some(true) {
        return Err(ErrorShape::invalid_request(
            "wake is not supported: this gateway runs no heartbeat to wake; the event is not queued",
        ));
    }
    let session = p.session_key.as_deref().unwrap_or(main);
    queue.push(text, session, now_ms());
    tracing::info!(target: "gateway", "system event queued for {session}: {text}");
    Ok(json!({"ok": true}))
}

fn no_params(call: &Call, method: &str) -> Result<(), ErrorShape> {
    match &call.params {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(m)) if m.is_empty() => Ok(()),
        Some(Value::Object(m)) => Err(ErrorShape::invalid_request(format!(
            "invalid {method} params: at root: unexpected property '{}'",
            m.keys().next().map_or("", String::as_str)
        ))),
        Some(_) => Err(ErrorShape::invalid_request(format!(
            "invalid {method} params: must be object"
        ))),
    }
}

/// Params read into `P` (absent = `{}`), refusals in the original's wording.
pub fn parse<P: for<'de> Deserialize<'de>>(call: &Call, method: &str) -> Result<P, ErrorShape> {
    let value = match &call.params {
        None | Some(Value::Null) => json!({}),
        Some(v) => v.clone(),
    };
    serde_json::from_value(value)
        .map_err(|e| ErrorShape::invalid_request(format!("invalid {method} params: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_stability_ring() {
        let v = super::stability_snapshot("2026-12-03T18:31:28.686Z");
        assert_eq!(
            (v["capacity"].as_u64(), v["count"].as_u64()),
            (Some(1000), Some(0))
        );
        assert_eq!(v["events"], serde_json::json!([]));
    }
}
