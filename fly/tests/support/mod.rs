//! A scripted HTTP server for wire-level tests: it records every request the
//! client sends and answers with canned responses (status, headers, body) in
//! order, the way the real API answers.

#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use fly_machines::{CallRecord, Client, RetryPolicy, Token};

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    /// Path as sent (percent-encoding kept).
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Decoded query pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.query.clone().unwrap_or_default();
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.into(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct Script {
    seen: Vec<Seen>,
    replies: VecDeque<Reply>,
    fallback: Option<Reply>,
}

/// The server; dropped at the end of the test (the runtime shuts it down).
pub struct Scripted {
    pub base_url: String,
    script: Arc<Mutex<Script>>,
}

impl Scripted {
    /// Starts a server on a free port answering `replies` in order (then
    /// 599 "script exhausted", which fails any test that sends too much).
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> Self {
        Self::serve(Script {
            replies: replies.into_iter().collect(),
            ..Script::default()
        })
        .await
    }

    /// Starts a server answering every request with `reply`.
    pub async fn always(reply: Reply) -> Self {
        Self::serve(Script {
            fallback: Some(reply),
            ..Script::default()
        })
        .await
    }

    async fn serve(script: Script) -> Self {
        let script = Arc::new(Mutex::new(script));
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, script }
    }

    /// Everything received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    /// The only request received (fails if there were more or fewer).
    pub fn only(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(seen.len(), 1, "expected exactly one request, got {seen:#?}");
        seen.into_iter().next().unwrap()
    }

    /// A client for this server with token `test-token` and fast retries.
    pub fn client(&self) -> Client {
        self.builder().build().unwrap()
    }

    pub fn builder(&self) -> fly_machines::ClientBuilder {
        Client::builder()
            .base_url(&self.base_url)
            .unwrap()
            .token(Token::new("test-token").unwrap())
            .retry_policy(fast_retries())
    }
}

/// Retries as the default policy, with millisecond delays.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

async fn answer(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let reply = {
        let mut script = script.lock().unwrap();
        script.seen.push(Seen {
            method: parts.method.clone(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers.clone(),
            body,
        });
        let fallback = script.fallback.clone();
        script
            .replies
            .pop_front()
            .or(fallback)
            .unwrap_or_else(|| Reply::text(599, "script exhausted"))
    };
    let mut response = Response::builder().status(StatusCode::from_u16(reply.status).unwrap());
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}

/// One observed attempt: route label, status (None: no answer), attempt number.
pub type Call = (String, Option<u16>, u32);

/// Records every call the client reports to its observer.
#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<Call>>>);

impl Calls {
    pub fn observer(&self) -> impl Fn(&CallRecord<'_>) + Send + Sync + 'static {
        let calls = self.0.clone();
        move |call| {
            calls
                .lock()
                .unwrap()
                .push((call.route.to_owned(), call.status, call.attempt))
        }
    }

    pub fn all(&self) -> Vec<Call> {
        self.0.lock().unwrap().clone()
    }
}

/// A minimal machine body as the API returns it.
pub fn machine_json(id: &str, state: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "name": format!("m-{id}"), "state": state, "region": "iad",
        "instance_id": "01HQ3V5PBZ8Q3K7J9W6C4XGJ2N", "private_ip": "fdaa:0:1::2",
        "config": {"image": "registry.fly.io/openclaw-rs:1", "metadata": {"openclaw.ai/owner": "default/a"}},
        "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z", "events": [], "checks": []
    })
}
