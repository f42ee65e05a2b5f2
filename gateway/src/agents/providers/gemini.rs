//! Google Gemini `streamGenerateContent` (`google-generative-ai`), as SSE (`alt=sse`).
//!
//! Each `data:` event is a `GenerateContentResponse`: text in
//! `candidates[0].content.parts[].text` (parts marked `thought` are skipped),
//! the end in `finishReason`, usage in `usageMetadata`. The body simply ends.

use std::time::Duration;

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
    let contents: Vec<Value> = req
        .messages
        .iter()
        .map(|m| {
            json!({"role": match m.role { Role::User => "user", Role::Assistant => "model" },
                   "parts": [{"text": m.text}]})
        })
        .collect();
    let mut body = json!({"contents": contents,
                          "generationConfig": {"maxOutputTokens": req.max_tokens}});
    if let Some(system) = &req.system {
        body["systemInstruction"] = json!({"parts": [{"text": system}]});
    }
    // GOOGLE_BASE_URL is the origin; tolerate one that already names the version.
    let path = base_path(&endpoint.base_url);
    let base = if path.ends_with("/v1beta") || path.ends_with("/v1") {
        endpoint.base_url.clone()
    } else {
        join(&endpoint.base_url, "v1beta")
    };
    let url = join(
        &base,
        &format!("models/{}:streamGenerateContent?alt=sse", req.model),
    );
    http.post(url)
        .header("x-goog-api-key", key.expose())
        .json(&body)
}

fn kind_of(error: &Value, status: Option<u16>) -> FailureKind {
    let invalid_key = error["details"].as_array().is_some_and(|d| {
        d.iter()
            .any(|x| x["reason"] == "API_KEY_INVALID" || x["reason"] == "API_KEY_EXPIRED")
    });
    if invalid_key {
        return FailureKind::Auth;
    }
    match error["status"].as_str().unwrap_or("") {
        "RESOURCE_EXHAUSTED" => FailureKind::RateLimit,
        "UNAVAILABLE" => FailureKind::Overloaded,
        "INTERNAL" | "UNKNOWN" | "DEADLINE_EXCEEDED" => FailureKind::ServerError,
        "PERMISSION_DENIED" | "UNAUTHENTICATED" => FailureKind::Auth,
        "NOT_FOUND" => FailureKind::ModelNotFound,
        "INVALID_ARGUMENT" | "FAILED_PRECONDITION" => FailureKind::InvalidRequest,
        _ => {
            let code =
                status.or_else(|| error["code"].as_u64().and_then(|c| u16::try_from(c).ok()));
            code.map_or(FailureKind::ServerError, FailureKind::from_status)
        }
    }
}

/// The delay of a `google.rpc.RetryInfo` detail (`"32s"`, `"0.5s"`).
fn retry_info(error: &Value) -> Option<Duration> {
    error["details"].as_array()?.iter().find_map(|d| {
        let delay = d["retryDelay"].as_str()?.strip_suffix('s')?;
        delay
            .parse::<f64>()
            .ok()
            .map(|s| Duration::from_secs_f64(s.max(0.0)))
    })
}

fn describe(error: &Value) -> String {
    let status = error["status"].as_str().unwrap_or("ERROR");
    let message = error["message"].as_str().unwrap_or("");
    format!("{status}: {message}")
}

/// `{"error":{"code","message","status","details"}}` → a classified error.
pub(super) fn http_error(status: u16, body: &str) -> ProviderError {
    // Errors may come as an object or (non-SSE) wrapped in an array.
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let error = parsed
        .as_ref()
        .and_then(|v| v.get("error").or_else(|| v.get(0)?.get("error")));
    match error {
        Some(error) => ProviderError::http(status, kind_of(error, Some(status)), describe(error))
            .with_retry_after(retry_info(error)),
        None => ProviderError::http(status, FailureKind::from_status(status), excerpt(body)),
    }
}

#[derive(Default)]
pub(super) struct StreamDecoder {
    usage: Usage,
    stop_reason: Option<String>,
}

impl Decoder for StreamDecoder {
    fn event(&mut self, event: &Event) -> Result<Decoded, ProviderError> {
        let mut out = Decoded::default();
        let v = json("google", event)?;
        if let Some(error) = v.get("error") {
            return Err(ProviderError::new(kind_of(error, None), describe(error))
                .with_retry_after(retry_info(error)));
        }
        if let Some(reason) = v["promptFeedback"]["blockReason"].as_str() {
            return Err(ProviderError::new(
                FailureKind::InvalidRequest,
                format!("prompt blocked by the provider: {reason}"),
            ));
        }
        if let Some(candidate) = v["candidates"].get(0) {
            for part in candidate["content"]["parts"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if part["thought"] == true {
                    continue;
                }
                if let Some(text) = part["text"].as_str()
                    && !text.is_empty()
                {
                    out.items.push(StreamItem::Text(text.to_owned()));
                }
            }
            if let Some(reason) = candidate["finishReason"].as_str() {
                self.stop_reason = Some(match reason {
                    "STOP" => "stop".to_owned(),
                    "MAX_TOKENS" => "length".to_owned(),
                    other => other.to_ascii_lowercase(),
                });
            }
        }
        let u = &v["usageMetadata"];
        if u.is_object() {
            self.usage = Usage {
                input: u["promptTokenCount"].as_u64().unwrap_or(self.usage.input),
                output: u["candidatesTokenCount"]
                    .as_u64()
                    .unwrap_or(self.usage.output),
            };
        }
        Ok(out)
    }

    fn finish(&mut self) -> Result<Vec<StreamItem>, ProviderError> {
        match self.stop_reason.take() {
            Some(stop_reason) => Ok(vec![StreamItem::Done {
                stop_reason,
                usage: self.usage,
            }]),
            None => Err(ProviderError::new(
                FailureKind::ServerError,
                "google stream ended without a finishReason",
            )),
        }
    }
}
