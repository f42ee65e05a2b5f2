//! Closed objects, as the original's schemas are: every key is either one we
//! implement, one the original knows that we do not implement yet (accepted,
//! removed before typing, and named in one warning), or an error.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::issues::{ConfigIssue, did_you_mean};

/// The keys of one object of the original's schema.
pub(crate) struct Shape {
    /// Keys this gateway reads.
    pub(crate) implemented: &'static [&'static str],
    /// Keys the original accepts that this gateway ignores for now.
    pub(crate) unimplemented: &'static [&'static str],
}

/// Collects issues and ignored keys while a section is read.
#[derive(Default)]
pub(crate) struct Checker {
    pub(crate) issues: Vec<ConfigIssue>,
    pub(crate) ignored: Vec<String>,
    pub(crate) warnings: Vec<String>,
}

impl Checker {
    pub(crate) fn issue(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(ConfigIssue::new(path, message));
    }

    /// Checks `value` (an object at `path`) against `shape`: unknown keys become
    /// issues, known-unimplemented ones are removed and remembered. Returns the
    /// object for further descent, or `None` (with an issue) if it is not one.
    pub(crate) fn closed<'v>(
        &mut self,
        value: &'v mut Value,
        path: &str,
        shape: &Shape,
    ) -> Option<&'v mut Map<String, Value>> {
        let Value::Object(map) = value else {
            self.issue(path, format!("expected an object, got {}", kind(value)));
            return None;
        };
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            if shape.implemented.contains(&key.as_str()) {
                continue;
            }
            if shape.unimplemented.contains(&key.as_str()) {
                map.remove(&key);
                self.ignored.push(format!("{path}.{key}"));
                continue;
            }
            let all = shape.implemented.iter().chain(shape.unimplemented).copied();
            let hint = did_you_mean(&key, all)
                .map(|k| format!("; did you mean \"{k}\"?"))
                .unwrap_or_default();
            self.issue(
                path,
                format!("unknown key \"{key}\" (OpenClaw's config has no such key{hint})"),
            );
            map.remove(&key);
        }
        Some(map)
    }

    /// Deserializes the (pruned) `value` at `path` into `T`, turning a type
    /// error into an issue at the exact nested path.
    pub(crate) fn typed<T: DeserializeOwned>(&mut self, value: Value, path: &str) -> Option<T> {
        match serde_path_to_error::deserialize(value) {
            Ok(v) => Some(v),
            Err(e) => {
                let inner = e.path().to_string();
                let at = if inner == "." || inner.is_empty() {
                    path.to_owned()
                } else if inner.starts_with('[') {
                    format!("{path}{inner}")
                } else {
                    format!("{path}.{inner}")
                };
                self.issue(at, e.into_inner().to_string());
                None
            }
        }
    }
}

/// A JSON value's kind, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
