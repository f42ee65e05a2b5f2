use serde_json::{Value, json};

use super::*;

fn parse_ok(v: Value) -> Parsed {
    parse(Some(&v)).unwrap_or_else(|e| panic!("{e}"))
}

fn errors(v: Value) -> String {
    parse(Some(&v)).expect_err("invalid").to_string()
}

#[test]
fn the_deployment_guide_block_validates() {
    // openclaw-fly-deploy.fr.md §5, including the legacy per-channel `allow`.
    let p = parse_ok(json!({"discord": {
        "enabled": true, "groupPolicy": "allowlist",
        "guilds": {"YOUR_GUILD_ID": {"channels": {"general": {"allow": true}}, "requireMention": false}}}}));
    let d = p.config.discord.unwrap();
    assert_eq!(d.accounts.len(), 1);
    let a = &d.accounts[0];
    assert_eq!(
        (a.id.as_str(), d.default_account.as_str()),
        ("default", "default")
    );
    assert_eq!(a.access.dm_policy, DmPolicy::Pairing);
    let guild = &a.access.guilds["YOUR_GUILD_ID"];
    assert_eq!(guild.require_mention, Some(false));
    assert_eq!(
        guild.channels.as_ref().unwrap()["general"].enabled,
        Some(true)
    );
    assert_eq!((a.text_chunk_limit, a.max_lines_per_message), (2000, 17));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("legacy spelling of enabled"))
    );
    assert!(p.config.telegram.is_none());
}

#[test]
fn the_reference_example_validates() {
    let p = parse_ok(json!({
        "discord": {"enabled": true, "token": "d", "dmPolicy": "allowlist",
                    "allowFrom": ["123456789012345678"], "groupPolicy": "allowlist",
                    "guilds": {"111111111111111111": {"requireMention": true, "users": ["123456789012345678"]}}},
        "telegram": {"enabled": true, "botToken": "t", "dmPolicy": "pairing"}}));
    let t = p.config.telegram.unwrap();
    assert_eq!(t.accounts[0].text_chunk_limit, 4096);
    assert!(t.accounts[0].webhook.is_none());
    let d = p.config.discord.unwrap();
    assert!(
        d.accounts[0]
            .access
            .allow_from
            .allows("123456789012345678", None, false)
    );
}

#[test]
fn unknown_keys_are_errors_with_their_path_and_a_suggestion() {
    let e =
        errors(json!({"discord": {"guilds": {"1": {"channels": {"general": {"alow": true}}}}}}));
    assert!(
        e.contains("channels.discord.guilds.1.channels.general: unknown key \"alow\"")
            && e.contains("did you mean \"allow\""),
        "{e}"
    );
    let e = errors(json!({"discrod": {}}));
    assert!(e.contains("did you mean \"discord\""), "{e}");
}

#[test]
fn known_but_unimplemented_keys_are_accepted_and_listed() {
    let p = parse_ok(
        json!({"discord": {"voice": {}, "guilds": {"1": {"tools": {}}}},
                           "slack": {"botToken": "x"}}),
    );
    assert!(
        p.ignored.contains(&"channels.slack".to_owned()),
        "{:?}",
        p.ignored
    );
    assert!(p.ignored.contains(&"channels.discord.voice".to_owned()));
    assert!(
        p.ignored
            .contains(&"channels.discord.guilds.1.tools".to_owned())
    );
}

#[test]
fn dm_policies_are_checked_as_the_original_does() {
    let e = errors(json!({"discord": {"dmPolicy": "open", "allowFrom": ["1"]}}));
    assert!(
        e.contains("channels.discord.allowFrom: channels.discord.dmPolicy=\"open\" requires channels.discord.allowFrom to include \"*\""),
        "{e}"
    );
    let e = errors(json!({"telegram": {"dmPolicy": "allowlist"}}));
    assert!(e.contains("channels.telegram.allowFrom"), "{e}");
    parse_ok(json!({"telegram": {"dmPolicy": "open", "allowFrom": ["*"]}}));
    let e = errors(json!({"telegram": {"dmPolicy": "sometimes"}}));
    assert!(
        e.contains("channels.telegram.dmPolicy") && e.contains("pairing"),
        "{e}"
    );
}

#[test]
fn accounts_inherit_the_channel_block_but_not_its_token() {
    let p = parse_ok(json!({"discord": {
        "token": "root", "dmPolicy": "allowlist", "allowFrom": ["7"],
        "accounts": {"default": {}, "ops": {"token": "ops", "groupPolicy": "open"}}}}));
    let d = p.config.discord.unwrap();
    let default = d.accounts.iter().find(|a| a.id == "default").unwrap();
    let ops = d.accounts.iter().find(|a| a.id == "ops").unwrap();
    assert!(default.token.is_some());
    assert_eq!(ops.access.dm_policy, DmPolicy::Allowlist);
    assert!(ops.access.allow_from.allows("7", None, false));
    assert_eq!(ops.access.group_policy, GroupPolicy::Open);
    assert_eq!(default.access.group_policy, GroupPolicy::Allowlist);
    let e = errors(json!({"telegram": {"accounts": {"Ops": {}}}}));
    assert!(e.contains("channels.telegram.accounts.Ops"), "{e}");
    let e = errors(json!({"telegram": {"defaultAccount": "x", "accounts": {"a": {}}}}));
    assert!(e.contains("channels.telegram.defaultAccount"), "{e}");
}

#[test]
fn telegram_webhook_needs_a_secret_and_a_free_path() {
    let e = errors(json!({"telegram": {"webhookUrl": "https://bot.example/tg"}}));
    assert!(e.contains("channels.telegram.webhookSecret"), "{e}");
    let p = parse_ok(
        json!({"telegram": {"webhookUrl": "https://bot.example/tg/hook", "webhookSecret": "s3cret"}}),
    );
    let w = p.config.telegram.unwrap().accounts[0]
        .webhook
        .clone()
        .unwrap();
    assert_eq!(w.path, "/tg/hook");
    let p =
        parse_ok(json!({"telegram": {"webhookUrl": "https://bot.example", "webhookSecret": "s"}}));
    assert_eq!(
        p.config.telegram.unwrap().accounts[0]
            .webhook
            .as_ref()
            .unwrap()
            .path,
        DEFAULT_WEBHOOK_PATH
    );
    let e = errors(json!({"telegram": {"webhookUrl": "https://x/healthz", "webhookSecret": "s"}}));
    assert!(e.contains("webhookPath"), "{e}");
}

#[test]
fn group_settings_fall_back_through_defaults() {
    let p = parse_ok(json!({"defaults": {"groupPolicy": "open"},
        "telegram": {"allowFrom": ["tg:42"], "groups": {"-100": {"requireMention": false, "allowFrom": [7]}}}}));
    let t = &p.config.telegram.unwrap().accounts[0];
    assert_eq!(t.access.group_policy, GroupPolicy::Open);
    assert!(t.access.group_allow_from.allows("42", None, false));
    let g = &t.access.groups["-100"];
    assert!(g.allow_from.as_ref().unwrap().allows("7", None, false));
}

#[test]
fn chunk_limits_are_capped_at_the_platform_limit() {
    let p =
        parse_ok(json!({"discord": {"textChunkLimit": 5000}, "telegram": {"textChunkLimit": 100}}));
    assert_eq!(p.config.discord.unwrap().accounts[0].text_chunk_limit, 2000);
    assert_eq!(p.config.telegram.unwrap().accounts[0].text_chunk_limit, 100);
    assert!(p.warnings.iter().any(|w| w.contains("textChunkLimit")));
}

#[test]
fn disabled_channel_disables_every_account() {
    let p = parse_ok(json!({"discord": {"enabled": false, "accounts": {"a": {"enabled": true}}}}));
    assert!(!p.config.discord.unwrap().accounts[0].enabled);
}
