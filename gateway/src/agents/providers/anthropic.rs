//! Anthropic Messages API (`anthropic-messages`), streamed.
//!
//! Events: `message_start` (input usage), `content_block_delta` with
//! `text_delta`, `message_delta` (stop reason, output usage), `message_stop`;
//! `ping` and block start/stop are ignored; `error` carries an in-stream failure.

use eventsource_stream::Event;
use serde_json::{Value, json};

use super::super::secret::ApiKey;
use super::error::{FailureKind, ProviderError};
use super::stream::{Decoded, Decoder, base_path, join, json};
use super::{Endpoint, ModelRequest, Role, StreamItem, Usage};

/// The API version every request pins, as the official SDKs do.
const VERSION: &str = "2023-06-01";

pub(super) fn request(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    key: &ApiKey,
    req: &ModelRequest,
) -> reqwest::RequestBuilder {
    // ANTHROPIC_BASE_URL is the origin; tolerate one that already ends in /v1.
    let path = if base_path(&endpoint.base_url).ends_with("/v1") {
        "messages"
    } else {
        "v1/messages"
    };
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            json!({"role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
                   "content": m.text})
        })
        .collect();
    let mut body = json!({"model": req.model, "max_tokens": req.max_tokens, "stream": true,
                          "messages": messages});
    if let Some(system) = &req.system {
        body["system"] = json!(system);
    }
    let builder = http
        .post(join(&endpoint.base_url, path))
        .header("anthropic-version", VERSION)
        .header("accept", "text/event-stream")
        .json(&body);
    // Claude subscription (setup) tokens are bearer tokens; API keys use x-api-key.
    if key.expose().starts_with("sk-ant-oat") {
        builder
            .bearer_auth(key.expose())
            .header("anthropic-beta", "oauth-2025-04-20")
    } else {
        builder.header("x-api-key", key.expose())
    }
}

fn kind_of(error_type: &str, status: Option<u16>) -> FailureKind {
    match error_type {
        "rate_limit_error" => FailureKind::RateLimit,
        "overloaded_error" => FailureKind::Overloaded,
        "api_error" | "timeout_error" => FailureKind::ServerError,
        "authentication_error" | "permission_error" => FailureKind::Auth,
        "billing_error" => FailureKind::Billing,
        "not_found_error" => FailureKind::ModelNotFound,
        "invalid_request_error" | "request_too_large" => FailureKind::InvalidRequest,
        _ => status.map_or(FailureKind::ServerError, FailureKind::from_status),
    }
}

fn describe(error: &Value) -> (String, String) {
    let t = error.get("type").and_then(Value::as_str).unwrap_or("error");
    let m = error.get("message").and_then(Value::as_str).unwrap_or("");
    (t.to_owned(), format!("{t}: {m}"))
}

/// `{"type":"error","error":{"type","message"},"request_id"}` → a classified error.
pub(super) fn http_error(status: u16, body: &str) -> ProviderError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    match parsed.as_ref().and_then(|v| v.get("error")) {
        Some(error) => {
            let (t, message) = describe(error);
            ProviderError::http(status, kind_of(&t, Some(status)), message)
        }
        None => ProviderError::http(status, FailureKind::from_status(status), excerpt(body)),
    }
}

pub(super) fn excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return "empty response body".into();
    }
    body.chars().take(300).collect()
}

#[derive(Default)]
pub(super) struct StreamDecoder {
    usage: Usage,
    stop_reason: Option<String>,
}

impl Decoder for StreamDecoder {
    fn event(&mut self, event: &Event) -> Result<Decoded, ProviderError> {
        let mut out = Decoded::default();
        match event.event.as_str() {
            "ping" | "content_block_start" | "content_block_stop" => {}
            "message_start" => {
                let v = json("anthropic", event)?;
                let usage = &v["message"]["usage"];
                self.usage.input = usage["input_tokens"].as_u64().unwrap_or(0)
                    + usage["cache_read_input_tokens"].as_u64().unwrap_or(0)
                    + usage["cache_creation_input_tokens"].as_u64().unwrap_or(0);
                self.usage.output = usage["output_tokens"].as_u64().unwrap_or(0);
            }
            "content_block_delta" => {
                let v = json("anthropic", event)?;
                if v["delta"]["type"] == "text_delta"
                    && let Some(text) = v["delta"]["text"].as_str()
                    && !text.is_empty()
                {
                    out.items.push(StreamItem::Text(text.to_owned()));
                }
            }
            "message_delta" => {
                let v = json("anthropic", event)?;
                if let Some(reason) = v["delta"]["stop_reason"].as_str() {
                    self.stop_reason = Some(normalize_stop(reason).to_owned());
                }
                if let Some(n) = v["usage"]["output_tokens"].as_u64() {
                    self.usage.output = n;
                }
            }
            "message_stop" => {
                out.items.push(StreamItem::Done {
                    stop_reason: self.stop_reason.take().unwrap_or_else(|| "stop".into()),
                    usage: self.usage,
                });
                out.done = true;
            }
            "error" => {
                let v = json("anthropic", event)?;
                let (t, message) = describe(&v["error"]);
                return Err(ProviderError::new(kind_of(&t, None), message));
            }
            // New event types appear over time; skipping them is what the SDKs do.
            _ => {}
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<StreamItem>, ProviderError> {
        Err(ProviderError::new(
            FailureKind::ServerError,
            "anthropic stream ended before message_stop",
        ))
    }
}

fn normalize_stop(reason: &str) -> &str {
    match reason {
        "end_turn" | "stop_sequence" => "stop",
        "max_tokens" => "length",
        "tool_use" => "toolUse",
        other => other,
    }
}
