//! `config.schema` and `config.schema.lookup`: the config this gateway's validator
//! accepts. Every top-level section of the original is known (so the validator
//! refuses any other key); `gateway`, `agents`, `auth`, `models` and `channels`
//! are objects and `bindings` an array, each checked key by key by the validator;
//! the sections this gateway keeps verbatim accept any value.

use serde_json::{Map, Value, json};

use crate::config::sections::untyped::UNTYPED_SECTIONS;
use crate::version::COMPAT_VERSION;

/// Typed sections and their JSON type.
const TYPED: &[(&str, &str)] = &[
    ("gateway", "object"),
    ("agents", "object"),
    ("auth", "object"),
    ("bindings", "array"),
    ("models", "object"),
    ("channels", "object"),
];

fn title(key: &str) -> String {
    let mut c = key.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn section_schema(key: &str) -> Option<Value> {
    if let Some((_, ty)) = TYPED.iter().find(|(k, _)| *k == key) {
        return Some(json!({"type": ty, "title": title(key)}));
    }
    if key == "$schema" {
        return Some(json!({"type": "string", "title": "$schema"}));
    }
    UNTYPED_SECTIONS
        .contains(&key)
        .then(|| json!({"title": title(key)}))
}

/// The `config.schema` payload.
pub fn schema(generated_at: &str) -> Value {
    let mut props = Map::new();
    let mut hints = Map::new();
    let keys = std::iter::once("$schema")
        .chain(TYPED.iter().map(|(k, _)| *k))
        .chain(UNTYPED_SECTIONS.iter().copied());
    for key in keys {
        if let Some(s) = section_schema(key) {
            props.insert(key.to_owned(), s);
            hints.insert(key.to_owned(), json!({"label": title(key)}));
        }
    }
    json!({
        "schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                   "properties": props, "additionalProperties": false},
        "uiHints": hints, "version": COMPAT_VERSION, "generatedAt": generated_at,
    })
}

/// The `config.schema.lookup` payload for a top-level `path`; deeper paths are
/// checked by the validator but not described, so they are "not found".
pub fn lookup(path: &str) -> Option<Value> {
    let key = path.trim();
    let schema = section_schema(key)?;
    Some(
        json!({"path": key, "schema": schema, "reloadKind": "restart",
                "hint": {"label": title(key)}, "hintPath": key, "children": []}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_sections_are_described() {
        let s = schema("2026-12-03T00:00:00Z");
        assert_eq!(s["schema"]["properties"]["bindings"]["type"], "array");
        assert_eq!(s["schema"]["additionalProperties"], false);
        assert!(s["schema"]["properties"]["cron"].is_object());
        assert_eq!(lookup("gateway").unwrap()["schema"]["type"], "object");
        assert!(lookup("gateway.port").is_none());
        assert!(lookup("bogus").is_none());
    }
}
