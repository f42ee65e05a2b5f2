//! Checks on `spec.config` (the gateway's `openclaw.json`) that the operator
//! can judge: its shape, settings the operator owns through flags, secrets
//! pasted in as literals, `${VAR}` references nothing provides, and `$include`
//! directives, which need files next to the config that an inline spec cannot have.
//!
//! Then the gateway's own validator (`openclaw_gateway::config::validate_str`,
//! the code the gateway runs at start-up) judges every key, so a config the
//! gateway would refuse is reported before any write.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::crd::Bind;

use super::FieldError;

/// Top-level sections and the JSON type each must have.
const SECTIONS: &[(&str, &str)] = &[
    ("gateway", "object"),
    ("agents", "object"),
    ("auth", "object"),
    ("channels", "object"),
    ("bindings", "array"),
    ("plugins", "object"),
    ("meta", "object"),
];

/// Config paths that hold credentials, with the spec field that should supply them.
const SECRET_PATHS: &[(&str, &str)] = &[
    ("/gateway/auth/token", "spec.gateway.auth.token"),
    ("/gateway/auth/password", "spec.gateway.auth.password"),
    (
        "/channels/discord/token",
        "spec.secrets (DISCORD_BOT_TOKEN)",
    ),
    (
        "/channels/telegram/botToken",
        "spec.secrets (TELEGRAM_BOT_TOKEN)",
    ),
];

/// Variables the operator itself sets in the machine's environment.
const OPERATOR_ENV: &[&str] = &[
    "OPENCLAW_STATE_DIR",
    "OPENCLAW_CONFIG_PATH",
    "OPENCLAW_GATEWAY_PORT",
];

/// Validates `spec.config`; returns it as an object when its shape is valid.
/// `provided_env` are the secret variable names the machine will have.
pub fn check_config(
    config: Option<&Value>,
    port: i32,
    bind: Bind,
    provided_env: &BTreeSet<String>,
    errors: &mut Vec<FieldError>,
) -> Option<Map<String, Value>> {
    let config = config?;
    let Some(obj) = config.as_object() else {
        errors.push(FieldError::invalid(
            "spec.config",
            format!(
                "must be an object (openclaw.json), got {}",
                type_name(config)
            ),
            "write spec.config as a mapping, e.g. {gateway: {mode: local}}",
        ));
        return None;
    };
    let before = errors.len();
    for (key, want) in SECTIONS {
        if let Some(v) = obj.get(*key)
            && type_name(v) != *want
        {
            errors.push(FieldError::invalid(
                format!("spec.config.{key}"),
                format!("must be an {want}, got {}", type_name(v)),
                format!("write {key} as an {want} (see openclaw.json's schema)"),
            ));
        }
    }
    if let Some(mode) = config.pointer("/gateway/mode")
        && mode.as_str() != Some("local")
    {
        errors.push(FieldError::invalid(
            "spec.config.gateway.mode",
            format!("{mode} makes the gateway refuse to start (it is a client-side setting)"),
            "set gateway.mode to \"local\" or remove it (the operator sets it)",
        ));
    }
    if let Some(p) = config.pointer("/gateway/port")
        && p.as_i64() != Some(i64::from(port))
    {
        errors.push(FieldError::invalid(
            "spec.config.gateway.port",
            format!("{p} disagrees with spec.gateway.port ({port}); the operator passes --port, which wins"),
            "remove gateway.port from spec.config and set spec.gateway.port",
        ));
    }
    if let Some(b) = config.pointer("/gateway/bind")
        && b.as_str() != Some(bind.as_flag())
    {
        errors.push(FieldError::invalid(
            "spec.config.gateway.bind",
            format!(
                "{b} disagrees with spec.gateway.bind ({}); the operator passes --bind, which wins",
                bind.as_flag()
            ),
            "remove gateway.bind from spec.config and set spec.gateway.bind",
        ));
    }
    for (pointer, instead) in SECRET_PATHS {
        if let Some(Value::String(s)) = config.pointer(pointer)
            && !is_env_reference(s)
        {
            errors.push(FieldError::invalid(
                format!("spec.config{}", pointer.replace('/', ".")),
                "holds a literal credential; config is stored and shown in plain text",
                format!("remove it and supply the value through {instead}"),
            ));
        }
    }
    refuse_includes(config, "spec.config", errors);
    let mut referenced = BTreeSet::new();
    collect_env_references(config, &mut referenced);
    for var in referenced {
        if !provided_env.contains(&var) && !OPERATOR_ENV.contains(&var.as_str()) {
            errors.push(FieldError::invalid(
                "spec.config",
                format!("references ${{{var}}}, which no secret provides"),
                format!("add {{name: {var}, …}} to spec.secrets (or use spec.gateway.auth for the gateway token)"),
            ));
        }
    }
    if errors.len() == before
        && let Err(e) = openclaw_gateway::config::validate_str(&config.to_string())
    {
        let path = match &e.key_path {
            Some(k) => format!("spec.config.{k}"),
            None => "spec.config".to_owned(),
        };
        errors.push(FieldError::invalid(
            path,
            format!("the gateway refuses this config: {}", e.kind),
            "fix or remove the key (see `openclaw config validate`)",
        ));
    }
    (errors.len() == before).then(|| obj.clone())
}

/// The operator writes `spec.config` as the machine's one `openclaw.json`, with no
/// directory of files beside it, so an `$include` could only ever fail at start-up.
fn refuse_includes(v: &Value, path: &str, errors: &mut Vec<FieldError>) {
    match v {
        Value::Object(map) => {
            for (key, item) in map {
                let path = format!("{path}.{key}");
                if key == openclaw_gateway::config::include::INCLUDE_KEY {
                    errors.push(FieldError::invalid(
                        path,
                        "spec.config is delivered as one inline file, with no directory of files to include from",
                        "inline the included file's content in spec.config",
                    ));
                } else {
                    refuse_includes(item, &path, errors);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refuse_includes(item, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `${NAME}` and nothing else.
fn is_env_reference(s: &str) -> bool {
    s.strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .is_some_and(super::names::is_env_name)
}

/// Every `${NAME}` inside any string of the config.
fn collect_env_references(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                let name = &after[..end];
                if super::names::is_env_name(name) {
                    out.insert(name.to_owned());
                }
                rest = &after[end + 1..];
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_env_references(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_env_references(i, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(config: Value, provided: &[&str]) -> (Option<Map<String, Value>>, Vec<String>) {
        let provided = provided.iter().map(|s| s.to_string()).collect();
        let mut e = vec![];
        let out = check_config(Some(&config), 3000, Bind::Lan, &provided, &mut e);
        (out, e.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn the_guides_config_is_accepted() {
        let cfg = json!({
            "agents": {"defaults": {"model": {"primary": "anthropic/claude-opus-4-5"}, "maxConcurrent": 4},
                        "list": [{"id": "main", "default": true}]},
            "bindings": [{"agentId": "main", "match": {"channel": "discord"}}],
            "channels": {"discord": {"enabled": true, "groupPolicy": "allowlist"}},
            "gateway": {"mode": "local", "bind": "lan"}
        });
        let (out, e) = check(cfg, &[]);
        assert!(e.is_empty(), "{e:?}");
        assert!(out.is_some());
    }

    #[test]
    fn refusals_name_field_and_fix() {
        let (out, e) = check(
            json!({"gateway": {"mode": "remote", "port": 4000}, "bindings": {}}),
            &[],
        );
        assert!(out.is_none());
        let all = e.join("\n");
        assert!(
            all.contains("spec.config.bindings: must be an array"),
            "{all}"
        );
        assert!(all.contains("spec.config.gateway.mode"), "{all}");
        assert!(
            all.contains("spec.config.gateway.port: 4000 disagrees"),
            "{all}"
        );
    }

    #[test]
    fn literal_credentials_and_dangling_references() {
        let cfg = json!({"channels": {"discord": {"token": "MTQ-literal"},
                          "telegram": {"botToken": "${TELEGRAM_BOT_TOKEN}"}}});
        let (_, e) = check(cfg.clone(), &[]);
        let all = e.join("\n");
        assert!(
            all.contains("spec.config.channels.discord.token: holds a literal credential"),
            "{all}"
        );
        assert!(
            all.contains("${TELEGRAM_BOT_TOKEN}, which no secret provides"),
            "{all}"
        );
        assert!(
            !all.contains("MTQ-literal"),
            "a credential must not be echoed: {all}"
        );
        let (_, e) = check(
            json!({"channels": {"telegram": {"botToken": "${TELEGRAM_BOT_TOKEN}"}}}),
            &["TELEGRAM_BOT_TOKEN"],
        );
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn what_the_gateway_refuses_is_refused_here() {
        let (out, e) = check(json!({"bogusKey": 1}), &[]);
        assert!(out.is_none());
        assert!(e[0].starts_with("spec.config"), "{e:?}");
        assert!(e[0].contains("the gateway refuses this config"), "{e:?}");
        let (_, e) = check(json!({"gateway": {"controlUi": {"enabled": "yes"}}}), &[]);
        assert!(
            e[0].contains("spec.config.gateway.controlUi.enabled"),
            "{e:?}"
        );
    }

    #[test]
    fn includes_are_refused_at_their_key_path_with_the_fix() {
        let (out, e) = check(
            json!({"gateway": {"mode": "local", "$include": "./gateway.json5"},
                   "bindings": [{"$include": ["./b.json5"]}]}),
            &[],
        );
        assert!(out.is_none());
        assert_eq!(
            e,
            [
                "spec.config.bindings[0].$include: spec.config is delivered as one inline file, with no directory of files to include from; inline the included file's content in spec.config",
                "spec.config.gateway.$include: spec.config is delivered as one inline file, with no directory of files to include from; inline the included file's content in spec.config",
            ]
        );
    }

    #[test]
    fn not_an_object() {
        let (_, e) = check(json!([1]), &[]);
        assert!(e[0].starts_with("spec.config: must be an object"));
    }
}
