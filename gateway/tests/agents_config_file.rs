//! The agent sections through the gateway's config loader: the deployment
//! guide's file loads (legacy `agents.list` migrated), and mistakes are
//! reported with file, line and key path.

use openclaw_gateway::config::validate_str;

/// Section 5 of the Fly deployment guide, as written there.
const GUIDE: &str = r#"{
  "agents": {
    "defaults": {
      "model": {
        "primary": "anthropic/claude-opus-4-5",
        "fallbacks": ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"]
      },
      "maxConcurrent": 4
    },
    "list": [
      {
        "id": "main",
        "default": true
      }
    ]
  },
  "auth": {
    "profiles": {
      "anthropic:default": { "mode": "token", "provider": "anthropic" },
      "openai:default": { "mode": "token", "provider": "openai" }
    }
  },
  "bindings": [
    {
      "agentId": "main",
      "match": { "channel": "discord" }
    }
  ],
  "channels": {
    "discord": {
      "enabled": true,
      "groupPolicy": "allowlist",
      "guilds": {
        "YOUR_GUILD_ID": {
          "channels": { "general": { "allow": true } },
          "requireMention": false
        }
      }
    }
  },
  "gateway": {
    "mode": "local",
    "bind": "auto"
  },
  "meta": {
    "lastTouchedVersion": "2026.1.29"
  }
}"#;

#[test]
fn the_deployment_guides_config_loads() {
    let config = validate_str(GUIDE).unwrap();
    let agents = &config.agents.config.agents;
    assert_eq!(agents.default_agent, "main");
    assert_eq!(agents.max_concurrent, 4);
    assert_eq!(agents.agents[0].model.fallbacks.len(), 2);
    assert!(config.agents.warnings[0].contains("agents.list moved to keyed agents.entries"));
}

#[test]
fn a_misspelled_provider_is_reported_at_its_line() {
    let text = GUIDE.replace("\"primary\": \"anthropic/", "\"primary\": \"antrhopic/");
    let err = validate_str(&text).unwrap_err();
    assert_eq!(
        err.key_path.as_deref(),
        Some("agents.defaults.model.primary")
    );
    assert_eq!(err.line, Some(5), "{err}");
    assert!(
        err.to_string().starts_with("<inline>:5:")
            && err
                .to_string()
                .contains("agents.defaults.model.primary: unknown provider \"antrhopic\""),
        "{err}"
    );
}

#[test]
fn a_binding_to_a_missing_agent_is_reported_at_its_line() {
    let text = GUIDE.replace("\"agentId\": \"main\"", "\"agentId\": \"mian\"");
    let err = validate_str(&text).unwrap_err();
    assert_eq!(err.key_path.as_deref(), Some("bindings[0].agentId"));
    assert_eq!(err.line, Some(25), "{err}");
    assert!(err.to_string().contains("unknown agent \"mian\""), "{err}");
}

#[test]
fn known_but_unimplemented_agent_keys_are_warned_about_not_refused() {
    let text = GUIDE.replace(
        "\"maxConcurrent\": 4",
        "\"maxConcurrent\": 4, \"heartbeat\": {\"every\": \"30m\"}",
    );
    let config = validate_str(&text).unwrap();
    assert!(
        config
            .unimplemented_keys()
            .contains(&"agents.defaults.heartbeat".to_owned())
    );
}
