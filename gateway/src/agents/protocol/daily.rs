//! The agents' methods the official Control UI and CLI call for daily use, beyond
//! chat and sessions basics: each an `async fn(&Engine, params)` registered under
//! [`METHODS`] with the original's scope.

use futures::future::BoxFuture;
use serde_json::Value;

use super::super::engine::Engine;
use super::methods::{MethodError, Scope};
use super::{lanes, metadata, sessions_view, subscriptions, usage};

type Handler =
    for<'a> fn(&'a Engine, Option<&'a Value>) -> BoxFuture<'a, Result<Value, MethodError>>;

/// Name, scope, whether `hello-ok` lists it (the original hides `sessions.usage`),
/// handler.
pub const METHODS: &[(&str, Scope, bool, Handler)] = &[
    ("chat.startup", Scope::Read, true, |e, p| {
        Box::pin(sessions_view::chat_startup(e, p))
    }),
    ("sessions.describe", Scope::Read, true, |e, p| {
        Box::pin(sessions_view::sessions_describe(e, p))
    }),
    ("sessions.subscribe", Scope::Read, true, |e, p| {
        Box::pin(subscriptions::sessions_subscribe(e, p))
    }),
    ("sessions.messages.subscribe", Scope::Read, true, |e, p| {
        Box::pin(subscriptions::messages_subscribe(e, p))
    }),
    (
        "sessions.messages.unsubscribe",
        Scope::Read,
        true,
        |e, p| Box::pin(subscriptions::messages_unsubscribe(e, p)),
    ),
    ("sessions.viewers.set", Scope::Read, true, |e, p| {
        Box::pin(subscriptions::viewers_set(e, p))
    }),
    ("chat.metadata", Scope::Read, true, |e, p| {
        Box::pin(metadata::chat_metadata(e, p))
    }),
    ("agent.identity.get", Scope::Read, true, |e, p| {
        Box::pin(metadata::agent_identity(e, p))
    }),
    ("models.authStatus", Scope::Read, true, |e, p| {
        Box::pin(metadata::auth_status(e, p))
    }),
    ("sessions.usage", Scope::Read, false, |e, p| {
        Box::pin(usage::sessions_usage(e, p))
    }),
    ("usage.cost", Scope::Read, true, |e, p| {
        Box::pin(usage::usage_cost(e, p))
    }),
    ("usage.status", Scope::Read, true, |e, p| {
        Box::pin(usage::usage_status(e, p))
    }),
    ("diagnostics.lanes", Scope::Read, true, |e, p| {
        Box::pin(lanes::diagnostics_lanes(e, p))
    }),
];
