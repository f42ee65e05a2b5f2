//! The in-memory status board of the directory front end: each resource's
//! latest status and recent events, shown by `up`'s live table and served as
//! JSON on `/status`. (A cluster keeps these in the API server instead.)

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::crd::OpenClawStatus;
use crate::report::{Event, EventType, Reporter};
use crate::resource::ResourceKey;

/// Events kept per resource.
const EVENTS_KEPT: usize = 20;

/// An event with its time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// RFC 3339.
    pub at: String,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// What the board knows about one resource.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Latest status.
    #[serde(default)]
    pub status: OpenClawStatus,
    /// Recent events, oldest first.
    #[serde(default)]
    pub events: VecDeque<RecordedEvent>,
    /// Where the gateway is reachable from this host (embedded fly-local).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_url: Option<String>,
    /// How a person gets the gateway token (never the token itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hint: Option<String>,
    /// When this board first heard of the resource (RFC 3339): the AGE column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// Statuses and events of every resource, keyed by `namespace/name`.
#[derive(Debug, Default)]
pub struct Board {
    entries: RwLock<BTreeMap<ResourceKey, Entry>>,
    file_errors: RwLock<BTreeMap<PathBuf, String>>,
    skipped: RwLock<BTreeMap<PathBuf, Vec<String>>>,
    /// Stable local ports (a fly-local): local URLs are shown through them.
    access: OnceLock<Arc<crate::access::StableAccess>>,
}

impl Board {
    /// Shows local URLs through `access`'s stable ports from now on.
    pub fn use_stable_access(&self, access: Arc<crate::access::StableAccess>) {
        if self.access.set(access).is_err() {
            tracing::warn!("stable local access was already set; keeping the first");
        }
    }

    fn entry_mut<'a>(
        entries: &'a mut BTreeMap<ResourceKey, Entry>,
        key: &ResourceKey,
    ) -> &'a mut Entry {
        entries.entry(key.clone()).or_insert_with(|| Entry {
            since: Some(jiff::Timestamp::now().to_string()),
            ..Entry::default()
        })
    }

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
        Self::entry_mut(&mut self.entries.write().expect("board lock"), key).token_hint = hint;
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

    /// Replaces the list of skipped documents, logging new ones as warnings.
    pub fn set_skipped(&self, skipped: BTreeMap<PathBuf, Vec<String>>) {
        let mut current = self.skipped.write().expect("board lock");
        for (path, docs) in &skipped {
            for d in docs {
                if !current.get(path).is_some_and(|c| c.contains(d)) {
                    tracing::warn!(file = %path.display(), "{d}");
                }
            }
        }
        *current = skipped;
    }

    /// Documents that are not `OpenClaw` resources, per file, with the reason.
    pub fn skipped(&self) -> BTreeMap<PathBuf, Vec<String>> {
        self.skipped.read().expect("board lock").clone()
    }

    /// Forgets a resource (after deletion).
    pub fn remove(&self, key: &ResourceKey) {
        self.entries.write().expect("board lock").remove(key);
        if let Some(access) = self.access.get() {
            access.release(key);
        }
    }

    /// Records where a gateway is reachable locally (fly-local's address for
    /// it; shown through its stable port when there is one).
    pub fn set_local_url(&self, key: &ResourceKey, url: Option<String>) {
        let url = match self.access.get() {
            Some(access) => access.route(key, url),
            None => url,
        };
        Self::entry_mut(&mut self.entries.write().expect("board lock"), key).local_url = url;
    }

    /// `/status` body: `{"resources": {"default/a": {...}}, "fileErrors": {...},
    /// "skipped": {"file": ["document 2 … skipped: …"]}}`.
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
        let skipped: serde_json::Map<String, serde_json::Value> = self
            .skipped()
            .into_iter()
            .map(|(p, d)| (p.display().to_string(), serde_json::json!(d)))
            .collect();
        serde_json::json!({ "resources": resources, "fileErrors": files, "skipped": skipped })
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
        let events = &mut Self::entry_mut(&mut entries, key).events;
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
        Self::entry_mut(&mut self.entries.write().expect("board lock"), key).status =
            status.clone();
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
