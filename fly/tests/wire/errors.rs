//! Error answers: each status maps to its kind, keeping the API's message
//! (both body styles, raw text otherwise), code and fly-request-id.

use fly_machines::Error;
use serde_json::json;

use crate::support::{Reply, Scripted};

async fn error_for(reply: Reply) -> Error {
    let server = Scripted::start([reply]).await;
    let client = server
        .builder()
        .retry_policy(fly_machines::RetryPolicy::none())
        .build()
        .unwrap();
    client
        .machines("a")
        .get("1857156b526dd8")
        .await
        .unwrap_err()
}

#[tokio::test]
async fn each_status_maps_to_its_error_kind() {
    type IsKind = fn(&Error) -> bool;
    let cases: [(u16, IsKind); 11] = [
        (400, |e| matches!(e, Error::Invalid(_))),
        (401, |e| matches!(e, Error::Unauthorized(_))),
        (403, |e| matches!(e, Error::Forbidden(_))),
        (404, |e| matches!(e, Error::NotFound(_))),
        (408, |e| matches!(e, Error::Timeout { .. })),
        (409, |e| matches!(e, Error::Conflict(_))),
        (412, |e| matches!(e, Error::PreconditionFailed(_))),
        (422, |e| matches!(e, Error::Invalid(_))),
        (429, |e| matches!(e, Error::RateLimited { .. })),
        (500, |e| matches!(e, Error::Server(_))),
        (410, |e| matches!(e, Error::Unexpected(_))),
    ];
    for (status, is_kind) in cases {
        let error = error_for(
            Reply::json(status, json!({"error": format!("boom {status}")}))
                .header("fly-request-id", "01REQ"),
        )
        .await;
        assert!(is_kind(&error), "{status} → {error:?}");
        assert_eq!(error.request_id(), Some("01REQ"), "{status}");
        assert!(
            error.to_string().contains(&format!("boom {status}")),
            "{status}: {error}"
        );
        assert_eq!(error.status(), Some(status), "{status}");
    }
}

#[tokio::test]
async fn current_body_style_keeps_message_and_code() {
    let error = error_for(Reply::json(
        422,
        json!({"error": "Validation failed: Name has already been taken", "status": "name_taken"}),
    ))
    .await;
    let api = error.api().unwrap();
    assert_eq!(
        api.message,
        "Validation failed: Name has already been taken"
    );
    assert_eq!(api.code.as_deref(), Some("name_taken"));
    assert_eq!(api.route, "GET /v1/apps/{app_name}/machines/{machine_id}");
    assert!(error.is_name_taken());
}

#[tokio::test]
async fn older_body_style_keeps_the_message() {
    let body = json!({"status": "error", "message": "aborted: machine ID 1857156b526dd8 lease currently held by me@example.com, expires at 2026-11-20T10:00:13Z"});
    let error = error_for(Reply::json(409, body)).await;
    assert!(matches!(error, Error::Conflict(_)));
    assert!(
        error
            .api()
            .unwrap()
            .message
            .starts_with("aborted: machine ID 1857156b526dd8 lease currently held")
    );
    assert_eq!(error.code(), None);
}

#[tokio::test]
async fn non_json_bodies_are_kept_as_text() {
    let error = error_for(Reply::text(
        502,
        "upstream connect error or disconnect/reset before headers",
    ))
    .await;
    assert!(matches!(error, Error::Server(_)));
    assert_eq!(
        error.api().unwrap().message,
        "upstream connect error or disconnect/reset before headers"
    );
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let error = error_for(
        Reply::json(429, json!({"error": "rate limit exceeded"})).header("retry-after", "120"),
    )
    .await;
    assert_eq!(
        error.retry_after(),
        Some(std::time::Duration::from_secs(120))
    );
    assert!(error.to_string().contains("retry after 120s"), "{error}");
}

#[tokio::test]
async fn unauthorized_says_which_token_to_check() {
    let error = error_for(Reply::json(401, json!({"error": "unauthorized"}))).await;
    assert!(error.to_string().contains("FLY_API_TOKEN"), "{error}");
}

#[tokio::test]
async fn a_success_with_an_unreadable_body_is_a_decode_error_naming_the_route() {
    let error =
        error_for(Reply::text(200, "<html>maintenance</html>").header("fly-request-id", "01X"))
            .await;
    match &error {
        Error::Decode {
            route,
            status,
            message,
            request_id,
        } => {
            assert_eq!(*route, "GET /v1/apps/{app_name}/machines/{machine_id}");
            assert_eq!(*status, 200);
            assert!(message.contains("maintenance"), "{message}");
            assert_eq!(request_id.as_deref(), Some("01X"));
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_identifiers_are_refused_before_any_request() {
    let server = Scripted::start([]).await;
    let error = server.client().machines("a").get("").await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(error.to_string().contains("machine_id is empty"), "{error}");
    assert!(server.seen().is_empty());
}
