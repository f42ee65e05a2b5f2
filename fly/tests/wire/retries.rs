//! Retries: transient failures of idempotent calls are retried (bounded,
//! honouring Retry-After); creates are not, unless the failure proves the
//! request was not applied.

use std::time::{Duration, Instant};

use fly_machines::{Client, CreateMachine, Error, MachineConfig, RetryPolicy, Token};
use serde_json::json;

use crate::support::{Calls, Reply, Scripted, fast_retries, machine_json};

const GET_MACHINE: &str = "GET /v1/apps/{app_name}/machines/{machine_id}";
const CREATE_MACHINE: &str = "POST /v1/apps/{app_name}/machines";

#[tokio::test]
async fn a_read_is_retried_after_503_and_then_succeeds() {
    let server = Scripted::start([
        Reply::json(503, json!({"error": "service unavailable"})),
        Reply::json(200, machine_json("1857156b526dd8", "started")),
    ])
    .await;
    let calls = Calls::default();
    let client = server.builder().observer(calls.observer()).build().unwrap();
    let machine = client.machines("a").get("1857156b526dd8").await.unwrap();
    assert_eq!(machine.id, "1857156b526dd8");
    assert_eq!(server.seen().len(), 2);
    assert_eq!(
        calls.all(),
        vec![
            (GET_MACHINE.into(), Some(503), 1),
            (GET_MACHINE.into(), Some(200), 2)
        ]
    );
}

#[tokio::test]
async fn retries_of_502_and_504_are_bounded_by_the_policy() {
    let server = Scripted::start([
        Reply::text(502, "bad gateway"),
        Reply::text(504, "gateway timeout"),
        Reply::text(502, "bad gateway"),
        Reply::text(504, "gateway timeout"),
        Reply::json(200, machine_json("1857156b526dd8", "started")),
    ])
    .await;
    let error = server
        .client()
        .machines("a")
        .get("1857156b526dd8")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Server(api) if api.status == 504),
        "{error:?}"
    );
    assert_eq!(
        server.seen().len(),
        1 + fast_retries().max_retries,
        "first attempt + max_retries"
    );
}

#[tokio::test]
async fn a_500_is_not_retried() {
    let server = Scripted::start([Reply::json(500, json!({"error": "internal"}))]).await;
    let error = server
        .client()
        .machines("a")
        .get("1857156b526dd8")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Scripted::start([
        Reply::json(429, json!({"error": "rate limited"})).header("retry-after", "1"),
        Reply::json(200, machine_json("1857156b526dd8", "started")),
    ])
    .await;
    let started = Instant::now();
    server
        .client()
        .machines("a")
        .get("1857156b526dd8")
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_policy_allows_is_returned_to_the_caller() {
    let server = Scripted::start([
        Reply::json(429, json!({"error": "rate limited"})).header("retry-after", "3600")
    ])
    .await;
    let started = Instant::now();
    let error = server
        .client()
        .machines("a")
        .get("1857156b526dd8")
        .await
        .unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.seen().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn create_request() -> CreateMachine {
    CreateMachine::new(MachineConfig::new("registry.fly.io/openclaw-rs:1"))
        .name("gw")
        .region("iad")
}

#[tokio::test]
async fn a_create_is_not_retried_after_a_503() {
    // The 503 may come after the machine was created; a retry would make a second one.
    let server = Scripted::start([
        Reply::json(503, json!({"error": "service unavailable"})),
        Reply::json(200, machine_json("1857156b526dd8", "created")),
    ])
    .await;
    let calls = Calls::default();
    let client = server.builder().observer(calls.observer()).build().unwrap();
    let error = client
        .machines("a")
        .create(&create_request())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)));
    assert_eq!(server.seen().len(), 1);
    assert_eq!(calls.all(), vec![(CREATE_MACHINE.into(), Some(503), 1)]);
}

#[tokio::test]
async fn a_create_refused_by_the_rate_limiter_is_retried() {
    // A 429 is decided before anything is applied, so a retry cannot duplicate.
    let server = Scripted::start([
        Reply::json(429, json!({"error": "rate limited"})).header("retry-after", "0"),
        Reply::json(200, machine_json("1857156b526dd8", "created")),
    ])
    .await;
    let machine = server
        .client()
        .machines("a")
        .create(&create_request())
        .await
        .unwrap();
    assert_eq!(machine.id, "1857156b526dd8");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, seen[1].body, "the same request is sent again");
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported_as_transport() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener); // nothing listens there any more
    let calls = Calls::default();
    let client = Client::builder()
        .base_url(&base)
        .unwrap()
        .token(Token::new("t").unwrap())
        .retry_policy(fast_retries())
        .observer(calls.observer())
        .build()
        .unwrap();
    let error = client
        .machines("a")
        .get("1857156b526dd8")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                route: GET_MACHINE,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_transient());
    let attempts: Vec<_> = calls
        .all()
        .into_iter()
        .map(|(_, status, attempt)| (status, attempt))
        .collect();
    assert_eq!(attempts, vec![(None, 1), (None, 2), (None, 3), (None, 4)]);
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_naming_the_route() {
    // A server that accepts the connection and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            held.push(socket);
        }
    });
    let client = Client::builder()
        .base_url(&base)
        .unwrap()
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client.apps().get("a").await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Timeout {
                route: "GET /v1/apps/{app_name}",
                request_id: None,
                ..
            }
        ),
        "{error:?}"
    );
    hold.abort();
}

#[tokio::test]
async fn a_retried_delete_that_finds_nothing_has_succeeded() {
    // The first attempt was applied but its answer was lost (503).
    let server = Scripted::start([
        Reply::text(503, "unavailable"),
        Reply::json(404, json!({"error": "ip not found"})),
    ])
    .await;
    server
        .client()
        .ips("a")
        .release("fdaa:0:1::3")
        .await
        .unwrap();
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_first_delete_that_finds_nothing_is_not_found() {
    let server = Scripted::start([Reply::json(404, json!({"error": "ip not found"}))]).await;
    assert!(
        server
            .client()
            .ips("a")
            .release("fdaa:0:1::3")
            .await
            .unwrap_err()
            .is_not_found()
    );
}
