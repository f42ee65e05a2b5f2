//! Every error kind, produced by fly-local (fault injection for statuses the
//! happy paths do not reach) and read by the client with the API's message,
//! fly-request-id and route.

use fly_machines::{Error, RetryPolicy};

use crate::local::Local;

const GET_APP: &str = "GET /v1/apps/{app_name}";

#[tokio::test]
async fn each_injected_status_reads_as_its_error_kind() {
    type IsKind = fn(&Error) -> bool;
    let cases: [(u16, IsKind); 13] = [
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
        (502, |e| matches!(e, Error::Server(_))),
        (503, |e| matches!(e, Error::Server(_))),
        (504, |e| matches!(e, Error::Server(_))),
    ];
    let local = Local::start().await;
    local.app("oc-a").await;
    let client = local
        .builder()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    for (status, is_kind) in cases {
        local.fail(GET_APP, status, 1).await;
        let error = client.apps().get("oc-a").await.unwrap_err();
        assert!(is_kind(&error), "{status} → {error:?}");
        assert_eq!(error.status(), Some(status), "{error:?}");
        assert!(
            error.request_id().is_some(),
            "{status}: fly-request-id kept"
        );
        if let Some(api) = error.api() {
            assert_eq!(api.route, GET_APP);
            assert!(
                !api.message.is_empty(),
                "{status}: the API's message is kept"
            );
        }
        client
            .apps()
            .get("oc-a")
            .await
            .expect("the fault fired once");
    }
    let logged = local.calls_of(GET_APP).await;
    assert_eq!(
        logged.iter().filter(|r| r.fault.is_some()).count(),
        cases.len()
    );
}

#[tokio::test]
async fn a_rate_limit_reports_retry_after() {
    let local = Local::start().await;
    local.app("oc-a").await;
    local
        .inject(serde_json::json!({"route": GET_APP, "kind": "error", "status": 429, "retry_after_secs": 3600, "times": 1}))
        .await;
    let error = local.client().apps().get("oc-a").await.unwrap_err();
    assert_eq!(
        error.retry_after(),
        Some(std::time::Duration::from_secs(3600)),
        "{error:?}"
    );
    assert_eq!(
        local.calls_of(GET_APP).await.len(),
        1,
        "too long to wait out: handed to the caller"
    );
}

#[tokio::test]
async fn a_server_that_is_gone_is_a_transport_error_after_retries() {
    let mut local = Local::start().await;
    let calls = crate::local::Attempts::default();
    let client = local.builder().observer(calls.observer()).build().unwrap();
    local.stop().await;
    let error = client.apps().get("oc-a").await.unwrap_err();
    assert!(
        matches!(error, Error::Transport { route: GET_APP, .. }),
        "{error:?}"
    );
    assert_eq!(calls.count(), 1 + RetryPolicy::default().max_retries);
}
