//! What the official Control UI reads to open a chat: `chat.startup` (the
//! transcript page plus the session's row, even before the session exists) and
//! `sessions.describe` (one row, or `null`).

use serde_json::{Value, json};

use super::super::engine::Engine;
use super::methods::{self, MethodError, checked, key_of};
use super::params::{self, Ty, opt, req};
use super::payloads;

/// `sessions.describe`.
const SESSIONS_DESCRIBE: &[params::Prop] = &[
    req("key", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("includeDerivedTitles", Ty::Bool),
    opt("includeLastMessage", Ty::Bool),
];

/// `chat.startup {sessionKey, limit?, maxBytes?, …}` → `chat.history`'s page with a
/// `sessionInfo` row; a session with no messages yet gets the row it will have
/// (`updatedAt: null`), as the original answers for the main session of a new agent.
pub async fn chat_startup(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    if params.and_then(|p| p.get("shortId")).is_some() {
        return Err(MethodError::invalid(
            "invalid chat.startup params: this gateway has no session short ids; open the session by sessionKey",
        ));
    }
    let p = checked("chat.startup", params, params::CHAT_HISTORY)?;
    let key = key_of(
        engine,
        p.str("sessionKey").unwrap_or_default(),
        p.str("agentId"),
    )?;
    let mut page = methods::chat_history(engine, params).await?;
    if page["sessionInfo"].is_null() {
        page["sessionInfo"] = new_session_row(key.as_str(), key.agent_id());
    }
    Ok(page)
}

/// `sessions.describe {key, agentId?}` → `{session: row | null}`.
pub async fn sessions_describe(
    engine: &Engine,
    params: Option<&Value>,
) -> Result<Value, MethodError> {
    let p = checked("sessions.describe", params, SESSIONS_DESCRIBE)?;
    let key = key_of(engine, p.str("key").unwrap_or_default(), p.str("agentId"))?;
    let session = match engine.session(&key).await {
        Some(s) => payloads::session_row(
            &s,
            engine.busy_sessions().contains(&s.key),
            &engine.config(),
        ),
        None => Value::Null,
    };
    Ok(json!({ "session": session }))
}

/// The row of a session that has no transcript yet.
pub fn new_session_row(key: &str, agent_id: &str) -> Value {
    let is_main = key.splitn(3, ':').nth(2) == Some("main");
    json!({
        "key": key, "agentId": agent_id, "kind": "direct",
        "classification": if is_main { "main" } else { "direct" },
        "isMain": is_main, "isBackground": false, "updatedAt": null,
        "archived": false, "pinned": false, "unread": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_main_session_row() {
        let row = new_session_row("agent:main:main", "main");
        assert_eq!(row["isMain"], true);
        assert_eq!(row["classification"], "main");
        assert!(row["updatedAt"].is_null());
        assert_eq!(new_session_row("agent:main:work", "main")["isMain"], false);
    }
}
