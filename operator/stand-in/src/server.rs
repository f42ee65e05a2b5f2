//! The stand-in as a `tower::Service`, served in-process or over HTTP.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{Request, Response};
use serde_json::json;

use crate::handler;
use crate::state::State;

/// One request as RBAC would see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`.
    pub verb: String,
    /// API group (`""` for core).
    pub group: String,
    /// Resource plural.
    pub resource: String,
    /// Subresource, if any.
    pub subresource: Option<String>,
    /// Namespace, if the URL has one.
    pub namespace: Option<String>,
    /// Object name, if the URL has one.
    pub name: Option<String>,
    /// The user the bearer token names (`anonymous` without one).
    pub user: String,
    /// HTTP status answered.
    pub code: u16,
}

pub(crate) struct Inner {
    pub state: Arc<Mutex<State>>,
    pub users: Mutex<HashMap<String, String>>,
    pub log: Mutex<Vec<RequestRecord>>,
    pub bookmark_every: Duration,
}

/// A stateful Kubernetes API-server stand-in (see the crate docs for what it
/// emulates). Cloning shares the state.
#[derive(Clone)]
pub struct StandIn {
    pub(crate) inner: Arc<Inner>,
}

impl Default for StandIn {
    fn default() -> Self {
        Self::new()
    }
}

impl StandIn {
    /// An empty cluster (namespaces `default` and `kube-system`), watch
    /// history of 4096 changes, a bookmark every 2 s.
    pub fn new() -> Self {
        Self::with_options(4096, Duration::from_secs(2))
    }

    /// With a watch history of `history` changes and a bookmark period.
    pub fn with_options(history: usize, bookmark_every: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Arc::new(Mutex::new(State::new(history))),
                users: Mutex::new(HashMap::new()),
                log: Mutex::new(Vec::new()),
                bookmark_every,
            }),
        }
    }

    /// Names the user of a bearer token in the request log.
    pub fn add_user(&self, token: &str, user: &str) {
        self.inner
            .users
            .lock()
            .expect("users lock")
            .insert(token.to_owned(), user.to_owned());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.log.lock().expect("log lock").clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        self.inner.log.lock().expect("log lock").clear();
    }

    /// The current resourceVersion (it moves on every write).
    pub fn resource_version(&self) -> u64 {
        self.inner.state.lock().expect("state lock").rv()
    }

    /// A kube `Client` talking to this stand-in in-process (no sockets),
    /// with default namespace `default`.
    pub fn client(&self) -> kube::Client {
        kube::Client::new(self.clone(), "default")
    }

    /// Serves the stand-in over HTTP on a free loopback port until the
    /// returned handle is dropped.
    pub async fn serve(&self) -> std::io::Result<Served> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new().fallback_service(self.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Served { addr, _stop: stop })
    }
}

/// A stand-in served over HTTP; stops serving when dropped.
pub struct Served {
    addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Served {
    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a kubeconfig whose current context reaches this server with
    /// `token` and default namespace `namespace`.
    pub fn write_kubeconfig(
        &self,
        path: &Path,
        token: &str,
        namespace: &str,
    ) -> std::io::Result<()> {
        let config = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "stand-in", "cluster": {"server": self.base_url()}}],
            "users": [{"name": "user", "user": {"token": token}}],
            "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "user", "namespace": namespace}}],
            "current-context": "stand-in",
        });
        std::fs::write(path, serde_json::to_vec_pretty(&config).expect("json"))
    }

    /// A kube `Client` over HTTP with `token`.
    pub async fn client(&self, token: &str) -> kube::Client {
        let mut config = kube::Config::new(self.base_url().parse().expect("a URL"));
        config.auth_info.token = Some(token.to_owned().into());
        config.default_namespace = "default".into();
        kube::Client::try_from(config).expect("a client for the stand-in")
    }
}

impl<B> tower::Service<Request<B>> for StandIn
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { Ok(handler::handle(inner, req).await) })
    }
}
