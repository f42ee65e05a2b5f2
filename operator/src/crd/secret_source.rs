//! Where a secret value comes from.
//!
//! A secret is never written into the resource itself: the resource names a
//! *source*, and the operator reads the value at reconcile time. Which sources
//! make sense depends on the front end: a cluster has Kubernetes Secrets
//! (`secretKeyRef`), a GitOps directory has the operator's environment (`env`)
//! and files on disk (`file`). Exactly one source per secret is enforced by the
//! type: [`SecretSource`] is an externally tagged enum, so a resource naming two
//! sources (or none) fails to parse instead of being silently resolved one way.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Exactly one place a secret value is read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SecretSource {
    /// A key of a Kubernetes Secret in the resource's namespace (cluster source).
    SecretKeyRef(SecretKeySelector),
    /// An environment variable of the operator process (directory source).
    Env(String),
    /// A file readable by the operator process (directory source); a relative
    /// path is relative to the file that declares the resource. One trailing
    /// newline is stripped, as `echo secret > file` adds one.
    File(String),
    /// A random value the operator generates once and keeps: in the
    /// operator's state directory (directory source) or in a Secret it owns
    /// (cluster source). The way to run without preparing a token first.
    Generate(GenerateSpec),
}

/// How to generate a secret (no options yet; a mapping so options can come).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateSpec {}

/// A key of a Kubernetes Secret, in the namespace of the `OpenClaw` resource.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeySelector {
    /// Name of the Secret.
    pub name: String,
    /// Key inside the Secret's `data`.
    pub key: String,
}

/// One secret handed to the gateway as an environment variable (a Fly app
/// secret, or a key of a Kubernetes Secret), never as config.
///
/// Written flat, `{name: X, env: Y}`: the source key sits beside `name`.
/// Parsing goes through [`SecretEnvFields`] so that an entry naming two
/// sources, none, or an unknown key is an error rather than a silent pick.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SecretEnvFields", into = "SecretEnvFields")]
pub struct SecretEnv {
    /// Environment variable the gateway sees, e.g. `ANTHROPIC_API_KEY`.
    pub name: String,
    /// Where the value comes from.
    pub source: SecretSource,
}

/// The wire form of [`SecretEnv`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretEnvFields {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_key_ref: Option<SecretKeySelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generate: Option<GenerateSpec>,
}

impl TryFrom<SecretEnvFields> for SecretEnv {
    type Error = String;

    fn try_from(f: SecretEnvFields) -> Result<Self, Self::Error> {
        let mut sources = Vec::with_capacity(1);
        sources.extend(f.secret_key_ref.map(SecretSource::SecretKeyRef));
        sources.extend(f.env.map(SecretSource::Env));
        sources.extend(f.file.map(SecretSource::File));
        sources.extend(f.generate.map(SecretSource::Generate));
        let source = match sources.len() {
            1 => sources.remove(0),
            0 => {
                return Err(format!(
                    "secret {} has no source; give one of secretKeyRef, env, file, generate",
                    f.name
                ));
            }
            _ => {
                return Err(format!(
                    "secret {} names several sources; give exactly one of secretKeyRef, env, file, generate",
                    f.name
                ));
            }
        };
        Ok(SecretEnv {
            name: f.name,
            source,
        })
    }
}

impl From<SecretEnv> for SecretEnvFields {
    fn from(s: SecretEnv) -> Self {
        let mut f = SecretEnvFields {
            name: s.name,
            ..Default::default()
        };
        match s.source {
            SecretSource::SecretKeyRef(r) => f.secret_key_ref = Some(r),
            SecretSource::Env(e) => f.env = Some(e),
            SecretSource::File(p) => f.file = Some(p),
            SecretSource::Generate(g) => f.generate = Some(g),
        }
        f
    }
}

impl JsonSchema for SecretEnv {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretEnv".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let source = generator.subschema_for::<SecretSource>();
        let mut schema = schemars::json_schema!({
            "description": "One secret handed to the gateway as an environment variable, never as config: `name` plus exactly one source key.",
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {
                    "description": "Environment variable the gateway sees, e.g. `ANTHROPIC_API_KEY`.",
                    "type": "string"
                }
            }
        });
        // Hoist the source's one-of (`secretKeyRef` | `env` | `file`) beside `name`.
        let source = source.as_object().cloned().unwrap_or_default();
        let obj = schema.as_object_mut().expect("object schema");
        if let Some(serde_json::Value::Array(variants)) = source.get("oneOf") {
            let props = obj
                .get_mut("properties")
                .and_then(serde_json::Value::as_object_mut)
                .expect("properties");
            let mut one_of = Vec::new();
            for v in variants {
                if let Some(p) = v.get("properties").and_then(serde_json::Value::as_object) {
                    for (k, s) in p {
                        let mut s = s.clone();
                        if let (Some(d), Some(o)) = (v.get("description"), s.as_object_mut()) {
                            o.entry("description").or_insert_with(|| d.clone());
                        }
                        props.insert(k.clone(), s);
                        one_of.push(serde_json::json!({"required": [k]}));
                    }
                }
            }
            obj.insert("oneOf".into(), serde_json::Value::Array(one_of));
        }
        schema
    }
}

impl std::fmt::Display for SecretSource {
    /// A human description that never contains the value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::SecretKeyRef(s) => write!(f, "Secret {}/{}", s.name, s.key),
            SecretSource::Env(name) => write!(f, "environment variable {name}"),
            SecretSource::File(path) => write!(f, "file {path}"),
            SecretSource::Generate(_) => f.write_str("a generated value"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_source() {
        let ok: SecretEnv =
            serde_json::from_value(serde_json::json!({"name": "A", "env": "B"})).unwrap();
        assert_eq!(ok.source, SecretSource::Env("B".into()));
        for bad in [
            serde_json::json!({"name": "A"}),
            serde_json::json!({"name": "A", "env": "B", "file": "/f"}),
            serde_json::json!({"name": "A", "env": "B", "typo": 1}),
        ] {
            assert!(
                serde_json::from_value::<SecretEnv>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let back = serde_json::to_value(&ok).unwrap();
        assert_eq!(back, serde_json::json!({"name": "A", "env": "B"}));
    }
}
