//! Session keys: `agent:<agentId>:<rest>`, the original's scheme.

use std::fmt;

use super::super::config::normalize_agent_id;

/// A canonical session key, `agent:<agentId>:<rest>`. A bare key (`main`,
/// `discord:123`) belongs to the agent it is sent to: `main` with the default
/// agent `main` is `agent:main:main`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    full: String,
    agent_len: usize,
}

/// Session keys the store refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("sessionKey must not be empty")]
    Empty,
    #[error("sessionKey {0:?} is too long (at most 512 characters)")]
    TooLong(String),
    #[error("sessionKey {0:?} contains control characters")]
    Control(String),
}

impl SessionKey {
    /// Canonicalizes `raw` for `agent` (used when `raw` is not already scoped).
    pub fn resolve(raw: &str, agent: &str) -> Result<Self, KeyError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(KeyError::Empty);
        }
        if raw.chars().count() > 512 {
            return Err(KeyError::TooLong(raw.chars().take(40).collect()));
        }
        if raw.chars().any(char::is_control) {
            return Err(KeyError::Control(raw.to_owned()));
        }
        let (agent, rest) = match raw.strip_prefix("agent:").and_then(|r| r.split_once(':')) {
            Some((a, rest)) if !a.is_empty() && !rest.is_empty() => (normalize_agent_id(a), rest),
            _ => (normalize_agent_id(agent), raw),
        };
        Ok(Self {
            agent_len: agent.len(),
            full: format!("agent:{agent}:{rest}"),
        })
    }

    /// The agent the session belongs to.
    pub fn agent_id(&self) -> &str {
        &self.full[6..6 + self.agent_len]
    }

    /// The part after `agent:<id>:`.
    pub fn rest(&self) -> &str {
        &self.full[6 + self.agent_len + 1..]
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_keys_are_scoped_to_the_agent() {
        let k = SessionKey::resolve("main", "main").unwrap();
        assert_eq!(k.as_str(), "agent:main:main");
        assert_eq!((k.agent_id(), k.rest()), ("main", "main"));
        let k = SessionKey::resolve("agent:Ops:discord:42", "main").unwrap();
        assert_eq!(k.as_str(), "agent:ops:discord:42");
        assert_eq!(k.rest(), "discord:42");
        assert_eq!(SessionKey::resolve(" ", "main"), Err(KeyError::Empty));
    }
}
