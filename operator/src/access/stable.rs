//! Stable local ports on a fly-local: each resource keeps one
//! `127.0.0.1:PORT` across restarts of `up` and heals, as `fly proxy 3000`
//! or `kubectl port-forward` would give it, so the Control UI keeps its
//! origin (and the token it stored) and a CLI command keeps working.
//!
//! fly-local exposes a machine's service on a port of its own choosing, new
//! for every machine; `up` puts a [`Forwarder`] in front of it on the
//! resource's port, which is remembered in `$STATE/local-ports.json`:
//! `--port NAME=PORT` wins, then the port the resource had before, then a
//! free one. A remembered port another program took meanwhile is replaced by
//! a free one, with a warning.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::forward::{Forwarder, authority};
use crate::resource::ResourceKey;

/// The file remembering each resource's port.
pub fn book_path(state_dir: &Path) -> PathBuf {
    state_dir.join("local-ports.json")
}

/// Which port a resource should get: `--port` (by `ns/name` or `name`), else
/// the remembered one, else `None` (pick a free one).
pub fn wanted_port(
    key: &ResourceKey,
    overrides: &[(String, u16)],
    remembered: &BTreeMap<String, u16>,
) -> Option<u16> {
    let full = key.to_string();
    overrides
        .iter()
        .find(|(n, _)| *n == full)
        .or_else(|| overrides.iter().find(|(n, _)| *n == key.name))
        .map(|(_, p)| *p)
        .or_else(|| remembered.get(&full).copied())
}

#[derive(Debug)]
struct Route {
    forwarder: Forwarder,
    upstream: Arc<Mutex<Option<String>>>,
}

/// The stable listeners of one `up`.
#[derive(Debug)]
pub struct StableAccess {
    book: PathBuf,
    overrides: Vec<(String, u16)>,
    remembered: Mutex<BTreeMap<String, u16>>,
    routes: Mutex<HashMap<ResourceKey, Route>>,
}

impl StableAccess {
    /// Reads the remembered ports (an unreadable file is set aside, not lost).
    pub fn open(state_dir: &Path, overrides: Vec<(String, u16)>) -> Self {
        let book = book_path(state_dir);
        let remembered = match std::fs::read_to_string(&book) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                let aside = book.with_extension("json.unreadable");
                tracing::warn!(file = %book.display(), error = %e, aside = %aside.display(), "local ports record unreadable; set aside, ports are picked afresh");
                if let Err(e) = std::fs::rename(&book, &aside) {
                    tracing::warn!(error = %e, "cannot set the local ports record aside");
                }
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        Self {
            book,
            overrides,
            remembered: Mutex::new(remembered),
            routes: Mutex::default(),
        }
    }

    /// Points `key`'s stable port at `upstream` (fly-local's URL for the
    /// machine, `None` while there is none) and returns the stable URL to
    /// show, or `None` while nothing serves it. Binds the port on first use.
    pub fn route(&self, key: &ResourceKey, upstream: Option<String>) -> Option<String> {
        let mut routes = self.routes.lock().expect("routes");
        if !routes.contains_key(key) {
            upstream.as_ref()?;
            match self.listen(key) {
                Ok(route) => {
                    routes.insert(key.clone(), route);
                }
                Err(e) => {
                    tracing::warn!(resource = %key, error = %e, "no stable local port; showing fly-local's own");
                    return upstream;
                }
            }
        }
        let route = &routes[key];
        let shown = upstream
            .as_ref()
            .map(|_| format!("http://{}", route.forwarder.local_addr()));
        *route.upstream.lock().expect("upstream") = upstream;
        shown
    }

    /// Stops serving `key` and forgets its port (the resource was deleted).
    pub fn release(&self, key: &ResourceKey) {
        if self.routes.lock().expect("routes").remove(key).is_some() {
            self.remembered
                .lock()
                .expect("remembered")
                .remove(&key.to_string());
            self.save();
        }
    }

    fn listen(&self, key: &ResourceKey) -> std::io::Result<Route> {
        let wanted = wanted_port(
            key,
            &self.overrides,
            &self.remembered.lock().expect("remembered"),
        );
        let upstream: Arc<Mutex<Option<String>>> = Arc::default();
        let up = upstream.clone();
        let key_text = key.to_string();
        let resolve = move || {
            up.lock()
                .expect("upstream")
                .as_deref()
                .and_then(authority)
                .ok_or_else(|| format!("{key_text} has no running gateway right now"))
        };
        let addr = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let forwarder = match wanted.map(|p| Forwarder::bind(addr(p), Arc::new(resolve.clone()))) {
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                let port = wanted.unwrap_or_default();
                tracing::warn!(resource = %key, port, error = %e, "its local port is taken; picking another");
                Forwarder::bind(addr(0), Arc::new(resolve))?
            }
            None => Forwarder::bind(addr(0), Arc::new(resolve))?,
        };
        let port = forwarder.local_addr().port();
        let changed = self
            .remembered
            .lock()
            .expect("remembered")
            .insert(key.to_string(), port)
            != Some(port);
        if changed {
            self.save();
        }
        Ok(Route {
            forwarder,
            upstream,
        })
    }

    fn save(&self) {
        let text = serde_json::to_string_pretty(&*self.remembered.lock().expect("remembered"))
            .expect("a map of ports serialises");
        if let Err(e) = crate::private_file::write(&self.book, &text) {
            tracing::warn!(file = %self.book.display(), error = %e, "cannot remember local ports; they may change at the next start");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_then_memory_then_free() {
        let key = ResourceKey::new("team", "claw");
        let remembered = BTreeMap::from([("team/claw".to_owned(), 41000)]);
        assert_eq!(wanted_port(&key, &[], &remembered), Some(41000));
        let by_name = vec![("claw".to_owned(), 42000)];
        assert_eq!(wanted_port(&key, &by_name, &remembered), Some(42000));
        let both = vec![("claw".to_owned(), 42000), ("team/claw".to_owned(), 43000)];
        assert_eq!(
            wanted_port(&key, &both, &remembered),
            Some(43000),
            "the full key wins"
        );
        assert_eq!(wanted_port(&key, &[], &BTreeMap::new()), None);
    }

    #[tokio::test]
    async fn a_port_is_remembered_and_kept_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let key = ResourceKey::new("default", "a");
        let first = StableAccess::open(dir.path(), vec![]);
        let url = first
            .route(&key, Some("http://127.0.0.1:9/".into()))
            .unwrap();
        assert_eq!(
            first.route(&key, None),
            None,
            "nothing to show without a gateway"
        );
        drop(first);
        // The aborted accept task drops its listener when next scheduled.
        tokio::task::yield_now().await;
        let again = StableAccess::open(dir.path(), vec![]);
        assert_eq!(
            again.route(&key, Some("http://127.0.0.1:10/".into())),
            Some(url)
        );
        again.release(&key);
        let text = std::fs::read_to_string(book_path(dir.path())).unwrap();
        assert!(!text.contains("default/a"), "{text}");
    }
}
