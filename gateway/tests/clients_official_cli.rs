//! The official CLI (npm `openclaw@2026.9.6` on Node 24) for daily use against our
//! gateway, one gateway for the whole batch: `status --json`, `health`,
//! `models list`, `logs`, `system heartbeat last`, `devices list`, `nodes status`,
//! `approvals get --gateway`, `message send` (through the Telegram bot, against
//! the fake Bot API), `sessions delete --dry-run`, `sessions compact`, and the
//! `sessions.subscribe` the TUI opens with.

mod agents_support;
mod clients_support;

use std::time::{Duration, Instant};

use agents_support::gateway::{GatewayProc, TOKEN};
use agents_support::*;
use clients_support::cli;
use openclaw_fakes::providers::{Answer, Reply};
use openclaw_fakes::telegram::FakeTelegram;
use serde_json::json;

const OWNER: i64 = 42;

#[tokio::test]
async fn official_cli_daily_commands_against_our_gateway() {
    let h = Harness::new().await;
    h.anthropic
        .always(Reply::Answer(Answer::text("Noted.").deltas(2)));
    let tg = FakeTelegram::start().await;
    let mut config = chain("anthropic/claude-opus-4-5", &[], 4);
    config["logging"] = json!({"file": h.dir.path().join("gateway.log")});
    config["channels"] =
        json!({"telegram": {"dmPolicy": "allowlist", "allowFrom": [OWNER.to_string()]}});
    let mut env = h.env().0;
    env.push(("TELEGRAM_API_BASE_URL".into(), tg.api_base()));
    env.push(("TELEGRAM_BOT_TOKEN".into(), tg.token()));
    let gw = GatewayProc::start(h.dir.path(), &config, &env).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !gw.logs().contains("[telegram] [default] starting provider") {
        assert!(
            Instant::now() < deadline,
            "Telegram never started:\n{}",
            gw.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Two sessions with a turn each, so the listings have something to show.
    let mut client = gw.connect().await;
    for (key, run) in [("main", "cli-run-main"), ("work", "cli-run-work")] {
        let sent = client.send_chat(key, "remember this", run).await;
        assert_eq!(sent["ok"], true, "{sent}");
        let done = client
            .call("agent.wait", json!({"runId": run, "timeoutMs": 20000}))
            .await;
        assert_eq!(done["payload"]["status"], "ok", "{done}");
    }
    let state = gw.state_dir.clone();
    let run = |args: &'static [&'static str]| {
        let state = state.clone();
        let port = gw.port;
        async move { cli(args, &state, port, TOKEN).await }
    };

    // The read-only commands run side by side: each is a Node process that mostly
    // waits, and one at a time they would take minutes on a loaded machine.
    let (status, health, models, logs, beat, devices, nodes, approvals) = tokio::join!(
        run(&["status", "--json"]),
        run(&["health"]),
        run(&["models", "list", "--json"]),
        run(&["logs", "--limit", "200", "--json"]),
        run(&["system", "heartbeat", "last", "--json"]),
        run(&["devices", "list", "--json"]),
        run(&["nodes", "status"]),
        run(&["approvals", "get", "--gateway", "--json"]),
    );

    let status = status.assert_ok("status --json").json();
    assert_eq!(status["gateway"]["reachable"], true, "{status}");
    let by_agent = &status["sessions"]["byAgent"][0];
    assert_eq!(by_agent["agentId"], "main", "{status}");
    assert_eq!(by_agent["count"], 2, "{status}");

    let text = &health.assert_ok("health").stdout;
    assert!(text.contains("Agents: main (default)"), "{text}");
    assert!(
        text.contains("Session store (main)") && text.contains("(2 entries)"),
        "{text}"
    );
    assert!(text.contains("Gateway event loop: ok"), "{text}");

    let models = &models.assert_ok("models list").stdout;
    assert!(models.contains("claude-opus-4-5"), "{models}");

    let logs = &logs.assert_ok("logs").stdout;
    assert!(
        logs.contains(&h.dir.path().join("gateway.log").display().to_string()),
        "{logs}"
    );
    assert!(logs.contains("listening on ws://127.0.0.1:"), "{logs}");

    assert_eq!(
        beat.assert_ok("system heartbeat last").stdout.trim(),
        "null"
    );

    let devices = devices.assert_ok("devices list").json();
    assert_eq!(devices["pending"], json!([]), "{devices}");
    assert!(devices["paired"].is_array(), "{devices}");

    assert!(
        nodes.assert_ok("nodes status").stdout.contains("Known: 0"),
        "{}",
        nodes.stdout
    );

    let approvals = approvals.assert_ok("approvals get --gateway").json();
    assert_eq!(approvals["file"]["version"], 1, "{approvals}");
    assert_eq!(approvals["exists"], false, "{approvals}");

    let sent = run(&[
        "message",
        "send",
        "--channel",
        "telegram",
        "--target",
        "42",
        "--message",
        "hi from the CLI",
        "--json",
    ])
    .await;
    sent.assert_ok("message send");
    let posted = tg.wait_for_sent(1, Duration::from_secs(20)).await;
    assert_eq!(posted, [(OWNER, "hi from the CLI".to_owned())]);

    let dry = run(&[
        "sessions",
        "delete",
        "agent:main:work",
        "--dry-run",
        "--json",
    ])
    .await;
    let dry = dry.assert_ok("sessions delete --dry-run").stdout.clone();
    assert!(dry.contains("agent:main:work"), "{dry}");
    let still = client
        .call("sessions.describe", json!({"key": "agent:main:work"}))
        .await;
    assert!(
        still["payload"]["session"].is_object(),
        "a dry run deleted the session: {still}"
    );

    // Compaction belongs to the agents engine; a session with nothing to compact
    // answers as the original does (`compacted: false`).
    if client.hello["features"]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "sessions.compact")
    {
        let compact = run(&["sessions", "compact", "agent:main:fresh", "--json"]).await;
        let out = format!("{}{}", compact.stdout, compact.stderr);
        assert!(
            out.contains("compacted") || out.contains("agent:main:fresh"),
            "{out}"
        );
    }

    let sub = run(&["gateway", "call", "sessions.subscribe", "--json"]).await;
    assert_eq!(
        sub.assert_ok("gateway call sessions.subscribe").json()["subscribed"],
        true
    );
    gw.stop().await;
}
