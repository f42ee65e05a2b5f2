//! OpenAI Chat Completions (`openai-completions`), streamed.
//!
//! Events are `data:` lines of `chat.completion.chunk` objects; the text is in
//! `choices[0].delta.content`, the end in `finish_reason`, usage in a final
//! chunk with empty `choices` (asked for with `stream_options.include_usage`),
//! and `data: [DONE]` closes the stream. An `error` object may appear instead.

use eventsource_stream::Event;
use serde_json::{Value, json};

use super::super::secret::ApiKey;
use super::anthropic::excerpt;
use super::error::{FailureKind, ProviderError};
use super::stream::{Decoded, Decoder, base_path, join, json};
use super::{Endpoint, ModelRequest, Role, StreamItem, Usage};

pub(super) fn request(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    key: &ApiKey,
    req: &ModelRequest,
) -> reqwest::RequestBuilder {
    let mut messages: Vec<Value> = Vec::with_capacity(req.messages.len() + 1);
    if let Some(system) = &req.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.extend(req.messages.iter().map(|m| {
        json!({"role": match m.role { Role::User => "user", Role::Assistant => "assistant" },
               "content": m.text})
    }));
    let mut body = json!({"model": req.model, "messages": messages, "stream": true,
                          "stream_options": {"include_usage": true}});
    // OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens.
    let limit_key = if endpoint.provider == "openai" {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body[limit_key] = json!(req.max_tokens);
    // OPENAI_BASE_URL includes /v1; a bare origin gets it added.
    let base = if base_path(&endpoint.base_url).is_empty() {
        join(&endpoint.base_url, "v1")
    } else {
        endpoint.base_url.clone()
    };
    http.post(join(&base, "chat/completions"))
        .bearer_auth(key.expose())
        .header("accept", "text/event-stream")
        .json(&body)
}

fn kind_of(error: &Value, status: Option<u16>) -> FailureKind {
    let code = error.get("code").and_then(Value::as_str).unwrap_or("");
    let t = error.get("type").and_then(Value::as_str).unwrap_or("");
    match (code, t) {
        ("insufficient_quota", _) | (_, "insufficient_quota") => FailureKind::Billing,
        ("invalid_api_key", _) => FailureKind::Auth,
        ("model_not_found", _) => FailureKind::ModelNotFound,
        ("rate_limit_exceeded", _) => FailureKind::RateLimit,
        _ => match status {
            Some(s) => FailureKind::from_status(s),
            None if t == "server_error" => FailureKind::ServerError,
            None => FailureKind::ServerError,
        },
    }
}

fn describe(error: &Value) -> String {
    let m = error.get("message").and_then(Value::as_str).unwrap_or("");
    match error.get("code").and_then(Value::as_str) {
        Some(code) => format!("{code}: {m}"),
        None => m.to_owned(),
    }
}

/// `{"error":{"message","type","param","code"}}` → a classified error.
pub(super) fn http_error(status: u16, body: &str) -> ProviderError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    match parsed.as_ref().and_then(|v| v.get("error")) {
        Some(error) => ProviderError::http(status, kind_of(error, Some(status)), describe(error)),
        None => ProviderError::http(status, FailureKind::from_status(status), excerpt(body)),
    }
}

#[derive(Default)]
pub(super) struct StreamDecoder {
    usage: Usage,
    stop_reason: Option<String>,
}

impl StreamDecoder {
    fn done(&mut self) -> StreamItem {
        StreamItem::Done {
            stop_reason: self.stop_reason.take().unwrap_or_else(|| "stop".into()),
            usage: self.usage,
        }
    }
}

impl Decoder for StreamDecoder {
    fn event(&mut self, event: &Event) -> Result<Decoded, ProviderError> {
        let mut out = Decoded::default();
        if event.data.trim() == "[DONE]" {
            out.items.push(self.done());
            out.done = true;
            return Ok(out);
        }
        let v = json("openai", event)?;
        if let Some(error) = v.get("error") {
            return Err(ProviderError::new(kind_of(error, None), describe(error)));
        }
        if let Some(choice) = v["choices"].get(0) {
            if let Some(text) = choice["delta"]["content"].as_str()
                && !text.is_empty()
            {
                out.items.push(StreamItem::Text(text.to_owned()));
            }
            if let Some(reason) = choice["finish_reason"].as_str() {
                self.stop_reason = Some(
                    match reason {
                        "tool_calls" | "function_call" => "toolUse",
                        other => other,
                    }
                    .to_owned(),
                );
            }
        }
        if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
            self.usage = Usage {
                input: usage["prompt_tokens"].as_u64().unwrap_or(0),
                output: usage["completion_tokens"].as_u64().unwrap_or(0),
            };
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<StreamItem>, ProviderError> {
        // Some compatible servers omit [DONE]; a finish_reason is enough.
        if self.stop_reason.is_some() {
            Ok(vec![self.done()])
        } else {
            Err(ProviderError::new(
                FailureKind::ServerError,
                "openai stream ended before finish_reason / [DONE]",
            ))
        }
    }
}
