//! Google Gemini wire format (`POST /v1beta/models/{model}:streamGenerateContent?alt=sse`).
//!
//! Stream: `data: {GenerateContentResponse}` events separated by CRLF CRLF, the
//! text in `candidates[0].content.parts[].text`, the last one with
//! `finishReason: "STOP"` and full `usageMetadata`. There is no terminator and
//! no event names. Errors are `{"error":{"code","message","status","details"?}}`;
//! a bad key is a 400 `INVALID_ARGUMENT` with reason `API_KEY_INVALID`, overload
//! is 503 `UNAVAILABLE`, and a rate limit carries its delay in a `RetryInfo`.

use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::{Value, json};

use super::script::Failure;
use super::wire::{Exchange, KeyProblem, status};

pub(crate) fn presented_key(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(v) = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok()) {
        return Some(v.to_owned());
    }
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("key="))
        .map(str::to_owned)
}

pub(crate) fn validate(body: &Value) -> Result<(), String> {
    let Some(contents) = body.get("contents").and_then(Value::as_array) else {
        return Err("* GenerateContentRequest.contents: contents is not specified".into());
    };
    for (i, c) in contents.iter().enumerate() {
        match c.get("role").and_then(Value::as_str) {
            None | Some("user" | "model") => {}
            Some(other) => {
                return Err(format!(
                    "Please use a valid role: user, model. (contents[{i}].role = {other:?})"
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn prompt(body: &Value) -> Option<String> {
    let last = body
        .get("contents")?
        .as_array()?
        .iter()
        .rev()
        .find(|c| c.get("role").and_then(Value::as_str).unwrap_or("user") == "user")?;
    Some(
        last.get("parts")?
            .as_array()?
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
    )
}

fn event(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\r\n\r\n"))
}

pub(crate) fn delta(ex: &Exchange, text: &str) -> Bytes {
    event(&json!({
        "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}],
        "usageMetadata": {"promptTokenCount": ex.input_tokens, "totalTokenCount": ex.input_tokens},
        "modelVersion": ex.model, "responseId": ex.id,
    }))
}

pub(crate) fn close(ex: &Exchange, output_tokens: usize) -> Vec<Bytes> {
    vec![event(&json!({
        "candidates": [{"content": {"parts": [{"text": ""}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": ex.input_tokens,
                          "candidatesTokenCount": output_tokens,
                          "totalTokenCount": ex.input_tokens + output_tokens,
                          "promptTokensDetails": [{"modality": "TEXT", "tokenCount": ex.input_tokens}]},
        "modelVersion": ex.model, "responseId": ex.id,
    }))]
}

fn kind(model: &str, failure: &Failure) -> (u16, Value) {
    let (code, message, status, details): (u16, String, &str, Value) = match failure {
        Failure::RateLimited { retry_after } => (
            429,
            "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.".into(),
            "RESOURCE_EXHAUSTED",
            match retry_after {
                Some(s) => json!([{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{s}s")}]),
                None => Value::Null,
            },
        ),
        Failure::Overloaded => (
            503,
            "The model is overloaded. Please try again later.".into(),
            "UNAVAILABLE",
            Value::Null,
        ),
        Failure::ServerError => (
            500,
            "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting".into(),
            "INTERNAL",
            Value::Null,
        ),
        Failure::Unauthorized => (
            400,
            "API key not valid. Please pass a valid API key.".into(),
            "INVALID_ARGUMENT",
            json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"}}]),
        ),
        Failure::BadRequest => (
            400,
            "* GenerateContentRequest.contents: contents is not specified".into(),
            "INVALID_ARGUMENT",
            Value::Null,
        ),
        Failure::ModelNotFound => (
            404,
            format!("models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."),
            "NOT_FOUND",
            Value::Null,
        ),
    };
    let mut error = json!({"code": code, "message": message, "status": status});
    if !details.is_null() {
        error["details"] = details;
    }
    (code, json!({ "error": error }))
}

pub(crate) fn error(model: &str, failure: &Failure) -> (StatusCode, Value) {
    let (code, body) = kind(model, failure);
    (status(code), body)
}

pub(crate) fn stream_error(failure: &Failure) -> Bytes {
    event(&kind("", failure).1)
}

pub(crate) fn key_error(problem: KeyProblem) -> (StatusCode, Value) {
    match problem {
        KeyProblem::Missing => (
            StatusCode::FORBIDDEN,
            json!({"error": {"code": 403,
                "message": "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
                "status": "PERMISSION_DENIED"}}),
        ),
        KeyProblem::Invalid => error("", &Failure::Unauthorized),
    }
}

pub(crate) fn bad_request(message: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}),
    )
}
