//! OpenAI Chat Completions wire format (`POST /v1/chat/completions`, `stream: true`).
//!
//! Stream: `data: {chat.completion.chunk}` lines (first delta carries the role,
//! the last one `finish_reason`, then a usage-only chunk with `choices: []` when
//! `stream_options.include_usage` is set), closed by `data: [DONE]`. Errors are
//! `{"error":{"message","type","param","code"}}`; overload is 503.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::{Value, json};

use super::script::Failure;
use super::wire::{Exchange, KeyProblem, data_event, status};

pub(crate) fn presented_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

pub(crate) fn validate(body: &Value) -> Result<(), String> {
    if body.get("model").and_then(Value::as_str).is_none() {
        return Err("you must provide a model parameter".into());
    }
    if body.get("messages").and_then(Value::as_array).is_none() {
        return Err("Missing required parameter: 'messages'.".into());
    }
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        return Err("this fake only implements streaming (\"stream\": true)".into());
    }
    Ok(())
}

fn created() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn chunk(ex: &Exchange, choices: Value, usage: Value) -> Bytes {
    data_event(&json!({
        "id": ex.id, "object": "chat.completion.chunk", "created": created(),
        "model": ex.model, "service_tier": "default", "system_fingerprint": "fp_fake0001",
        "choices": choices, "usage": usage,
    }))
}

pub(crate) fn open(ex: &Exchange) -> Vec<Bytes> {
    vec![chunk(
        ex,
        json!([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": null},
                "logprobs": null, "finish_reason": null}]),
        Value::Null,
    )]
}

pub(crate) fn delta(ex: &Exchange, text: &str) -> Bytes {
    chunk(
        ex,
        json!([{"index": 0, "delta": {"content": text}, "logprobs": null, "finish_reason": null}]),
        Value::Null,
    )
}

pub(crate) fn close(ex: &Exchange, output_tokens: usize) -> Vec<Bytes> {
    vec![
        chunk(
            ex,
            json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]),
            Value::Null,
        ),
        chunk(
            ex,
            json!([]),
            json!({"prompt_tokens": ex.input_tokens, "completion_tokens": output_tokens,
                   "total_tokens": ex.input_tokens + output_tokens,
                   "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                   "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                       "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}),
        ),
        Bytes::from_static(b"data: [DONE]\n\n"),
    ]
}

fn kind(model: &str, failure: &Failure) -> (u16, Value) {
    let (code, message, kind, err_code): (u16, String, &str, Value) = match failure {
        Failure::RateLimited { .. } => (
            429,
            format!("Rate limit reached for {model} in organization org-fake on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more."),
            "requests",
            json!("rate_limit_exceeded"),
        ),
        Failure::Overloaded => (
            503,
            "The engine is currently overloaded, please try again later".into(),
            "server_error",
            Value::Null,
        ),
        Failure::ServerError => (
            500,
            "The server had an error while processing your request. Sorry about that!".into(),
            "server_error",
            Value::Null,
        ),
        Failure::Unauthorized => (
            401,
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.".into(),
            "invalid_request_error",
            json!("invalid_api_key"),
        ),
        Failure::BadRequest => (
            400,
            "Invalid value for 'messages': empty array. Expected an array with minimum length 1.".into(),
            "invalid_request_error",
            json!("empty_array"),
        ),
        Failure::ModelNotFound => (
            404,
            format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            json!("model_not_found"),
        ),
    };
    (
        code,
        json!({"error": {"message": message, "type": kind, "param": null, "code": err_code}}),
    )
}

pub(crate) fn error(model: &str, failure: &Failure) -> (StatusCode, Value) {
    let (code, body) = kind(model, failure);
    (status(code), body)
}

pub(crate) fn stream_error(failure: &Failure) -> Bytes {
    data_event(&kind("", failure).1)
}

pub(crate) fn key_error(problem: KeyProblem) -> (StatusCode, Value) {
    let body = match problem {
        KeyProblem::Missing => json!({"error": {
            "message": "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error", "param": null, "code": null}}),
        KeyProblem::Invalid => kind("", &Failure::Unauthorized).1,
    };
    (StatusCode::UNAUTHORIZED, body)
}

pub(crate) fn bad_request(message: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}),
    )
}
