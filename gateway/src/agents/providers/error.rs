//! Why a model call failed, classified the way fallback decisions need it.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

/// The class of a failed model call. Decides whether the next model is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// 429: the account's rate limit.
    RateLimit,
    /// 529 (Anthropic) or 503: the provider is overloaded.
    Overloaded,
    /// Other 5xx, or a stream that broke off.
    ServerError,
    /// No response headers within the first-byte timeout.
    FirstByteTimeout,
    /// The stream went silent for longer than the idle timeout.
    IdleTimeout,
    /// 401/403 or an invalid key: the credentials are wrong.
    Auth,
    /// No key is configured for the provider.
    MissingKey,
    /// 402 or exhausted quota.
    Billing,
    /// 404: the model does not exist.
    ModelNotFound,
    /// The connection failed (refused, reset, DNS).
    Network,
    /// 400 and the like: the request itself is wrong; another model would
    /// get the same request, so this ends the run.
    InvalidRequest,
    /// The provider's API kind is not implemented by this gateway.
    Unsupported,
    /// The response did not follow the provider's wire format.
    Protocol,
}

impl FailureKind {
    /// Whether the next model in the fallback chain should be tried.
    pub fn falls_back(self) -> bool {
        !matches!(self, FailureKind::InvalidRequest)
    }

    /// Whether another key of the same provider may succeed where this one failed.
    pub fn tries_next_key(self) -> bool {
        matches!(
            self,
            FailureKind::RateLimit | FailureKind::Auth | FailureKind::Billing
        )
    }

    /// Stable snake_case name, as recorded in sessions and events.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::RateLimit => "rate_limit",
            FailureKind::Overloaded => "overloaded",
            FailureKind::ServerError => "server_error",
            FailureKind::FirstByteTimeout => "first_byte_timeout",
            FailureKind::IdleTimeout => "idle_timeout",
            FailureKind::Auth => "auth",
            FailureKind::MissingKey => "missing_key",
            FailureKind::Billing => "billing",
            FailureKind::ModelNotFound => "model_not_found",
            FailureKind::Network => "network",
            FailureKind::InvalidRequest => "invalid_request",
            FailureKind::Unsupported => "unsupported",
            FailureKind::Protocol => "protocol",
        }
    }

    /// The class an HTTP status implies before the body is read.
    pub fn from_status(status: u16) -> Self {
        match status {
            401 | 403 => FailureKind::Auth,
            402 => FailureKind::Billing,
            404 => FailureKind::ModelNotFound,
            408 => FailureKind::FirstByteTimeout,
            429 => FailureKind::RateLimit,
            503 | 529 => FailureKind::Overloaded,
            s if s >= 500 => FailureKind::ServerError,
            _ => FailureKind::InvalidRequest,
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed model call: its class, the HTTP status if any, the provider's own
/// message (with any key scrubbed out) and the retry delay it asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
pub struct ProviderError {
    pub kind: FailureKind,
    pub status: Option<u16>,
    pub message: String,
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn http(status: u16, kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            status: Some(status),
            ..Self::new(kind, message)
        }
    }

    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// A transport error from reqwest, classified (connection failures vs the rest).
    pub fn transport(err: &reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            FailureKind::FirstByteTimeout
        } else if err.is_connect() {
            FailureKind::Network
        } else {
            FailureKind::ServerError
        };
        // reqwest's Display names the URL, never headers, so no key can leak here.
        Self::new(kind, format!("request failed: {err}"))
    }
}

/// `retry-after` (seconds or an HTTP date) or `retry-after-ms`, as providers send them.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    }
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return Some(Duration::from_secs_f64(secs.max(0.0)));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = at.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    Some(Duration::from_millis(wait.max(0).unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_classify_like_the_providers_document() {
        assert_eq!(FailureKind::from_status(429), FailureKind::RateLimit);
        assert_eq!(FailureKind::from_status(529), FailureKind::Overloaded);
        assert_eq!(FailureKind::from_status(503), FailureKind::Overloaded);
        assert_eq!(FailureKind::from_status(500), FailureKind::ServerError);
        assert_eq!(FailureKind::from_status(401), FailureKind::Auth);
        assert_eq!(FailureKind::from_status(400), FailureKind::InvalidRequest);
        assert!(!FailureKind::InvalidRequest.falls_back());
        assert!(FailureKind::Overloaded.falls_back());
    }

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
    }
}
