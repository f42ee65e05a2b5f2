//! The per-provider wire formats, behind one enum the server dispatches on.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::Value;

use super::script::Failure;
use super::{anthropic, gemini, openai};

/// Which provider a fake impersonates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Anthropic Messages API: `POST /v1/messages` with `"stream": true`.
    Anthropic,
    /// OpenAI Chat Completions: `POST /v1/chat/completions` with `"stream": true`.
    OpenAi,
    /// Google Gemini: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`.
    Gemini,
}

/// The facts about one exchange that the wire formats need.
pub(crate) struct Exchange {
    pub(crate) id: String,
    pub(crate) model: String,
    pub(crate) input_tokens: usize,
}

/// A key check failed: no key at all, or the wrong one.
pub(crate) enum KeyProblem {
    Missing,
    Invalid,
}

impl Flavor {
    /// What the matching `*_BASE_URL` variable holds for a server at `origin`
    /// (`http://127.0.0.1:PORT`): OpenAI's SDKs include `/v1`, the others do not.
    pub(crate) fn base_url(self, origin: &str) -> String {
        match self {
            Flavor::OpenAi => format!("{origin}/v1"),
            Flavor::Anthropic | Flavor::Gemini => origin.to_owned(),
        }
    }

    /// The key the client presented, if any.
    pub(crate) fn presented_key(self, headers: &HeaderMap, query: Option<&str>) -> Option<String> {
        match self {
            Flavor::Anthropic => anthropic::presented_key(headers),
            Flavor::OpenAi => openai::presented_key(headers),
            Flavor::Gemini => gemini::presented_key(headers, query),
        }
    }

    /// Checks the request body the way the provider does; `Err` is the provider's 400 message.
    pub(crate) fn validate(self, headers: &HeaderMap, body: &Value) -> Result<(), String> {
        match self {
            Flavor::Anthropic => anthropic::validate(headers, body),
            Flavor::OpenAi => openai::validate(body),
            Flavor::Gemini => gemini::validate(body),
        }
    }

    /// The text of the last user message.
    pub(crate) fn prompt(self, body: &Value) -> String {
        match self {
            Flavor::Anthropic | Flavor::OpenAi => last_user_message(body),
            Flavor::Gemini => gemini::prompt(body),
        }
        .unwrap_or_default()
    }

    pub(crate) fn open(self, ex: &Exchange) -> Vec<Bytes> {
        match self {
            Flavor::Anthropic => anthropic::open(ex),
            Flavor::OpenAi => openai::open(ex),
            Flavor::Gemini => Vec::new(),
        }
    }

    pub(crate) fn delta(self, ex: &Exchange, text: &str) -> Bytes {
        match self {
            Flavor::Anthropic => anthropic::delta(text),
            Flavor::OpenAi => openai::delta(ex, text),
            Flavor::Gemini => gemini::delta(ex, text),
        }
    }

    pub(crate) fn close(self, ex: &Exchange, output_tokens: usize) -> Vec<Bytes> {
        match self {
            Flavor::Anthropic => anthropic::close(output_tokens),
            Flavor::OpenAi => openai::close(ex, output_tokens),
            Flavor::Gemini => gemini::close(ex, output_tokens),
        }
    }

    /// The error a provider sends inside an already-started stream.
    pub(crate) fn stream_error(self, failure: &Failure) -> Bytes {
        match self {
            Flavor::Anthropic => anthropic::stream_error(failure),
            Flavor::OpenAi => openai::stream_error(failure),
            Flavor::Gemini => gemini::stream_error(failure),
        }
    }

    /// The HTTP error response (status, headers, JSON body) for `failure`.
    pub(crate) fn error_response(self, model: &str, failure: &Failure) -> Response {
        let (status, body) = match self {
            Flavor::Anthropic => anthropic::error(model, failure),
            Flavor::OpenAi => openai::error(model, failure),
            Flavor::Gemini => gemini::error(model, failure),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Failure::RateLimited {
            retry_after: Some(secs),
        } = failure
        {
            // Gemini carries the delay in the body (RetryInfo) instead.
            if self != Flavor::Gemini {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
        }
        self.request_id_header(&mut response);
        response
    }

    /// The provider's response to a missing or wrong key.
    pub(crate) fn key_response(self, problem: KeyProblem) -> Response {
        let (status, body) = match self {
            Flavor::Anthropic => anthropic::key_error(problem),
            Flavor::OpenAi => openai::key_error(problem),
            Flavor::Gemini => gemini::key_error(problem),
        };
        let mut response = (status, axum::Json(body)).into_response();
        self.request_id_header(&mut response);
        response
    }

    /// The provider's response to a malformed request.
    pub(crate) fn bad_request(self, message: &str) -> Response {
        let (status, body) = match self {
            Flavor::Anthropic => anthropic::bad_request(message),
            Flavor::OpenAi => openai::bad_request(message),
            Flavor::Gemini => gemini::bad_request(message),
        };
        (status, axum::Json(body)).into_response()
    }

    /// The streaming response's headers.
    pub(crate) fn stream_headers(self, response: &mut Response) {
        let ct = match self {
            Flavor::Anthropic | Flavor::OpenAi => "text/event-stream; charset=utf-8",
            Flavor::Gemini => "text/event-stream",
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        self.request_id_header(response);
    }

    fn request_id_header(self, response: &mut Response) {
        let (name, prefix) = match self {
            Flavor::Anthropic => ("request-id", "req_"),
            Flavor::OpenAi => ("x-request-id", "req_"),
            Flavor::Gemini => return,
        };
        let id = format!("{prefix}{}", uuid::Uuid::new_v4().simple());
        if let Ok(v) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(name, v);
        }
    }
}

/// The text of the last `user` message of a `messages` array, whose `content`
/// is a string or an array of parts with `text` (Anthropic and OpenAI alike).
pub(crate) fn last_user_message(body: &Value) -> Option<String> {
    let last = body
        .get("messages")?
        .as_array()?
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))?;
    match last.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(""),
        ),
        _ => None,
    }
}

/// `event: NAME\ndata: JSON\n\n` (Anthropic names its events).
pub(crate) fn named_event(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// `data: JSON\n\n` (OpenAI).
pub(crate) fn data_event(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

/// A status for a plain error, for failures the flavours render alike.
pub(crate) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
