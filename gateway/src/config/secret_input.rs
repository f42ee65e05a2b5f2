//! Secret-valued config fields: a plain string or a SecretRef `{source, provider, id}`.

use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::Value;

use crate::env::Environment;
use crate::secret::Secret;

/// A config value holding a secret, as the original's `SecretInput`.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretInput {
    /// An inline value (after `${VAR}` substitution). Prefer env over inline secrets.
    Plain(Secret),
    Ref(SecretRef),
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Plain(_) => f.write_str("Plain(***)"),
            Self::Ref(r) => write!(f, "Ref({}:{}:{})", r.source, r.provider, r.id),
        }
    }
}

/// Where a referenced secret lives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub source: String,
    pub provider: String,
    pub id: String,
}

/// A SecretRef that cannot be resolved; the message is meant for the key path it belongs to.
#[derive(Debug, thiserror::Error)]
pub enum SecretRefError {
    #[error(
        "SecretRef env var \"{0}\" is not set (set it, or put the value in ./.env or $OPENCLAW_STATE_DIR/.env)"
    )]
    EnvUnset(String),
    #[error(
        "SecretRef source \"{0}\" is not supported by this gateway yet; use {{source: \"env\", provider: \"default\", id: \"VAR\"}} or \"${{VAR}}\""
    )]
    UnsupportedSource(String),
}

impl SecretInput {
    /// The secret's value, `None` when an inline value is empty.
    pub fn resolve(&self, env: &Environment) -> Result<Option<Secret>, SecretRefError> {
        match self {
            Self::Plain(s) => Ok(Some(s.clone())),
            Self::Ref(r) if r.source == "env" => env
                .get(&r.id)
                .and_then(Secret::new)
                .map(Some)
                .ok_or_else(|| SecretRefError::EnvUnset(r.id.clone())),
            Self::Ref(r) => Err(SecretRefError::UnsupportedSource(r.source.clone())),
        }
    }
}

/// Deserialises `Option<SecretInput>` treating `""` as unset, as the original does.
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretInput>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Secret::new(s).map(SecretInput::Plain)),
        v @ Value::Object(_) => {
            let r: SecretRef = serde_json::from_value(v).map_err(D::Error::custom)?;
            if !matches!(r.source.as_str(), "env" | "file" | "exec" | "store") {
                return Err(D::Error::custom(format!(
                    "unknown SecretRef source \"{}\", expected one of env, file, exec, store",
                    r.source
                )));
            }
            Ok(Some(SecretInput::Ref(r)))
        }
        other => Err(D::Error::custom(format!(
            "expected a string or a SecretRef {{source, provider, id}}, found {}",
            super::describe(&other)
        ))),
    }
}
