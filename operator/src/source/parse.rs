//! Reading `OpenClaw` resources out of a YAML (or JSON) file of one or more
//! `---` documents.

use std::path::Path;

use serde_json::Value;

use crate::crd::OpenClaw;
use crate::resource::ResourceKey;
use crate::validate::{FieldError, SpecErrors};

use super::Declared;
use super::unknown_fields::unknown_fields;

const API_VERSION: &str = "openclaw.ai/v1alpha1";

/// YAML 1.2 core booleans only: `env: Y` or `country: NO` stay strings, as a
/// person means them (YAML 1.1 would read them as booleans).
fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options
}

/// What one file declares, and the documents it holds that are not
/// `OpenClaw` resources (each said, never silently ignored).
#[derive(Debug, Default)]
pub struct Parsed {
    /// The `OpenClaw` resources.
    pub declared: Vec<Declared>,
    /// One line per skipped document: which one and why.
    pub skipped: Vec<String>,
}

/// Parses one file. `Err` is a problem with the file as a whole (syntax,
/// a document that is not a resource, a missing name): the caller keeps what
/// the file declared before. Documents of other kinds are skipped, so a
/// GitOps directory may hold other manifests too, and each is named in
/// [`Parsed::skipped`] with the reason (and a did-you-mean for a misspelt kind).
pub fn parse_file(path: &Path, text: &str) -> Result<Parsed, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, yaml_options())
        .map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    for (i, doc) in docs.into_iter().enumerate() {
        let n = i + 1;
        if doc.is_null() {
            continue; // an empty document (`---` at the end): nothing to skip
        }
        let Some(map) = doc.as_object() else {
            return Err(format!("document {n} is not a mapping"));
        };
        if let Some(why) = skip_reason(map) {
            let name = map
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .map(|name| format!(" ({name})"))
                .unwrap_or_default();
            out.skipped
                .push(format!("document {n}{name} skipped: {why}"));
            continue;
        }
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if api_version != API_VERSION {
            return Err(format!(
                "document {n}: apiVersion {api_version:?} is not served; use {API_VERSION}"
            ));
        }
        let meta = map.get("metadata");
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("document {n}: metadata.name is missing"))?;
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or("default");
        let key = ResourceKey::new(namespace, name);
        out.declared.push(Declared {
            object: to_resource(&doc),
            key,
            origin: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// Why a document is not an `OpenClaw` resource, or `None` when it is one.
fn skip_reason(map: &serde_json::Map<String, Value>) -> Option<String> {
    let kind = map.get("kind").and_then(Value::as_str);
    let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    match kind {
        Some("OpenClaw") => None,
        None => Some(format!(
            "it has no kind; an OpenClaw resource starts with apiVersion: {API_VERSION} and kind: OpenClaw"
        )),
        Some(kind) if looks_like_openclaw(kind) => Some(format!(
            "kind {kind} is not a kind the operator serves; did you mean kind: OpenClaw?"
        )),
        Some(kind) if api_version.starts_with("openclaw.ai/") => Some(format!(
            "{api_version} has no kind {kind}; the operator serves kind: OpenClaw"
        )),
        Some(kind) => {
            let version = if api_version.is_empty() {
                String::new()
            } else {
                format!(" ({api_version})")
            };
            Some(format!(
                "kind {kind}{version} is not an OpenClaw resource; only {API_VERSION} OpenClaw documents are applied"
            ))
        }
    }
}

/// `Openclaw`, `openclaw`, `OpenClaws`, `OpenClow`: a misspelt `OpenClaw`.
fn looks_like_openclaw(kind: &str) -> bool {
    let lower = kind.to_ascii_lowercase();
    lower.trim_end_matches('s') == "openclaw" || edit_distance(&lower, "openclaw") <= 2
}

/// Levenshtein distance (short strings only).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn to_resource(doc: &Value) -> Result<OpenClaw, SpecErrors> {
    let mut errors: Vec<FieldError> = unknown_fields(doc)
        .into_iter()
        .map(|path| {
            FieldError::invalid(
                path,
                "is not a field of OpenClaw v1alpha1",
                "remove it or fix its spelling (see `openclaw-operator crd`)",
            )
        })
        .collect();
    match serde_path_to_error::deserialize::<_, OpenClaw>(doc) {
        Ok(obj) if errors.is_empty() => return Ok(obj),
        Ok(_) => {}
        Err(e) => errors.push(FieldError::invalid(
            e.path().to_string(),
            e.inner().to_string(),
            "fix the value's type or spelling (see `openclaw-operator crd`)",
        )),
    }
    Err(SpecErrors(errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
apiVersion: openclaw.ai/v1alpha1
kind: OpenClaw
metadata: { name: a }
spec:
  secrets: [ { name: X, env: Y } ]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ignored }
---
apiVersion: openclaw.ai/v1alpha1
kind: OpenClaw
metadata: { name: b, namespace: team }
spec:
  gateway: { port: "abc" }
  fly: { regoin: iad }
"#;

    #[test]
    fn documents_resources_and_field_errors() {
        let parsed = parse_file(Path::new("x.yaml"), TWO).unwrap();
        assert_eq!(
            parsed.skipped,
            vec![
                "document 2 (ignored) skipped: kind ConfigMap (v1) is not an OpenClaw resource; \
                 only openclaw.ai/v1alpha1 OpenClaw documents are applied"
            ]
        );
        let out = parsed.declared;
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].key.to_string(), "default/a");
        let a = out[0].object.as_ref().unwrap();
        assert_eq!(
            a.spec.secrets[0].source,
            crate::crd::SecretSource::Env("Y".into()),
            "Y stays a string under YAML 1.2 core rules"
        );
        assert_eq!(out[1].key.to_string(), "team/b");
        let err = out[1].object.as_ref().unwrap_err().to_string();
        assert!(err.contains("spec.fly.regoin: is not a field"), "{err}");
        assert!(err.contains("spec.gateway.port"), "{err}");
    }

    #[test]
    fn misspelt_kinds_get_a_did_you_mean() {
        for kind in ["Openclaw", "openclaw", "OpenClaws", "OpenClow"] {
            let text =
                format!("apiVersion: openclaw.ai/v1alpha1\nkind: {kind}\nmetadata: {{name: a}}\n");
            let parsed = parse_file(Path::new("x.yaml"), &text).unwrap();
            assert!(parsed.declared.is_empty());
            assert!(
                parsed.skipped[0].contains(&format!(
                    "kind {kind} is not a kind the operator serves; did you mean kind: OpenClaw?"
                )),
                "{:?}",
                parsed.skipped
            );
        }
        let parsed = parse_file(
            Path::new("x.yaml"),
            "apiVersion: openclaw.ai/v1alpha1\nkind: Gateway\n",
        )
        .unwrap();
        assert!(
            parsed.skipped[0].contains("has no kind Gateway"),
            "{:?}",
            parsed.skipped
        );
        let parsed = parse_file(Path::new("x.yaml"), "metadata: {name: x}\n---\n").unwrap();
        assert!(
            parsed.skipped[0].starts_with("document 1 (x) skipped: it has no kind"),
            "{:?}",
            parsed.skipped
        );
        assert_eq!(
            parsed.skipped.len(),
            1,
            "an empty trailing document is nothing"
        );
    }

    #[test]
    fn broken_files_are_file_errors() {
        let err = parse_file(Path::new("x.yaml"), "kind: OpenClaw\n  bad: [").unwrap_err();
        assert!(!err.is_empty());
        let err = parse_file(
            Path::new("x.yaml"),
            "apiVersion: openclaw.ai/v1\nkind: OpenClaw\nmetadata: {name: a}\n",
        )
        .unwrap_err();
        assert!(err.contains("use openclaw.ai/v1alpha1"), "{err}");
        let err = parse_file(
            Path::new("x.yaml"),
            "apiVersion: openclaw.ai/v1alpha1\nkind: OpenClaw\nspec: {}\n",
        )
        .unwrap_err();
        assert!(err.contains("metadata.name is missing"), "{err}");
    }
}
