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

/// Parses one file. `Err` is a problem with the file as a whole (syntax,
/// a document that is not a resource, a missing name): the caller keeps what
/// the file declared before. Documents of other kinds are skipped, so a
/// GitOps directory may hold other manifests too.
pub fn parse_file(path: &Path, text: &str) -> Result<Vec<Declared>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, yaml_options())
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let n = i + 1;
        let Some(map) = doc.as_object() else {
            return Err(format!("document {n} is not a mapping"));
        };
        if map.get("kind").and_then(Value::as_str) != Some("OpenClaw") {
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
        out.push(Declared {
            object: to_resource(&doc),
            key,
            origin: path.to_path_buf(),
        });
    }
    Ok(out)
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
        let out = parse_file(Path::new("x.yaml"), TWO).unwrap();
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
