//! Where the cluster front end reports: Events through kube's `Recorder`
//! (`events.k8s.io/v1`, deduplicated into series), and status through the
//! status subresource — a merge patch of only the fields the operator owns,
//! and none at all when nothing changed (a write would wake the controller
//! again). The in-memory board behind `/status` gets both too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::BoxFuture;
use kube::Resource;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event as KubeEvent, EventType as KubeEventType, Recorder};
use kube::runtime::reflector::{ObjectRef, Store};
use serde_json::{Map, Value, json};

use crate::board::Board;
use crate::crd::{OpenClaw, OpenClawStatus};
use crate::report::{Event, EventType, Reporter};
use crate::resource::ResourceKey;

/// Events API limit on `note`.
const NOTE_MAX: usize = 1024;

/// Reports to the API server for resources of one controller's store.
pub struct ClusterReporter {
    client: kube::Client,
    recorder: Recorder,
    store: Store<OpenClaw>,
    board: Arc<Board>,
    /// The status last written per resource, with the resourceVersion the
    /// write produced: the cache may not have seen it yet.
    written: Mutex<HashMap<ResourceKey, (String, OpenClawStatus)>>,
}

impl ClusterReporter {
    /// A reporter resolving resources in `store`.
    pub fn new(
        client: kube::Client,
        recorder: Recorder,
        store: Store<OpenClaw>,
        board: Arc<Board>,
    ) -> Self {
        Self {
            client,
            recorder,
            store,
            board,
            written: Mutex::new(HashMap::new()),
        }
    }

    /// The status to build on for `obj`: the one last written, unless the
    /// cached object is already as new (a reconcile triggered by our own
    /// write must not start from a status that predates it and erase, say,
    /// the drift corrections that write recorded).
    pub fn previous(&self, key: &ResourceKey, obj: &OpenClaw) -> OpenClawStatus {
        let cached = obj.status.clone().unwrap_or_default();
        let written = self.written.lock().expect("written lock");
        match written.get(key) {
            Some((rv, status)) if !newer_or_same(obj.metadata.resource_version.as_deref(), rv) => {
                status.clone()
            }
            _ => cached,
        }
    }

    fn live(&self, key: &ResourceKey) -> Option<Arc<OpenClaw>> {
        self.store
            .get(&ObjectRef::new(&key.name).within(&key.namespace))
    }
}

/// The status fields as a merge patch: every field the operator owns, with
/// `null` for the ones now empty (so stale values go away) — and nothing else.
pub fn status_patch(status: &OpenClawStatus) -> Value {
    let mut fields = match serde_json::to_value(status).expect("status serialises") {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for owned in [
        "observedGeneration",
        "phase",
        "message",
        "conditions",
        "fly",
        "kubernetes",
        "endpoint",
        "lastDriftCorrections",
    ] {
        fields.entry(owned).or_insert(Value::Null);
    }
    json!({ "status": fields })
}

/// Whether resourceVersion `cached` is at least `written` (they are etcd
/// revisions in practice; anything unparsable counts as older).
fn newer_or_same(cached: Option<&str>, written: &str) -> bool {
    match (
        cached.and_then(|c| c.parse::<u64>().ok()),
        written.parse::<u64>(),
    ) {
        (Some(c), Ok(w)) => c >= w,
        _ => false,
    }
}

fn truncate(s: &str) -> String {
    if s.len() <= NOTE_MAX {
        return s.to_owned();
    }
    let mut end = NOTE_MAX - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

impl Reporter for ClusterReporter {
    fn event<'a>(&'a self, key: &'a ResourceKey, event: Event) -> BoxFuture<'a, ()> {
        async move {
            self.board.event(key, event.clone()).await;
            let Some(obj) = self.live(key) else {
                return;
            };
            let reference = obj.object_ref(&());
            let e = KubeEvent {
                type_: match event.type_ {
                    EventType::Normal => KubeEventType::Normal,
                    EventType::Warning => KubeEventType::Warning,
                },
                reason: event.reason.clone(),
                note: Some(truncate(&event.message)),
                action: "Reconcile".into(),
                secondary: None,
            };
            if let Err(err) = self.recorder.publish(&e, &reference).await {
                tracing::warn!(resource = %key, error = %err, "cannot publish an Event");
            }
        }
        .boxed()
    }

    fn status<'a>(&'a self, key: &'a ResourceKey, status: &'a OpenClawStatus) -> BoxFuture<'a, ()> {
        async move {
            self.board.status(key, status).await;
            let current = self.live(key).map(|o| self.previous(key, &o));
            if current.as_ref() == Some(status) {
                return;
            }
            let api: Api<OpenClaw> = Api::namespaced(self.client.clone(), &key.namespace);
            let patch = status_patch(status);
            match api
                .patch_status(&key.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(o) => {
                    if let Some(rv) = o.metadata.resource_version {
                        self.written
                            .lock()
                            .expect("written lock")
                            .insert(key.clone(), (rv, status.clone()));
                    }
                }
                // Deleted meanwhile: nothing to report on.
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(err) => {
                    tracing::warn!(resource = %key, error = %err, "cannot write the status")
                }
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patch_names_every_owned_field_and_nothing_else() {
        let s = OpenClawStatus {
            endpoint: Some("ws://x".into()),
            ..Default::default()
        };
        let p = status_patch(&s);
        let status = p["status"].as_object().unwrap();
        assert_eq!(status["endpoint"], "ws://x");
        assert!(status["fly"].is_null(), "stale platform status is cleared");
        assert_eq!(status.len(), 8);
        assert_eq!(truncate(&"é".repeat(600)).len(), 1023);
    }
}
