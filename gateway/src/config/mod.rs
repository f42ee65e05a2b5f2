//! `openclaw.json`: locating, parsing (JSON5), `${VAR}` substitution and validation.
//!
//! The pipeline matches the original: parse JSON5 → resolve `$include`s → substitute
//! `${VAR}` in string values → validate against closed schemas. Every error names the
//! file (the included one when the key comes from there), the line and the key path;
//! files are only ever read.
//!
//! The operator validates resources with [`validate_str`], which runs the same schema
//! checks without requiring the `${VAR}`s to be set where the operator runs.

mod document;
mod env_subst;
mod error;
pub mod include;
pub mod methods;
pub mod paths;
pub mod secret_input;
pub mod sections;
pub mod snapshot;
mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use document::{KeyPath, Segment};
pub use error::{ConfigError, ConfigErrorKind};
pub use paths::Paths;
pub use sections::gateway::{
    AuthMode, BindMode, ControlUiConfig, GatewayAuthConfig, GatewayConfig, GatewayMode,
};
use sections::untyped::UNTYPED_SECTIONS;
use source::Source;

use crate::env::Environment;

/// A validated `openclaw.json`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The `gateway` section (defaults when absent).
    pub gateway: GatewayConfig,
    /// The `agents`, `auth`, `bindings` and `models` sections, typed and checked
    /// together (model references name providers, bindings name agents).
    pub agents: crate::agents::config::Parsed,
    /// The `channels` section (Discord, Telegram), typed and checked.
    pub channels: crate::channels::config::Parsed,
    /// Sections the original knows that this gateway keeps verbatim (after `${VAR}`
    /// substitution), keyed by their top-level name: `agents`, `auth`, `bindings`, `channels`, …
    pub untyped: BTreeMap<&'static str, Value>,
}

impl Config {
    /// Keys present in the file that this gateway accepts but does not act on, for the
    /// single start-up warning.
    pub fn unimplemented_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.untyped.keys().map(|k| (*k).to_owned()).collect();
        keys.extend(self.gateway.unimplemented_keys());
        keys.extend(self.agents.ignored.iter().cloned());
        keys.extend(self.channels.ignored.iter().cloned());
        keys
    }

    /// Validates a parsed document. `source` holds the files the value came from, used
    /// only to report line numbers.
    fn from_value(value: Value, source: &Source) -> Result<Self, ConfigError> {
        let Value::Object(root) = value else {
            return Err(invalid(
                source,
                &KeyPath::default(),
                format!("must be an object, found {}", describe(&value)),
            ));
        };
        let mut config = Config::default();
        let mut agent_sections: BTreeMap<&str, Value> = BTreeMap::new();
        for (key, value) in root {
            let path = KeyPath::key(&key);
            match key.as_str() {
                "$schema" if value.is_string() => {}
                "$schema" => return Err(invalid(source, &path, "must be a string".into())),
                "gateway" => config.gateway = section(value, &path, source)?,
                "agents" | "auth" | "bindings" | "models" => {
                    let name = ["agents", "auth", "bindings", "models"]
                        .into_iter()
                        .find(|n| *n == key)
                        .expect("matched above");
                    agent_sections.insert(name, value);
                }
                "channels" => {
                    config.channels = crate::channels::config::parse(Some(&value))
                        .map_err(|errors| section_errors(source, errors))?;
                }
                other => match UNTYPED_SECTIONS.iter().find(|name| **name == other) {
                    Some(name) => {
                        config.untyped.insert(name, value);
                    }
                    None => return Err(invalid(source, &path, unknown_top_level_key(other))),
                },
            }
        }
        config.agents = crate::agents::config::parse(crate::agents::config::Sections {
            agents: agent_sections.get("agents"),
            auth: agent_sections.get("auth"),
            bindings: agent_sections.get("bindings"),
            models: agent_sections.get("models"),
        })
        .map_err(|errors| section_errors(source, errors))?;
        Ok(config)
    }
}

/// One error for every problem of a typed section: the first locates it, the
/// message lists them all.
fn section_errors(source: &Source, errors: crate::agents::config::ConfigErrors) -> ConfigError {
    let first = &errors.0[0];
    let mut message = first.message.clone();
    for other in &errors.0[1..] {
        message.push_str(&format!("\n{other}"));
    }
    invalid(source, &KeyPath::parse_dotted(&first.path), message)
}

/// Validates config text the way the gateway would, without substituting `${VAR}`s
/// (they stay literal, so a reference to a secret the caller does not have still
/// validates). Errors name `<inline>` as the file. Inline text has no directory, so
/// an `$include` in it is an error.
pub fn validate_str(text: &str) -> Result<Config, ConfigError> {
    const FILE: &str = "<inline>";
    let value = document::parse(text, FILE)?;
    let source = Source::root(FILE, text);
    include::refuse_inline(&value, &source)?;
    Config::from_value(value, &source)
}

/// Parses and validates config text read from `file`, substituting `${VAR}` from `env`.
/// `$include` paths resolve from `file`'s directory and may not leave it.
pub fn parse_str(text: &str, file: &str, env: &Environment) -> Result<Config, ConfigError> {
    parse_file(text, Path::new(file), &[], env)
}

/// Reads and validates the config at `path` (absolute), whose `$include`s may also
/// read from `include_roots`; `Ok(None)` when there is no such file.
pub fn load(
    path: &Path,
    include_roots: &[PathBuf],
    env: &Environment,
) -> Result<Option<Config>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_file(&text, path, include_roots, env).map(Some),
        Err(_) if !path.exists() => Ok(None),
        Err(e) => Err(ConfigError::new(
            &path.display().to_string(),
            ConfigErrorKind::Read(e),
        )),
    }
}

/// The whole pipeline for `text`, read from `path`.
fn parse_file(
    text: &str,
    path: &Path,
    include_roots: &[PathBuf],
    env: &Environment,
) -> Result<Config, ConfigError> {
    snapshot::validate_text(text, path, include_roots, env)
}

fn section<T: DeserializeOwned>(
    value: Value,
    path: &KeyPath,
    source: &Source,
) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let full = path.join_serde(e.path());
        invalid(source, &full, e.into_inner().to_string())
    })
}

/// A schema error at `path`, pointed at the file and line that wrote it.
fn invalid(source: &Source, path: &KeyPath, message: String) -> ConfigError {
    let (file, position) = source
        .locate(path)
        .map_or((source.file.as_str(), None), |(file, at)| (file, Some(at)));
    ConfigError::new(file, ConfigErrorKind::Invalid(message))
        .key(path.to_string())
        .at(position)
}

fn unknown_top_level_key(key: &str) -> String {
    let known = UNTYPED_SECTIONS.iter().copied().chain([
        "gateway", "$schema", "agents", "auth", "bindings", "models", "channels",
    ]);
    match known
        .min_by_key(|k| edit_distance(k, key))
        .filter(|k| edit_distance(k, key) <= 2)
    {
        Some(suggestion) => format!("unknown key \"{key}\" (did you mean \"{suggestion}\"?)"),
        None => format!("unknown key \"{key}\": not an OpenClaw config section; remove it"),
    }
}

/// Levenshtein distance, for "did you mean" hints on short key names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = current;
        }
    }
    row[b.len()]
}

/// "a string", "an array", … for messages about a value of the wrong type.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
