//! The WebSocket method registry: name → required scope → handler.
//!
//! `hello-ok.features.methods` and `.events` are derived from what is registered, so a
//! client never sees a method or event this gateway does not implement. Subsystems add
//! theirs while the gateway is being built:
//!
//! ```ignore
//! builder.methods.register("chat.send", Scope::Write, move |call| {
//!     let engine = engine.clone();
//!     async move { engine.send(call.params).await }
//! });
//! builder.methods.register_event("chat");
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use super::errors::ErrorShape;
use super::outbox::Outbox;
use super::scopes::{Scope, ScopeSet};
use crate::state::Gateway;

/// What a handler gets: the gateway, who is calling, and the request.
#[derive(Clone)]
pub struct Call {
    pub gateway: Arc<Gateway>,
    pub request_id: String,
    pub params: Option<Value>,
    pub client: Arc<ClientContext>,
    /// To send extra frames (a second response with the same id, targeted events).
    pub outbox: Outbox,
}

/// The authenticated connection a call comes from.
#[derive(Debug, Clone)]
pub struct ClientContext {
    pub conn_id: String,
    pub client_id: String,
    pub client_mode: String,
    pub role: String,
    pub scopes: ScopeSet,
    pub device_id: Option<String>,
    pub is_local: bool,
}

/// The result of a call: the payload of the (final) response, or its error.
pub type CallResult = Result<Value, ErrorShape>;
type BoxFuture = Pin<Box<dyn Future<Output = CallResult> + Send>>;
type Handler = Arc<dyn Fn(Call) -> BoxFuture + Send + Sync>;

/// A registered method.
#[derive(Clone)]
pub struct Method {
    pub scope: Scope,
    handler: Handler,
    /// Listed in `hello-ok.features.methods` (the original answers some methods it
    /// does not list, such as `sessions.usage`).
    advertised: bool,
}

impl Method {
    pub fn call(&self, call: Call) -> BoxFuture {
        (self.handler)(call)
    }
}

/// All methods and events the gateway offers.
#[derive(Clone, Default)]
pub struct MethodRegistry {
    methods: Vec<(String, Method)>,
    events: Vec<String>,
}

impl MethodRegistry {
    /// Registers `name`, callable by connections holding `scope`. Registering a name twice
    /// replaces the earlier handler (a subsystem may override a core placeholder).
    pub fn register<F, Fut>(&mut self, name: &str, scope: Scope, handler: F)
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CallResult> + Send + 'static,
    {
        self.insert(name, scope, true, handler);
    }

    /// Registers `name` like [`Self::register`], without listing it in `hello-ok`.
    pub fn register_unadvertised<F, Fut>(&mut self, name: &str, scope: Scope, handler: F)
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CallResult> + Send + 'static,
    {
        self.insert(name, scope, false, handler);
    }

    fn insert<F, Fut>(&mut self, name: &str, scope: Scope, advertised: bool, handler: F)
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CallResult> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |call| Box::pin(handler(call)));
        let method = Method {
            scope,
            handler,
            advertised,
        };
        match self.methods.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = method,
            None => self.methods.push((name.to_owned(), method)),
        }
    }

    /// Declares an event this gateway emits (listed in `features.events`).
    pub fn register_event(&mut self, name: &str) {
        if !self.events.iter().any(|e| e == name) {
            self.events.push(name.to_owned());
        }
    }

    pub fn get(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }

    /// The methods `hello-ok` lists.
    pub fn method_names(&self) -> Vec<&str> {
        self.methods
            .iter()
            .filter(|(_, m)| m.advertised)
            .map(|(n, _)| n.as_str())
            .collect()
    }

    pub fn event_names(&self) -> Vec<&str> {
        self.events.iter().map(String::as_str).collect()
    }
}

impl std::fmt::Debug for MethodRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodRegistry")
            .field("methods", &self.method_names())
            .field("events", &self.events)
            .finish()
    }
}
