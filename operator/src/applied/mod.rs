//! The record of what `up` has applied: the directory front end's stand-in
//! for a cluster's finalizers.
//!
//! A cluster remembers a deleted resource (its finalizer holds it until the
//! operator has cleaned up); a directory does not: a file deleted while `up`
//! is stopped simply is not there at the next start. So `up` records, per
//! [`SourceSet`], every resource it applies with what deleting it needs (app
//! name, deletionPolicy, the file that declared it). At the next start, a
//! recorded resource the files no longer declare is deleted per its recorded
//! policy, as `kubectl apply --prune` would.
//!
//! Rules that keep a person's gateways safe:
//! - an entry is written (atomically: temp file, fsync, rename) *before* the
//!   first API write for the resource, so a crash cannot leave an unrecorded app;
//! - a record that cannot be parsed is renamed aside with a warning and nothing
//!   is pruned: a corrupt record is never a reason to delete, nor overwritten;
//! - one `up` at a time holds a record (an exclusive lock next to it): two
//!   operators reconciling the same files would fight, and the lock is what
//!   lets a restarted `up` recognise leases left by its crashed predecessor
//!   (see [`AppliedStore::lease_holder`]).

mod source_set;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

pub use source_set::{SourceSet, api_identity};

use crate::crd::DeletionPolicy;
use crate::resource::ResourceKey;

/// Format version of the record file.
const VERSION: u32 = 1;

/// What deleting one applied resource needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedEntry {
    /// Fly app name.
    pub app: String,
    /// What deletion does.
    pub deletion_policy: DeletionPolicy,
    /// The file that declared it.
    pub origin: PathBuf,
}

/// The record file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordFile {
    version: u32,
    #[serde(flatten)]
    set: SourceSet,
    /// Random id of this record's operator, written into lease descriptions.
    holder: String,
    /// Applied resources by `namespace/name`.
    resources: BTreeMap<String, AppliedEntry>,
}

/// Why a record cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Another process holds the record's lock.
    #[error(
        "another `openclaw-operator up` is running for these files against {api} (record {path}); \
         stop it first, or give this one its own state directory (XDG_STATE_HOME)"
    )]
    Busy {
        /// The Machines API.
        api: String,
        /// The record file.
        path: PathBuf,
    },
    /// The state directory cannot be used.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RecordError {
    let path = path.to_path_buf();
    move |source| RecordError::Io { what, path, source }
}

/// The record of one source set, held by one `up`.
pub struct AppliedStore {
    path: PathBuf,
    state: Mutex<State>,
    /// Serialises file writes; whoever writes, writes every change so far.
    writer: tokio::sync::Mutex<()>,
    /// Highest [`State::version`] known to be on disk.
    durable: AtomicU64,
    /// Held for the store's lifetime: the exclusive lock.
    _lock: File,
}

struct State {
    file: RecordFile,
    version: u64,
}

/// What opening a record found.
pub struct Opened {
    /// The store.
    pub store: AppliedStore,
    /// Set when the record was corrupt: where it was moved, and why.
    pub set_aside: Option<(PathBuf, String)>,
}

/// Where the records live.
pub fn records_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("applied")
}

/// The record file of `set`.
pub fn record_path(state_dir: &Path, set: &SourceSet) -> PathBuf {
    records_dir(state_dir).join(format!("{}.json", set.id()))
}

impl AppliedStore {
    /// Opens (creating if needed) and locks the record of `set`.
    pub fn open(state_dir: &Path, set: SourceSet) -> Result<Opened, RecordError> {
        let dir = records_dir(state_dir);
        std::fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
        let path = record_path(state_dir, &set);
        let lock_path = path.with_extension("lock");
        let lock = File::create(&lock_path).map_err(io("opening", &lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(RecordError::Busy { api: set.api, path });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io("locking", &lock_path)(e)),
        }
        let (file, set_aside) = match read(&path) {
            Ok(Some(file)) => (file, None),
            Ok(None) => (fresh(set), None),
            Err(why) => {
                let aside = path.with_extension(format!(
                    "corrupt-{}.json",
                    jiff::Timestamp::now().as_second()
                ));
                std::fs::rename(&path, &aside).map_err(io("setting aside", &path))?;
                (fresh(set), Some((aside, why)))
            }
        };
        Ok(Opened {
            store: AppliedStore {
                path,
                state: Mutex::new(State { file, version: 0 }),
                writer: tokio::sync::Mutex::new(()),
                durable: AtomicU64::new(0),
                _lock: lock,
            },
            set_aside,
        })
    }

    /// Reads the record of `set` without locking it (`plan`: an `up` may be
    /// running). A missing or unreadable record reads as empty, with the reason.
    pub fn peek(
        state_dir: &Path,
        set: &SourceSet,
    ) -> (BTreeMap<ResourceKey, AppliedEntry>, Option<String>) {
        match read(&record_path(state_dir, set)) {
            Ok(file) => (file.map(|f| entries(&f)).unwrap_or_default(), None),
            Err(why) => (BTreeMap::new(), Some(why)),
        }
    }

    /// The record file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every recorded resource.
    pub fn entries(&self) -> BTreeMap<ResourceKey, AppliedEntry> {
        entries(&self.state.lock().expect("record lock").file)
    }

    /// One recorded resource.
    pub fn get(&self, key: &ResourceKey) -> Option<AppliedEntry> {
        let state = self.state.lock().expect("record lock");
        state.file.resources.get(&key.to_string()).cloned()
    }

    /// Another record for the same API that also lists `key`, by its source
    /// paths: the resource moved to other files, which now manage it, so
    /// removing it from these must not delete it.
    pub fn claimed_elsewhere(&self, key: &ResourceKey) -> Option<Vec<PathBuf>> {
        let api = self.state.lock().expect("record lock").file.set.api.clone();
        let dir = self.path.parent()?;
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p != &self.path && p.extension().is_some_and(|x| x == "json"))
            .filter_map(|p| read(&p).ok().flatten())
            .find(|f| f.set.api == api && f.resources.contains_key(&key.to_string()))
            .map(|f| f.set.sources)
    }

    /// The lease description of this record's operator. Only the process
    /// holding the record's lock uses it, so a lease found carrying it was
    /// left by a previous run that died holding it.
    pub fn lease_holder(&self) -> String {
        let state = self.state.lock().expect("record lock");
        format!("openclaw-operator up {}", state.file.holder)
    }

    /// Records that `key` is applied as `entry`; returns once that is on disk.
    pub async fn record(&self, key: &ResourceKey, entry: AppliedEntry) -> Result<(), RecordError> {
        self.change(|r| {
            let k = key.to_string();
            (r.get(&k) != Some(&entry)).then(|| {
                r.insert(k, entry);
            })
        })
        .await
    }

    /// Forgets `key` (deleted or orphaned); returns once that is on disk.
    pub async fn forget(&self, key: &ResourceKey) -> Result<(), RecordError> {
        self.change(|r| r.remove(&key.to_string()).map(drop)).await
    }

    /// Applies `edit` (which says whether it changed anything) and writes the
    /// record. Concurrent changes share writes: a writer writes everything
    /// changed so far, and a change already on disk returns at once.
    async fn change(
        &self,
        edit: impl FnOnce(&mut BTreeMap<String, AppliedEntry>) -> Option<()>,
    ) -> Result<(), RecordError> {
        let mine = {
            let mut state = self.state.lock().expect("record lock");
            if edit(&mut state.file.resources).is_none() {
                return Ok(());
            }
            state.version += 1;
            state.version
        };
        let _writing = self.writer.lock().await;
        if self.durable.load(Ordering::SeqCst) >= mine {
            return Ok(());
        }
        let (text, version) = {
            let state = self.state.lock().expect("record lock");
            let text = serde_json::to_vec_pretty(&state.file).expect("record serialises");
            (text, state.version)
        };
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &text))
            .await
            .expect("record writer")?;
        self.durable.store(version, Ordering::SeqCst);
        Ok(())
    }
}

fn fresh(set: SourceSet) -> RecordFile {
    RecordFile {
        version: VERSION,
        set,
        holder: hex::encode(rand::random::<[u8; 8]>()),
        resources: BTreeMap::new(),
    }
}

fn entries(file: &RecordFile) -> BTreeMap<ResourceKey, AppliedEntry> {
    file.resources
        .iter()
        .filter_map(|(k, v)| Some((ResourceKey::parse(k)?, v.clone())))
        .collect()
}

/// The record at `path`: `Ok(None)` when there is none, `Err` with the
/// reason when it cannot be used.
fn read(path: &Path) -> Result<Option<RecordFile>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let file: RecordFile =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a valid record: {e}"))?;
    if file.version != VERSION {
        return Err(format!(
            "record version {} (this operator reads {VERSION})",
            file.version
        ));
    }
    if let Some(bad) = file
        .resources
        .keys()
        .find(|k| ResourceKey::parse(k).is_none())
    {
        return Err(format!("{bad:?} is not a namespace/name"));
    }
    Ok(Some(file))
}

/// Writes `bytes` to `path` so that a crash leaves the old or the new file,
/// never a torn one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    let tmp = path.with_extension("json.tmp");
    let mut f = File::create(&tmp).map_err(io("writing", &tmp))?;
    f.write_all(bytes).map_err(io("writing", &tmp))?;
    f.sync_all().map_err(io("syncing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("replacing", path))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
