//! Wiring the agent engine into the gateway: its WebSocket methods, the
//! `chat`/`agent` events, and its parts of `health`, `status` and `/readyz`.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::endpoints::Env;
use super::protocol::methods::{self, MethodError, Scope as AgentScope};
use super::protocol::project::{Projector, is_live};
use super::{Engine, EngineOptions, EventSink};
use crate::state::GatewayBuilder;
use crate::ws::errors::{ErrorCode, ErrorShape};
use crate::ws::registry::Call;
use crate::ws::scopes::Scope;

/// Starts the engine over the gateway's config and state dir and registers
/// everything it offers. If the engine cannot start (unreadable sessions),
/// the gateway still serves: the methods answer `UNAVAILABLE` with the reason
/// and `/readyz` lists `agents` as failing. Returns the engine for the subsystems
/// that run messages through it (channels).
pub fn install(builder: &mut GatewayBuilder) -> Option<Engine> {
    let parsed = builder.config.agents.clone();
    for warning in &parsed.warnings {
        tracing::warn!(target: "agents", "{warning}");
    }
    let events = builder.events();
    let projector = Mutex::new(Projector::default());
    let sink: EventSink = Arc::new(move |event| {
        let frames = projector
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .project(event);
        for frame in frames {
            if is_live(&frame) {
                events.emit_droppable(frame.0, &frame.1);
            } else {
                events.emit(frame.0, &frame.1);
            }
        }
    });
    let mut options = EngineOptions::new(&builder.settings.paths.state_dir);
    options.env = Env(builder
        .env
        .vars()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect());
    options.sink = Some(sink);

    let config = &parsed.config;
    for agent in &config.agents.agents {
        let fallbacks: Vec<String> = agent
            .model
            .fallbacks
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::info!(
            target: "gateway",
            "agent model: {}{}",
            agent.model.primary,
            if fallbacks.is_empty() { String::new() } else { format!(" (fallbacks: {})", fallbacks.join(", ")) }
        );
    }

    let engine = match Engine::new(parsed.config.clone(), options) {
        Ok(engine) => {
            register(builder, engine.clone());
            Some(engine)
        }
        Err(e) => {
            let reason = format!("agents are unavailable: {e}");
            tracing::error!(target: "agents", "{reason}");
            let daily = super::protocol::daily::METHODS
                .iter()
                .map(|(n, s, _, _)| (n, s));
            for (name, scope) in methods::METHODS.iter().map(|(n, s)| (n, s)).chain(daily) {
                let reason = reason.clone();
                builder
                    .methods
                    .register(name, scope_of(*scope), move |_call| {
                        let reason = reason.clone();
                        async move { Err(ErrorShape::new(ErrorCode::Unavailable, reason)) }
                    });
            }
            builder.readiness.add("agents", || false);
            None
        }
    };
    for event in methods::EVENTS {
        builder.methods.register_event(event);
    }
    engine
}

pub(crate) fn scope_of(scope: AgentScope) -> Scope {
    match scope {
        AgentScope::Read => Scope::Read,
        AgentScope::Write => Scope::Write,
        AgentScope::Admin => Scope::Admin,
    }
}

pub(crate) fn shape(e: MethodError) -> ErrorShape {
    let code = match e.code {
        methods::ErrorCode::InvalidRequest => ErrorCode::InvalidRequest,
        methods::ErrorCode::Unavailable => ErrorCode::Unavailable,
    };
    let mut shape = ErrorShape::new(code, e.message);
    if code == ErrorCode::Unavailable {
        shape.retryable = Some(true);
        shape.retry_after_ms = e.retry_after_ms;
    }
    shape
}

/// Registers `$method` (an `async fn(&Engine, Option<&Value>)`) under `$name`.
macro_rules! register_method {
    ($builder:expr, $engine:expr, $name:literal, $method:path) => {{
        let engine = $engine.clone();
        let scope = methods::METHODS
            .iter()
            .find(|(n, _)| *n == $name)
            .map(|(_, s)| scope_of(*s))
            .expect("every agents method has a scope");
        $builder.methods.register($name, scope, move |call: Call| {
            let engine = engine.clone();
            async move { $method(&engine, call.params.as_ref()).await.map_err(shape) }
        });
    }};
}

fn register(builder: &mut GatewayBuilder, engine: Engine) {
    register_method!(builder, engine, "chat.send", methods::chat_send);
    register_method!(builder, engine, "chat.history", methods::chat_history);
    register_method!(builder, engine, "chat.abort", methods::chat_abort);
    register_method!(builder, engine, "sessions.list", methods::sessions_list);
    register_method!(builder, engine, "sessions.reset", methods::sessions_reset);
    register_method!(builder, engine, "sessions.delete", methods::sessions_delete);
    register_method!(builder, engine, "agent.wait", methods::agent_wait);
    register_method!(builder, engine, "models.list", methods::models_list);
    register_method!(builder, engine, "agents.list", methods::agents_list);
    for (name, scope, advertised, handler) in super::protocol::daily::METHODS {
        let engine = engine.clone();
        let handler = *handler;
        let run = move |call: Call| {
            let engine = engine.clone();
            async move { handler(&engine, call.params.as_ref()).await.map_err(shape) }
        };
        if *advertised {
            builder.methods.register(name, scope_of(*scope), run);
        } else {
            builder
                .methods
                .register_unadvertised(name, scope_of(*scope), run);
        }
    }
    {
        // `agent` answers twice with the same id: accepted at once, then the end.
        let engine = engine.clone();
        builder
            .methods
            .register("agent", Scope::Write, move |call: Call| {
                let engine = engine.clone();
                async move {
                    let (first, last) = methods::agent(&engine, call.params.as_ref())
                        .await
                        .map_err(shape)?;
                    call.outbox.respond_ok(&call.request_id, &first);
                    last.await
                        .map_err(|(payload, e)| shape(e).with_details(payload))
                }
            });
    }

    let config = engine.config();
    let agents: Value = config
        .agents
        .agents
        .iter()
        .map(|a| {
            json!({"agentId": a.id, "name": a.name, "isDefault": a.id == config.agents.default_agent,
                   "model": a.model.primary.to_string()})
        })
        .collect();
    let default_agent = config.agents.default_agent.clone();
    builder
        .health
        .add("defaultAgentId", move || json!(default_agent));
    builder.health.add("agents", move || agents.clone());
    let stats = engine.clone();
    builder.health.add("sessions", move || {
        let (running, queued) = stats.load();
        json!({"count": stats.session_count(), "running": running, "queued": queued})
    });
    let stats = engine.clone();
    builder.status.add("sessions", move || {
        let (running, queued) = stats.load();
        json!({"count": stats.session_count(), "running": running, "queued": queued,
               "maxConcurrent": stats.config().agents.max_concurrent})
    });
    let stats = engine;
    builder.status.add("modelRuntime", move || {
        let config = stats.config();
        let default = &config.agents.default_model;
        json!({"defaultAgentId": config.agents.default_agent,
               "primary": default.primary.to_string(),
               "fallbacks": default.fallbacks.iter().map(ToString::to_string).collect::<Vec<_>>()})
    });
}
