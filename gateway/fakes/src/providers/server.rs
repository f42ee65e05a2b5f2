//! The fake provider's HTTP server and its test-facing handle.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use tokio::sync::Notify;

use super::record::{OutcomeGuard, RecordedRequest};
use super::script::{Answer, Reply, Script};
use super::stream::{self, InFlight};
use super::wire::{Exchange, Flavor, KeyProblem};

/// A running fake provider. Dropping it stops the server.
pub struct FakeProvider {
    flavor: Flavor,
    origin: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    flavor: Flavor,
    script: Mutex<Script>,
    requests: Mutex<Vec<RecordedRequest>>,
    arrived: Notify,
    required_key: Mutex<Option<String>>,
    in_flight: Arc<InFlight>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeProvider {
    /// Starts a fake on a free port of 127.0.0.1.
    pub async fn start(flavor: Flavor) -> Self {
        let shared = Arc::new(Shared {
            flavor,
            script: Mutex::new(Script::default()),
            requests: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            required_key: Mutex::new(None),
            in_flight: Arc::new(InFlight::default()),
        });
        let router = match flavor {
            Flavor::Anthropic => Router::new().route("/v1/messages", post(handle_body)),
            Flavor::OpenAi => Router::new().route("/v1/chat/completions", post(handle_body)),
            Flavor::Gemini => Router::new().route("/v1beta/models/{target}", post(handle_gemini)),
        }
        .fallback(not_found)
        .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("listener address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            flavor,
            origin: format!("http://{addr}"),
            shared,
            server,
        }
    }

    /// The provider this fake impersonates.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The base URL a client is given, in the form of the provider's `*_BASE_URL`
    /// variable: the origin for Anthropic and Gemini, origin + `/v1` for OpenAI.
    pub fn base_url(&self) -> String {
        self.flavor.base_url(&self.origin)
    }

    /// Queues a one-shot reply for the next request naming `model`.
    pub fn push(&self, model: &str, reply: Reply) {
        lock(&self.shared.script).push(model, reply);
    }

    /// The reply for every request naming `model` once its queue is empty.
    pub fn always_for(&self, model: &str, reply: Reply) {
        lock(&self.shared.script).set_standing(model, reply);
    }

    /// The reply for every request with nothing more specific scripted.
    /// Without one, the fake answers `echo: <last user message>` in up to 4 deltas.
    pub fn always(&self, reply: Reply) {
        lock(&self.shared.script).set_all(reply);
    }

    /// Accept only this API key (any other gets the provider's 401-style answer).
    /// Without it, any non-empty key is accepted; a missing key is always refused.
    pub fn require_key(&self, key: &str) {
        *lock(&self.shared.required_key) = Some(key.to_owned());
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Waits until at least `n` requests arrived (at most `limit`) and returns them all.
    pub async fn wait_for_requests(&self, n: usize, limit: Duration) -> Vec<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.shared.arrived.notified();
            let seen = self.requests();
            if seen.len() >= n || tokio::time::Instant::now() >= deadline {
                return seen;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Requests being answered right now.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.now()
    }

    /// The most requests ever answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.in_flight.max()
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn not_found(uri: Uri) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("404 page not found: {}", uri.path()),
    )
        .into_response()
}

async fn handle_body(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(shared, uri, headers, body, None).await
}

async fn handle_gemini(
    State(shared): State<Arc<Shared>>,
    Path(target): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match target.split_once(':') {
        Some((model, "streamGenerateContent")) => {
            let model = model.to_owned();
            handle(shared, uri, headers, body, Some(model)).await
        }
        _ => not_found(uri).await,
    }
}

async fn handle(
    shared: Arc<Shared>,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
    path_model: Option<String>,
) -> Response {
    let flavor = shared.flavor;
    let in_flight = shared.in_flight.enter();
    let body: Value = match serde_json::from_slice(&raw) {
        Ok(v) => v,
        Err(e) => return flavor.bad_request(&format!("invalid JSON body: {e}")),
    };
    let model = path_model
        .or_else(|| body.get("model").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let (outcome, outcome_rx) = OutcomeGuard::new();
    let delta_times = Arc::new(Mutex::new(Vec::new()));
    let query = uri.query().map(str::to_owned);
    lock(&shared.requests).push(RecordedRequest {
        model: model.clone(),
        path: uri.path().to_owned(),
        query: query.clone(),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
        outcome: outcome_rx,
        delta_times: Arc::clone(&delta_times),
    });
    shared.arrived.notify_waiters();

    let refused = |response: Response| {
        outcome.complete();
        response
    };
    match flavor.presented_key(&headers, query.as_deref()) {
        None => return refused(flavor.key_response(KeyProblem::Missing)),
        Some(key) => {
            let required = lock(&shared.required_key).clone();
            if required.is_some_and(|r| r != key) {
                return refused(flavor.key_response(KeyProblem::Invalid));
            }
        }
    }
    if let Err(message) = flavor.validate(&headers, &body) {
        return refused(flavor.bad_request(&message));
    }
    if flavor == Flavor::Gemini
        && !query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .any(|kv| kv == "alt=sse")
    {
        return refused(flavor.bad_request("this fake only implements alt=sse streaming"));
    }

    let prompt = flavor.prompt(&body);
    let reply = lock(&shared.script).next(&model).unwrap_or_else(|| {
        let text = format!("echo: {prompt}");
        let deltas = text.chars().count().clamp(1, 4);
        Reply::Answer(Answer::text(text).deltas(deltas))
    });
    match reply {
        Reply::Fail(failure) => refused(flavor.error_response(&model, &failure)),
        Reply::Hang => {
            // Held (with `outcome` and `in_flight`) until the client goes away
            // and the server drops this future.
            let _held = (outcome, in_flight);
            std::future::pending::<Response>().await
        }
        Reply::Answer(answer) => {
            let ex = Exchange {
                id: exchange_id(flavor),
                model,
                input_tokens: prompt.split_whitespace().count().max(1),
            };
            let mut response = Response::new(stream::body(
                flavor,
                ex,
                answer,
                outcome,
                in_flight,
                delta_times,
            ));
            flavor.stream_headers(&mut response);
            response
        }
    }
}

fn exchange_id(flavor: Flavor) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    match flavor {
        Flavor::Anthropic => format!("msg_{}", &id[..24]),
        Flavor::OpenAi => format!("chatcmpl-{}", &id[..29.min(id.len())]),
        Flavor::Gemini => id[..22].to_owned(),
    }
}
