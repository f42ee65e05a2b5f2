//! The agents' WebSocket methods, as plain async functions over the engine:
//! parameters in (raw JSON), payload or error out. The WebSocket layer
//! registers them under [`METHODS`] with the scopes listed there.

use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::super::engine::{Acceptance, Engine, SendError, SendRequest};
use super::super::events::RunOutcome;
use super::super::sessions::SessionKey;
use super::params::{self, Params, check};
use super::payloads;

/// The operator scope a method needs (the reference's method scopes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Read,
    Write,
    Admin,
}

/// Every agents method with its scope.
pub const METHODS: &[(&str, Scope)] = &[
    ("chat.send", Scope::Write),
    ("chat.history", Scope::Read),
    ("chat.abort", Scope::Write),
    ("sessions.list", Scope::Read),
    ("sessions.reset", Scope::Admin),
    ("sessions.delete", Scope::Admin),
    ("agent", Scope::Write),
    ("agent.wait", Scope::Write),
    ("models.list", Scope::Read),
    ("agents.list", Scope::Read),
];

/// Events the agents emit.
pub const EVENTS: &[&str] = &["chat", "agent"];

/// Error codes of the protocol that agents methods use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// `INVALID_REQUEST`: fix the request.
    InvalidRequest,
    /// `UNAVAILABLE`: retryable (`retryAfterMs` may say when).
    Unavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::Unavailable => "UNAVAILABLE",
        }
    }
}

/// A refused call.
#[derive(Clone, Debug, PartialEq)]
pub struct MethodError {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

impl MethodError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::InvalidRequest,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    pub(crate) fn unavailable(message: impl Into<String>, retry_after_ms: Option<u64>) -> Self {
        Self {
            code: ErrorCode::Unavailable,
            message: message.into(),
            retry_after_ms,
        }
    }
}

impl From<SendError> for MethodError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::QueueFull(_) => Self::unavailable(e.to_string(), Some(1000)),
            other => Self::invalid(other.to_string()),
        }
    }
}

pub(crate) fn checked(
    method: &str,
    params: Option<&Value>,
    props: &[params::Prop],
) -> Result<Params, MethodError> {
    check(method, params, props).map_err(MethodError::invalid)
}

pub(crate) fn key_of(
    engine: &Engine,
    raw: &str,
    agent: Option<&str>,
) -> Result<SessionKey, MethodError> {
    let agent = agent.map(super::super::config::normalize_agent_id);
    let key = engine
        .session_key(raw, agent.as_deref())
        .map_err(|e| MethodError::invalid(e.to_string()))?;
    let config = engine.config();
    if config.agents.agent(key.agent_id()).is_none() {
        let known: Vec<&str> = config.agents.agents.iter().map(|a| a.id.as_str()).collect();
        return Err(MethodError::invalid(format!(
            "unknown agent \"{}\" (configured: {})",
            key.agent_id(),
            known.join(", ")
        )));
    }
    Ok(key)
}

pub(crate) fn storage(e: impl std::fmt::Display) -> MethodError {
    MethodError::unavailable(e.to_string(), None)
}

/// `chat.send {sessionKey, message, idempotencyKey, agentId?, timeoutMs?}` →
/// `{runId, status: "started" | "in_flight" | "ok" | "error" | "aborted"}` at once.
pub async fn chat_send(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("chat.send", params, params::CHAT_SEND)?;
    let accepted = engine.send(SendRequest {
        session_key: p.str("sessionKey").unwrap_or_default().to_owned(),
        agent_id: p.str("agentId").map(str::to_owned),
        message: p.str("message").unwrap_or_default().to_owned(),
        idempotency_key: p.str("idempotencyKey").map(str::to_owned),
        timeout: p
            .int("timeoutMs")
            .filter(|ms| *ms > 0)
            .map(|ms| Duration::from_millis(ms.unsigned_abs())),
    })?;
    let status = match &accepted.acceptance {
        Acceptance::Started => "started",
        Acceptance::InFlight => "in_flight",
        Acceptance::Finished(r) => match r.outcome {
            RunOutcome::Ok { .. } => "ok",
            RunOutcome::Aborted { .. } => "aborted",
            RunOutcome::Error { .. } => "error",
        },
    };
    Ok(json!({"runId": accepted.run_id, "status": status}))
}

/// `chat.history {sessionKey, limit?, offset?, cursor?}` → the reference's history page.
pub async fn chat_history(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("chat.history", params, params::CHAT_HISTORY)?;
    let raw = p.str("sessionKey").unwrap_or_default();
    let key = key_of(engine, raw, p.str("agentId"))?;
    let limit = p.int("limit").unwrap_or(200).clamp(1, 1000) as usize;
    let before = match p.str("cursor") {
        Some(c) => Some(
            c.strip_prefix("before:")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| {
                    MethodError::invalid(format!(
                        "invalid chat.history params: at /cursor: unknown cursor {c:?}"
                    ))
                })?,
        ),
        None => None,
    };
    let history = engine.history(&key, limit, None).await.map_err(storage)?;
    let history = match (before, p.int("offset")) {
        (Some(b), _) => engine
            .history(&key, limit, Some(b))
            .await
            .map_err(storage)?,
        (None, Some(off)) if off > 0 => {
            let end = history.total.saturating_sub(off.unsigned_abs() as usize);
            engine
                .history(&key, limit, Some(end))
                .await
                .map_err(storage)?
        }
        _ => history,
    };
    let config = engine.config();
    let info = match engine.session(&key).await {
        Some(s) => payloads::session_row(&s, engine.busy_sessions().contains(&s.key), &config),
        None => Value::Null,
    };
    Ok(payloads::chat_history(
        raw,
        &history,
        payloads::defaults(&config, key.agent_id()),
        info,
    ))
}

/// `chat.abort {sessionKey, runId?}` → `{ok, aborted, runIds}`.
pub async fn chat_abort(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("chat.abort", params, params::CHAT_ABORT)?;
    let key = key_of(
        engine,
        p.str("sessionKey").unwrap_or_default(),
        p.str("agentId"),
    )?;
    let run_ids: Vec<String> = match p.str("runId") {
        Some(id) => {
            if engine.abort_run(id) {
                vec![id.to_owned()]
            } else {
                Vec::new()
            }
        }
        None => engine.abort_session(&key),
    };
    Ok(json!({"ok": true, "aborted": !run_ids.is_empty(), "runIds": run_ids}))
}

/// `sessions.list {limit?, offset?, activeMinutes?, activeOnly?, agentId?}`.
pub async fn sessions_list(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("sessions.list", params, params::SESSIONS_LIST)?;
    let config = engine.config();
    let busy = engine.busy_sessions();
    let now = super::super::message::now_ms();
    let agent = p
        .str("agentId")
        .map(super::super::config::normalize_agent_id);
    let mut rows: Vec<_> = engine
        .sessions()
        .await
        .into_iter()
        .filter(|s| agent.as_ref().is_none_or(|a| *a == s.agent_id))
        .filter(|s| {
            p.int("activeMinutes")
                .is_none_or(|m| now - s.updated_at <= m * 60_000)
        })
        .filter(|s| p.bool("activeOnly") != Some(true) || busy.contains(&s.key))
        .filter(|_| !super::list_filters::matches_nothing(&p))
        .collect();
    let total = rows.len();
    let limit = p.int("limit").unwrap_or(100).max(1) as usize;
    let offset = p.int("offset").unwrap_or(0).max(0) as usize;
    rows = rows.into_iter().skip(offset).take(limit).collect();
    let has_more = offset + rows.len() < total;
    let default_agent = config.agents.default_agent.clone();
    Ok(json!({
        "ts": now, "path": engine.sessions_dir(agent.as_deref().unwrap_or(&default_agent)).join("sessions.json"),
        "count": rows.len(), "totalCount": total, "limitApplied": limit,
        "nextOffset": if has_more { json!(offset + rows.len()) } else { Value::Null },
        "hasMore": has_more, "owners": [],
        "defaults": payloads::defaults(&config, &default_agent),
        "sessions": rows.iter().map(|s| payloads::session_row(s, busy.contains(&s.key), &config)).collect::<Vec<_>>(),
    })).map(|mut v| {
        super::list_filters::add_facets(&p, &mut v);
        v
    })
}

/// `sessions.reset {key}` → `{ok, key, entry}` (active runs are aborted first).
pub async fn sessions_reset(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("sessions.reset", params, params::SESSIONS_RESET)?;
    let key = key_of(engine, p.str("key").unwrap_or_default(), p.str("agentId"))?;
    if let Some(expected) = p.str("expectedSessionId")
        && engine
            .session(&key)
            .await
            .is_some_and(|s| s.session_id != expected)
    {
        return Err(MethodError::invalid(format!(
            "session {key} is no longer {expected}; reload and retry"
        )));
    }
    let s = engine.reset(&key).await.map_err(storage)?;
    Ok(json!({"ok": true, "key": s.key,
              "entry": {"sessionId": s.session_id, "createdAt": s.created_at, "updatedAt": s.updated_at}}))
}

/// `sessions.delete {key}` → `{ok, key, deleted}`; the transcript is archived, not erased.
pub async fn sessions_delete(
    engine: &Engine,
    params: Option<&Value>,
) -> Result<Value, MethodError> {
    let p = checked("sessions.delete", params, params::SESSIONS_DELETE)?;
    let key = key_of(engine, p.str("key").unwrap_or_default(), p.str("agentId"))?;
    let deleted = engine.delete(&key).await.map_err(storage)?;
    Ok(json!({"ok": true, "key": key.as_str(), "deleted": deleted}))
}

/// The second reply of `agent`: the final payload, or an error with its payload.
pub type AgentFinal = BoxFuture<'static, Result<Value, (Value, MethodError)>>;

/// `agent {message, idempotencyKey, agentId?, sessionKey?, timeout?}`: the
/// first reply (`status: "accepted"`) and a future for the second, final one
/// (same request id), as the reference replies twice.
pub async fn agent(
    engine: &Engine,
    params: Option<&Value>,
) -> Result<(Value, AgentFinal), MethodError> {
    let p = checked("agent", params, params::AGENT)?;
    let session_key = p
        .str("sessionKey")
        .filter(|k| !k.is_empty())
        .unwrap_or("main");
    let accepted = engine.send(SendRequest {
        session_key: session_key.to_owned(),
        agent_id: p.str("agentId").map(str::to_owned),
        message: p.str("message").unwrap_or_default().to_owned(),
        idempotency_key: p.str("idempotencyKey").map(str::to_owned),
        timeout: p
            .int("timeout")
            .filter(|s| *s > 0)
            .map(|s| Duration::from_secs(s.unsigned_abs())),
    })?;
    let first = json!({"runId": accepted.run_id, "sessionKey": accepted.session_key.as_str(),
                       "agentId": accepted.agent_id, "status": "accepted", "acceptedAt": accepted.accepted_at});
    let engine = engine.clone();
    let run_id = accepted.run_id.clone();
    let key = accepted.session_key.clone();
    let last: AgentFinal = Box::pin(async move {
        // Waits as long as the run takes; the run's own timeout bounds it.
        let record = loop {
            match engine.wait(&run_id, Duration::from_secs(3600)).await {
                Some(r) => break r,
                None if engine.knows_run(&run_id) => continue,
                None => {
                    return Err((
                        json!({"runId": run_id, "status": "error"}),
                        MethodError::unavailable("the run was forgotten before it ended", None),
                    ));
                }
            }
        };
        let session_id = engine.session(&key).await.map(|s| s.session_id);
        payloads::agent_final(&run_id, &record, session_id.as_deref())
            .map_err(|(payload, message)| (payload, MethodError::unavailable(message, None)))
    });
    Ok((first, last))
}

/// `agent.wait {runId, timeoutMs?}` → the run's end, or `{status: "timeout"}`.
pub async fn agent_wait(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("agent.wait", params, params::AGENT_WAIT)?;
    let run_id = p.str("runId").unwrap_or_default();
    if !engine.knows_run(run_id) {
        return Err(MethodError::invalid(format!("unknown runId \"{run_id}\"")));
    }
    let limit = Duration::from_millis(p.int("timeoutMs").unwrap_or(30_000).max(0).unsigned_abs());
    Ok(match engine.wait(run_id, limit).await {
        Some(record) => payloads::wait_result(run_id, &record),
        None => json!({"runId": run_id, "status": "timeout"}),
    })
}

/// `models.list {provider?}` → `{models}`.
pub async fn models_list(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("models.list", params, params::MODELS_LIST)?;
    Ok(payloads::models_list(
        &engine.config(),
        engine.env(),
        p.str("provider"),
    ))
}

/// `agents.list {}` → `{defaultId, agents, …}`.
pub async fn agents_list(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    checked("agents.list", params, params::AGENTS_LIST)?;
    Ok(payloads::agents_list(&engine.config()))
}
