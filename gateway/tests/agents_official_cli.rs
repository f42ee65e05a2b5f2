//! The official OpenClaw CLI (npm `openclaw@2026.9.6` on Node 24) drives a chat
//! through our gateway: `gateway call agent --expect-final`, `openclaw agent`,
//! `gateway call chat.send` then `chat.history`. The tools come from
//! `.ci/tools.sh` (OPENCLAW_NODE24, OPENCLAW_NODE_CLI); without them the test
//! fails and says so.

mod agents_support;

use std::time::Duration;

use agents_support::gateway::{GatewayProc, TOKEN};
use agents_support::*;
use openclaw_fakes::providers::{Answer, Reply};
use serde_json::Value;

fn tool(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests through .ci/test, or `source .ci/tools.sh` first (it installs Node 24 and the official openclaw CLI)")
    })
}

/// Runs the official CLI with `args`; returns (exit success, stdout, stderr).
async fn cli(args: &[&str], home: &std::path::Path, port: u16) -> (bool, String, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(90),
        tokio::process::Command::new(tool("OPENCLAW_NODE24"))
            .arg(tool("OPENCLAW_NODE_CLI"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("OPENCLAW_STATE_DIR", home)
            .env("OPENCLAW_GATEWAY_PORT", port.to_string())
            .env("OPENCLAW_GATEWAY_TOKEN", TOKEN)
            .output(),
    )
    .await
    .expect("the CLI finishes within 90 s")
    .expect("the CLI runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(stdout: &str) -> Value {
    let start = stdout
        .find('{')
        .unwrap_or_else(|| panic!("no JSON in CLI output: {stdout}"));
    serde_json::from_str(&stdout[start..])
        .unwrap_or_else(|e| panic!("CLI output is not JSON ({e}): {stdout}"))
}

#[tokio::test]
async fn official_cli_drives_a_chat_through_our_gateway() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("Hello from the fake model").deltas(4),
    ));
    let gw = GatewayProc::start(
        h.dir.path(),
        &chain("anthropic/claude-opus-4-5", &[], 4),
        &h.env().0,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let url = format!("ws://127.0.0.1:{}", gw.port);

    let params =
        r#"{"message":"via gateway call","idempotencyKey":"cli-agent-1","sessionKey":"main"}"#;
    let (ok, out, err) = cli(
        &[
            "gateway",
            "call",
            "agent",
            "--url",
            &url,
            "--token",
            TOKEN,
            "--params",
            params,
            "--expect-final",
            "--json",
            "--timeout",
            "30000",
        ],
        home.path(),
        gw.port,
    )
    .await;
    assert!(
        ok,
        "gateway call agent --expect-final failed:\n{out}\n{err}"
    );
    let v = json_of(&out);
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(
        v["result"]["payloads"][0]["text"],
        "Hello from the fake model"
    );

    let (ok, out, err) = cli(
        &[
            "agent",
            "-m",
            "via openclaw agent",
            "--session-key",
            "main",
            "--json",
        ],
        home.path(),
        gw.port,
    )
    .await;
    assert!(ok, "openclaw agent failed:\n{out}\n{err}");
    assert_eq!(
        json_of(&out)["result"]["payloads"][0]["text"],
        "Hello from the fake model"
    );

    let params = r#"{"message":"via chat.send","idempotencyKey":"cli-chat-1","sessionKey":"main"}"#;
    let (ok, out, err) = cli(
        &[
            "gateway",
            "call",
            "chat.send",
            "--url",
            &url,
            "--token",
            TOKEN,
            "--params",
            params,
            "--json",
        ],
        home.path(),
        gw.port,
    )
    .await;
    assert!(ok, "gateway call chat.send failed:\n{out}\n{err}");
    assert_eq!(json_of(&out)["runId"], "cli-chat-1");

    let mut client = gw.connect().await;
    let waited = client
        .call(
            "agent.wait",
            serde_json::json!({"runId": "cli-chat-1", "timeoutMs": 20000}),
        )
        .await;
    assert_eq!(waited["payload"]["status"], "ok", "{waited}");
    let (ok, out, err) = cli(
        &[
            "gateway",
            "call",
            "chat.history",
            "--url",
            &url,
            "--token",
            TOKEN,
            "--params",
            r#"{"sessionKey":"main"}"#,
            "--json",
        ],
        home.path(),
        gw.port,
    )
    .await;
    assert!(ok, "gateway call chat.history failed:\n{out}\n{err}");
    let history = json_of(&out);
    let users: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        ["via gateway call", "via openclaw agent", "via chat.send"]
    );
    gw.stop().await;
}
