//! Validates every request and response the test suite exchanges with
//! fly-local against the Machines OpenAPI spec (`fly-local/spec/`), so a shape
//! that drifts from the real API fails the test that produced it.
//!
//! Where fly-machines-api.md documents observed behaviour that the spec does
//! not describe, the doc wins; each such case is listed in `deviations`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

pub struct Spec {
    ops: Vec<Operation>,
    components: Value,
}

struct Operation {
    method: String,
    template: String,
    segments: Vec<String>,
    request: Option<Value>,
    responses: BTreeMap<String, Option<Value>>,
}

pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/fly-machines-openapi.yml");
        let text = std::fs::read_to_string(path).expect("read the OpenAPI spec");
        let mut doc: Value = serde_saphyr::from_str(&text).expect("parse the OpenAPI spec");
        fix_yaml_11_booleans(&mut doc);
        Spec::from_doc(doc)
    })
}

/// The spec is YAML; `no` and `off` in two enums are read as booleans by a
/// YAML 1.1-style reader. Restore the strings the API uses.
fn fix_yaml_11_booleans(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    schemas["fly.MachineRestart"]["properties"]["policy"]["enum"] =
        json!(["no", "always", "on-failure", "spot-price"]);
    schemas["fly.MachineService"]["properties"]["autostop"]["enum"] =
        json!(["off", "stop", "suspend"]);
}

impl Spec {
    fn from_doc(doc: Value) -> Self {
        let mut ops = Vec::new();
        for (template, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let request = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .cloned();
                let responses = op["responses"]
                    .as_object()
                    .map(|r| {
                        r.iter()
                            .map(|(code, resp)| {
                                (
                                    code.clone(),
                                    resp.pointer("/content/application~1json/schema").cloned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ops.push(Operation {
                    method: method.to_uppercase(),
                    template: template.clone(),
                    segments: template
                        .trim_matches('/')
                        .split('/')
                        .map(str::to_owned)
                        .collect(),
                    request,
                    responses,
                });
            }
        }
        Self {
            ops,
            components: doc["components"].clone(),
        }
    }

    /// The spec operation for a request path (without the `/v1` prefix).
    fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.ops
            .iter()
            .filter(|op| op.method == method && op.segments.len() == segs.len())
            .filter(|op| {
                op.segments
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .max_by_key(|op| op.segments.iter().filter(|t| !t.starts_with('{')).count())
    }

    /// Checks one exchange; `check_request` is false for tests that send
    /// invalid input on purpose (the response is still checked).
    pub fn check(
        &self,
        method: &str,
        path: &str,
        request: Option<&Value>,
        check_request: bool,
        status: u16,
        response: Option<&Value>,
    ) -> Result<(), String> {
        let path = path.split('?').next().unwrap_or(path);
        let Some(api_path) = path.strip_prefix("/v1") else {
            return Ok(());
        };
        let op = self
            .operation(method, api_path)
            .ok_or_else(|| format!("{method} {path}: not an operation of the spec"))?;
        let label = format!("{method} {}", op.template);
        if check_request && let (Some(schema), Some(body)) = (&op.request, request) {
            self.validate(schema, body)
                .map_err(|e| format!("{label}: request body: {e}\n{body:#}"))?;
        }
        let Some(body) = response else { return Ok(()) };
        let mut body = strip_nulls(body.clone());
        let schema = if status >= 400 {
            Some(json!({"$ref": "#/components/schemas/ErrorResponse"}))
        } else {
            match op.responses.get(&status.to_string()) {
                Some(s) => s.clone(),
                None => {
                    return Err(format!(
                        "{label}: status {status} is not a success status of this operation"
                    ));
                }
            }
        };
        let Some(schema) = schema else { return Ok(()) };
        deviations(&op.template, method, status, &mut body);
        self.validate(&schema, &body)
            .map_err(|e| format!("{label} → {status}: response body: {e}\n{body:#}"))
    }

    fn validate(&self, schema: &Value, body: &Value) -> Result<(), String> {
        let mut root = schema.clone();
        root.as_object_mut()
            .expect("schemas are objects")
            .insert("components".into(), self.components.clone());
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&root)
            .map_err(|e| format!("invalid schema: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// The real API is written in Go: absent optional pointers are `null`,
/// which the generated spec does not mark nullable.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// Observed behaviour documented in fly-machines-api.md that the spec lacks.
fn deviations(template: &str, method: &str, status: u16, body: &mut Value) {
    // §7: lease responses come in an envelope {"status":"success","data":{…}}.
    if template.ends_with("/lease") && body.get("data").is_some() {
        assert_eq!(body["status"], "success", "lease envelope status");
        *body = body["data"].clone();
        if method == "DELETE" {
            assert_eq!(*body, json!({"ok": true}));
            *body = json!({});
        }
    }
    // §5: responses encode autostop off/stop as booleans.
    fn autostop_to_string(machine: &mut Value) {
        for cfg in ["config", "incomplete_config"] {
            if let Some(services) = machine
                .get_mut(cfg)
                .and_then(|c| c.get_mut("services"))
                .and_then(Value::as_array_mut)
            {
                for s in services {
                    if let Some(Value::Bool(b)) = s.get("autostop") {
                        s["autostop"] = json!(if *b { "stop" } else { "off" });
                    }
                }
            }
        }
    }
    if template.contains("/machines") && status < 400 {
        match &mut *body {
            Value::Array(items) => items.iter_mut().for_each(autostop_to_string),
            other => autostop_to_string(other),
        }
    }
    // §11: the older error body form {"status":"error","message":"…"}.
    if status >= 400 && body.get("status") == Some(&json!("error")) && body.get("message").is_some()
    {
        *body = json!({"error": body["message"]});
    }
    // §11: app create's 422 carries status "name_taken", absent from the enum.
    if body.get("status") == Some(&json!("name_taken")) {
        body.as_object_mut().expect("object").remove("status");
    }
}
