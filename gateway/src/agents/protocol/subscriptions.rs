//! The official clients' subscriptions: `sessions.subscribe` (session list
//! changes), `sessions.messages.subscribe|unsubscribe` (one session's live
//! messages) and `sessions.viewers.set` (which sessions a client has open).
//!
//! This gateway sends every connection the `chat` and `agent` events of every run
//! (scoped by operator scope), so a subscription changes nothing about delivery;
//! the replies confirm what the client will receive, in the original's shapes.
//! No session here has pending approvals, so an approval replay is always empty.

use serde_json::{Value, json};

use super::super::engine::Engine;
use super::super::message::now_ms;
use super::methods::{MethodError, checked, key_of};
use super::params::{Prop, Ty, opt, req};

const SESSIONS_SUBSCRIBE: &[Prop] = &[];
const MESSAGES_SUBSCRIBE: &[Prop] = &[
    req("key", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("includeApprovals", Ty::Bool),
];
const MESSAGES_UNSUBSCRIBE: &[Prop] = &[req("key", Ty::NonEmpty), opt("agentId", Ty::NonEmpty)];
const VIEWERS_SET: &[Prop] = &[req("sessionKeys", Ty::Any)];

/// `sessions.subscribe {}` → `{subscribed: true}`.
pub async fn sessions_subscribe(
    _engine: &Engine,
    params: Option<&Value>,
) -> Result<Value, MethodError> {
    checked("sessions.subscribe", params, SESSIONS_SUBSCRIBE)?;
    Ok(json!({ "subscribed": true }))
}

/// `sessions.messages.subscribe {key, includeApprovals?}` →
/// `{subscribed, key, approvalReplay?}` with the canonical key.
pub async fn messages_subscribe(
    engine: &Engine,
    params: Option<&Value>,
) -> Result<Value, MethodError> {
    let p = checked("sessions.messages.subscribe", params, MESSAGES_SUBSCRIBE)?;
    if p.get("includeApprovals").is_some_and(|v| v != &json!(true)) {
        return Err(MethodError::invalid(
            "invalid sessions.messages.subscribe params: at /includeApprovals: must be equal to constant",
        ));
    }
    let key = key_of(engine, p.str("key").unwrap_or_default(), p.str("agentId"))?;
    let mut out = json!({ "subscribed": true, "key": key.as_str() });
    if p.bool("includeApprovals") == Some(true) {
        out["approvalReplay"] = json!({"sessionKey": key.as_str(), "updatedAtMs": now_ms(),
                                       "approvals": [], "truncated": false});
    }
    Ok(out)
}

/// `sessions.messages.unsubscribe {key}` → `{subscribed: false, key}`.
pub async fn messages_unsubscribe(
    engine: &Engine,
    params: Option<&Value>,
) -> Result<Value, MethodError> {
    let p = checked(
        "sessions.messages.unsubscribe",
        params,
        MESSAGES_UNSUBSCRIBE,
    )?;
    let key = key_of(engine, p.str("key").unwrap_or_default(), p.str("agentId"))?;
    Ok(json!({ "subscribed": false, "key": key.as_str() }))
}

/// `sessions.viewers.set {sessionKeys: [...]}` → the keys, canonical.
pub async fn viewers_set(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("sessions.viewers.set", params, VIEWERS_SET)?;
    let Some(raw) = p.get("sessionKeys").and_then(Value::as_array) else {
        return Err(MethodError::invalid(
            "invalid sessions.viewers.set params: at /sessionKeys: must be array",
        ));
    };
    let mut keys = Vec::with_capacity(raw.len());
    for (i, k) in raw.iter().enumerate() {
        let Some(k) = k.as_str().filter(|k| !k.is_empty()) else {
            return Err(MethodError::invalid(format!(
                "invalid sessions.viewers.set params: at /sessionKeys/{i}: must be a non-empty string"
            )));
        };
        keys.push(key_of(engine, k, None)?.as_str().to_owned());
    }
    Ok(json!({ "sessionKeys": keys }))
}
