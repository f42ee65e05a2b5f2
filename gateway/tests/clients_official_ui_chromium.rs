//! The official Control UI (the npm package's `dist/control-ui`, served by our
//! gateway through `OPENCLAW_CONTROL_UI_DIR`) in headless Chromium, driven by
//! playwright-core: every daily-use view opens without an error reply or a failed
//! request, and a message typed into the chat box streams the fake model's answer
//! into the page. Screenshot: `target/test-artifacts/official-ui-chat.png`.

mod agents_support;
mod clients_support;

use std::time::Duration;

use agents_support::gateway::{GatewayProc, TOKEN};
use agents_support::*;
use clients_support::{chromium, control_ui_dir, tool};
use openclaw_fakes::providers::{Answer, Reply};
use serde_json::{Value, json};

const ANSWER: &str = "Foxes are small omnivores of the dog family.";

/// The views of the issue, by the UI's own routes.
const VIEWS: &[&str] = &[
    "chat=/chat",
    "agents=/agents",
    "sessions=/sessions",
    "logs=/logs",
    "debug=/debug",
    "settings-gateway=/settings/connection",
    "settings-channels=/settings/channels",
    "settings-models=/settings/model-providers",
    "settings-agents=/settings/ai-agents",
    "settings-devices=/settings/devices",
    "activity=/activity",
    "dashboards=/dashboards",
    "systems=/systems",
    "automations=/automations",
    "usage=/usage",
];

#[tokio::test]
async fn chromium_official_control_ui_views_open_and_chat_streams_the_answer() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text(ANSWER)
            .deltas(6)
            .delay(Duration::from_millis(40)),
    ));
    let mut config = chain("anthropic/claude-opus-4-5", &[], 4);
    config["logging"] = json!({"file": h.dir.path().join("gateway.log")});
    let mut env = h.env().0;
    env.push((
        "OPENCLAW_CONTROL_UI_DIR".into(),
        control_ui_dir().display().to_string(),
    ));
    let gw = GatewayProc::start(h.dir.path(), &config, &env).await;
    assert_eq!(
        gw.connect().await.hello["server"]["controlUiBuildSource"],
        "configured"
    );

    let artifacts =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("official-ui-chat.png");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients_support/ui_tour.mjs");
    let out = tokio::time::timeout(
        Duration::from_secs(150),
        tokio::process::Command::new(tool("OPENCLAW_NODE24"))
            .arg(&script)
            .arg(tool("OPENCLAW_PLAYWRIGHT"))
            .arg(chromium())
            .arg(format!("http://127.0.0.1:{}", gw.port))
            .arg(TOKEN)
            .arg(ANSWER)
            .arg(&shot)
            .args(VIEWS)
            .output(),
    )
    .await
    .expect("the UI tour finishes within 150 s")
    .expect("node runs the UI tour");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the UI tour failed:\n{stdout}\n{}\n--- gateway ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        gw.logs()
    );
    let report: Value = serde_json::from_str(stdout.trim()).expect("one JSON report");

    let mut problems = Vec::new();
    for view in VIEWS
        .iter()
        .map(|v| v.split('=').next().unwrap())
        .chain(["boot", "chat-send"])
    {
        let v = &report["views"][view];
        assert!(v.is_object(), "view {view} was not visited: {report}");
        for e in v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .chain(v["failedRequests"].as_array().unwrap())
        {
            problems.push(format!("{view}: {}", e.as_str().unwrap()));
        }
    }
    assert!(
        problems.is_empty(),
        "errors in the official UI:\n{}",
        problems.join("\n")
    );
    assert!(
        report["views"]["boot"]["calls"].as_u64().unwrap() > 20,
        "{report}"
    );
    // Views that read their own data did (the tour really reached them).
    for view in [
        "logs",
        "debug",
        "settings-devices",
        "automations",
        "usage",
        "systems",
    ] {
        assert!(
            report["views"][view]["calls"].as_u64().unwrap() > 0,
            "{view} made no call: {report}"
        );
    }
    for method in [
        "chat.startup",
        "sessions.messages.subscribe",
        "config.get",
        "logs.tail",
        "diagnostics.lanes",
        "device.pair.list",
    ] {
        assert!(
            report["methods"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == method),
            "the UI never called {method}: {report}"
        );
    }
    assert_eq!(report["chat"]["sent"], true, "no chat.send: {report}");
    assert_eq!(
        report["chat"]["answered"], true,
        "the answer never appeared: {report}"
    );
    assert!(shot.is_file());

    // What the page showed is what the transcript holds.
    let mut client = gw.connect().await;
    let history = client
        .call("chat.history", json!({"sessionKey": "main"}))
        .await;
    let texts: Vec<String> = history["payload"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].to_string())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("Tell me about foxes")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.contains(ANSWER)), "{texts:?}");
    gw.stop().await;
}
