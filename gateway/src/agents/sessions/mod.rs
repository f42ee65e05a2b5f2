//! Persistent sessions: one transcript per session key, under the state dir.
//!
//! Layout (as older OpenClaw releases): `$STATE_DIR/agents/<agentId>/sessions/`
//! holds `sessions.json` (key → session id, summary) and one
//! `<sessionId>.jsonl` transcript per session. Appends are fsync'd; a reset
//! starts a new transcript and keeps the old one as `<id>.jsonl.reset.<ms>`, a
//! delete keeps it as `<id>.jsonl.deleted.<ms>`: nothing is ever lost.

mod index;
mod key;
mod transcript;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Mutex;

use super::message::{MessageRole, TranscriptMessage, now_ms};
use index::{Index, IndexEntry};
use transcript::{Append, Header, Transcript};

pub use key::{KeyError, SessionKey};

/// A session store failure; the message names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session storage failed at {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// A transcript exists but cannot be read (permissions, I/O).
    #[error("{0}")]
    Corrupt(String),
}

/// A session as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    pub key: String,
    pub agent_id: String,
    pub session_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub message_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_model: Option<String>,
}

/// A page of a session's messages, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub key: String,
    pub session_id: Option<String>,
    pub messages: Vec<TranscriptMessage>,
    /// Index of the first message of the page in the transcript.
    pub start: usize,
    /// Messages in the whole transcript.
    pub total: usize,
    /// Older messages exist before this page.
    pub has_more: bool,
    /// Pass as `before` to get the previous page.
    pub next_cursor: Option<usize>,
}

type Shared = Arc<Mutex<Transcript>>;

struct AgentSessions {
    dir: PathBuf,
    index: Index,
    loaded: HashMap<String, Shared>,
    /// Serializes writes of this agent's index so the newest state lands last.
    writer: Arc<Mutex<()>>,
}

/// All sessions of all agents.
pub struct SessionStore {
    root: PathBuf,
    agents: Mutex<BTreeMap<String, AgentSessions>>,
    /// Sessions in all indexes, readable without the lock (status reports).
    count: std::sync::atomic::AtomicUsize,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SessionError + '_ {
    move |source| SessionError::Io {
        path: path.to_owned(),
        source,
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("session file task panicked")
}

impl SessionStore {
    /// Opens the store under `state_dir`, reading every agent's index (and
    /// repairing it from the transcripts if needed). Returns what was repaired.
    /// Blocking file I/O: call it at start-up, before serving.
    pub fn open(state_dir: &Path) -> Result<(Self, Vec<String>), SessionError> {
        let root = state_dir.join("agents");
        let scan_root = root.clone();
        let (agents, notes) = (move || -> Result<_, SessionError> {
            let mut agents = BTreeMap::new();
            let mut notes = Vec::new();
            let dirs = match std::fs::read_dir(&scan_root) {
                Ok(d) => d,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((agents, notes)),
                Err(e) => return Err(io_err(&scan_root)(e)),
            };
            for entry in dirs.flatten() {
                let dir = entry.path().join("sessions");
                if !dir.is_dir() {
                    continue;
                }
                let loaded = index::load(&dir).map_err(io_err(&dir))?;
                notes.extend(loaded.notes);
                let agent = entry.file_name().to_string_lossy().into_owned();
                agents.insert(
                    agent,
                    AgentSessions {
                        dir,
                        index: loaded.index,
                        loaded: HashMap::new(),
                        writer: Arc::new(Mutex::new(())),
                    },
                );
            }
            Ok((agents, notes))
        })()?;
        let count = agents.values().map(|a: &AgentSessions| a.index.len()).sum();
        Ok((
            Self {
                root,
                agents: Mutex::new(agents),
                count: std::sync::atomic::AtomicUsize::new(count),
            },
            notes,
        ))
    }

    fn agent_dir(&self, agent: &str) -> PathBuf {
        self.root.join(agent).join("sessions")
    }

    /// The transcript of `key`, loading it or creating the session.
    async fn transcript(&self, key: &SessionKey) -> Result<Shared, SessionError> {
        let agent = key.agent_id().to_owned();
        let (entry, dir) = {
            let mut agents = self.agents.lock().await;
            let a = agents
                .entry(agent.clone())
                .or_insert_with(|| AgentSessions {
                    dir: self.agent_dir(&agent),
                    index: Index::new(),
                    loaded: HashMap::new(),
                    writer: Arc::new(Mutex::new(())),
                });
            if let Some(t) = a.loaded.get(key.as_str()) {
                return Ok(Arc::clone(t));
            }
            (a.index.get(key.as_str()).cloned(), a.dir.clone())
        };
        let transcript = match entry {
            Some(e) => {
                let path = dir.join(format!("{}.jsonl", e.session_id));
                match blocking(move || Transcript::load(&path)).await {
                    Ok(t) => t,
                    Err(transcript::LoadError::Io { source, path })
                        if source.kind() == io::ErrorKind::NotFound =>
                    {
                        tracing::warn!(target: "agents", "session {key}: transcript {} is missing; starting a new one", path.display());
                        self.create(key, &dir).await?
                    }
                    Err(e @ transcript::LoadError::NoHeader { .. }) => {
                        // Another program's transcript (e.g. the Node gateway's): left
                        // untouched on disk; this key continues in a new transcript.
                        tracing::warn!(target: "agents", "session {key}: {e}; it is left as is and the session continues in a new transcript");
                        self.create(key, &dir).await?
                    }
                    Err(e) => return Err(SessionError::Corrupt(e.to_string())),
                }
            }
            None => self.create(key, &dir).await?,
        };
        if transcript.torn {
            tracing::warn!(target: "agents", "session {key}: ignored a torn last record in {} (an interrupted write); it is cut off on the next append", transcript.path.display());
        }
        if transcript.skipped > 0 {
            tracing::warn!(target: "agents", "session {key}: skipped {} unreadable record(s) in {}", transcript.skipped, transcript.path.display());
        }
        let shared = Arc::new(Mutex::new(transcript));
        let mut agents = self.agents.lock().await;
        let a = agents.get_mut(&agent).expect("agent entry created above");
        // Another task may have loaded it meanwhile: keep the first.
        let t = a.loaded.entry(key.as_str().to_owned()).or_insert(shared);
        Ok(Arc::clone(t))
    }

    /// Creates a new transcript for `key` and indexes it durably.
    async fn create(&self, key: &SessionKey, dir: &Path) -> Result<Transcript, SessionError> {
        let header = Header {
            version: 1,
            id: uuid::Uuid::new_v4().to_string(),
            session_key: key.as_str().to_owned(),
            agent_id: key.agent_id().to_owned(),
            created_at: now_ms(),
        };
        let path = dir.join(format!("{}.jsonl", header.id));
        let t = {
            let (at, header) = (path.clone(), header.clone());
            blocking(move || Transcript::create(&at, header))
                .await
                .map_err(io_err(&path))?
        };
        {
            let mut agents = self.agents.lock().await;
            if let Some(a) = agents.get_mut(key.agent_id()) {
                if !a.index.contains_key(key.as_str()) {
                    self.count
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                a.index
                    .insert(key.as_str().to_owned(), IndexEntry::fresh(&header));
            }
        }
        self.write_index(key.agent_id(), true).await?;
        Ok(t)
    }

    async fn write_index(&self, agent: &str, durable: bool) -> Result<(), SessionError> {
        let writer = {
            let agents = self.agents.lock().await;
            match agents.get(agent) {
                Some(a) => Arc::clone(&a.writer),
                None => return Ok(()),
            }
        };
        let _turn = writer.lock().await;
        let (dir, bytes) = {
            let agents = self.agents.lock().await;
            let a = agents
                .get(agent)
                .expect("agent present while its writer exists");
            let bytes = serde_json::to_vec_pretty(&a.index).expect("the index serializes");
            (a.dir.clone(), bytes)
        };
        let at = dir.clone();
        blocking(move || index::write(&dir, &bytes, durable))
            .await
            .map_err(io_err(&at))
    }

    /// Appends `message` to the session (creating it if new), durably.
    pub async fn append(
        &self,
        key: &SessionKey,
        message: TranscriptMessage,
    ) -> Result<(), SessionError> {
        let shared = self.transcript(key).await?;
        let (count, session_id) = {
            let mut t = shared.lock().await;
            let job = Append::new(&t, &message).map_err(io_err(&t.path))?;
            let path = t.path.clone();
            t.valid_len = blocking(move || job.run()).await.map_err(io_err(&path))?;
            t.torn = false;
            t.messages.push(message.clone());
            (t.messages.len(), t.header.id.clone())
        };
        {
            let mut agents = self.agents.lock().await;
            if let Some(e) = agents
                .get_mut(key.agent_id())
                .and_then(|a| a.index.get_mut(key.as_str()))
                .filter(|e| e.session_id == session_id)
            {
                e.updated_at = message.timestamp;
                e.message_count = count;
                if message.role == MessageRole::Assistant && message.model.is_some() {
                    e.last_model.clone_from(&message.model);
                }
            }
        }
        self.write_index(key.agent_id(), false).await
    }

    /// The last `limit` messages that belong in a model's context.
    pub async fn context(
        &self,
        key: &SessionKey,
        limit: usize,
    ) -> Result<Vec<TranscriptMessage>, SessionError> {
        let shared = self.transcript(key).await?;
        let t = shared.lock().await;
        let relevant: Vec<&TranscriptMessage> =
            t.messages.iter().filter(|m| m.in_context()).collect();
        let skip = relevant.len().saturating_sub(limit);
        Ok(relevant[skip..].iter().map(|m| (*m).clone()).collect())
    }

    /// Up to `limit` messages before index `before` (default: the end).
    /// A session that does not exist has an empty history (and is not created).
    pub async fn history(
        &self,
        key: &SessionKey,
        limit: usize,
        before: Option<usize>,
    ) -> Result<History, SessionError> {
        let exists = {
            let agents = self.agents.lock().await;
            agents.get(key.agent_id()).is_some_and(|a| {
                a.loaded.contains_key(key.as_str()) || a.index.contains_key(key.as_str())
            })
        };
        if !exists {
            return Ok(History {
                key: key.to_string(),
                session_id: None,
                messages: Vec::new(),
                start: 0,
                total: 0,
                has_more: false,
                next_cursor: None,
            });
        }
        let shared = self.transcript(key).await?;
        let t = shared.lock().await;
        let total = t.messages.len();
        let end = before.unwrap_or(total).min(total);
        let start = end.saturating_sub(limit);
        Ok(History {
            key: key.to_string(),
            session_id: Some(t.header.id.clone()),
            messages: t.messages[start..end].to_vec(),
            start,
            total,
            has_more: start > 0,
            next_cursor: (start > 0).then_some(start),
        })
    }

    /// How many sessions exist (without waiting for the store's lock).
    pub fn count(&self) -> usize {
        self.count.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every session, most recently updated first.
    pub async fn list(&self) -> Vec<SessionSummary> {
        let agents = self.agents.lock().await;
        let mut out: Vec<SessionSummary> = agents
            .iter()
            .flat_map(|(agent, a)| {
                a.index.iter().map(move |(key, e)| SessionSummary {
                    key: key.clone(),
                    agent_id: agent.clone(),
                    session_id: e.session_id.clone(),
                    created_at: e.created_at,
                    updated_at: e.updated_at,
                    message_count: e.message_count,
                    last_model: e.last_model.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.key.cmp(&b.key))
        });
        out
    }

    /// The summary of one session, if it exists.
    pub async fn summary(&self, key: &SessionKey) -> Option<SessionSummary> {
        let agents = self.agents.lock().await;
        let e = agents.get(key.agent_id())?.index.get(key.as_str())?;
        Some(SessionSummary {
            key: key.to_string(),
            agent_id: key.agent_id().to_owned(),
            session_id: e.session_id.clone(),
            created_at: e.created_at,
            updated_at: e.updated_at,
            message_count: e.message_count,
            last_model: e.last_model.clone(),
        })
    }

    /// Where an agent's sessions live (for `sessions.list`'s `path`).
    pub fn agent_dir_path(&self, agent: &str) -> PathBuf {
        self.agent_dir(agent)
    }

    /// Starts `key` over with an empty transcript; the old one is kept aside.
    pub async fn reset(&self, key: &SessionKey) -> Result<SessionSummary, SessionError> {
        self.retire(key, "reset").await?;
        let dir = self.agent_dir(key.agent_id());
        let t = self.create(key, &dir).await?;
        let summary = SessionSummary {
            key: key.to_string(),
            agent_id: key.agent_id().to_owned(),
            session_id: t.header.id.clone(),
            created_at: t.header.created_at,
            updated_at: t.header.created_at,
            message_count: 0,
            last_model: None,
        };
        let mut agents = self.agents.lock().await;
        if let Some(a) = agents.get_mut(key.agent_id()) {
            a.loaded
                .insert(key.as_str().to_owned(), Arc::new(Mutex::new(t)));
        }
        Ok(summary)
    }

    /// Removes `key` from the index; its transcript is kept aside. `false` if unknown.
    pub async fn delete(&self, key: &SessionKey) -> Result<bool, SessionError> {
        let existed = self.retire(key, "deleted").await?;
        if existed {
            self.write_index(key.agent_id(), true).await?;
        }
        Ok(existed)
    }

    /// Unlinks the session from `key` and renames its transcript to
    /// `<id>.jsonl.<label>.<ms>`, waiting for any append in progress.
    async fn retire(&self, key: &SessionKey, label: &str) -> Result<bool, SessionError> {
        let (entry, loaded, dir) = {
            let mut agents = self.agents.lock().await;
            let Some(a) = agents.get_mut(key.agent_id()) else {
                return Ok(false);
            };
            (
                a.index.remove(key.as_str()),
                a.loaded.remove(key.as_str()),
                a.dir.clone(),
            )
        };
        let Some(entry) = entry else {
            return Ok(false);
        };
        self.count
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        let from = dir.join(format!("{}.jsonl", entry.session_id));
        let to = dir.join(format!("{}.jsonl.{label}.{}", entry.session_id, now_ms()));
        let guard = match &loaded {
            Some(t) => Some(t.lock().await),
            None => None,
        };
        let (f, t) = (from.clone(), to.clone());
        match blocking(move || std::fs::rename(&f, &t)).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&from)(e)),
        }
        if let Some(mut t) = guard {
            // A late append from a run still holding this transcript lands in the archive.
            t.path = to;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests;
