//! Waits: re-waiting across the API's 60 s ceiling (408s) up to the caller's
//! deadline, 404 accepted for `destroyed`, and the query the API expects.

use std::time::Duration;

use fly_machines::{Error, MachineState, WaitFor, WaitState};
use serde_json::json;

use crate::support::{Reply, Scripted};

const ID: &str = "1857156b526dd8";

#[tokio::test]
async fn wait_re_waits_after_408_until_the_state_is_reached() {
    let server = Scripted::start([
        Reply::json(
            408,
            json!({"error": "deadline_exceeded: timeout waiting for machine to be started"}),
        ),
        Reply::json(
            408,
            json!({"error": "deadline_exceeded: timeout waiting for machine to be started"}),
        ),
        Reply::json(
            200,
            json!({"ok": true, "state": "started", "version": "01HQ", "event_id": "01EV"}),
        ),
    ])
    .await;
    let target = WaitFor::state(WaitState::Started, Duration::from_secs(150)).version("01HQ");
    let reached = server
        .client()
        .machines("a")
        .wait(ID, &target)
        .await
        .unwrap();
    assert_eq!(reached.state, MachineState::Started);
    assert_eq!(reached.event_id.as_deref(), Some("01EV"));
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    let query = seen[0].query_pairs();
    assert_eq!(seen[0].path, "/v1/apps/a/machines/1857156b526dd8/wait");
    assert_eq!(
        query,
        vec![
            ("timeout".into(), "60".into()),
            ("state".into(), "started".into()),
            ("version".into(), "01HQ".into())
        ],
        "the per-request timeout is capped at 60 s"
    );
}

#[tokio::test]
async fn wait_sends_each_state_and_a_short_timeout_for_a_short_deadline() {
    let server = Scripted::start([Reply::json(200, json!({"ok": true, "state": "stopped"}))]).await;
    let target = WaitFor::any_of(
        [WaitState::Stopped, WaitState::Failed],
        Duration::from_millis(2500),
    )
    .from_event_id("01EV");
    server
        .client()
        .machines("a")
        .wait(ID, &target)
        .await
        .unwrap();
    assert_eq!(
        server.only().query_pairs(),
        vec![
            ("timeout".into(), "3".into()),
            ("state".into(), "stopped".into()),
            ("state".into(), "failed".into()),
            ("from_event_id".into(), "01EV".into())
        ]
    );
}

#[tokio::test]
async fn waiting_for_destroyed_accepts_a_404() {
    let server = Scripted::start([Reply::json(404, json!({"error": "machine not found"}))]).await;
    let target = WaitFor::state(WaitState::Destroyed, Duration::from_secs(10));
    let reached = server
        .client()
        .machines("a")
        .wait(ID, &target)
        .await
        .unwrap();
    assert_eq!(reached.state, MachineState::Destroyed);
}

#[tokio::test]
async fn a_404_while_waiting_for_started_is_an_error() {
    let server = Scripted::start([Reply::json(404, json!({"error": "machine not found"}))]).await;
    let target = WaitFor::state(WaitState::Started, Duration::from_secs(10));
    let error = server
        .client()
        .machines("a")
        .wait(ID, &target)
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn a_deadline_that_passes_is_a_timeout_saying_what_was_awaited() {
    let server = Scripted::always(
        Reply::json(408, json!({"error": "deadline_exceeded"})).header("fly-request-id", "01R"),
    )
    .await;
    // The scripted 408s come back at once, so the deadline passes after some re-waits.
    let target = WaitFor::state(WaitState::Started, Duration::from_millis(200));
    let error = server
        .client()
        .machines("a")
        .wait(ID, &target)
        .await
        .unwrap_err();
    match &error {
        Error::Timeout {
            route,
            message,
            request_id,
        } => {
            assert_eq!(*route, "GET /v1/apps/{app_name}/machines/{machine_id}/wait");
            assert!(message.contains("did not reach started"), "{message}");
            assert_eq!(request_id.as_deref(), Some("01R"));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(server.seen().len() > 1, "re-waited until the deadline");
}

#[tokio::test]
async fn a_bad_state_answer_is_returned_at_once() {
    let server = Scripted::start([Reply::json(400, json!({"error": "invalid state"}))]).await;
    let target = WaitFor::state(WaitState::Settled, Duration::from_secs(30));
    let error = server
        .client()
        .machines("a")
        .wait(ID, &target)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn wait_outlasts_a_burst_of_503s_while_time_remains() {
    let mut replies: Vec<Reply> = (0..4).map(|_| Reply::text(503, "unavailable")).collect();
    replies.push(Reply::json(200, json!({"ok": true, "state": "started"})));
    let server = Scripted::start(replies).await;
    let target = WaitFor::state(WaitState::Started, Duration::from_secs(30));
    let reached = server
        .client()
        .machines("a")
        .wait(ID, &target)
        .await
        .unwrap();
    assert_eq!(reached.state, MachineState::Started);
    assert_eq!(
        server.seen().len(),
        5,
        "4 failed attempts (1 + 3 retries), then a new wait"
    );
}
