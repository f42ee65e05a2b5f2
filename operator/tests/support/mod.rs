//! Shared helpers of the Kubernetes tests: the Python tools `.ci/tools.sh`
//! installs (schema validation, the Helm engine) and fixed secret values.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use openclaw_operator::crd::SecretSource;
use openclaw_operator::secrets::{ResolveContext, ResolveError, SecretResolver, SecretValue};
use serde_json::{Value, json};

/// The Python of `.ci/tools.sh` (with kubernetes-validate and helm-python-sdk).
pub fn python() -> PathBuf {
    match std::env::var_os("OPENCLAW_PYTHON") {
        Some(p) if PathBuf::from(&p).exists() => PathBuf::from(p),
        _ => panic!(
            "OPENCLAW_PYTHON is not set: this test needs the Python tools of .ci/requirements.txt \
             (kubernetes-validate, helm-python-sdk); run `source .ci/tools.sh` first (or use .ci/test)"
        ),
    }
}

/// Runs a Python script of `tests/support` with `input` on stdin; returns stdout as JSON.
pub fn run_python(script: &str, input: &Value) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(script);
    let mut child = Command::new(python())
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Validates `documents` against the Kubernetes schemas (and custom
/// resources against `crds`); returns one problem per invalid document.
pub fn schema_problems(crds: &[Value], documents: &[Value]) -> Vec<Value> {
    let out = run_python(
        "validate_manifests.py",
        &json!({"version": "1.34", "crds": crds, "documents": documents}),
    );
    out.as_array().cloned().unwrap_or_default()
}

/// The committed CRD, as JSON.
pub fn crd() -> Value {
    let yaml = openclaw_operator::crd::crd_yaml().unwrap();
    serde_saphyr::from_str(&yaml).unwrap()
}

/// A resolver answering every secret with a fixed value.
pub struct Placeholder;

impl SecretResolver for Placeholder {
    fn resolve(
        &self,
        _: &SecretSource,
        ctx: &ResolveContext<'_>,
    ) -> Result<SecretValue, ResolveError> {
        Ok(SecretValue::new(format!("placeholder-{}", ctx.env_name)))
    }
}
