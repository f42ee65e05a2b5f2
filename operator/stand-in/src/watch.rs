//! Watches: a stream of newline-delimited `{"type", "object"}` events from a
//! resourceVersion on, replaying the history first, with periodic bookmarks
//! and the server-side `timeoutSeconds`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::SinkExt;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::path::{Query, Target};
use crate::resources::Kind;
use crate::selector::{FieldSelector, LabelSelector};
use crate::state::{Change, State};
use crate::status::ApiError;

/// A body chunk stream for the HTTP response.
pub type Chunks = futures::channel::mpsc::Receiver<Result<Bytes, std::convert::Infallible>>;

struct Filter {
    kind: Kind,
    version: String,
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, c: &Change) -> bool {
        c.key.group == self.kind.group
            && c.key.plural == self.kind.plural
            && self
                .namespace
                .as_ref()
                .is_none_or(|n| *n == c.key.namespace)
            && self.labels.matches(&c.object)
            && self.fields.matches(&c.object)
    }

    fn line(&self, event: &str, object: &Value) -> Bytes {
        let mut object = object.clone();
        object["apiVersion"] = json!(self.kind.api_version(&self.version));
        let mut text = json!({"type": event, "object": object}).to_string();
        text.push('\n');
        Bytes::from(text)
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object = json!({"kind": self.kind.kind, "metadata": meta});
        self.line("BOOKMARK", &object)
    }
}

/// Starts a watch. Fails (before any byte is sent) only on bad selectors.
pub fn start(
    state: Arc<Mutex<State>>,
    kind: Kind,
    target: &Target,
    query: &Query,
    bookmark_every: Duration,
) -> Result<Chunks, ApiError> {
    let filter = Filter {
        kind,
        version: target.version.clone(),
        namespace: target.namespace.clone(),
        labels: LabelSelector::parse(query.get("labelSelector").unwrap_or(""))
            .map_err(ApiError::bad_request)?,
        fields: FieldSelector::parse(query.get("fieldSelector").unwrap_or(""))
            .map_err(ApiError::bad_request)?,
    };
    let bookmarks = query.flag("allowWatchBookmarks");
    let initial_events = query.flag("sendInitialEvents");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs);
    let from: Option<u64> = query
        .get("resourceVersion")
        .and_then(|rv| rv.parse().ok())
        .filter(|rv| *rv > 0);
    let (mut tx, rx) = futures::channel::mpsc::channel(64);
    let mut initial: Vec<Bytes> = Vec::new();
    let mut ended = false;
    let (mut changes, mut last) = {
        let s = state.lock().expect("state lock");
        match from {
            Some(rv) if !initial_events && rv < s.oldest_resumable() => {
                // Compacted away: the client must list again.
                let err = ApiError::gone(rv);
                initial.push(Bytes::from(
                    json!({"type": "ERROR", "object": err.body()}).to_string() + "\n",
                ));
                ended = true;
            }
            Some(rv) if !initial_events => {
                initial.extend(
                    s.history_after(rv)
                        .filter(|c| filter.matches(c))
                        .map(|c| filter.line(c.event, &c.object)),
                );
            }
            _ => {
                // "Any" version: the current state as synthetic ADDED events.
                let list = s.list(
                    &filter.kind,
                    &filter.version,
                    filter.namespace.as_deref(),
                    &filter.labels,
                    &filter.fields,
                );
                for item in list["items"].as_array().into_iter().flatten() {
                    initial.push(filter.line("ADDED", item));
                }
                if initial_events {
                    initial.push(filter.bookmark(s.rv(), true));
                }
            }
        }
        (s.changes.subscribe(), s.rv())
    };
    tokio::spawn(async move {
        for chunk in initial {
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
        if ended {
            return;
        }
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut tick = tokio::time::interval(bookmark_every);
        tick.tick().await;
        loop {
            let until_deadline = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = changes.recv() => match r {
                    Ok(c) => {
                        if c.rv > last && filter.matches(&c) {
                            last = c.rv;
                            if tx.send(Ok(filter.line(c.event, &c.object))).await.is_err() {
                                return;
                            }
                        }
                    }
                    // A slow client: end the stream, it resumes from its last version.
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
                },
                _ = tick.tick(), if bookmarks => {
                    let current = state.lock().expect("state lock").rv();
                    // Deliver everything up to `current` before vouching for it.
                    loop {
                        match changes.try_recv() {
                            Ok(c) => {
                                if c.rv > last && filter.matches(&c) {
                                    last = c.rv;
                                    if tx.send(Ok(filter.line(c.event, &c.object))).await.is_err() {
                                        return;
                                    }
                                }
                            }
                            Err(TryRecvError::Empty) => break,
                            Err(_) => return,
                        }
                    }
                    last = last.max(current);
                    if tx.send(Ok(filter.bookmark(current, false))).await.is_err() {
                        return;
                    }
                }
                _ = until_deadline => return,
            }
        }
    });
    Ok(rx)
}
