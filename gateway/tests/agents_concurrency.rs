//! The scheduler over real HTTP: `maxConcurrent` holds under 50 parallel sends,
//! the queue is bounded, and an abort really closes the upstream request.

mod agents_support;

use std::time::Duration;

use agents_support::*;
use futures::future::join_all;
use openclaw_fakes::providers::{Answer, Outcome, Reply};
use openclaw_gateway::agents::{RunEventKind, SendError, SendRequest};

fn send(key: &str) -> SendRequest {
    message(key, &format!("hello from {key}"))
}

#[tokio::test]
async fn fifty_parallel_sends_never_exceed_max_concurrent() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("one two three")
            .deltas(3)
            .delay(Duration::from_millis(20)),
    ));
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 4)).await;
    let mut rx = engine.subscribe();
    let runs: Vec<String> = (0..50)
        .map(|i| engine.send(send(&format!("s{i}"))).unwrap().run_id)
        .collect();
    let waits = runs
        .iter()
        .map(|id| engine.wait(id, Duration::from_secs(30)));
    let outcomes = join_all(waits).await;
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Some(r) if matches!(r.outcome, openclaw_gateway::agents::RunOutcome::Ok { .. })))
    );
    assert_eq!(h.anthropic.requests().len(), 50);
    assert_eq!(h.anthropic.max_in_flight(), 4, "4 at once, and never more");
    let mut queued = 0;
    while let Ok(e) = rx.try_recv() {
        if matches!(e.kind, RunEventKind::Queued { .. }) {
            queued += 1;
        }
    }
    assert!(
        queued >= 40,
        "runs beyond the limit are reported queued ({queued})"
    );
    assert_eq!(engine.load(), (0, 0));
}

#[tokio::test]
async fn runs_of_one_session_take_turns() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("ok")
            .deltas(2)
            .delay(Duration::from_millis(20)),
    ));
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 8)).await;
    let runs: Vec<String> = (0..5)
        .map(|_| engine.send(send("same")).unwrap().run_id)
        .collect();
    join_all(
        runs.iter()
            .map(|id| engine.wait(id, Duration::from_secs(30))),
    )
    .await;
    assert_eq!(h.anthropic.max_in_flight(), 1);
    let key = engine.session_key("same", None).unwrap();
    assert_eq!(
        engine.history(&key, 100, None).await.unwrap().total,
        10,
        "5 turns, in order"
    );
}

#[tokio::test]
async fn overflowing_the_queue_is_a_clear_error() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Hang);
    let mut options = h.options();
    options.queue_limit = 2;
    let engine = h
        .engine_with(&chain("anthropic/claude-opus-4-5", &[], 1), options)
        .await;
    for i in 0..3 {
        engine.send(send(&format!("s{i}"))).unwrap();
    }
    let err = engine.send(send("s3")).unwrap_err();
    assert!(matches!(err, SendError::QueueFull(_)));
    assert!(
        err.to_string().starts_with("agent run queue is full:")
            && err
                .to_string()
                .contains("agents.defaults.maxConcurrent = 1"),
        "{err}"
    );
}

#[tokio::test]
async fn abort_closes_the_upstream_request_and_keeps_the_partial_answer() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Answer(
        Answer::text("a b c d e f g h i j")
            .deltas(10)
            .delay(Duration::from_millis(100)),
    ));
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 4)).await;
    let mut rx = engine.subscribe();
    let run = engine.send(send("main")).unwrap();
    // Wait for the first delta, then abort.
    loop {
        let e = rx.recv().await.unwrap();
        if matches!(e.kind, RunEventKind::Delta { .. }) {
            break;
        }
    }
    assert!(engine.abort_run(&run.run_id));
    let rest = events_of(&mut rx, &run.run_id).await;
    let RunEventKind::Aborted { partial } = &rest.last().unwrap().kind else {
        panic!("{:?}", rest.last());
    };
    assert!(partial.starts_with("a "), "{partial:?}");
    let upstream = &h.anthropic.requests()[0];
    assert_eq!(
        upstream.finished(Duration::from_secs(5)).await,
        Outcome::Disconnected,
        "the provider saw the connection close"
    );
    assert!(!engine.abort_run(&run.run_id), "already over");
    let key = engine.session_key("main", None).unwrap();
    let last = engine
        .history(&key, 1, None)
        .await
        .unwrap()
        .messages
        .remove(0);
    assert_eq!(last.stop_reason.as_deref(), Some("aborted"));
    assert_eq!(&last.text(), partial);
}

#[tokio::test]
async fn aborting_a_session_ends_its_queued_runs_without_calling_a_model() {
    let h = Harness::new().await;
    h.anthropic.always(Reply::Hang);
    let engine = h.engine(&chain("anthropic/claude-opus-4-5", &[], 1)).await;
    let mut rx = engine.subscribe();
    let first = engine.send(send("busy")).unwrap();
    h.anthropic
        .wait_for_requests(1, Duration::from_secs(5))
        .await;
    let queued = engine.send(send("other")).unwrap();
    let other_key = engine.session_key("other", None).unwrap();
    assert_eq!(
        engine.abort_session(&other_key),
        vec![queued.run_id.clone()]
    );
    let events = events_of(&mut rx, &queued.run_id).await;
    assert!(matches!(
        events.last().unwrap().kind,
        RunEventKind::Aborted { .. }
    ));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, RunEventKind::Started))
    );
    assert_eq!(
        h.anthropic.requests().len(),
        1,
        "the queued run never reached the provider"
    );
    engine.abort_run(&first.run_id);
    assert_eq!(
        h.anthropic.requests()[0]
            .finished(Duration::from_secs(5))
            .await,
        Outcome::Disconnected
    );
}
