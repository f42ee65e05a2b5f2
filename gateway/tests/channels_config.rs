//! The `channels` section as the gateway process reads it: a bad block stops the
//! start with the key, the line and the fix (the file untouched); unimplemented
//! keys are named in the start-up warning; OPENCLAW_SKIP_CHANNELS leaves bots off.

mod channels_support;
mod common;

use channels_support::Gateway;
use serde_json::json;

#[test]
fn a_misspelled_channel_key_stops_the_start_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\n  gateway: { mode: 'local' },\n  channels: {\n    discord: {\n      guilds: { '1': { channels: { general: { alow: true } } } },\n    },\n  },\n}\n";
    let path = dir.path().join("openclaw.json");
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = common::run_to_exit(dir.path(), &["--port", "0"], &[]);
    assert_eq!(code, 78, "{stderr}");
    assert!(
        stderr.contains("channels.discord.guilds.1.channels.general")
            && stderr.contains("unknown key \"alow\"")
            && stderr.contains("did you mean \"allow\""),
        "{stderr}"
    );
    assert!(stderr.contains(":5:"), "the line is named: {stderr}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "never rewritten"
    );
}

#[test]
fn an_open_dm_policy_without_a_wildcard_is_refused_as_the_original_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openclaw.json"),
        json!({"gateway": {"mode": "local"},
               "channels": {"telegram": {"dmPolicy": "open", "allowFrom": ["42"]}}})
        .to_string(),
    )
    .unwrap();
    let (code, _, stderr) = common::run_to_exit(dir.path(), &["--port", "0"], &[]);
    assert_eq!(code, 78);
    assert!(
        stderr.contains(
            "channels.telegram.dmPolicy=\"open\" requires channels.telegram.allowFrom to include \"*\""
        ),
        "{stderr}"
    );
}

#[tokio::test]
async fn unimplemented_keys_are_warned_about_and_skip_channels_keeps_bots_off() {
    let gw = Gateway::start(
        json!({"channels": {"discord": {"voice": {"enabled": true}, "token": "x"},
                            "slack": {"botToken": "y"}}}),
        &[("OPENCLAW_SKIP_CHANNELS".to_owned(), "1".to_owned())],
    )
    .await;
    let warning = gw.wait_for_log("accepted but not implemented").await;
    assert!(
        warning.contains("channels.discord.voice") && warning.contains("channels.slack"),
        "{warning}"
    );
    gw.wait_for_log("channels are not started (OPENCLAW_SKIP_CHANNELS=1)")
        .await;
    let mut ws = gw.connect().await;
    let health = ws.call("health", json!({})).await;
    let discord = &health["payload"]["channels"]["discord"];
    assert_eq!(discord["running"], false, "{discord}");
    assert_eq!(discord["lifecycle"], "stopped");
}
