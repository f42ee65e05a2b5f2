//! Error shapes, error codes and close codes of the protocol.

use serde::Serialize;
use serde_json::Value;

/// `error.code` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidRequest,
    NotPaired,
    Forbidden,
    Unavailable,
    ApprovalNotFound,
}

/// `{code, message, details?, retryable?, retryAfterMs?}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorShape {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retryable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorShape {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: None,
            retryable: None,
            retry_after_ms: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }
}

/// WebSocket close codes the gateway uses.
pub mod close {
    /// Normal closure (handshake timeout, unparseable first frame).
    pub const NORMAL: u16 = 1000;
    /// Protocol version mismatch.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Policy violation: failed handshake, auth, origin, slow consumer.
    pub const POLICY: u16 = 1008;
    /// Frame larger than allowed.
    pub const TOO_BIG: u16 = 1009;
    /// Server restarting/stopping.
    pub const SERVICE_RESTART: u16 = 1012;
}

/// Close reasons are limited to 123 bytes by RFC 6455; cut at a character boundary.
pub fn truncate_reason(reason: &str) -> String {
    const MAX: usize = 123;
    if reason.len() <= MAX {
        return reason.to_owned();
    }
    let mut end = MAX;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}
