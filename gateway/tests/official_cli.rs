//! The official OpenClaw CLI (npm `openclaw@2026.9.6` on Node 24) against our gateway.
//! `.ci/tools.sh` installs both and exports `OPENCLAW_NODE24` / `OPENCLAW_NODE_CLI`.

mod common;

use std::process::Command;

use common::*;

fn official_cli() -> (String, String) {
    let hint = "run the tests through .ci/test (it sources .ci/tools.sh, which installs Node 24 and openclaw@2026.9.6)";
    let node = std::env::var("OPENCLAW_NODE24")
        .unwrap_or_else(|_| panic!("OPENCLAW_NODE24 is not set: {hint}"));
    let cli = std::env::var("OPENCLAW_NODE_CLI")
        .unwrap_or_else(|_| panic!("OPENCLAW_NODE_CLI is not set: {hint}"));
    assert!(
        std::path::Path::new(&node).is_file(),
        "OPENCLAW_NODE24={node} does not exist: {hint}"
    );
    assert!(
        std::path::Path::new(&cli).is_file(),
        "OPENCLAW_NODE_CLI={cli} does not exist: {hint}"
    );
    (node, cli)
}

fn call(gw: &Gateway, method: &str, token: &str) -> (i32, String, String) {
    let (node, cli) = official_cli();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(node)
        .arg(cli)
        .args([
            "gateway",
            "call",
            method,
            "--url",
            &format!("ws://127.0.0.1:{}", gw.port),
            "--token",
            token,
            "--json",
        ])
        .env("HOME", home.path())
        .env("OPENCLAW_STATE_DIR", home.path().join("state"))
        .env_remove("OPENCLAW_GATEWAY_TOKEN")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn official_cli_calls_health_status_and_presence() {
    let gw = Gateway::start(&[]);
    let (code, out, err) = call(&gw, "health", TOKEN);
    assert_eq!(code, 0, "{out}{err}");
    let health: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(health["ok"], true);
    assert_eq!(health["defaultAgentId"], "main");

    let (code, out, err) = call(&gw, "status", TOKEN);
    assert_eq!(code, 0, "{out}{err}");
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["pid"], gw.child.id());
    assert_eq!(status["runtimeVersion"], "2026.9.6");

    let (code, out, err) = call(&gw, "system-presence", TOKEN);
    assert_eq!(code, 0, "{out}{err}");
    let presence: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(presence[0]["mode"], "gateway");
}

#[test]
fn official_cli_reports_a_wrong_token_as_unauthorized() {
    let gw = Gateway::start(&[]);
    let (code, out, err) = call(&gw, "health", "not-the-token");
    assert_eq!(code, 1, "{out}{err}");
    let text = format!("{out}{err}");
    assert!(
        text.contains("unauthorized: gateway token mismatch"),
        "{text}"
    );
}
