//! Fallbacks over real HTTP: every failure kind of the primary makes the next
//! model answer, and the run records which model answered and why the others
//! were skipped — in the stored message and in the events.

mod agents_support;

use std::time::Duration;

use agents_support::*;
use openclaw_fakes::providers::{Answer, Failure, FakeProvider, Flavor, Outcome, Reply};
use openclaw_gateway::agents::RunEventKind;
use openclaw_gateway::agents::providers::Timeouts;

struct Case {
    primary: &'static str,
    reply: Reply,
    reason: &'static str,
    status: Option<u16>,
}

async fn falls_back(case: Case) {
    let h = Harness::new().await;
    let (provider, model) = case.primary.split_once('/').unwrap();
    let fake = match provider {
        "anthropic" => &h.anthropic,
        "openai" => &h.openai,
        _ => &h.gemini,
    };
    fake.push(model, case.reply);
    let fallback = if provider == "openai" {
        "anthropic/claude-sonnet-4-5"
    } else {
        "openai/gpt-4o"
    };
    let mut options = h.options();
    options.timeouts = Timeouts {
        first_byte: Duration::from_millis(400),
        idle: Duration::from_millis(400),
    };
    let engine = h
        .engine_with(
            &patient(
                chain(case.primary, &[fallback], 4),
                fallback.split('/').next().unwrap(),
            ),
            options,
        )
        .await;
    let mut rx = engine.subscribe();
    let run = engine.send(message("main", "hello")).unwrap();
    let events = events_of(&mut rx, &run.run_id).await;
    let what = format!("{} failing with {}", case.primary, case.reason);

    let fallback_event = events.iter().find_map(|e| match &e.kind {
        RunEventKind::Fallback {
            from, to, reason, ..
        } => Some((from.clone(), to.clone(), reason.as_str())),
        _ => None,
    });
    assert_eq!(
        fallback_event,
        Some((case.primary.to_owned(), fallback.to_owned(), case.reason)),
        "{what}: fallback event"
    );
    let RunEventKind::Final { message } = &events.last().unwrap().kind else {
        panic!("{what}: run did not answer: {:?}", events.last());
    };
    assert_eq!(message.model.as_deref(), Some(fallback), "{what}");
    assert_eq!(
        message.text(),
        "echo: hello",
        "{what}: only the fallback's text is kept"
    );
    assert_eq!(message.attempts.len(), 2, "{what}: {:?}", message.attempts);
    let skipped = message.attempts[0]
        .failure
        .as_ref()
        .expect("primary recorded as failed");
    assert_eq!(skipped.reason.as_str(), case.reason, "{what}");
    assert_eq!(skipped.status, case.status, "{what}");
    assert!(!skipped.message.is_empty());
    assert!(message.attempts[1].failure.is_none());

    // The same record is in the session on disk.
    let key = engine.session_key("main", None).unwrap();
    let stored = engine
        .history(&key, 1, None)
        .await
        .unwrap()
        .messages
        .remove(0);
    assert_eq!(stored.attempts, message.attempts, "{what}: stored record");
}

#[tokio::test]
async fn rate_limit_429_falls_back() {
    falls_back(Case {
        primary: "anthropic/claude-opus-4-5",
        reply: Reply::Fail(Failure::RateLimited {
            retry_after: Some(7),
        }),
        reason: "rate_limit",
        status: Some(429),
    })
    .await;
}

#[tokio::test]
async fn anthropic_overload_529_falls_back() {
    falls_back(Case {
        primary: "anthropic/claude-opus-4-5",
        reply: Reply::Fail(Failure::Overloaded),
        reason: "overloaded",
        status: Some(529),
    })
    .await;
}

#[tokio::test]
async fn openai_overload_503_falls_back() {
    falls_back(Case {
        primary: "openai/gpt-4o",
        reply: Reply::Fail(Failure::Overloaded),
        reason: "overloaded",
        status: Some(503),
    })
    .await;
}

#[tokio::test]
async fn server_error_500_falls_back() {
    falls_back(Case {
        primary: "google/gemini-2.5-pro",
        reply: Reply::Fail(Failure::ServerError),
        reason: "server_error",
        status: Some(500),
    })
    .await;
}

#[tokio::test]
async fn auth_failure_falls_back() {
    falls_back(Case {
        primary: "anthropic/claude-opus-4-5",
        reply: Reply::Fail(Failure::Unauthorized),
        reason: "auth",
        status: Some(401),
    })
    .await;
}

#[tokio::test]
async fn gemini_invalid_key_400_is_an_auth_failure() {
    falls_back(Case {
        primary: "google/gemini-2.5-pro",
        reply: Reply::Fail(Failure::Unauthorized),
        reason: "auth",
        status: Some(400),
    })
    .await;
}

#[tokio::test]
async fn first_byte_timeout_falls_back() {
    falls_back(Case {
        primary: "anthropic/claude-opus-4-5",
        reply: Reply::Hang,
        reason: "first_byte_timeout",
        status: None,
    })
    .await;
}

#[tokio::test]
async fn idle_timeout_mid_stream_falls_back() {
    falls_back(Case {
        primary: "openai/gpt-4o",
        reply: Reply::Answer(Answer::text("partial answer here").deltas(4).stall_after(2)),
        reason: "idle_timeout",
        status: None,
    })
    .await;
}

#[tokio::test]
async fn an_in_stream_overload_error_falls_back() {
    falls_back(Case {
        primary: "anthropic/claude-opus-4-5",
        reply: Reply::Answer(
            Answer::text("half of it")
                .deltas(4)
                .fail_after(2, Failure::Overloaded),
        ),
        reason: "overloaded",
        status: None,
    })
    .await;
}

#[tokio::test]
async fn a_hung_primary_is_disconnected_when_the_fallback_takes_over() {
    let h = Harness::new().await;
    h.anthropic.push("claude-opus-4-5", Reply::Hang);
    let mut options = h.options();
    options.timeouts.first_byte = Duration::from_millis(300);
    let engine = h
        .engine_with(
            &patient(
                chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4),
                "openai",
            ),
            options,
        )
        .await;
    let mut rx = engine.subscribe();
    let run = engine.send(message("main", "x")).unwrap();
    events_of(&mut rx, &run.run_id).await;
    let hung = &h.anthropic.requests()[0];
    assert_eq!(
        hung.finished(Duration::from_secs(5)).await,
        Outcome::Disconnected
    );
}

#[tokio::test]
async fn every_model_failing_reports_all_attempts() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Fail(Failure::rate_limited()));
    h.openai.always(Reply::Fail(Failure::ServerError));
    let engine = h
        .engine(&chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4))
        .await;
    let mut rx = engine.subscribe();
    let run = engine.send(message("main", "x")).unwrap();
    let events = events_of(&mut rx, &run.run_id).await;
    let RunEventKind::Error {
        message,
        attempts,
        reason,
    } = &events.last().unwrap().kind
    else {
        panic!("{:?}", events.last());
    };
    assert_eq!(attempts.len(), 2);
    assert_eq!(reason.map(|r| r.as_str()), Some("server_error"));
    assert!(
        message
            .starts_with("all 2 attempts failed: anthropic/claude-opus-4-5 → rate_limit HTTP 429"),
        "{message}"
    );
    assert_eq!(
        attempts[0].failure.as_ref().unwrap().retry_after_ms,
        Some(1000)
    );
}

#[tokio::test]
async fn an_invalid_request_does_not_fall_back() {
    let h = Harness::new().await;
    h.anthropic
        .push("claude-opus-4-5", Reply::Fail(Failure::BadRequest));
    let engine = h
        .engine(&chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4))
        .await;
    let mut rx = engine.subscribe();
    let run = engine.send(message("main", "x")).unwrap();
    let events = events_of(&mut rx, &run.run_id).await;
    assert!(matches!(
        events.last().unwrap().kind,
        RunEventKind::Error { .. }
    ));
    assert!(
        h.openai.requests().is_empty(),
        "the same request would fail on the next model too"
    );
}

#[tokio::test]
async fn a_rate_limited_key_rotates_to_the_next_key_of_the_provider() {
    let h = Harness::new().await;
    // Two keys for Anthropic on a fake that accepts any key and rate-limits the first request.
    let mut options = h.options();
    options.env.0.push((
        "ANTHROPIC_API_KEYS".into(),
        format!("sk-first,{ANTHROPIC_KEY}"),
    ));
    let fresh = FakeProvider::start(Flavor::Anthropic).await;
    fresh.push("claude-opus-4-5", Reply::Fail(Failure::rate_limited()));
    for (k, v) in options.env.0.iter_mut() {
        if k == "ANTHROPIC_BASE_URL" {
            *v = fresh.base_url();
        }
    }
    let engine = h
        .engine_with(
            &chain("anthropic/claude-opus-4-5", &["openai/gpt-4o"], 4),
            options,
        )
        .await;
    let mut rx = engine.subscribe();
    let run = engine.send(message("main", "x")).unwrap();
    let events = events_of(&mut rx, &run.run_id).await;
    let RunEventKind::Final { message } = &events.last().unwrap().kind else {
        panic!("{:?}", events.last());
    };
    assert_eq!(
        message.model.as_deref(),
        Some("anthropic/claude-opus-4-5"),
        "the second key answered"
    );
    let keys: Vec<String> = fresh
        .requests()
        .iter()
        .map(|r| r.header("x-api-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["sk-first", ANTHROPIC_KEY]);
    assert_eq!(
        message.attempts[0]
            .failure
            .as_ref()
            .unwrap()
            .key_source
            .as_deref(),
        Some("ANTHROPIC_API_KEYS")
    );
    assert!(h.openai.requests().is_empty());
}
