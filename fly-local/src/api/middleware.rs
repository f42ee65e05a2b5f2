//! Cross-cutting behaviour of the Machines API: the `fly-request-id` header,
//! token authentication, and (per route) the request log and fault injection.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::admin::faults::FaultKind;
use crate::admin::requests::{LoggedRequest, is_mutating};
use crate::clock::rfc3339;
use crate::context::Ctx;
use crate::error::ApiError;

/// Adds `fly-request-id` to every response.
pub async fn request_id(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&crate::ids::request_id()) {
        resp.headers_mut().insert("fly-request-id", v);
    }
    resp
}

/// Rejects requests without the configured token (`Bearer <t>` or `FlyV1 <t>`).
pub async fn auth(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| token_matches(v, &ctx.settings.token));
    if presented {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

/// The token in an `Authorization` value. `FlyV1` values may carry several
/// comma-separated macaroons; any of them matching counts.
fn token_of(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" | "flyv1" => Some(rest.trim()),
        _ => None,
    }
}

/// True if `presented` (as sent) carries `expected`.
pub fn token_matches(header_value: &str, expected: &str) -> bool {
    match token_of(header_value) {
        Some(t) if t == expected => true,
        Some(t) => t.split(',').any(|part| part.trim() == expected),
        None => false,
    }
}

/// Logs the call and applies injected faults for its route.
pub async fn log_and_faults(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let route = format!("{method} {template}");
    let faults = ctx.faults.trigger(&route);

    let mut req = req;
    let mut fault_id = None;
    let mut view = ListView::default();
    for f in &faults {
        match f.kind {
            FaultKind::Latency => {
                tokio::time::sleep(std::time::Duration::from_millis(f.latency_ms)).await
            }
            FaultKind::StaleList => view.stale = Some(std::time::Duration::from_millis(f.stale_ms)),
            FaultKind::ShuffleList => view.shuffle = true,
            FaultKind::Error | FaultKind::CommitThenFail => continue,
        }
        fault_id = Some(f.id.clone());
    }
    req.extensions_mut().insert(view);
    let failing = faults
        .iter()
        .find(|f| matches!(f.kind, FaultKind::Error | FaultKind::CommitThenFail));
    let resp = match failing {
        Some(f) if f.kind == FaultKind::Error => {
            fault_id = Some(f.id.clone());
            fault_response(f)
        }
        Some(f) => {
            let _applied = next.run(req).await;
            fault_id = Some(f.id.clone());
            fault_response(f)
        }
        None => next.run(req).await,
    };
    ctx.requests.record(LoggedRequest {
        seq: 0,
        mutating: is_mutating(&method),
        method,
        path,
        route,
        status: resp.status().as_u16(),
        at: rfc3339(ctx.clock.now()),
        duration_ms: started.elapsed().as_millis() as u64,
        fault: fault_id,
    });
    resp
}

/// How list endpoints must (mis)behave for this request, per injected faults.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListView {
    /// Hide objects created within this long.
    pub stale: Option<std::time::Duration>,
    /// Randomize the order.
    pub shuffle: bool,
}

impl ListView {
    /// Applies the view to a list of (created_at, item).
    pub fn apply<T>(&self, now: jiff::Timestamp, items: Vec<(jiff::Timestamp, T)>) -> Vec<T> {
        let cutoff = self
            .stale
            .and_then(|d| jiff::SignedDuration::try_from(d).ok())
            .and_then(|d| now.checked_sub(d).ok());
        let mut out: Vec<T> = items
            .into_iter()
            .filter(|(created, _)| cutoff.is_none_or(|c| *created <= c))
            .map(|(_, item)| item)
            .collect();
        if self.shuffle {
            use rand::seq::SliceRandom;
            out.shuffle(&mut rand::rng());
        }
        out
    }
}

fn fault_response(fault: &crate::admin::faults::Fault) -> Response {
    let err = fault.error();
    let mut resp = match fault.body_style {
        crate::admin::faults::BodyStyle::Current => err.into_response(),
        crate::admin::faults::BodyStyle::Legacy => (
            err.status,
            axum::Json(serde_json::json!({ "status": "error", "message": err.message })),
        )
            .into_response(),
    };
    if let Some(secs) = fault.retry_after_secs
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_bearer_and_flyv1() {
        assert!(token_matches("Bearer abc", "abc"));
        assert!(token_matches("FlyV1 abc", "abc"));
        assert!(token_matches("FlyV1 fm2_x,abc", "abc"));
        assert!(!token_matches("Basic abc", "abc"));
        assert!(!token_matches("Bearer abd", "abc"));
        assert!(!token_matches("abc", "abc"));
    }
}
