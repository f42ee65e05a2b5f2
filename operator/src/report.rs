//! Where reconcile results go: Events and status. One trait so the same
//! reconcile reports to a Kubernetes API (cluster front end) or to the
//! in-memory [`crate::board::Board`] behind `up`'s table and `/status`.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::crd::OpenClawStatus;
use crate::resource::ResourceKey;

/// Kubernetes event types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventType {
    /// Something went as intended (created, healed).
    Normal,
    /// Something needs attention (invalid spec, API error).
    Warning,
}

/// An Event about one resource, e.g. `DriftCorrected`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Normal or Warning.
    #[serde(rename = "type")]
    pub type_: EventType,
    /// CamelCase reason, e.g. `StaleLockCleared`.
    pub reason: String,
    /// One line for humans (never a secret value).
    pub message: String,
}

impl Event {
    /// A Normal event.
    pub fn normal(reason: &str, message: impl Into<String>) -> Self {
        Self {
            type_: EventType::Normal,
            reason: reason.into(),
            message: message.into(),
        }
    }

    /// A Warning event.
    pub fn warning(reason: &str, message: impl Into<String>) -> Self {
        Self {
            type_: EventType::Warning,
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// Receives what reconciles observe.
pub trait Reporter: Send + Sync {
    /// Publishes an Event.
    fn event<'a>(&'a self, key: &'a ResourceKey, event: Event) -> BoxFuture<'a, ()>;
    /// Replaces the resource's status.
    fn status<'a>(&'a self, key: &'a ResourceKey, status: &'a OpenClawStatus) -> BoxFuture<'a, ()>;
}
