//! End to end through the real `openclaw gateway` process: a WebSocket client
//! chats with an agent answered by a fake provider; sessions survive a
//! restart and a `kill -9` in the middle of a run; keys never reach the logs.

mod agents_support;

use std::time::Duration;

use agents_support::gateway::GatewayProc;
use agents_support::*;
use openclaw_fakes::providers::{Answer, Failure, Reply};
use serde_json::{Value, json};

fn env_pairs(h: &Harness) -> Vec<(String, String)> {
    h.env().0
}

fn texts(history: &Value) -> Vec<String> {
    history["payload"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            other => other[0]["text"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

#[tokio::test]
async fn an_answer_streams_to_a_websocket_client_in_order() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("one two three four five six")
            .deltas(6)
            .delay(Duration::from_millis(10)),
    ));
    let gw = GatewayProc::start(
        h.dir.path(),
        &chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4),
        &env_pairs(&h),
    )
    .await;
    let mut client = gw.connect().await;
    let methods = client.hello["features"]["methods"]
        .as_array()
        .unwrap()
        .clone();
    for m in [
        "chat.send",
        "chat.history",
        "chat.abort",
        "sessions.list",
        "sessions.reset",
        "sessions.delete",
        "agent",
        "agent.wait",
        "models.list",
        "agents.list",
    ] {
        assert!(methods.contains(&json!(m)), "hello-ok lists {m}");
    }
    let events = client.hello["features"]["events"]
        .as_array()
        .unwrap()
        .clone();
    assert!(events.contains(&json!("chat")) && events.contains(&json!("agent")));

    let res = client.send_chat("main", "count", "ws-1").await;
    assert_eq!(
        res["payload"],
        json!({"runId": "ws-1", "status": "started"})
    );
    let chat = client.chat_until_done("ws-1").await;
    let deltas: Vec<&str> = chat
        .iter()
        .filter(|p| p["state"] == "delta")
        .map(|p| p["deltaText"].as_str().unwrap())
        .collect();
    assert_eq!(deltas.len(), 6);
    assert_eq!(deltas.concat(), "one two three four five six");
    let seqs: Vec<u64> = chat.iter().map(|p| p["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "per-run seq increases: {seqs:?}"
    );
    let last = chat.last().unwrap();
    assert_eq!(last["state"], "final");
    assert_eq!(
        last["message"]["content"][0]["text"],
        "one two three four five six"
    );
    assert_eq!(last["sessionKey"], "agent:main:main");

    let status = client.call("status", json!({})).await;
    assert_eq!(status["payload"]["sessions"]["count"], 1);
    let health = client.call("health", json!({})).await;
    assert_eq!(health["payload"]["defaultAgentId"], "main");
    gw.stop().await;
}

#[tokio::test]
async fn sessions_survive_a_restart_and_a_kill_9_mid_write() {
    let h = Harness::new().await;
    let config = chain("anthropic/claude-opus-4-5", &[], 4);
    let gw = GatewayProc::start(h.dir.path(), &config, &env_pairs(&h)).await;
    let mut client = gw.connect().await;
    client.send_chat("main", "first", "r1").await;
    client.chat_until_done("r1").await;
    // A graceful restart keeps everything.
    gw.stop().await;
    let gw = GatewayProc::start(h.dir.path(), &config, &env_pairs(&h)).await;
    let mut client = gw.connect().await;
    let history = client
        .call("chat.history", json!({"sessionKey": "main"}))
        .await;
    assert_eq!(texts(&history), ["first", "echo: first"]);

    // Now a slow answer, killed -9 after its first delta.
    h.anthropic.always(Reply::Answer(
        Answer::text("a b c d e f g h i j")
            .deltas(10)
            .delay(Duration::from_millis(200)),
    ));
    client.send_chat("main", "second", "r2").await;
    loop {
        let e = client.event("chat").await;
        if e["payload"]["runId"] == "r2" && e["payload"]["state"] == "delta" {
            break;
        }
    }
    drop(client);
    gw.kill9().await;
    // The kill may also tear the record being written: simulate the worst case.
    let sessions = h.dir.path().join("agents/main/sessions");
    let transcript = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("a transcript");
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&transcript)
        .unwrap()
        .write_all(br#"{"type":"message","id":"torn","message":{"role":"assistant","content":[{"type":"te"#)
        .unwrap();

    h.anthropic
        .always(Reply::Answer(Answer::text("back again").deltas(2)));
    let gw = GatewayProc::start(h.dir.path(), &config, &env_pairs(&h)).await;
    let mut client = gw.connect().await;
    let history = client
        .call("chat.history", json!({"sessionKey": "main"}))
        .await;
    assert_eq!(
        texts(&history),
        ["first", "echo: first", "second"],
        "earlier history and the interrupted turn's message are intact"
    );
    client.send_chat("main", "third", "r3").await;
    client.chat_until_done("r3").await;
    let history = client
        .call("chat.history", json!({"sessionKey": "main"}))
        .await;
    assert_eq!(
        texts(&history),
        ["first", "echo: first", "second", "third", "back again"]
    );
    let raw = std::fs::read_to_string(&transcript).unwrap();
    for line in raw.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("every line is whole after repair ({e}): {line}"));
    }
    gw.stop().await;
}

#[tokio::test]
async fn keys_never_appear_in_the_gateway_output_or_state_dir() {
    let h = Harness::new().await;
    // Anthropic refuses (401), OpenAI answers: both keys travel, neither may be logged.
    h.anthropic.always(Reply::Fail(Failure::Unauthorized));
    let gw = GatewayProc::start(
        h.dir.path(),
        &chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4),
        &env_pairs(&h),
    )
    .await;
    let mut client = gw.connect().await;
    client.send_chat("main", "hi", "k1").await;
    let chat = client.chat_until_done("k1").await;
    assert_eq!(chat.last().unwrap()["state"], "final");
    let logs = gw.stop().await;
    assert!(
        logs.contains("falling back to openai/gpt-4o"),
        "the fallback was logged: {logs}"
    );
    let mut places = vec![("gateway output".to_owned(), logs)];
    for entry in files_under(h.dir.path()) {
        places.push((
            entry.display().to_string(),
            String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned(),
        ));
    }
    for (place, text) in places {
        for key in [ANTHROPIC_KEY, OPENAI_KEY, GEMINI_KEY] {
            assert!(!text.contains(key), "a provider key leaked into {place}");
        }
    }
}

#[tokio::test]
async fn a_client_that_falls_behind_skips_deltas_but_gets_the_final_answer() {
    let h = Harness::new().await;
    // A long, fast stream: far more event bytes than a socket buffers.
    let text: String = (0..4000).map(|i| format!("w{i} ")).collect();
    h.anthropic
        .always(Reply::Answer(Answer::text(text.clone()).deltas(4000)));
    let gw = GatewayProc::start(
        h.dir.path(),
        &chain("anthropic/claude-opus-4-5", &[], 4),
        &env_pairs(&h),
    )
    .await;
    let mut slow = gw.connect().await;
    let mut driver = gw.connect().await;
    driver.send_chat("main", "go", "big").await;
    // The driver reads everything; the slow client reads nothing until the run is over.
    let done = driver.chat_until_done("big").await;
    assert_eq!(done.last().unwrap()["state"], "final");
    let seen = slow.chat_until_done("big").await;
    let last = seen.last().unwrap();
    assert_eq!(last["state"], "final", "the final event is never dropped");
    assert_eq!(last["message"]["content"][0]["text"], text.as_str());
    let deltas = seen.iter().filter(|p| p["state"] == "delta").count();
    assert!(
        deltas < 4000,
        "a client that fell behind skipped live deltas ({deltas} of 4000 delivered)"
    );
    gw.stop().await;
}
