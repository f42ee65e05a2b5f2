//! Errors as the Machines API returns them: a status code and a JSON body
//! `{"error": "<text>", "status": "<code>"?}` (fly-machines-api.md §11). The
//! text keeps the gRPC-style prefixes (`failed_precondition:`, `aborted:`)
//! that clients match on.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An API error: what the client sees, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The machine-readable `status` field (`name_taken`, `insufficient_capacity`, …).
    pub code: Option<&'static str>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code: None,
        }
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// 400: the request is malformed; the message names the field and the fix.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "You must be authenticated to view this.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404 for an unknown resource, e.g. `not_found("machine")`.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// 408: a wait or exec ran out of time.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("deadline_exceeded: {}", message.into()),
        )
    }

    /// 409 with the `aborted:` prefix (lease conflicts, stale `current_version`).
    pub fn aborted(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, format!("aborted: {}", message.into()))
    }

    /// 412 with the `failed_precondition:` prefix (state, volume and version rules).
    pub fn precondition(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            format!("failed_precondition: {}", message.into()),
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than the {limit} byte limit"),
        )
    }

    /// 422: the request is well-formed but cannot be honoured.
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The response body in the API's (current) error shape.
    pub fn body(&self) -> serde_json::Value {
        match self.code {
            Some(code) => json!({ "error": self.message, "status": code }),
            None => json!({ "error": self.message }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        tracing::error!(error = %err, "state store write failed; the request was not applied");
        ApiError::internal(format!("internal: state store: {err}"))
    }
}
