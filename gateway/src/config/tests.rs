use super::*;

fn env(vars: &[(&str, &str)]) -> Environment {
    Environment::from_vars(vars.iter().copied())
}

#[test]
fn the_reference_example_validates() {
    let text = r#"{
  "gateway": { "mode": "local", "bind": "lan", "port": 3000, "auth": { "mode": "token", "token": "${OPENCLAW_GATEWAY_TOKEN}" } },
  "agents": { "ownership": "explicit", "entries": { "main": { "name": "Main" } } },
  "auth": { "profiles": { "anthropic:default": { "provider": "anthropic", "mode": "api_key" } } },
  "bindings": [ { "agentId": "main", "match": { "channel": "discord" } } ],
  "channels": { "discord": { "enabled": true, "token": "${DISCORD_BOT_TOKEN}" } }
}"#;
    let cfg = parse_str(
        text,
        "f",
        &env(&[
            ("OPENCLAW_GATEWAY_TOKEN", "t0k"),
            ("DISCORD_BOT_TOKEN", "d"),
        ]),
    )
    .unwrap();
    assert_eq!(cfg.gateway.port.unwrap().get(), 3000);
    assert_eq!(cfg.gateway.bind, Some(BindMode::Lan));
    let token = cfg.gateway.auth.as_ref().unwrap().token.as_ref().unwrap();
    assert_eq!(
        token
            .resolve(&Environment::default())
            .unwrap()
            .unwrap()
            .expose(),
        "t0k"
    );
    let discord = cfg.channels.config.discord.as_ref().unwrap();
    let token = discord.accounts[0].token.as_ref().unwrap();
    assert_eq!(
        token
            .resolve(&Environment::default())
            .unwrap()
            .unwrap()
            .expose(),
        "d"
    );
    // agents, auth, bindings and channels are typed sections: nothing is ignored.
    assert!(cfg.unimplemented_keys().is_empty());
    assert_eq!(
        cfg.agents.config.agents.agents[0].name.as_deref(),
        Some("Main")
    );
    // The operator's check leaves references alone.
    let checked = validate_str(text).unwrap();
    let token = checked.channels.config.discord.unwrap().accounts[0]
        .token
        .clone()
        .unwrap();
    assert_eq!(
        token
            .resolve(&Environment::default())
            .unwrap()
            .unwrap()
            .expose(),
        "${DISCORD_BOT_TOKEN}"
    );
}

#[test]
fn unknown_keys_name_the_path_and_line() {
    let err =
        validate_str("{\n  gateway: {\n    mode: 'local',\n    bogus: 1,\n  },\n}").unwrap_err();
    assert_eq!(err.key_path.as_deref(), Some("gateway.bogus"), "{err}");
    assert_eq!(err.line, Some(4), "{err}");
    assert!(err.to_string().contains("unknown field `bogus`"), "{err}");

    let err = validate_str("{gateway: {auth: {mode: 'token', tokn: 'x'}}}").unwrap_err();
    assert_eq!(err.key_path.as_deref(), Some("gateway.auth.tokn"), "{err}");

    let err = validate_str("{\n\n  channel: {},\n}").unwrap_err();
    assert_eq!(
        (err.key_path.as_deref(), err.line),
        (Some("channel"), Some(3))
    );
    assert!(
        err.to_string().contains("did you mean \"channels\""),
        "{err}"
    );
}

#[test]
fn wrong_types_and_values_name_the_key() {
    let err = validate_str("{gateway: {bind: 'wan'}}").unwrap_err();
    assert_eq!(err.key_path.as_deref(), Some("gateway.bind"));
    assert!(
        err.to_string().contains("loopback"),
        "lists the allowed values: {err}"
    );
    let err = validate_str("{gateway: {port: 0}}").unwrap_err();
    assert_eq!(err.key_path.as_deref(), Some("gateway.port"), "{err}");
    let err = validate_str("{gateway: {port: 70000}}").unwrap_err();
    assert_eq!(err.key_path.as_deref(), Some("gateway.port"), "{err}");
    let err = validate_str("{gateway: {auth: {token: 5}}}").unwrap_err();
    assert_eq!(err.key_path.as_deref(), Some("gateway.auth.token"), "{err}");
    let err = validate_str("[1]").unwrap_err();
    assert!(
        err.to_string().contains("<root>: must be an object"),
        "{err}"
    );
}

#[test]
fn missing_env_vars_name_variable_key_and_line() {
    let err = parse_str(
        "{\n gateway: {\n  auth: { token: '${NOPE_TOKEN}' } } }",
        "/data/openclaw.json",
        &env(&[]),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("/data/openclaw.json:3:"), "{text}");
    assert!(
        text.contains("gateway.auth.token: missing env var \"NOPE_TOKEN\""),
        "{text}"
    );
}

#[test]
fn secret_refs_resolve_from_env_and_unsupported_sources_say_so() {
    let cfg = validate_str(
        "{gateway: {auth: {token: {source: 'env', provider: 'default', id: 'GW_TOKEN'}}}}",
    )
    .unwrap();
    let token = cfg.gateway.auth.unwrap().token.unwrap();
    assert_eq!(
        token
            .resolve(&env(&[("GW_TOKEN", "v")]))
            .unwrap()
            .unwrap()
            .expose(),
        "v"
    );
    assert!(
        token
            .resolve(&env(&[]))
            .unwrap_err()
            .to_string()
            .contains("GW_TOKEN")
    );
    let cfg =
        validate_str("{gateway: {auth: {password: {source: 'exec', provider: 'p', id: 'x'}}}}")
            .unwrap();
    let err = cfg
        .gateway
        .auth
        .unwrap()
        .password
        .unwrap()
        .resolve(&env(&[]))
        .unwrap_err();
    assert!(
        err.to_string().contains("\"exec\" is not supported"),
        "{err}"
    );
}

#[test]
fn load_distinguishes_missing_from_unreadable_and_never_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("openclaw.json");
    assert!(load(&path, &[], &env(&[])).unwrap().is_none());
    let broken = "{ gateway: { port: 3000,, } }";
    std::fs::write(&path, broken).unwrap();
    let err = load(&path, &[], &env(&[])).unwrap_err();
    assert_eq!(err.line, Some(1));
    assert!(
        err.to_string()
            .starts_with(&format!("{}:1:", path.display())),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
}

#[test]
fn unimplemented_gateway_keys_are_listed() {
    let cfg = validate_str("{gateway: {tailscale: {mode: 'off'}, auth: {rateLimit: {}}, controlUi: {basePath: '/x', allowedOrigins: [], embedSandbox: 'strict'}}}").unwrap();
    assert_eq!(
        cfg.unimplemented_keys(),
        [
            "gateway.tailscale",
            "gateway.auth.rateLimit",
            "gateway.controlUi.embedSandbox"
        ]
    );
}
