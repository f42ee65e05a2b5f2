//! Sending a model request and decoding its server-sent-event stream.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};

use super::super::secret::ApiKey;
use super::error::{FailureKind, ProviderError, retry_after};
use super::{Api, Endpoint, ModelRequest, StreamItem, anthropic, gemini, openai};

/// A started completion: text pieces, then [`StreamItem::Done`], or an error.
/// Dropping it closes the upstream HTTP request.
pub type ModelStream = Pin<Box<dyn Stream<Item = Result<StreamItem, ProviderError>> + Send>>;

/// What a provider's decoder made of one event.
#[derive(Default)]
pub(super) struct Decoded {
    pub(super) items: Vec<StreamItem>,
    /// The provider signalled the end of the stream.
    pub(super) done: bool,
}

/// Turns one provider's SSE events into stream items.
pub(super) trait Decoder: Send {
    fn event(&mut self, event: &Event) -> Result<Decoded, ProviderError>;

    /// Called when the body ends; items to flush, or an error if it ended early.
    fn finish(&mut self) -> Result<Vec<StreamItem>, ProviderError>;
}

/// Sends `request` to `endpoint` with `key` and returns the decoded stream.
pub async fn open(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    key: &ApiKey,
    request: &ModelRequest,
) -> Result<ModelStream, ProviderError> {
    let builder = match endpoint.api {
        Api::AnthropicMessages => anthropic::request(http, endpoint, key, request),
        Api::OpenAiCompletions => openai::request(http, endpoint, key, request),
        Api::GoogleGenerativeAi => gemini::request(http, endpoint, key, request),
    };
    let mut builder = builder;
    for (name, value) in &endpoint.headers {
        builder = builder.header(name, value);
    }
    let response = match tokio::time::timeout(endpoint.timeouts.first_byte, builder.send()).await {
        Err(_) => {
            return Err(ProviderError::new(
                FailureKind::FirstByteTimeout,
                format!(
                    "no response from {} within {}",
                    endpoint.provider,
                    human(endpoint.timeouts.first_byte)
                ),
            ));
        }
        Ok(Err(e)) => return Err(scrubbed(ProviderError::transport(&e), key)),
        Ok(Ok(r)) => r,
    };
    let status = response.status();
    if !status.is_success() {
        let retry = retry_after(response.headers());
        let body = tokio::time::timeout(endpoint.timeouts.idle, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        let err = match endpoint.api {
            Api::AnthropicMessages => anthropic::http_error(status.as_u16(), &body),
            Api::OpenAiCompletions => openai::http_error(status.as_u16(), &body),
            Api::GoogleGenerativeAi => gemini::http_error(status.as_u16(), &body),
        };
        let retry = err.retry_after.or(retry);
        return Err(scrubbed(err.with_retry_after(retry), key));
    }
    let decoder: Box<dyn Decoder> = match endpoint.api {
        Api::AnthropicMessages => Box::new(anthropic::StreamDecoder::default()),
        Api::OpenAiCompletions => Box::new(openai::StreamDecoder::default()),
        Api::GoogleGenerativeAi => Box::new(gemini::StreamDecoder::default()),
    };
    Ok(decode(
        Box::pin(response.bytes_stream().eventsource()),
        decoder,
        endpoint.timeouts.idle,
        key.clone(),
    ))
}

type Events = Pin<
    Box<
        dyn Stream<Item = Result<Event, eventsource_stream::EventStreamError<reqwest::Error>>>
            + Send,
    >,
>;

struct State {
    events: Events,
    decoder: Box<dyn Decoder>,
    idle: Duration,
    key: ApiKey,
    pending: VecDeque<StreamItem>,
    done: bool,
}

fn decode(events: Events, decoder: Box<dyn Decoder>, idle: Duration, key: ApiKey) -> ModelStream {
    let state = State {
        events,
        decoder,
        idle,
        key,
        pending: VecDeque::new(),
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.pending.pop_front() {
                return Some((Ok(item), st));
            }
            if st.done {
                return None;
            }
            let failure = match tokio::time::timeout(st.idle, st.events.next()).await {
                Err(_) => ProviderError::new(
                    FailureKind::IdleTimeout,
                    format!("stream went silent for {}", human(st.idle)),
                ),
                Ok(None) => match st.decoder.finish() {
                    Ok(items) => {
                        st.pending.extend(items);
                        st.done = true;
                        continue;
                    }
                    Err(e) => e,
                },
                Ok(Some(Err(e))) => match e {
                    eventsource_stream::EventStreamError::Transport(e) => ProviderError::new(
                        FailureKind::ServerError,
                        format!("stream broke off: {e}"),
                    ),
                    other => ProviderError::new(
                        FailureKind::Protocol,
                        format!("bad event stream: {other}"),
                    ),
                },
                Ok(Some(Ok(event))) => match st.decoder.event(&event) {
                    Ok(decoded) => {
                        st.pending.extend(decoded.items);
                        st.done = decoded.done;
                        continue;
                    }
                    Err(e) => e,
                },
            };
            st.done = true;
            st.pending.clear();
            let failure = scrubbed(failure, &st.key);
            return Some((Err(failure), st));
        }
    }))
}

fn scrubbed(mut err: ProviderError, key: &ApiKey) -> ProviderError {
    err.message = key.scrub(&err.message);
    err
}

/// `1.5s`, `200ms`.
pub(super) fn human(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// Joins a base URL and a path without doubling or dropping slashes.
pub(super) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Parses an event's JSON data, or says which provider sent garbage.
pub(super) fn json(provider: &str, event: &Event) -> Result<serde_json::Value, ProviderError> {
    serde_json::from_str(&event.data).map_err(|e| {
        ProviderError::new(
            FailureKind::Protocol,
            format!("{provider} sent an event that is not JSON ({e})"),
        )
    })
}

/// The part of a base URL after the host (`/v1`), without trailing slashes.
pub(super) fn base_path(base: &str) -> &str {
    let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    after_scheme
        .find('/')
        .map_or("", |i| &after_scheme[i..])
        .trim_end_matches('/')
}
