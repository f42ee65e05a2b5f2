//! The in-memory status board of the directory front end: each resource's
//! latest status and recent events, shown by `up`'s live table and served as
//! JSON on `/status`. (A cluster keeps these in the API server instead.)

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::RwLock;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::Serialize;

use crate::crd::OpenClawStatus;
use crate::report::{Event, EventType, Reporter};
use crate::resource::ResourceKey;

/// Events kept per resource.
const EVENTS_KEPT: usize = 20;

/// An event with its time.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedEvent {
    /// RFC 3339.
    pub at: String,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// What the board knows about one resource.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Latest status.
    pub status: OpenClawStatus,
    /// Recent events, oldest first.
    pub events: VecDeque<RecordedEvent>,
    /// Where the gateway is reachable from this host (embedded fly-local).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_url: Option<String>,
    /// How a person gets the gateway token (never the token itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_hint: Option<String>,
}

/// Statuses and events of every resource, keyed by `namespace/name`.
#[derive(Debug, Default)]
pub struct Board {
    entries: RwLock<BTreeMap<ResourceKey, Entry>>,
    file_errors: RwLock<BTreeMap<PathBuf, String>>,
}

impl Board {
    /// A copy of every entry (for rendering and `/status`).
    pub fn snapshot(&self) -> BTreeMap<ResourceKey, Entry> {
        self.entries.read().expect("board lock").clone()
    }

    /// One resource's entry.
    pub fn get(&self, key: &ResourceKey) -> Option<Entry> {
        self.entries.read().expect("board lock").get(key).cloned()
    }

    /// Records how to get a gateway's token.
    pub fn set_token_hint(&self, key: &ResourceKey, hint: Option<String>) {
        self.entries
            .write()
            .expect("board lock")
            .entry(key.clone())
            .or_default()
            .token_hint = hint;
    }

    /// Replaces the list of files that cannot be read, logging new problems.
    pub fn set_file_errors(&self, errors: BTreeMap<PathBuf, String>) {
        let mut current = self.file_errors.write().expect("board lock");
        for (path, e) in &errors {
            if current.get(path) != Some(e) {
                tracing::warn!(file = %path.display(), "{e}");
            }
        }
        *current = errors;
    }

    /// Files that cannot be read, with the reason.
    pub fn file_errors(&self) -> BTreeMap<PathBuf, String> {
        self.file_errors.read().expect("board lock").clone()
    }

    /// Forgets a resource (after deletion).
    pub fn remove(&self, key: &ResourceKey) {
        self.entries.write().expect("board lock").remove(key);
    }

    /// Records where a gateway is reachable locally.
    pub fn set_local_url(&self, key: &ResourceKey, url: Option<String>) {
        self.entries
            .write()
            .expect("board lock")
            .entry(key.clone())
            .or_default()
            .local_url = url;
    }

    /// `/status` body: `{"resources": {"default/a": {...}}, "fileErrors": {...}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let resources: serde_json::Map<String, serde_json::Value> = self
            .snapshot()
            .into_iter()
            .map(|(k, e)| (k.to_string(), serde_json::to_value(e).unwrap_or_default()))
            .collect();
        let files: serde_json::Map<String, serde_json::Value> = self
            .file_errors()
            .into_iter()
            .map(|(p, e)| (p.display().to_string(), serde_json::Value::String(e)))
            .collect();
        serde_json::json!({ "resources": resources, "fileErrors": files })
    }
}

impl Reporter for Board {
    fn event<'a>(&'a self, key: &'a ResourceKey, event: Event) -> BoxFuture<'a, ()> {
        match event.type_ {
            EventType::Normal => {
                tracing::info!(resource = %key, reason = %event.reason, "{}", event.message)
            }
            EventType::Warning => {
                tracing::warn!(resource = %key, reason = %event.reason, "{}", event.message)
            }
        }
        let mut entries = self.entries.write().expect("board lock");
        let events = &mut entries.entry(key.clone()).or_default().events;
        if events.len() == EVENTS_KEPT {
            events.pop_front();
        }
        events.push_back(RecordedEvent {
            at: jiff::Timestamp::now().to_string(),
            event,
        });
        async {}.boxed()
    }

    fn status<'a>(&'a self, key: &'a ResourceKey, status: &'a OpenClawStatus) -> BoxFuture<'a, ()> {
        self.entries
            .write()
            .expect("board lock")
            .entry(key.clone())
            .or_default()
            .status = status.clone();
        async {}.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_a_bounded_event_history() {
        let board = Board::default();
        let key = ResourceKey::new("default", "a");
        for i in 0..(EVENTS_KEPT + 5) {
            board
                .event(&key, Event::normal("Test", format!("n{i}")))
                .await;
        }
        let e = board.get(&key).unwrap();
        assert_eq!(e.events.len(), EVENTS_KEPT);
        assert_eq!(
            e.events.back().unwrap().event.message,
            format!("n{}", EVENTS_KEPT + 4)
        );
        assert!(board.to_json()["resources"]["default/a"]["events"].is_array());
    }
}
