//! Durable state: one SQLite database (WAL) in the data dir. Every API write is
//! one transaction, so a `kill -9` at any point leaves either the old or the
//! new state, never a torn one. Documents are JSON, so configs with fields
//! fly-local does not know are stored and echoed back verbatim.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{App, Machine, Volume};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored {kind} {id:?} is not valid JSON for this fly-local version: {source}")]
    Corrupt {
        kind: &'static str,
        id: String,
        source: serde_json::Error,
    },
    #[error("cannot encode {kind} {id:?}: {source}")]
    Encode {
        kind: &'static str,
        id: String,
        source: serde_json::Error,
    },
}

/// The kinds of documents and their ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    App(String),
    Machine(String),
    Volume(String),
}

impl Key {
    fn kind(&self) -> &'static str {
        match self {
            Key::App(_) => "app",
            Key::Machine(_) => "machine",
            Key::Volume(_) => "volume",
        }
    }

    fn id(&self) -> &str {
        match self {
            Key::App(id) | Key::Machine(id) | Key::Volume(id) => id,
        }
    }
}

/// A change to persist: a document's new body, or its removal.
pub enum Change {
    Put(Key, String),
    Delete(Key),
}

/// Everything stored, as loaded at start-up.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub apps: Vec<App>,
    pub machines: Vec<Machine>,
    pub volumes: Vec<Volume>,
}

pub struct Store {
    conn: Mutex<Connection>,
}

const SCHEMA_VERSION: i64 = 1;

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS docs (
                kind TEXT NOT NULL,
                id TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (kind, id)
            );",
        )?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// An in-memory store (nothing survives the process), for throwaway servers.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::open(Path::new(":memory:"))
    }

    pub fn load(&self) -> Result<Snapshot, StoreError> {
        let conn = self.conn.lock().expect("store lock");
        Ok(Snapshot {
            apps: load_kind(&conn, "app")?,
            machines: load_kind(&conn, "machine")?,
            volumes: load_kind(&conn, "volume")?,
        })
    }

    /// Applies all changes in one transaction.
    pub fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().expect("store lock");
        let tx = conn.transaction()?;
        for change in changes {
            match change {
                Change::Put(key, body) => {
                    tx.execute(
                        "INSERT INTO docs (kind, id, body) VALUES (?1, ?2, ?3)
                         ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                        params![key.kind(), key.id(), body],
                    )?;
                }
                Change::Delete(key) => {
                    tx.execute(
                        "DELETE FROM docs WHERE kind = ?1 AND id = ?2",
                        params![key.kind(), key.id()],
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

pub fn encode<T: Serialize>(key: &Key, doc: &T) -> Result<String, StoreError> {
    serde_json::to_string(doc).map_err(|source| StoreError::Encode {
        kind: key.kind(),
        id: key.id().to_owned(),
        source,
    })
}

fn load_kind<T: DeserializeOwned>(
    conn: &Connection,
    kind: &'static str,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare("SELECT id, body FROM docs WHERE kind = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![kind], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, body) = row?;
        let doc = serde_json::from_str(&body).map_err(|source| StoreError::Corrupt {
            kind,
            id,
            source,
        })?;
        out.push(doc);
    }
    Ok(out)
}
