//! The `hello-ok` payload: protocol, server, features, snapshot, auth, policy.

use serde_json::{Value, json};

use super::admission::Admission;
use super::frames::{MAX_BUFFERED_BYTES, MAX_PAYLOAD};
use crate::state::Gateway;
use crate::version::{BUILD_ID, COMPAT_VERSION, PROTOCOL_VERSION};

/// The original's server capabilities this gateway really has; clients check them
/// before relying on a behaviour (the CLI's `models list` needs the first).
pub const CAPABILITIES: &[&str] = &[
    // `models.list` serves the model catalog the config publishes.
    "published-model-catalog",
    // `chat.metadata` takes a `sessionKey` and answers for that session's agent.
    "session-scoped-chat-metadata",
];

/// Builds `hello-ok` for an admitted connection.
pub fn hello_ok(gateway: &Gateway, conn_id: &str, admission: &Admission) -> Value {
    let methods = gateway.methods.method_names();
    let events = gateway.methods.event_names();
    let mut snapshot = json!({
        "presence": gateway.presence.list(),
        "health": gateway.health(),
        "stateVersion": gateway.events.state_version(),
        "uptimeMs": gateway.lifecycle.uptime_ms(),
        "sessionDefaults": {
            "defaultAgentId": "main",
            "mainKey": "main",
            "mainSessionKey": "agent:main:main",
            "scope": "per-sender",
        },
        "authMode": gateway.settings.auth.mode.as_str(),
    });
    if !admission.scopes.is_empty() {
        snapshot["configPath"] = json!(gateway.settings.paths.config_path);
        snapshot["stateDir"] = json!(gateway.settings.paths.state_dir);
    }
    let mut auth = json!({
        "method": admission.method,
        "role": admission.role,
        "scopes": admission.scopes.names(),
    });
    if let Some(issued) = &admission.issued {
        auth["deviceToken"] = json!(issued.token.expose());
        auth["issuedAtMs"] = json!(issued.issued_at_ms);
        auth["recoveryMigrationAllowed"] = json!(true);
    }
    json!({
        "type": "hello-ok",
        "protocol": PROTOCOL_VERSION,
        "server": {
            "version": COMPAT_VERSION,
            "buildId": BUILD_ID,
            "bootId": gateway.boot_id,
            "controlUiBuildSource": crate::http::control_ui_build_source(gateway),
            "connId": conn_id,
        },
        "features": { "methods": methods, "events": events, "capabilities": CAPABILITIES },
        "snapshot": snapshot,
        "auth": auth,
        "policy": {
            "maxPayload": MAX_PAYLOAD,
            "maxBufferedBytes": MAX_BUFFERED_BYTES,
            "tickIntervalMs": gateway.settings.tick_interval.as_millis() as u64,
        },
    })
}
