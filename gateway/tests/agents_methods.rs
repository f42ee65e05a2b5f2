//! The agents' WebSocket methods and event payloads, called directly over a
//! real engine and fake providers, checked against the shapes the reference
//! gateway (openclaw 2026.9.6) produced live (`agents_fixtures/`).

mod agents_support;

use std::collections::BTreeSet;
use std::time::Duration;

use agents_support::*;
use openclaw_fakes::providers::{Answer, Reply};
use openclaw_gateway::agents::protocol::methods::{self, ErrorCode};
use openclaw_gateway::agents::protocol::project::Projector;
use serde_json::{Value, json};

/// The reference's frames of one kind, from the fixture capture.
fn reference(pick: impl Fn(&Value) -> bool) -> Vec<Value> {
    include_str!("agents_fixtures/node-2026.9.6-chat.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|f| pick(f))
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn chat_events_have_the_references_fields() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("Hello from the fake model").deltas(4),
    ));
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 4)).await;
    let mut rx = engine.subscribe();
    let sent = methods::chat_send(
        &engine,
        Some(&json!({"sessionKey": "main", "message": "hi", "idempotencyKey": "r1"})),
    )
    .await
    .unwrap();
    assert_eq!(sent, json!({"runId": "r1", "status": "started"}));
    let mut projector = Projector::default();
    let frames: Vec<(&str, Value)> = events_of(&mut rx, "r1")
        .await
        .iter()
        .flat_map(|e| projector.project(e))
        .collect();

    for state in ["delta", "final"] {
        let ours = frames
            .iter()
            .find(|(n, p)| *n == "chat" && p["state"] == state)
            .unwrap();
        let theirs =
            reference(|f| f["event"] == "chat" && f["payload"]["state"] == state).remove(0);
        assert_eq!(
            keys(&ours.1),
            keys(&theirs["payload"]),
            "chat {state} payload fields"
        );
        assert_eq!(
            keys(&ours.1["message"]),
            keys(&theirs["payload"]["message"])
        );
    }
    for stream in ["assistant", "lifecycle", "run_status"] {
        let theirs: BTreeSet<String> =
            reference(|f| f["event"] == "agent" && f["payload"]["stream"] == stream)
                .iter()
                .flat_map(|f| keys(&f["payload"]))
                .collect();
        for (_, ours) in frames
            .iter()
            .filter(|(n, p)| *n == "agent" && p["stream"] == stream)
        {
            assert!(
                keys(ours).is_subset(&theirs),
                "agent {stream} fields {:?} ⊆ {theirs:?}",
                keys(ours)
            );
        }
    }
    let phases: Vec<&str> = frames
        .iter()
        .filter(|(n, p)| *n == "agent" && p["stream"] == "lifecycle")
        .map(|(_, p)| p["data"]["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["start", "model", "end"]);
    let last = frames.iter().rev().find(|(n, _)| *n == "chat").unwrap();
    assert_eq!(
        last.1["message"]["content"][0]["text"],
        "Hello from the fake model"
    );
    let deltas: Vec<&str> = frames
        .iter()
        .filter(|(n, p)| *n == "chat" && p["state"] == "delta")
        .map(|(_, p)| p["deltaText"].as_str().unwrap())
        .collect();
    assert_eq!(deltas.concat(), "Hello from the fake model");
}

#[tokio::test]
async fn history_sessions_agents_and_models_answer_like_the_reference() {
    let h = Harness::new().await;
    let engine = h
        .engine(&chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4))
        .await;
    let mut rx = engine.subscribe();
    methods::chat_send(
        &engine,
        Some(&json!({"sessionKey": "main", "message": "hi there", "idempotencyKey": "r1"})),
    )
    .await
    .unwrap();
    events_of(&mut rx, "r1").await;

    let history = methods::chat_history(&engine, Some(&json!({"sessionKey": "main"})))
        .await
        .unwrap();
    let theirs = reference(|f| f["res"] == "chat.history").remove(0)["frame"]["payload"].clone();
    for k in [
        "sessionKey",
        "sessionId",
        "messages",
        "pendingInputs",
        "hasMore",
        "totalMessages",
        "defaults",
        "sessionInfo",
    ] {
        assert!(
            history.get(k).is_some() && theirs.get(k).is_some(),
            "chat.history has {k}"
        );
    }
    assert_eq!(
        history["sessionKey"], "main",
        "the key as the caller gave it"
    );
    assert_eq!(
        history["messages"][0]["content"], "hi there",
        "user content is a string"
    );
    assert_eq!(
        history["messages"][1]["content"][0]["text"],
        "echo: hi there"
    );
    assert_eq!(history["messages"][1]["provider"], "anthropic");
    assert_eq!(history["messages"][1]["model"], "claude-opus-4-5");
    assert_eq!(history["totalMessages"], 2);

    let page = methods::chat_history(&engine, Some(&json!({"sessionKey": "main", "limit": 1})))
        .await
        .unwrap();
    assert_eq!(
        (page["hasMore"].as_bool(), page["nextOffset"].as_u64()),
        (Some(true), Some(1))
    );
    let older = methods::chat_history(
        &engine,
        Some(&json!({"sessionKey": "main", "limit": 1, "offset": 1})),
    )
    .await
    .unwrap();
    assert_eq!(older["messages"][0]["content"], "hi there");

    let sessions = methods::sessions_list(&engine, None).await.unwrap();
    assert_eq!(sessions["count"], 1);
    assert_eq!(sessions["sessions"][0]["key"], "agent:main:main");
    assert_eq!(sessions["sessions"][0]["modelProvider"], "anthropic");
    let theirs = reference(|f| f["res"] == "sessions.list").remove(0)["frame"]["payload"].clone();
    assert!(
        keys(&sessions).is_subset(&keys(&theirs)),
        "sessions.list fields {:?} ⊆ {:?}",
        keys(&sessions),
        keys(&theirs)
    );

    let agents = methods::agents_list(&engine, Some(&json!({})))
        .await
        .unwrap();
    assert_eq!(agents["defaultId"], "main");
    assert_eq!(
        agents["agents"][0]["model"],
        json!({"primary": "anthropic/claude-opus-4-5", "fallbacks": ["openai/gpt-4o"]})
    );
    let models = methods::models_list(&engine, None).await.unwrap();
    let ids: Vec<&str> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["claude-opus-4-5", "gpt-4o"]);
    assert_eq!(models["models"][0]["available"], true);
}

#[tokio::test]
async fn agent_replies_twice_and_wait_reports_the_end() {
    let h = Harness::new().await;
    let engine = h.engine(&chain("openai/gpt-4o", &[], 4)).await;
    let (first, last) = methods::agent(
        &engine,
        Some(&json!({"message": "do it", "idempotencyKey": "a1"})),
    )
    .await
    .unwrap();
    assert_eq!(first["status"], "accepted");
    assert_eq!(first["sessionKey"], "agent:main:main");
    let done = last.await.unwrap();
    assert_eq!(done["status"], "ok");
    assert_eq!(done["result"]["payloads"][0]["text"], "echo: do it");
    let waited = methods::agent_wait(&engine, Some(&json!({"runId": "a1", "timeoutMs": 1000})))
        .await
        .unwrap();
    assert_eq!(waited["status"], "ok");
    assert_eq!(waited["terminalReply"]["text"], "echo: do it");
    let unknown = methods::agent_wait(&engine, Some(&json!({"runId": "nope"})))
        .await
        .unwrap_err();
    assert_eq!(unknown.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn abort_reset_and_delete_through_the_methods() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("a b c d e f")
            .deltas(6)
            .delay(Duration::from_millis(200)),
    ));
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 4)).await;
    let nothing = methods::chat_abort(&engine, Some(&json!({"sessionKey": "main"})))
        .await
        .unwrap();
    assert_eq!(nothing, json!({"ok": true, "aborted": false, "runIds": []}));
    methods::chat_send(
        &engine,
        Some(&json!({"sessionKey": "main", "message": "go", "idempotencyKey": "r9"})),
    )
    .await
    .unwrap();
    h.anthropic
        .wait_for_requests(1, Duration::from_secs(5))
        .await;
    let aborted = methods::chat_abort(&engine, Some(&json!({"sessionKey": "main", "runId": "r9"})))
        .await
        .unwrap();
    assert_eq!(
        aborted,
        json!({"ok": true, "aborted": true, "runIds": ["r9"]})
    );
    let waited = methods::agent_wait(&engine, Some(&json!({"runId": "r9"})))
        .await
        .unwrap();
    assert_eq!(waited["status"], "aborted");

    let reset = methods::sessions_reset(&engine, Some(&json!({"key": "main"})))
        .await
        .unwrap();
    assert_eq!(reset["key"], "agent:main:main");
    let after = methods::chat_history(&engine, Some(&json!({"sessionKey": "main"})))
        .await
        .unwrap();
    assert_eq!(after["totalMessages"], 0);
    let deleted = methods::sessions_delete(&engine, Some(&json!({"key": "main"})))
        .await
        .unwrap();
    assert_eq!(deleted["deleted"], true);
    let again = methods::sessions_delete(&engine, Some(&json!({"key": "main"})))
        .await
        .unwrap();
    assert_eq!(again["deleted"], false);
}

#[tokio::test]
async fn bad_params_are_invalid_requests_in_the_references_words() {
    let h = Harness::new().await;
    let engine = h.engine(&json!({})).await;
    let e = methods::chat_send(
        &engine,
        Some(&json!({"sessionKey": "main", "message": "x"})),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            ErrorCode::InvalidRequest,
            "invalid chat.send params: must have required property 'idempotencyKey'"
        )
    );
    let e = methods::chat_history(&engine, Some(&json!({"sessionKey": "agent:ghost:main"})))
        .await
        .unwrap_err();
    assert_eq!(e.message, "unknown agent \"ghost\" (configured: main)");
    let e = methods::sessions_list(&engine, Some(&json!({"limit": 0})))
        .await
        .unwrap_err();
    assert_eq!(
        e.message,
        "invalid sessions.list params: at /limit: must be >= 1"
    );
}
