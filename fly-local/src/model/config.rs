//! The machine config: validated on the way in, stored verbatim (so fields
//! fly-local does not model are echoed back untouched, as on Fly), and read
//! through a typed view by the runtime.
//!
//! Validation errors name the JSON path of the field and the fix, e.g.
//! `config.guest.memory_mb: 300 is not a multiple of 256`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::duration;
use crate::error::ApiError;

/// The fields of `MachineConfig` that fly-local acts on.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConfigView {
    pub image: String,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub init: InitView,
    #[serde(default)]
    pub processes: Vec<ProcessView>,
    #[serde(default)]
    pub guest: Option<GuestView>,
    #[serde(default)]
    pub mounts: Vec<MountView>,
    #[serde(default)]
    pub services: Vec<ServiceView>,
    #[serde(default)]
    pub checks: BTreeMap<String, CheckView>,
    #[serde(default)]
    pub restart: Option<RestartView>,
    #[serde(default)]
    pub files: Vec<FileView>,
    #[serde(default)]
    pub auto_destroy: bool,
    #[serde(default)]
    pub stop_config: Option<StopConfigView>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InitView {
    pub exec: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProcessView {
    pub exec: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub secrets: Option<Vec<SecretRefView>>,
    #[serde(default)]
    pub ignore_app_secrets: bool,
    pub user: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretRefView {
    pub env_var: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GuestView {
    pub cpu_kind: Option<String>,
    pub cpus: Option<u32>,
    pub memory_mb: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MountView {
    #[serde(default)]
    pub volume: String,
    #[serde(default)]
    pub path: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceView {
    pub protocol: Option<String>,
    pub internal_port: Option<u16>,
    pub autostart: Option<bool>,
    pub autostop: Option<Value>,
    #[serde(default)]
    pub ports: Vec<Value>,
    #[serde(default)]
    pub checks: Vec<CheckView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckView {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub port: Option<u16>,
    pub interval: Option<Value>,
    pub timeout: Option<Value>,
    pub grace_period: Option<Value>,
    pub method: Option<String>,
    pub path: Option<String>,
    pub protocol: Option<String>,
    #[serde(default)]
    pub headers: Vec<HeaderView>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HeaderView {
    pub name: String,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RestartView {
    pub policy: Option<String>,
    pub max_retries: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FileView {
    #[serde(default)]
    pub guest_path: String,
    pub raw_value: Option<String>,
    pub secret_name: Option<String>,
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct StopConfigView {
    pub signal: Option<String>,
    pub timeout: Option<Value>,
}

/// What to do when the main process exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    No,
    Always,
    OnFailure { max_retries: u32 },
}

/// Fly's default number of restarts under `on-failure`.
pub const DEFAULT_MAX_RETRIES: u32 = 10;

impl ConfigView {
    pub fn restart_policy(&self) -> RestartPolicy {
        let restart = self.restart.clone().unwrap_or_default();
        match restart.policy.as_deref() {
            Some("no") => RestartPolicy::No,
            Some("always") => RestartPolicy::Always,
            _ => RestartPolicy::OnFailure {
                max_retries: restart.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            },
        }
    }

    /// The stop signal and grace period (Fly defaults: SIGINT, 5 s).
    pub fn stop_signal(&self) -> (String, Duration) {
        let cfg = self.stop_config.clone().unwrap_or_default();
        let signal = cfg.signal.unwrap_or_else(|| "SIGINT".into());
        let timeout = cfg
            .timeout
            .as_ref()
            .and_then(|t| duration::parse(t).ok())
            .unwrap_or(Duration::from_secs(5));
        (signal, timeout)
    }

    pub fn memory_mb(&self) -> u32 {
        self.guest.as_ref().and_then(|g| g.memory_mb).unwrap_or(256)
    }

    pub fn mount(&self) -> Option<&MountView> {
        self.mounts.first()
    }
}

/// Parses and validates a config, returning the normalized JSON to store and
/// the typed view. `field` is the JSON path prefix used in error messages.
pub fn validate(config: &Value) -> Result<(Value, ConfigView), ApiError> {
    let Value::Object(map) = config else {
        return Err(ApiError::bad_request(
            "config: must be an object with at least an \"image\" field",
        ));
    };
    match map.get("image") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "config.image: an image is required (e.g. \"registry.fly.io/my-app:latest\")",
            ));
        }
        Some(_) => return Err(ApiError::bad_request("config.image: must be a string")),
    }
    let mut normalized = config.clone();
    normalize(&mut normalized);
    let view: ConfigView = serde_path_to_error::deserialize(&normalized)
        .map_err(|e| ApiError::bad_request(format!("config.{}: {}", e.path(), e.inner())))?;
    check_guest(view.guest.as_ref())?;
    check_mounts(&view.mounts)?;
    for (i, service) in view.services.iter().enumerate() {
        check_service(i, service)?;
    }
    for (name, check) in &view.checks {
        check_check(&format!("config.checks.{name}"), check, true)?;
    }
    if let Some(restart) = &view.restart
        && let Some(policy) = &restart.policy
        && !["no", "always", "on-failure", "spot-price"].contains(&policy.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "config.restart.policy: {policy:?} is not one of \"no\", \"always\", \"on-failure\", \"spot-price\""
        )));
    }
    for (i, file) in view.files.iter().enumerate() {
        check_file(i, file)?;
    }
    if let Some(stop) = &view.stop_config {
        if let Some(signal) = &stop.signal {
            crate::model::signal::parse_name(signal)
                .map_err(|e| ApiError::bad_request(format!("config.stop_config.signal: {e}")))?;
        }
        if let Some(t) = &stop.timeout {
            duration::parse(t)
                .map_err(|e| ApiError::bad_request(format!("config.stop_config.timeout: {e}")))?;
        }
    }
    Ok((normalized, view))
}

/// Rewrites the fields the API re-encodes: durations as Go strings, `autostop`
/// as booleans for off/stop.
fn normalize(config: &mut Value) {
    if let Some(checks) = config.get_mut("checks").and_then(Value::as_object_mut) {
        for check in checks.values_mut() {
            normalize_durations(check, &["interval", "timeout", "grace_period"]);
        }
    }
    if let Some(services) = config.get_mut("services").and_then(Value::as_array_mut) {
        for service in services {
            if let Some(autostop) = service.get_mut("autostop") {
                let encoded = match &*autostop {
                    Value::String(s) if s == "off" => Value::Bool(false),
                    Value::String(s) if s == "stop" => Value::Bool(true),
                    other => other.clone(),
                };
                *autostop = encoded;
            }
            if let Some(checks) = service.get_mut("checks").and_then(Value::as_array_mut) {
                for check in checks {
                    normalize_durations(check, &["interval", "timeout", "grace_period"]);
                }
            }
        }
    }
    if let Some(stop) = config.get_mut("stop_config") {
        normalize_durations(stop, &["timeout"]);
    }
}

fn normalize_durations(obj: &mut Value, keys: &[&str]) {
    for key in keys {
        if let Some(v) = obj.get_mut(*key)
            && v.is_number()
            && let Ok(d) = duration::parse(v)
        {
            *v = Value::String(duration::format(d));
        }
    }
}

fn check_guest(guest: Option<&GuestView>) -> Result<(), ApiError> {
    let Some(guest) = guest else { return Ok(()) };
    let kind = guest.cpu_kind.as_deref().unwrap_or("shared");
    let (per_cpu_min, per_cpu_max, step, max_cpus) = match kind {
        "shared" => (256, 2048, 256, 8),
        "performance" => (2048, 8192, 1024, 16),
        other => {
            return Err(ApiError::bad_request(format!(
                "config.guest.cpu_kind: {other:?} is not one of \"shared\", \"performance\""
            )));
        }
    };
    let cpus = guest.cpus.unwrap_or(1);
    if !(cpus.is_power_of_two() && cpus <= max_cpus) {
        return Err(ApiError::bad_request(format!(
            "config.guest.cpus: {cpus} is not a valid number of {kind} CPUs (1, 2, 4, 8{})",
            if max_cpus > 8 { ", 16" } else { "" }
        )));
    }
    if let Some(mem) = guest.memory_mb {
        if mem % step != 0 {
            return Err(ApiError::bad_request(format!(
                "config.guest.memory_mb: {mem} is not a multiple of {step} MB for {kind} CPUs"
            )));
        }
        let (min, max) = (per_cpu_min * cpus, per_cpu_max * cpus);
        if mem < min || mem > max {
            return Err(ApiError::bad_request(format!(
                "config.guest.memory_mb: {mem} MB is outside {min}..={max} MB for {cpus} {kind} CPU(s)"
            )));
        }
    }
    Ok(())
}

fn check_mounts(mounts: &[MountView]) -> Result<(), ApiError> {
    if mounts.len() > 1 {
        return Err(ApiError::bad_request(
            "config.mounts: a machine can mount at most one volume",
        ));
    }
    for mount in mounts {
        if mount.volume.is_empty() {
            return Err(ApiError::bad_request(
                "config.mounts[0].volume: a volume id (vol_…) is required",
            ));
        }
        if !mount.path.starts_with('/') || mount.path == "/" {
            return Err(ApiError::bad_request(format!(
                "config.mounts[0].path: {:?} must be an absolute path other than / (e.g. \"/data\")",
                mount.path
            )));
        }
    }
    Ok(())
}

fn check_service(i: usize, service: &ServiceView) -> Result<(), ApiError> {
    let field = format!("config.services[{i}]");
    match service.protocol.as_deref() {
        Some("tcp") | Some("udp") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "{field}.protocol: {other:?} is not one of \"tcp\", \"udp\""
            )));
        }
        None => {
            return Err(ApiError::bad_request(format!(
                "{field}.protocol: required (\"tcp\" or \"udp\")"
            )));
        }
    }
    match service.internal_port {
        Some(p) if p > 0 => {}
        _ => {
            return Err(ApiError::bad_request(format!(
                "{field}.internal_port: a port between 1 and 65535 is required"
            )));
        }
    }
    if let Some(autostop) = &service.autostop {
        let ok = matches!(autostop, Value::Bool(_))
            || matches!(autostop, Value::String(s) if s == "suspend");
        if !ok {
            return Err(ApiError::bad_request(format!(
                "{field}.autostop: {autostop} is not one of \"off\", \"stop\", \"suspend\" (or a boolean)"
            )));
        }
    }
    for (j, port) in service.ports.iter().enumerate() {
        let has_port = port.get("port").is_some_and(Value::is_u64);
        let has_range = port.get("start_port").is_some_and(Value::is_u64)
            && port.get("end_port").is_some_and(Value::is_u64);
        if !has_port && !has_range {
            return Err(ApiError::bad_request(format!(
                "{field}.ports[{j}]: set \"port\" or both \"start_port\" and \"end_port\""
            )));
        }
    }
    for (j, check) in service.checks.iter().enumerate() {
        check_check(&format!("{field}.checks[{j}]"), check, false)?;
    }
    Ok(())
}

fn check_check(field: &str, check: &CheckView, port_required: bool) -> Result<(), ApiError> {
    match check.kind.as_deref() {
        Some("tcp") | Some("http") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "{field}.type: {other:?} is not one of \"tcp\", \"http\""
            )));
        }
        None => {
            return Err(ApiError::bad_request(format!(
                "{field}.type: required (\"tcp\" or \"http\")"
            )));
        }
    }
    if port_required && check.port.is_none() {
        return Err(ApiError::bad_request(format!("{field}.port: required")));
    }
    for (key, value) in [
        ("interval", &check.interval),
        ("timeout", &check.timeout),
        ("grace_period", &check.grace_period),
    ] {
        if let Some(v) = value {
            duration::parse(v).map_err(|e| ApiError::bad_request(format!("{field}.{key}: {e}")))?;
        }
    }
    Ok(())
}

fn check_file(i: usize, file: &FileView) -> Result<(), ApiError> {
    let field = format!("config.files[{i}]");
    if !file.guest_path.starts_with('/') {
        return Err(ApiError::bad_request(format!(
            "{field}.guest_path: {:?} must be an absolute path",
            file.guest_path
        )));
    }
    match (&file.raw_value, &file.secret_name) {
        (Some(raw), None) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|e| {
                    ApiError::bad_request(format!("{field}.raw_value: not valid base64 ({e})"))
                })?;
        }
        (None, Some(_)) => {}
        _ => {
            return Err(ApiError::bad_request(format!(
                "{field}: set exactly one of \"raw_value\" (base64) or \"secret_name\""
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(config: Value) -> String {
        validate(&config).unwrap_err().message
    }

    #[test]
    fn image_is_required() {
        assert!(err(json!({})).starts_with("config.image"));
        assert!(err(json!({"image": ""})).starts_with("config.image"));
        assert!(err(json!("x")).starts_with("config:"));
    }

    #[test]
    fn errors_name_the_field() {
        assert!(err(json!({"image":"a","env":{"A":1}})).starts_with("config.env.A"));
        assert!(
            err(json!({"image":"a","guest":{"cpu_kind":"shared","cpus":1,"memory_mb":300}}))
                .starts_with("config.guest.memory_mb")
        );
        assert!(
            err(json!({"image":"a","services":[{"protocol":"tcp"}]}))
                .starts_with("config.services[0].internal_port")
        );
        assert!(
            err(json!({"image":"a","checks":{"alive":{"type":"grpc","port":1}}}))
                .starts_with("config.checks.alive.type")
        );
        assert!(
            err(json!({"image":"a","restart":{"policy":"sometimes"}}))
                .starts_with("config.restart.policy")
        );
        assert!(
            err(json!({"image":"a","files":[{"guest_path":"/x","raw_value":"%%%"}]}))
                .starts_with("config.files[0].raw_value")
        );
    }

    #[test]
    fn normalizes_what_the_api_reencodes_and_keeps_the_rest() {
        let (out, view) = validate(&json!({
            "image": "a",
            "services": [{"protocol":"tcp","internal_port":8080,"autostop":"off"},
                         {"protocol":"tcp","internal_port":8081,"autostop":"suspend"}],
            "checks": {"alive": {"type":"http","port":8080,"interval":15_000_000_000u64}},
            "something_new": {"kept": true}
        }))
        .unwrap();
        assert_eq!(out["services"][0]["autostop"], json!(false));
        assert_eq!(out["services"][1]["autostop"], json!("suspend"));
        assert_eq!(out["checks"]["alive"]["interval"], json!("15s"));
        assert_eq!(out["something_new"], json!({"kept": true}));
        assert_eq!(
            view.restart_policy(),
            RestartPolicy::OnFailure { max_retries: 10 }
        );
    }
}
