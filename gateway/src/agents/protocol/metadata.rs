//! What the official clients read about agents and models around a chat:
//! `chat.metadata` (models to pick from, slash commands), `agent.identity.get`,
//! `models.authStatus` (where each provider's credentials come from).

use serde_json::{Value, json};

use super::super::endpoints::resolve;
use super::super::engine::Engine;
use super::super::message::now_ms;
use super::super::providers::{BUILT_INS, Timeouts};
use super::methods::{MethodError, checked, key_of};
use super::params::{Prop, Ty, opt};
use super::{identity, payloads};

const CHAT_METADATA: &[Prop] = &[
    opt("agentId", Ty::NonEmpty),
    opt("authProfileId", Ty::NonEmpty),
    opt("sessionKey", Ty::NonEmpty),
];
const AGENT_IDENTITY: &[Prop] = &[opt("agentId", Ty::NonEmpty), opt("sessionKey", Ty::Str)];
const AUTH_STATUS: &[Prop] = &[opt("agentId", Ty::NonEmpty), opt("refresh", Ty::Bool)];

/// The name the original shows for a provider.
pub fn display_name(provider: &str) -> &str {
    match provider {
        "anthropic" => "Claude",
        "openai" => "OpenAI",
        "google" => "Gemini",
        other => other,
    }
}

/// `chat.metadata {agentId?, sessionKey?}` → the models of `models.list`, no slash
/// commands (this gateway interprets none), automatic account selection.
pub async fn chat_metadata(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("chat.metadata", params, CHAT_METADATA)?;
    if p.str("authProfileId").is_some() && p.str("sessionKey").is_some() {
        return Err(MethodError::invalid(
            "invalid chat.metadata params: authProfileId cannot be combined with sessionKey",
        ));
    }
    if let Some(key) = p.str("sessionKey") {
        key_of(engine, key, p.str("agentId"))?;
    }
    let models = payloads::models_list(&engine.config(), engine.env(), None)["models"].take();
    Ok(json!({
        "models": models, "commands": [], "swarmEnabled": false,
        "accountSelection": {"kind": "automatic", "label": "Automatic account selection"},
        "runtimeSelectionLocked": false,
    }))
}

/// `agent.identity.get {agentId?, sessionKey?}`.
pub async fn agent_identity(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("agent.identity.get", params, AGENT_IDENTITY)?;
    let config = engine.config();
    let agent = match (
        p.str("agentId"),
        p.str("sessionKey").filter(|k| !k.is_empty()),
    ) {
        (Some(a), _) => super::super::config::normalize_agent_id(a),
        (None, Some(key)) => key_of(engine, key, None)?.agent_id().to_owned(),
        (None, None) => config.agents.default_agent.clone(),
    };
    if config.agents.agent(&agent).is_none() {
        return Err(MethodError::invalid(format!("unknown agent \"{agent}\"")));
    }
    Ok(identity::resolve(&config, Some(&agent)).to_json())
}

/// `models.authStatus {agentId?}` → each provider with a usable key and where the
/// key comes from (never the key), and which providers take an API key.
pub async fn auth_status(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    checked("models.authStatus", params, AUTH_STATUS)?;
    let config = engine.config();
    let providers: Vec<Value> = config
        .models
        .providers
        .keys()
        .filter_map(|id| {
            let (_, keys) = resolve(&config, id, engine.env(), Timeouts::default()).ok()?;
            let first = keys.first()?;
            let api_key = if first.origin.contains('.') {
                json!({"source": "config", "path": first.origin})
            } else {
                json!({"source": "env", "envVar": first.origin})
            };
            Some(
                json!({"provider": id, "authProvider": id, "displayName": display_name(id),
                        "status": "static", "profiles": [], "apiKey": api_key}),
            )
        })
        .collect();
    let capabilities: Vec<Value> = BUILT_INS
        .iter()
        .map(|b| json!({"provider": b.id, "apiKeySupported": true, "quickApiKeySetup": false}))
        .collect();
    Ok(json!({"ts": now_ms(), "providers": providers, "providerCapabilities": capabilities}))
}
