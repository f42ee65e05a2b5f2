//! Response payloads in the reference gateway's shapes (observed live on
//! openclaw 2026.9.6; see `tests/agents_fixtures`).

use serde_json::{Value, json};

use super::super::config::AgentsConfig;
use super::super::endpoints::{Env, resolve};
use super::super::events::{RunOutcome, RunRecord};
use super::super::message::{MessageRole, TranscriptMessage};
use super::super::providers::Timeouts;
use super::super::sessions::{History, SessionSummary};
use super::project::split_model;

/// The context window reported for models (the reference reports 200000 for Claude).
const CONTEXT_TOKENS: u64 = 200_000;

/// A transcript message as `chat.history` returns it (`seq` counts from 1).
pub fn history_message(m: &TranscriptMessage, seq: usize) -> Value {
    let run = m.run_id.as_deref();
    let mut meta = json!({"seq": seq});
    if let Some(run) = run {
        meta["runId"] = json!(run);
    }
    match m.role {
        MessageRole::User => json!({
            "role": "user", "content": m.text(), "timestamp": m.timestamp,
            "idempotencyKey": run.map(|r| format!("{r}:user")), "__openclaw": meta,
        }),
        MessageRole::Assistant
            if m.stop_reason.as_deref() == Some("error") && m.text().is_empty() =>
        {
            json!({
                "role": "custom", "customType": "run-failed-before-reply",
                "content": format!("This turn ended before a reply: {}", m.error_message.as_deref().unwrap_or("the run failed")),
                "display": true, "timestamp": m.timestamp, "__openclaw": meta,
            })
        }
        MessageRole::Assistant => {
            let (provider, model) = split_model(m.model.as_deref());
            let mut v = json!({
                "role": "assistant", "content": [{"type": "text", "text": m.text()}],
                "provider": provider, "model": model,
                "stopReason": match m.stop_reason.as_deref() { Some("aborted") | None => "stop", Some(s) => s },
                "timestamp": m.timestamp, "__openclaw": meta,
            });
            if let Some(u) = m.usage {
                v["usage"] = json!({"input": u.input, "output": u.output, "totalTokens": u.input + u.output,
                                    "cacheRead": 0, "cacheWrite": 0});
            }
            if m.stop_reason.as_deref() == Some("aborted") {
                v["openclawAbort"] = json!({"aborted": true, "origin": "rpc", "runId": run});
            }
            if let Some(e) = &m.error_message {
                v["errorMessage"] = json!(e);
            }
            if !m.attempts.is_empty() {
                v["__openclaw"]["attempts"] = json!(m.attempts);
            }
            v
        }
    }
}

/// `{modelProvider, model, contextTokens}` for an agent's primary model.
pub fn defaults(config: &AgentsConfig, agent: &str) -> Value {
    let chain = config
        .agents
        .agent(agent)
        .map_or(&config.agents.default_model, |a| &a.model);
    json!({"modelProvider": chain.primary.provider(), "model": chain.primary.model(),
           "contextTokens": CONTEXT_TOKENS})
}

/// One `sessions.list` row (also `chat.history`'s `sessionInfo`).
pub fn session_row(s: &SessionSummary, busy: bool, config: &AgentsConfig) -> Value {
    let (provider, model) = match split_model(s.last_model.as_deref()) {
        (Some(p), Some(m)) => (p.to_owned(), m.to_owned()),
        _ => {
            let d = defaults(config, &s.agent_id);
            (
                d["modelProvider"].as_str().unwrap_or_default().to_owned(),
                d["model"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    let rest = s.key.splitn(3, ':').nth(2).unwrap_or(&s.key);
    json!({
        "key": s.key, "agentId": s.agent_id, "sessionId": s.session_id,
        "kind": "direct", "chatType": "direct", "isMain": rest == "main",
        "createdAt": s.created_at, "updatedAt": s.updated_at,
        "messageCount": s.message_count,
        "status": if busy { "running" } else { "idle" }, "hasActiveRun": busy,
        "modelProvider": provider, "model": model,
        "archived": false, "pinned": false, "unread": false,
    })
}

/// The `chat.history` response.
pub fn chat_history(requested_key: &str, h: &History, defaults: Value, info: Value) -> Value {
    let messages: Vec<Value> = h
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| history_message(m, h.start + i + 1))
        .collect();
    let mut v = json!({
        "sessionKey": requested_key, "sessionId": h.session_id, "messages": messages,
        "pendingInputs": {"items": [], "total": 0}, "hasMore": h.has_more,
        "totalMessages": h.total, "defaults": defaults, "sessionInfo": info,
    });
    if h.has_more {
        v["nextOffset"] = json!(h.total - h.start);
        v["nextCursor"] = json!(h.next_cursor.map(|c| format!("before:{c}")));
    }
    v
}

/// The `agents.list` response.
pub fn agents_list(config: &AgentsConfig) -> Value {
    let a = &config.agents;
    let agents: Vec<Value> = a
        .agents
        .iter()
        .map(|agent| {
            let mut v = json!({"id": agent.id,
                "model": {"primary": agent.model.primary.to_string(),
                          "fallbacks": agent.model.fallbacks.iter().map(ToString::to_string).collect::<Vec<_>>()}});
            if let Some(name) = agent.name.as_ref().or(agent.identity.as_ref().and_then(|i| i.name.as_ref())) {
                v["name"] = json!(name);
            }
            if let Some(identity) = &agent.identity {
                v["identity"] = json!(identity);
            }
            v
        })
        .collect();
    let ownership = if a.agents.len() == 1 {
        "sole"
    } else {
        "explicit"
    };
    json!({"defaultId": a.default_agent, "ownership": ownership, "selectionRequired": false,
           "mainKey": "main", "scope": "per-sender", "agents": agents})
}

/// The `models.list` response: every model the config names (chains and
/// custom providers' lists), `available` when its provider has a key.
pub fn models_list(config: &AgentsConfig, env: &Env, provider_filter: Option<&str>) -> Value {
    let mut seen: Vec<(String, String, String)> = Vec::new(); // (provider, id, name)
    let mut add = |provider: &str, id: &str, name: &str| {
        if !seen.iter().any(|(p, i, _)| p == provider && i == id) {
            seen.push((provider.to_owned(), id.to_owned(), name.to_owned()));
        }
    };
    let chains = std::iter::once(&config.agents.default_model)
        .chain(config.agents.agents.iter().map(|a| &a.model));
    for chain in chains {
        for m in chain.candidates() {
            add(m.provider(), m.model(), m.model());
        }
    }
    for p in config.models.providers.values() {
        for (id, name) in &p.models {
            add(&p.id, id, name);
        }
    }
    let models: Vec<Value> = seen
        .into_iter()
        .filter(|(p, _, _)| provider_filter.is_none_or(|f| f == p))
        .map(|(provider, id, name)| {
            let available = resolve(config, &provider, env, Timeouts::default()).is_ok_and(|(_, keys)| !keys.is_empty());
            json!({"id": id, "name": name, "provider": provider, "tags": ["configured"], "available": available})
        })
        .collect();
    json!({ "models": models })
}

/// `agent.wait`'s answer for a finished run.
pub fn wait_result(run_id: &str, r: &RunRecord) -> Value {
    match &r.outcome {
        RunOutcome::Ok { message } => json!({
            "runId": run_id, "status": "ok", "startedAt": r.accepted_at, "endedAt": r.ended_at,
            "stopReason": message.stop_reason.as_deref().unwrap_or("stop"),
            "terminalReply": {"disposition": "visible", "text": message.text()},
        }),
        RunOutcome::Aborted { partial } => json!({
            "runId": run_id, "status": "aborted", "startedAt": r.accepted_at, "endedAt": r.ended_at,
            "stopReason": "rpc", "terminalReply": {"disposition": "visible", "text": partial},
        }),
        RunOutcome::Error {
            message, reason, ..
        } => json!({
            "runId": run_id, "status": "error", "startedAt": r.accepted_at, "endedAt": r.ended_at,
            "stopReason": "error", "error": message, "errorKind": reason.map(|k| k.as_str()),
        }),
    }
}

/// The `agent` method's second (final) reply: `Ok` payload, or the payload and
/// message of an `ok: false` reply.
pub fn agent_final(
    run_id: &str,
    r: &RunRecord,
    session_id: Option<&str>,
) -> Result<Value, (Value, String)> {
    let duration = r.ended_at - r.accepted_at;
    match &r.outcome {
        RunOutcome::Ok { message } => {
            let (provider, model) = split_model(message.model.as_deref());
            let usage = message.usage.unwrap_or_default();
            Ok(json!({
                "runId": run_id, "status": "ok", "summary": "completed",
                "result": {"payloads": [{"text": message.text(), "mediaUrl": null}],
                           "meta": {"durationMs": duration, "aborted": false,
                                    "agentMeta": {"sessionId": session_id, "sessionFile": r.session_key,
                                                  "provider": provider, "model": model,
                                                  "usage": {"input": usage.input, "output": usage.output,
                                                            "total": usage.input + usage.output},
                                                  "attempts": message.attempts}}},
            }))
        }
        RunOutcome::Aborted { partial } => Ok(json!({
            "runId": run_id, "status": "aborted", "summary": "aborted",
            "result": {"payloads": if partial.is_empty() { json!([]) } else { json!([{"text": partial, "mediaUrl": null}]) },
                       "meta": {"durationMs": duration, "aborted": true}},
        })),
        RunOutcome::Error { message, .. } => Err((
            json!({"runId": run_id, "status": "error", "summary": message}),
            message.clone(),
        )),
    }
}
