//! An agent's display identity (`agent.identity.get`, the Control UI's assistant
//! name and avatar), resolved as the original resolves it from
//! `agents.entries.<id>.identity`: the configured name, else "Assistant"; the
//! configured avatar or emoji when it is short or a URL, else "A".

use serde_json::{Value, json};

use super::super::config::AgentsConfig;

const DEFAULT_NAME: &str = "Assistant";
const DEFAULT_AVATAR: &str = "A";

/// The identity of `agent_id` (the default agent when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentIdentity {
    pub agent_id: String,
    pub name: String,
    /// `agent` (configured) or `default`.
    pub name_source: &'static str,
    pub avatar: String,
    pub emoji: Option<String>,
}

pub fn resolve(config: &AgentsConfig, agent_id: Option<&str>) -> AgentIdentity {
    let agent_id = agent_id
        .map(super::super::config::normalize_agent_id)
        .unwrap_or_else(|| config.agents.default_agent.clone());
    let identity = config
        .agents
        .agent(&agent_id)
        .and_then(|a| a.identity.clone())
        .unwrap_or_default();
    let trimmed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (name, name_source) = match trimmed(&identity.name) {
        Some(name) => (name, "agent"),
        None => (DEFAULT_NAME.to_owned(), "default"),
    };
    let avatar = [trimmed(&identity.avatar), trimmed(&identity.emoji)]
        .into_iter()
        .flatten()
        .find(|v| is_avatar(v))
        .unwrap_or_else(|| DEFAULT_AVATAR.to_owned());
    let emoji = [trimmed(&identity.emoji), trimmed(&identity.avatar)]
        .into_iter()
        .flatten()
        .find(|v| !v.is_ascii() && !v.contains("://") && !v.contains('/'));
    AgentIdentity {
        agent_id,
        name,
        name_source,
        avatar,
        emoji,
    }
}

/// A URL, a data URL, or a short token without spaces (an emoji, initials).
fn is_avatar(v: &str) -> bool {
    v.starts_with("https://")
        || v.starts_with("http://")
        || v.starts_with("data:image/")
        || (!v.contains(char::is_whitespace) && v.chars().count() <= 4)
}

impl AgentIdentity {
    /// The `agent.identity.get` result.
    pub fn to_json(&self) -> Value {
        let mut v = json!({"agentId": self.agent_id, "name": self.name,
                           "nameSource": self.name_source, "avatar": self.avatar});
        if let Some(e) = &self.emoji {
            v["emoji"] = json!(e);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: serde_json::Value) -> AgentsConfig {
        super::super::super::config::parse(super::super::super::config::Sections {
            agents: json.get("agents"),
            auth: None,
            bindings: None,
            models: None,
        })
        .unwrap()
        .config
    }

    #[test]
    fn defaults_and_configured_identity() {
        let c = config(serde_json::json!({}));
        assert_eq!(
            resolve(&c, None).to_json(),
            serde_json::json!({"agentId": "main", "name": "Assistant", "nameSource": "default", "avatar": "A"})
        );
        let c = config(serde_json::json!({"agents": {"entries": {"main": {
            "identity": {"name": "Molty", "emoji": "🦞"}}}}}));
        let id = resolve(&c, Some("main"));
        assert_eq!((id.name.as_str(), id.name_source), ("Molty", "agent"));
        assert_eq!(
            (id.avatar.as_str(), id.emoji.as_deref()),
            ("🦞", Some("🦞"))
        );
    }
}
