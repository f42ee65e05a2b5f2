//! The config methods: `config.get` (the file and its stages, secrets redacted),
//! `config.schema`, `config.schema.lookup`, and the guarded writes `config.set`
//! (replace the file) and `config.patch` (merge into it).
//!
//! A write must name the revision it was made from (`baseHash`, from `config.get`),
//! is validated by the same validator the gateway starts with, and is written
//! atomically (temp file and rename) only if the file still holds that revision
//! at the moment of writing: a config that fails validation is never written and
//! a file edited meanwhile is never overwritten. The gateway reads its config at
//! start-up, so a written change applies at the next restart (logged).

mod hash;
mod merge;
pub mod redact;
mod schema;

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::snapshot::{self, Snapshot};
use crate::state::{Gateway, GatewayBuilder};
use crate::ws::errors::{ErrorCode, ErrorShape};
use crate::ws::registry::{Call, CallResult};
use crate::ws::scopes::Scope;
use hash::RevisionHasher;

/// Shared by the config methods: the hasher and the lock serialising writes.
#[derive(Default)]
struct ConfigMethods {
    hasher: RevisionHasher,
    write_lock: tokio::sync::Mutex<()>,
}

pub fn install(builder: &mut GatewayBuilder) {
    let state = Arc::new(ConfigMethods::default());
    let s = state.clone();
    builder
        .methods
        .register("config.get", Scope::Read, move |call: Call| {
            let s = s.clone();
            async move {
                params::<Empty>(&call, "config.get")?;
                Ok(get_payload(&read(&call.gateway), &s.hasher))
            }
        });
    builder
        .methods
        .register("config.schema", Scope::Read, |call: Call| async move {
            params::<Empty>(&call, "config.schema")?;
            Ok(schema::schema(&jiff::Timestamp::now().to_string()))
        });
    builder.methods.register(
        "config.schema.lookup",
        Scope::Read,
        |call: Call| async move {
            let p: LookupParams = params(&call, "config.schema.lookup")?;
            schema::lookup(&p.path)
                .ok_or_else(|| ErrorShape::invalid_request("config schema path not found"))
        },
    );
    let s = state.clone();
    builder
        .methods
        .register("config.set", Scope::Admin, move |call: Call| {
            let s = s.clone();
            async move {
                let p: SetParams = params(&call, "config.set")?;
                // Written as sent (comments and JSON5 kept) unless secrets had to be put back.
                let verbatim = (!p.raw.contains(redact::SENTINEL)).then_some(p.raw.as_str());
                write(
                    &call,
                    &s,
                    p.base_hash.as_deref(),
                    "config.set",
                    verbatim,
                    |current| {
                        let mut submitted = parse_raw(&p.raw, "config.set")?;
                        restore_secrets(&mut submitted, current)?;
                        Ok(submitted)
                    },
                )
                .await
            }
        });
    builder
        .methods
        .register("config.patch", Scope::Admin, move |call: Call| {
            let s = state.clone();
            async move {
                let p: PatchParams = params(&call, "config.patch")?;
                let replace = p.replace_paths.clone().unwrap_or_default();
                write(
                    &call,
                    &s,
                    p.base_hash.as_deref(),
                    "config.patch",
                    None,
                    |current| {
                        let patch = parse_raw(&p.raw, "config.patch")?;
                        if !patch.is_object() {
                            return Err(ErrorShape::invalid_request(
                                "config.patch raw must be an object",
                            ));
                        }
                        let mut merged = current.cloned().unwrap_or_else(|| json!({}));
                        merge::merge(&mut merged, &patch, &replace, "");
                        restore_secrets(&mut merged, current)?;
                        Ok(merged)
                    },
                )
                .await
            }
        });
}

fn read(gateway: &Gateway) -> Snapshot {
    let p = &gateway.settings.paths;
    snapshot::read(&p.config_path, &p.include_roots, &gateway.env)
}

fn get_payload(snap: &Snapshot, hasher: &RevisionHasher) -> Value {
    let mut found = Vec::new();
    let redacted = |v: &Option<Value>, found: &mut Vec<String>| {
        v.as_ref().map_or(json!({}), |v| redact::redact(v, found))
    };
    let parsed = redacted(&snap.parsed, &mut found);
    let source = redacted(&snap.source, &mut found);
    let resolved = redacted(&snap.resolved, &mut found);
    let issues: Vec<Value> = match &snap.validation {
        Ok(_) => Vec::new(),
        Err(e) => vec![json!({"path": e.key_path.clone().unwrap_or_default(),
                              "message": e.kind.to_string(), "file": e.file, "line": e.line})],
    };
    let mut out = json!({
        "path": snap.path, "includedPaths": snap.included, "includeProvenance": [],
        "agentRosterIncludeOwned": false, "bindingsIncludeOwned": false,
        "exists": snap.exists(),
        "raw": snap.raw.as_deref().map(|r| redact::scrub_text(r, &found)),
        "parsed": parsed, "sourceConfig": source, "resolved": resolved.clone(),
        "valid": snap.validation.is_ok(), "runtimeConfig": resolved.clone(), "config": resolved,
        "issues": issues, "warnings": [], "legacyIssues": [],
    });
    if let Some(raw) = &snap.raw {
        out["hash"] = json!(hasher.hash(raw));
    }
    out
}

/// The guarded write shared by `config.set` and `config.patch`: `next` builds the
/// new document from the current parsed one.
async fn write(
    call: &Call,
    state: &ConfigMethods,
    base_hash: Option<&str>,
    method: &str,
    verbatim: Option<&str>,
    next: impl FnOnce(Option<&Value>) -> Result<Value, ErrorShape>,
) -> CallResult {
    let _guard = state.write_lock.lock().await;
    let gateway = &call.gateway;
    let snap = read(gateway);
    if let Some(raw) = &snap.raw {
        match base_hash {
            None => {
                return Err(ErrorShape::invalid_request(
                    "config base hash required; re-run config.get and retry",
                ));
            }
            Some(h) if h != state.hasher.hash(raw) => return Err(changed()),
            Some(_) => {}
        }
        if snap.parsed.is_none() {
            return Err(ErrorShape::invalid_request(format!(
                "{}; fix the file (openclaw config validate) before changing it over the gateway",
                error_text(&snap)
            )));
        }
    }
    let document = next(snap.parsed.as_ref())?;
    let mut changed_paths = Vec::new();
    merge::changed_paths(
        snap.parsed.as_ref().unwrap_or(&json!({})),
        &document,
        "",
        &mut changed_paths,
    );
    let text = match verbatim {
        Some(raw) => raw.to_owned(),
        None => format!(
            "{}\n",
            serde_json::to_string_pretty(&document).expect("JSON serialises")
        ),
    };
    let paths = &gateway.settings.paths;
    snapshot::validate_text(
        &text,
        &paths.config_path,
        &paths.include_roots,
        &gateway.env,
    )
    .map_err(|e| {
        ErrorShape::invalid_request(format!("invalid config: {e}"))
            .with_details(json!({"issues": [{"path": e.key_path, "message": e.kind.to_string()}]}))
    })?;
    let unchanged = snap.raw.as_deref() == Some(text.as_str())
        || (changed_paths.is_empty() && verbatim.is_none() && snap.raw.is_some());
    let hash = if unchanged {
        state.hasher.hash(snap.raw.as_deref().unwrap_or_default())
    } else {
        commit(&paths.config_path, snap.raw.as_deref(), &text).map_err(|e| match e {
            Commit::Changed => changed(),
            Commit::Io(e) => ErrorShape::new(
                ErrorCode::Unavailable,
                format!("could not write {}: {e}", paths.config_path.display()),
            ),
        })?;
        tracing::info!(
            target: "gateway",
            "{method} wrote {} (changed: {}); restart the gateway to apply it",
            paths.config_path.display(),
            if changed_paths.is_empty() { "nothing".to_owned() } else { changed_paths.join(", ") }
        );
        state.hasher.hash(&text)
    };
    let mut found = Vec::new();
    let mut out = json!({"ok": true, "path": paths.config_path, "hash": hash,
                         "config": redact::redact(&document, &mut found)});
    if method == "config.patch" {
        out["changedPaths"] = json!(changed_paths);
        out["restart"] = Value::Null;
    }
    Ok(out)
}

enum Commit {
    Changed,
    Io(std::io::Error),
}

/// Writes `text` over `path` if the file still holds `expected` (or still does not
/// exist when `expected` is `None`): temp file beside it, fsync, rename. The file
/// keeps its permissions (0600 for a new one).
fn commit(path: &Path, expected: Option<&str>, text: &str) -> Result<(), Commit> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let current = match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Commit::Io(e)),
    };
    if current.as_deref() != expected {
        return Err(Commit::Changed);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Commit::Io)?;
    let mode = std::fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o777);
    let name = path
        .file_name()
        .map_or("openclaw.json".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the temp file is ours and useless once the write failed.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(Commit::Io)
}

fn changed() -> ErrorShape {
    ErrorShape::invalid_request("config changed since last load; re-run config.get and retry")
}

fn error_text(snap: &Snapshot) -> String {
    match &snap.validation {
        Err(e) => e.to_string(),
        Ok(_) => "the config cannot be parsed".to_owned(),
    }
}

fn parse_raw(raw: &str, method: &str) -> Result<Value, ErrorShape> {
    json5::from_str::<Value>(raw).map_err(|e| {
        ErrorShape::invalid_request(format!("invalid {method} raw: JSON5 parse failed: {e}"))
    })
}

fn restore_secrets(doc: &mut Value, current: Option<&Value>) -> Result<(), ErrorShape> {
    redact::restore(doc, current, "").map_err(ErrorShape::invalid_request)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupParams {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SetParams {
    raw: String,
    base_hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PatchParams {
    raw: String,
    base_hash: Option<String>,
    replace_paths: Option<Vec<String>>,
    #[allow(dead_code)]
    session_key: Option<String>,
    #[allow(dead_code)]
    delivery_context: Option<Value>,
    #[allow(dead_code)]
    note: Option<String>,
    #[allow(dead_code)]
    restart_delay_ms: Option<u64>,
}

fn params<P: for<'de> Deserialize<'de>>(call: &Call, method: &str) -> Result<P, ErrorShape> {
    crate::system::parse(call, method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_never_clobbers_a_file_edited_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("openclaw.json");
        std::fs::write(&path, "{}").unwrap();
        assert!(matches!(
            commit(&path, Some("{ }"), "{\"a\":1}"),
            Err(Commit::Changed)
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        assert!(commit(&path, Some("{}"), "{\"a\":1}").is_ok());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}");
        let fresh = dir.path().join("new.json");
        assert!(commit(&fresh, None, "{}").is_ok());
        assert!(matches!(commit(&fresh, None, "{}"), Err(Commit::Changed)));
    }
}
