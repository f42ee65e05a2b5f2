//! Unknown-field detection against the CRD's own schema, as the API server
//! does with strict field validation: a typo such as `fly.regoin` must be an
//! error, not a silently ignored key.

use std::sync::OnceLock;

use kube::CustomResourceExt;
use serde_json::Value;

use crate::crd::OpenClaw;

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let crd = serde_json::to_value(OpenClaw::crd()).expect("CRD serialises");
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
    })
}

/// Paths (e.g. `spec.fly.regoin`) of keys of `doc` that the schema does not
/// define. `apiVersion`, `kind`, `metadata` and `status` are not checked.
pub fn unknown_fields(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(spec) = doc.get("spec") {
        walk(spec, &schema()["properties"]["spec"], "spec", &mut out);
    }
    out
}

fn walk(value: &Value, schema: &Value, path: &str, out: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true)) {
        return;
    }
    match value {
        Value::Object(map) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (k, v) in map {
                let child = format!("{path}.{k}");
                match props.get(k) {
                    Some(s) => walk(v, s, &child, out),
                    None => out.push(child),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    walk(v, item_schema, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typos_are_found_config_is_free_form() {
        let doc = json!({"spec": {
            "fly": {"regoin": "iad", "vm": {"memoryMb": 256}},
            "secrets": [{"name": "A", "env": "B", "nmae": "x"}],
            "config": {"anything": {"goes": true}}
        }});
        assert_eq!(
            unknown_fields(&doc),
            ["spec.fly.regoin", "spec.secrets[0].nmae"]
        );
    }
}
