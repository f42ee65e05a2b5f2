//! Liveness, readiness and start-up probes: no auth, GET/HEAD only, JSON bodies as the original.
//!
//! - `/health`, `/healthz`: `200 {"ok":true,"status":"live"}`
//! - `/ready`, `/readyz`: `200 {"ready":true,"failing":[],"uptimeMs":n}`, `503` with `ready:false`
//! - `/startup`, `/startupz`: `200 {"ok":true,"status":"started","version":…,"uptimeMs":n}`, `503` while starting or draining

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::json;

use crate::state::Gateway;
use crate::state::lifecycle::Phase;
use crate::version::COMPAT_VERSION;

pub fn routes() -> Router<Arc<Gateway>> {
    Router::new()
        .route("/health", any(live))
        .route("/healthz", any(live))
        .route("/ready", any(ready))
        .route("/readyz", any(ready))
        .route("/startup", any(startup))
        .route("/startupz", any(startup))
}

async fn live(method: Method) -> Response {
    probe(
        &method,
        StatusCode::OK,
        json!({ "ok": true, "status": "live" }),
    )
}

async fn ready(method: Method, State(gateway): State<Arc<Gateway>>) -> Response {
    let failing = gateway.failing_readiness();
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "ready": failing.is_empty(), "failing": failing, "uptimeMs": gateway.lifecycle.uptime_ms() });
    probe(&method, status, body)
}

async fn startup(method: Method, State(gateway): State<Arc<Gateway>>) -> Response {
    let (status, word) = match gateway.lifecycle.phase() {
        Phase::Running => (StatusCode::OK, "started"),
        Phase::Starting => (StatusCode::SERVICE_UNAVAILABLE, "starting"),
        Phase::Draining => (StatusCode::SERVICE_UNAVAILABLE, "draining"),
    };
    let body = json!({ "ok": status == StatusCode::OK, "status": word, "version": COMPAT_VERSION, "uptimeMs": gateway.lifecycle.uptime_ms() });
    probe(&method, status, body)
}

fn probe(method: &Method, status: StatusCode, body: serde_json::Value) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [
                (header::ALLOW, "GET, HEAD"),
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            ],
            "Method Not Allowed",
        )
            .into_response();
    }
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}
