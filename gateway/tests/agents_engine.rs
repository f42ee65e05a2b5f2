//! The agent engine against fake providers over real HTTP: streaming order,
//! sessions, idempotency and bad input.

mod agents_support;

use std::time::Duration;

use agents_support::*;
use openclaw_fakes::providers::{Answer, Reply};
use openclaw_gateway::agents::{Acceptance, RunEventKind, RunOutcome, SendError, SendRequest};
use serde_json::json;

fn send(text: &str) -> SendRequest {
    message("main", text)
}

#[tokio::test]
async fn an_answer_streams_in_order_and_is_stored() {
    let h = Harness::new().await;
    h.anthropic.push(
        "claude-opus-4-5",
        Reply::Answer(Answer::text("The quick brown fox jumps").deltas(5)),
    );
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 4)).await;
    let mut rx = engine.subscribe();
    let accepted = engine.send(send("hello there")).unwrap();
    assert_eq!(accepted.acceptance, Acceptance::Started);
    assert_eq!(accepted.session_key.as_str(), "agent:main:main");
    let events = events_of(&mut rx, &accepted.run_id).await;

    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "seq counts from 1 without gaps"
    );
    assert!(matches!(events[0].kind, RunEventKind::Started));
    assert!(
        matches!(&events[1].kind, RunEventKind::Attempt { model } if model == "anthropic/claude-opus-4-5")
    );
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            RunEventKind::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas.len(), 5);
    assert_eq!(deltas.concat(), "The quick brown fox jumps");
    let RunEventKind::Final { message } = &events.last().unwrap().kind else {
        panic!("last event is not final: {:?}", events.last());
    };
    assert_eq!(message.text(), "The quick brown fox jumps");
    assert_eq!(message.model.as_deref(), Some("anthropic/claude-opus-4-5"));
    assert_eq!(message.stop_reason.as_deref(), Some("stop"));
    assert_eq!(message.usage.unwrap().output, 5);

    let request = &h.anthropic.requests()[0];
    assert_eq!(request.header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.body["model"], "claude-opus-4-5");
    assert_eq!(request.body["messages"][0]["content"], "hello there");

    let history = engine
        .history(&accepted.session_key, 10, None)
        .await
        .unwrap();
    let texts: Vec<String> = history.messages.iter().map(|m| m.text()).collect();
    assert_eq!(texts, ["hello there", "The quick brown fox jumps"]);
}

#[tokio::test]
async fn each_provider_streams_through_its_own_wire_format() {
    let h = Harness::new().await;
    for (model, fake) in [
        ("openai/gpt-4o", &h.openai),
        ("google/gemini-2.5-flash", &h.gemini),
    ] {
        let id = model.split_once('/').unwrap().1;
        fake.push(
            id,
            Reply::Answer(Answer::text(format!("answer from {id}")).deltas(3)),
        );
        let engine = h.engine(&chain(model, &[], 4)).await;
        let mut rx = engine.subscribe();
        let run = engine.send(send("ping")).unwrap();
        let events = events_of(&mut rx, &run.run_id).await;
        let RunEventKind::Final { message } = &events.last().unwrap().kind else {
            panic!("{model}: {:?}", events.last());
        };
        assert_eq!(message.text(), format!("answer from {id}"));
    }
    let gemini = &h.gemini.requests()[0];
    assert_eq!(gemini.header("x-goog-api-key"), Some(GEMINI_KEY));
    assert_eq!(gemini.query.as_deref(), Some("alt=sse"));
    assert_eq!(
        gemini.path,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    );
    let openai = &h.openai.requests()[0];
    assert_eq!(
        openai.header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    assert_eq!(openai.body["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn the_next_turn_carries_the_history_across_a_restart() {
    let h = Harness::new().await;
    let config = chain("anthropic/claude-opus-4-5", &[], 4);
    {
        let engine = h.engine(&config).await;
        let mut rx = engine.subscribe();
        let run = engine.send(send("first")).unwrap();
        events_of(&mut rx, &run.run_id).await;
    }
    let engine = h.engine(&config).await;
    let key = engine.session_key("main", None).unwrap();
    assert_eq!(
        engine.history(&key, 10, None).await.unwrap().total,
        2,
        "history reloaded from disk"
    );
    let mut rx = engine.subscribe();
    let run = engine.send(send("second")).unwrap();
    events_of(&mut rx, &run.run_id).await;
    let body = &h.anthropic.requests()[1].body;
    let roles: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    assert_eq!(body["messages"][1]["content"], "echo: first");
    let sessions = engine.sessions().await;
    assert_eq!(sessions[0].message_count, 4);
    assert_eq!(
        sessions[0].last_model.as_deref(),
        Some("anthropic/claude-opus-4-5")
    );
}

#[tokio::test]
async fn a_repeated_idempotency_key_does_not_run_twice() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("slow")
            .deltas(2)
            .delay(Duration::from_millis(100)),
    ));
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 4)).await;
    let mut rx = engine.subscribe();
    let req = SendRequest {
        idempotency_key: Some("run-1".into()),
        ..send("hi")
    };
    let first = engine.send(req.clone()).unwrap();
    assert_eq!(first.run_id, "run-1");
    assert_eq!(
        engine.send(req.clone()).unwrap().acceptance,
        Acceptance::InFlight
    );
    events_of(&mut rx, "run-1").await;
    let record = engine.wait("run-1", Duration::from_secs(5)).await.unwrap();
    assert!(matches!(record.outcome, RunOutcome::Ok { .. }));
    assert!(record.ended_at >= record.accepted_at);
    assert!(matches!(
        engine.send(req).unwrap().acceptance,
        Acceptance::Finished(r) if matches!(r.outcome, RunOutcome::Ok { .. })
    ));
    assert_eq!(h.anthropic.requests().len(), 1);
}

#[tokio::test]
async fn bad_sends_are_refused_with_the_reason_and_store_nothing() {
    let h = Harness::new().await;
    let engine = h.engine(&json!({})).await;
    assert!(matches!(
        engine.send(send("   ")),
        Err(SendError::EmptyMessage)
    ));
    assert!(matches!(
        engine.send(send("a\0b")),
        Err(SendError::NullByte)
    ));
    let err = engine
        .send(SendRequest {
            agent_id: Some("ghost".into()),
            ..send("hi")
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown agent \"ghost\" (configured: main)"
    );
    let err = engine
        .send(SendRequest {
            session_key: "agent:ghost:main".into(),
            ..send("hi")
        })
        .unwrap_err();
    assert!(
        err.to_string().starts_with("unknown agent \"ghost\""),
        "{err}"
    );
    assert!(engine.sessions().await.is_empty());
    assert!(h.anthropic.requests().is_empty() && h.openai.requests().is_empty());
}

#[tokio::test]
async fn a_missing_key_names_the_variable_to_set() {
    let h = Harness::new().await;
    let mut options = h.options();
    options.env.0.retain(|(k, _)| k != "ANTHROPIC_API_KEY");
    let engine = h
        .engine_with(&chain("anthropic/claude-opus-4-5", &[], 4), options)
        .await;
    let mut rx = engine.subscribe();
    let run = engine.send(send("hi")).unwrap();
    let events = events_of(&mut rx, &run.run_id).await;
    let RunEventKind::Error {
        message, reason, ..
    } = &events.last().unwrap().kind
    else {
        panic!("{:?}", events.last());
    };
    assert!(message.contains("set ANTHROPIC_API_KEY"), "{message}");
    assert_eq!(reason.map(|r| r.as_str()), Some("missing_key"));
    assert!(h.anthropic.requests().is_empty());
}
