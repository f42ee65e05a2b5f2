//! Errors as data: every failure of an API call, classified by what the
//! caller should do about it, with the API's own message and the
//! `fly-request-id` (which Fly support asks for) kept.

use std::fmt;
use std::time::Duration;

/// What the API said when it refused a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The call's route: method and the spec's path template, e.g.
    /// `POST /v1/apps/{app_name}/machines`.
    pub route: &'static str,
    /// HTTP status.
    pub status: u16,
    /// The API's message (`message`, else `error`, else the raw body).
    pub message: String,
    /// The API's machine-readable code (`status` of the error body), e.g.
    /// `name_taken` or `insufficient_capacity`.
    pub code: Option<String>,
    /// The `fly-request-id` response header.
    pub request_id: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered {}: {}",
            self.route, self.status, self.message
        )?;
        if let Some(code) = &self.code {
            write!(f, " (code {code})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [fly-request-id {id}]")?;
        }
        Ok(())
    }
}

/// A failed API call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 404: the app, machine, volume, secret, IP or lease does not exist.
    #[error("not found: {0}")]
    NotFound(ApiError),
    /// 409: a lease is held by someone else, the lease nonce is missing or
    /// wrong, `current_version` is stale, or the host lacks capacity.
    #[error("conflict: {0}")]
    Conflict(ApiError),
    /// 412: the resource is not in a state that allows the call (volume
    /// attached elsewhere, start from a transient state, secrets version not
    /// propagated yet, stale `machine_version`).
    #[error("precondition failed: {0}")]
    PreconditionFailed(ApiError),
    /// 401: the token is missing or not valid.
    #[error("unauthorized: {0} — check FLY_API_TOKEN (or the token fly-local was started with)")]
    Unauthorized(ApiError),
    /// 403: the token may not do this (app of another org, quota).
    #[error("forbidden: {0}")]
    Forbidden(ApiError),
    /// 400 or 422: the request is invalid (the message names the field), or
    /// the app name is taken (`code` = `name_taken`).
    #[error("invalid request: {0}")]
    Invalid(ApiError),
    /// 429: too many calls. Retried automatically while `retry_after` stays
    /// within the client's [`crate::RetryPolicy::max_retry_after`].
    #[error("rate limited{}: {api}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// The `Retry-After` the API sent, if any.
        retry_after: Option<Duration>,
        /// What the API said.
        api: ApiError,
    },
    /// 5xx: the platform failed. 502/503/504 are retried for calls that are
    /// safe to retry.
    #[error("server error: {0}")]
    Server(ApiError),
    /// No answer in time: the API's own 408 (a wait that expired), no
    /// response within the client's request timeout, or a
    /// [`crate::Machines::wait`] deadline that passed.
    #[error("timed out: {route}: {message}")]
    Timeout {
        /// The route that timed out.
        route: &'static str,
        /// What timed out.
        message: String,
        /// The `fly-request-id`, when the API answered 408.
        request_id: Option<String>,
    },
    /// The API could not be reached, or the connection broke.
    #[error("transport error on {route}: {source}")]
    Transport {
        /// The route being called.
        route: &'static str,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The API answered with a status this client does not expect (3xx,
    /// 405, 410, 413, …).
    #[error("unexpected answer: {0}")]
    Unexpected(ApiError),
    /// A success answer whose body is not what the API documents.
    #[error("cannot read the answer of {route} (status {status}): {message}")]
    Decode {
        /// The route called.
        route: &'static str,
        /// HTTP status of the answer.
        status: u16,
        /// What did not parse.
        message: String,
        /// The `fly-request-id`.
        request_id: Option<String>,
    },
    /// The call was not sent because an argument is unusable (an empty id,
    /// a lease of another app, a base URL that is not a URL, …).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// Classifies an error answer by status.
    pub(crate) fn from_status(api: ApiError, retry_after: Option<Duration>) -> Self {
        match api.status {
            400 | 422 => Self::Invalid(api),
            401 => Self::Unauthorized(api),
            403 => Self::Forbidden(api),
            404 => Self::NotFound(api),
            408 => Self::Timeout {
                route: api.route,
                message: format!("the API answered 408: {}", api.message),
                request_id: api.request_id,
            },
            409 => Self::Conflict(api),
            412 => Self::PreconditionFailed(api),
            429 => Self::RateLimited { retry_after, api },
            500..=599 => Self::Server(api),
            _ => Self::Unexpected(api),
        }
    }

    /// What the API said, for errors that are API answers.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::NotFound(api)
            | Self::Conflict(api)
            | Self::PreconditionFailed(api)
            | Self::Unauthorized(api)
            | Self::Forbidden(api)
            | Self::Invalid(api)
            | Self::Server(api)
            | Self::Unexpected(api)
            | Self::RateLimited { api, .. } => Some(api),
            _ => None,
        }
    }

    /// The HTTP status, when the API answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Timeout {
                request_id: Some(_),
                ..
            } => Some(408),
            Self::Decode { status, .. } => Some(*status),
            _ => self.api().map(|api| api.status),
        }
    }

    /// The `fly-request-id` of the answer, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Timeout { request_id, .. } | Self::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            _ => self.api()?.request_id.as_deref(),
        }
    }

    /// The API's machine-readable code, e.g. `name_taken`.
    pub fn code(&self) -> Option<&str> {
        self.api()?.code.as_deref()
    }

    /// True for a 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound(_))
    }

    /// True when an app create failed because the (global) name is taken.
    pub fn is_name_taken(&self) -> bool {
        match self {
            Self::Invalid(api) => match api.code.as_deref() {
                Some(code) if !code.is_empty() => code == "name_taken",
                _ => api.message.contains("has already been taken"),
            },
            _ => false,
        }
    }

    /// The `Retry-After` of a 429.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True when the failure is transient and the same call may succeed
    /// later (rate limits, 502/503/504, broken connections).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } => true,
            Self::Server(api) => matches!(api.status, 502..=504),
            _ => false,
        }
    }

    /// True when the call provably did not reach the point of changing
    /// anything: the rate limiter refused it, or no connection was made.
    /// Such a call may be retried even when it is not idempotent.
    pub(crate) fn was_not_applied(&self) -> bool {
        match self {
            Self::RateLimited { .. } => true,
            Self::Transport { source, .. } => source.is_connect(),
            _ => false,
        }
    }
}

/// Turns a 404 into `Ok(None)`: for lookups where absence is an answer.
pub(crate) fn optional<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error),
    }
}

/// Builds the message of an error answer from its body, accepting both body
/// styles the API uses — `{"error":"…","status":"<code>"}` and the older
/// `{"status":"error","message":"…"}` — and raw text otherwise.
pub(crate) fn message_and_code(status: u16, body: &[u8]) -> (String, Option<String>) {
    const MAX_RAW: usize = 2_000;
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice::<serde_json::Value>(body)
    {
        let text = |key: &str| {
            object
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let message = text("message").or_else(|| text("error")).map(str::to_owned);
        let code = text("status")
            .filter(|code| *code != "error")
            .map(str::to_owned);
        if let Some(message) = message {
            return (message, code);
        }
        let raw = String::from_utf8_lossy(body);
        return (raw.trim().to_owned(), code);
    }
    let raw = String::from_utf8_lossy(body);
    let raw = raw.trim();
    if raw.is_empty() {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no message");
        return (reason.to_owned(), None);
    }
    let mut message: String = raw.chars().take(MAX_RAW).collect();
    if message.len() < raw.len() {
        message.push('…');
    }
    (message, None)
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let delta = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_current_error_body_style() {
        let (message, code) = message_and_code(
            422,
            br#"{"error":"Validation failed: Name has already been taken","status":"name_taken"}"#,
        );
        assert_eq!(message, "Validation failed: Name has already been taken");
        assert_eq!(code.as_deref(), Some("name_taken"));
    }

    #[test]
    fn reads_the_older_error_body_style() {
        let (message, code) = message_and_code(
            409,
            br#"{"status":"error","message":"aborted: lease currently held"}"#,
        );
        assert_eq!(message, "aborted: lease currently held");
        assert_eq!(code, None);
    }

    #[test]
    fn keeps_raw_text_and_names_empty_bodies() {
        assert_eq!(
            message_and_code(502, b"<html>bad gateway</html>").0,
            "<html>bad gateway</html>"
        );
        assert_eq!(message_and_code(503, b"").0, "Service Unavailable");
        assert_eq!(
            message_and_code(500, br#"{"details":{}}"#).0,
            r#"{"details":{}}"#
        );
    }

    #[test]
    fn parses_retry_after_in_both_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let header =
            jiff::fmt::rfc2822::to_string(&later.to_zoned(jiff::tz::TimeZone::UTC)).unwrap();
        let parsed = parse_retry_after(&header).unwrap();
        assert!(
            parsed > Duration::from_secs(100) && parsed <= Duration::from_secs(120),
            "{parsed:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn classifies_statuses() {
        let api = |status| ApiError {
            route: "GET /v1/apps/{app_name}",
            status,
            message: "m".into(),
            code: None,
            request_id: Some("r1".into()),
        };
        assert!(matches!(
            Error::from_status(api(400), None),
            Error::Invalid(_)
        ));
        assert!(matches!(
            Error::from_status(api(422), None),
            Error::Invalid(_)
        ));
        assert!(matches!(
            Error::from_status(api(401), None),
            Error::Unauthorized(_)
        ));
        assert!(matches!(
            Error::from_status(api(403), None),
            Error::Forbidden(_)
        ));
        assert!(matches!(
            Error::from_status(api(404), None),
            Error::NotFound(_)
        ));
        assert!(matches!(
            Error::from_status(api(408), None),
            Error::Timeout { .. }
        ));
        assert!(matches!(
            Error::from_status(api(409), None),
            Error::Conflict(_)
        ));
        assert!(matches!(
            Error::from_status(api(412), None),
            Error::PreconditionFailed(_)
        ));
        assert!(matches!(
            Error::from_status(api(429), None),
            Error::RateLimited { .. }
        ));
        assert!(matches!(
            Error::from_status(api(503), None),
            Error::Server(_)
        ));
        assert!(matches!(
            Error::from_status(api(410), None),
            Error::Unexpected(_)
        ));
        assert_eq!(Error::from_status(api(408), None).request_id(), Some("r1"));
    }

    #[test]
    fn display_names_route_status_message_and_request_id() {
        let err = Error::from_status(
            ApiError {
                route: "POST /v1/apps",
                status: 422,
                message: "Name has already been taken".into(),
                code: Some("name_taken".into()),
                request_id: Some("01ABC".into()),
            },
            None,
        );
        assert_eq!(
            err.to_string(),
            "invalid request: POST /v1/apps answered 422: Name has already been taken (code name_taken) [fly-request-id 01ABC]"
        );
        assert!(err.is_name_taken());
    }
}
