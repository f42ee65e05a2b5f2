//! Anthropic Messages API wire format (`POST /v1/messages`, `stream: true`).
//!
//! Stream: `message_start`, `content_block_start`, `ping`, `content_block_delta`
//! (`text_delta`) …, `content_block_stop`, `message_delta` (stop reason, usage),
//! `message_stop`; failures inside a stream are an `error` event. HTTP errors are
//! `{"type":"error","error":{"type","message"},"request_id"}`; overload is 529.

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::{Value, json};

use super::script::Failure;
use super::wire::{Exchange, KeyProblem, named_event, status};

pub(crate) fn presented_key(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.to_owned());
    }
    // OAuth / setup tokens travel as a bearer token.
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

pub(crate) fn validate(headers: &HeaderMap, body: &Value) -> Result<(), String> {
    if !headers.contains_key("anthropic-version") {
        return Err("anthropic-version: header is required".into());
    }
    if body.get("model").and_then(Value::as_str).is_none() {
        return Err("model: Field required".into());
    }
    if body.get("max_tokens").and_then(Value::as_u64).is_none() {
        return Err("max_tokens: Field required".into());
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return Err("messages: Field required".into());
    };
    for (i, m) in messages.iter().enumerate() {
        match m.get("role").and_then(Value::as_str) {
            Some("user" | "assistant") => {}
            _ => {
                return Err(format!(
                    "messages.{i}.role: Input should be 'user' or 'assistant'"
                ));
            }
        }
    }
    if messages
        .first()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        != Some("user")
    {
        return Err("messages: first message must use the \"user\" role".into());
    }
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        return Err("this fake only implements streaming (\"stream\": true)".into());
    }
    Ok(())
}

pub(crate) fn open(ex: &Exchange) -> Vec<Bytes> {
    vec![
        named_event(
            "message_start",
            &json!({"type": "message_start", "message": {
                "id": ex.id, "type": "message", "role": "assistant", "model": ex.model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": ex.input_tokens, "cache_creation_input_tokens": 0,
                          "cache_read_input_tokens": 0, "output_tokens": 1}}}),
        ),
        named_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}),
        ),
        named_event("ping", &json!({"type": "ping"})),
    ]
}

pub(crate) fn delta(text: &str) -> Bytes {
    named_event(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": text}}),
    )
}

pub(crate) fn close(output_tokens: usize) -> Vec<Bytes> {
    vec![
        named_event(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 0}),
        ),
        named_event(
            "message_delta",
            &json!({"type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": null},
                    "usage": {"output_tokens": output_tokens}}),
        ),
        named_event("message_stop", &json!({"type": "message_stop"})),
    ]
}

fn kind(model: &str, failure: &Failure) -> (u16, &'static str, String) {
    match failure {
        Failure::RateLimited { .. } => (
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.".into(),
        ),
        Failure::Overloaded => (529, "overloaded_error", "Overloaded".into()),
        Failure::ServerError => (500, "api_error", "Internal server error".into()),
        Failure::Unauthorized => (401, "authentication_error", "invalid x-api-key".into()),
        Failure::BadRequest => (400, "invalid_request_error", "messages: at least one message is required".into()),
        Failure::ModelNotFound => (404, "not_found_error", format!("model: {model}")),
    }
}

fn body(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message},
           "request_id": format!("req_{}", uuid::Uuid::new_v4().simple())})
}

pub(crate) fn error(model: &str, failure: &Failure) -> (StatusCode, Value) {
    let (code, kind, message) = kind(model, failure);
    (status(code), body(kind, &message))
}

pub(crate) fn stream_error(failure: &Failure) -> Bytes {
    let (_, kind, message) = kind("", failure);
    named_event(
        "error",
        &json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}

pub(crate) fn key_error(problem: KeyProblem) -> (StatusCode, Value) {
    let message = match problem {
        KeyProblem::Missing => "x-api-key header is required",
        KeyProblem::Invalid => "invalid x-api-key",
    };
    (
        StatusCode::UNAUTHORIZED,
        body("authentication_error", message),
    )
}

pub(crate) fn bad_request(message: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        body("invalid_request_error", message),
    )
}
