use serde_json::{Value, json};

use super::*;

fn parse_json(v: &Value) -> Result<Parsed, ConfigErrors> {
    parse(Sections {
        agents: v.get("agents"),
        auth: v.get("auth"),
        bindings: v.get("bindings"),
        models: v.get("models"),
    })
}

fn errors(v: &Value) -> Vec<String> {
    parse_json(v)
        .expect_err("config should be rejected")
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Section 5 of the Fly deployment guide, verbatim in substance.
fn deployment_guide() -> Value {
    json!({
      "agents": {
        "defaults": {
          "model": {"primary": "anthropic/claude-opus-4-5",
                    "fallbacks": ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"]},
          "maxConcurrent": 4
        },
        "list": [{"id": "main", "default": true}]
      },
      "auth": {"profiles": {
        "anthropic:default": {"mode": "token", "provider": "anthropic"},
        "openai:default": {"mode": "token", "provider": "openai"}
      }},
      "bindings": [{"agentId": "main", "match": {"channel": "discord"}}]
    })
}

#[test]
fn the_deployment_guides_config_loads_with_a_migration_warning() {
    let parsed = parse_json(&deployment_guide()).unwrap();
    let a = &parsed.config.agents;
    assert_eq!(a.default_agent, "main");
    assert_eq!(a.max_concurrent, 4);
    let chain: Vec<String> = a.agents[0]
        .model
        .candidates()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        chain,
        [
            "anthropic/claude-opus-4-5",
            "anthropic/claude-sonnet-4-5",
            "openai/gpt-4o"
        ]
    );
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.contains("agents.list moved to keyed agents.entries"))
    );
    assert_eq!(parsed.config.auth.profiles_for("anthropic").len(), 1);
    assert_eq!(parsed.config.bindings.0.len(), 1);
}

#[test]
fn the_reference_example_resolves_strict_and_inherited_models() {
    let v = json!({"agents": {
        "ownership": "explicit",
        "defaults": {"model": {"primary": "anthropic/claude-opus-4-6", "fallbacks": ["openai/gpt-5.4"]}, "maxConcurrent": 4},
        "entries": {"main": {"name": "Main"}, "support": {"model": "openai/gpt-5.4"},
                    "helper": {"model": {"fallbacks": ["google/gemini-2.5-flash"]}}}
    }});
    let parsed = parse_json(&v).unwrap();
    let a = &parsed.config.agents;
    assert_eq!(a.default_agent, "main");
    let main = a.agent("main").unwrap();
    assert_eq!(
        main.model.fallbacks.len(),
        1,
        "no model: the defaults with their fallbacks"
    );
    let support = a.agent("support").unwrap();
    assert_eq!(support.model.primary.to_string(), "openai/gpt-5.4");
    assert!(
        support.model.fallbacks.is_empty(),
        "a string model is strict"
    );
    let helper = a.agent("helper").unwrap();
    assert_eq!(
        helper.model.primary.to_string(),
        "anthropic/claude-opus-4-6"
    );
    assert_eq!(
        helper.model.fallbacks[0].to_string(),
        "google/gemini-2.5-flash"
    );
}

#[test]
fn a_typo_in_a_provider_names_the_path_and_suggests_the_fix() {
    let e = errors(
        &json!({"agents": {"defaults": {"model": {"primary": "antrhopic/claude-opus-4-5"}}}}),
    );
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("agents.defaults.model.primary: unknown provider \"antrhopic\""),
        "{e:?}"
    );
    assert!(e[0].contains("did you mean \"anthropic\"?"), "{e:?}");
    let e = errors(&json!({"agents": {"defaults": {"model": {"fallbacks": ["gpt-4o"]}}}}));
    assert!(
        e[0].starts_with("agents.defaults.model.fallbacks[0]: \"gpt-4o\" is not a provider/model"),
        "{e:?}"
    );
}

#[test]
fn unknown_keys_are_errors_and_known_unimplemented_ones_are_listed() {
    let e = errors(&json!({"agents": {"defaults": {"maxConcurent": 4}}}));
    assert_eq!(
        e,
        [
            "agents.defaults: unknown key \"maxConcurent\" (OpenClaw's config has no such key; did you mean \"maxConcurrent\"?)"
        ]
    );
    let parsed = parse_json(
        &json!({"agents": {"defaults": {"compaction": {"mode": "safeguard"},
        "heartbeat": {"every": "30m"}}, "entries": {"main": {"workspace": "/data/ws"}}}}),
    )
    .unwrap();
    assert_eq!(
        parsed.ignored,
        [
            "agents.defaults.compaction",
            "agents.defaults.heartbeat",
            "agents.entries.main.workspace"
        ]
    );
}

#[test]
fn type_errors_name_the_nested_path() {
    let e = errors(&json!({"agents": {"defaults": {"maxConcurrent": "4"}}}));
    assert!(
        e[0].starts_with("agents.defaults.maxConcurrent: invalid type: string \"4\""),
        "{e:?}"
    );
    let e = errors(&json!({"agents": {"defaults": {"maxConcurrent": 0}}}));
    assert!(e[0].starts_with("agents.defaults.maxConcurrent:"), "{e:?}");
    let e = errors(
        &json!({"auth": {"profiles": {"anthropic:default": {"provider": "anthropic", "mode": "magic"}}}}),
    );
    assert!(
        e[0].starts_with("auth.profiles.anthropic:default.mode: unknown variant `magic`"),
        "{e:?}"
    );
}

#[test]
fn ownership_rules_follow_the_original() {
    let e = errors(&json!({"agents": {"entries": {"a": {}, "b": {}}}}));
    assert!(
        e[0].starts_with(
            "agents.ownership: multi-agent rosters require agents.ownership=\"explicit\""
        ),
        "{e:?}"
    );
    let e = errors(
        &json!({"agents": {"ownership": "explicit", "entries": {"a": {"default": true}, "b": {}}}}),
    );
    assert!(
        e[0].contains("cannot be combined with a legacy default=true marker"),
        "{e:?}"
    );
    let e =
        errors(&json!({"agents": {"entries": {"a": {"default": true}, "b": {"default": true}}}}));
    assert!(
        e[0].contains("at most one default=true entry (found 2)"),
        "{e:?}"
    );
    let e = errors(&json!({"agents": {"entries": {}}}));
    assert_eq!(
        e,
        ["agents.entries: must contain at least one configured agent"]
    );
    let ok =
        parse_json(&json!({"agents": {"entries": {"a": {}, "b": {"default": true}}}})).unwrap();
    assert_eq!(ok.config.agents.default_agent, "b");
}

#[test]
fn a_markerless_legacy_roster_becomes_explicit_with_unique_ids() {
    let parsed =
        parse_json(&json!({"agents": {"list": [{"id": "Main"}, {"id": "main"}, {"id": "ops"}]}}))
            .unwrap();
    let ids: Vec<&str> = parsed
        .config
        .agents
        .agents
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(ids, ["main", "main-2", "ops"]);
    let w = parsed.warnings.join("\n");
    assert!(w.contains("normalized agents.list id \"Main\""), "{w}");
    assert!(w.contains("agents.ownership=\"explicit\""), "{w}");
}

#[test]
fn bindings_must_name_configured_agents_and_route_by_precedence() {
    let e = errors(&json!({"bindings": [{"agentId": "mian", "match": {"channel": "discord"}}]}));
    assert_eq!(
        e,
        ["bindings[0].agentId: unknown agent \"mian\" (configured: main)"]
    );
    let e = errors(
        &json!({"bindings": [{"agentId": "main", "match": {"channel": "discord", "guild": "1"}}]}),
    );
    assert!(
        e[0].starts_with("bindings[0].match: unknown key \"guild\""),
        "{e:?}"
    );

    let v = json!({"agents": {"ownership": "explicit", "entries": {"main": {}, "ops": {}, "vip": {}, "all": {}}},
    "bindings": [
        {"agentId": "all", "match": {"channel": "discord", "accountId": "*"}},
        {"agentId": "ops", "match": {"channel": "discord", "guildId": "42"}},
        {"agentId": "vip", "match": {"channel": "discord", "peer": {"kind": "direct", "id": "7"}}}
    ]});
    let cfg = parse_json(&v).unwrap().config;
    let route = |q: RouteQuery| cfg.bindings.route(&q, "main").to_owned();
    assert_eq!(
        route(RouteQuery {
            channel: "discord",
            peer: Some((PeerKind::Direct, "7")),
            guild_id: Some("42"),
            ..Default::default()
        }),
        "vip"
    );
    assert_eq!(
        route(RouteQuery {
            channel: "discord",
            guild_id: Some("42"),
            ..Default::default()
        }),
        "ops"
    );
    assert_eq!(
        route(RouteQuery {
            channel: "discord",
            account_id: Some("other"),
            ..Default::default()
        }),
        "all"
    );
    assert_eq!(
        route(RouteQuery {
            channel: "telegram",
            ..Default::default()
        }),
        "main"
    );
}

#[test]
fn custom_providers_need_an_api_and_a_base_url() {
    let e = errors(
        &json!({"models": {"providers": {"local": {"baseUrl": "http://127.0.0.1:11434/v1"}}}}),
    );
    assert!(
        e[0].starts_with("models.providers.local.api: custom model providers must declare api"),
        "{e:?}"
    );
    let v = json!({"models": {"providers": {"local": {"api": "openai-completions", "baseUrl": "http://127.0.0.1:1/v1",
                                                     "models": [{"id": "llama", "name": "Llama"}]},
                                           "bedrock": {"api": "bedrock-converse-stream", "baseUrl": "http://x"}}},
                   "agents": {"defaults": {"model": {"primary": "local/llama", "fallbacks": ["bedrock/claude"]}}}});
    let parsed = parse_json(&v).unwrap();
    assert!(parsed.config.models.providers.contains_key("local"));
    assert!(parsed.config.models.unavailable.contains_key("bedrock"));
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.contains("bedrock-converse-stream"))
    );
}

#[test]
fn no_sections_means_agent_main_on_the_default_model() {
    let cfg = AgentsConfig::unconfigured();
    assert_eq!(cfg.agents.default_agent, "main");
    assert_eq!(
        cfg.agents.agents[0].model.primary.to_string(),
        DEFAULT_MODEL
    );
    assert_eq!(cfg.agents.max_concurrent, default_max_concurrent());
}
