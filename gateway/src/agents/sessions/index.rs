//! `sessions.json`: per agent, session key → session id and summary fields.
//!
//! The index is a cache over the transcripts (each starts with a header naming
//! its key), replaced atomically (temp file + rename). A missing or corrupt
//! index is rebuilt from the transcript headers; a corrupt one is kept aside,
//! never silently overwritten.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::transcript::{Transcript, sync_dir};

/// What the index remembers about one session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IndexEntry {
    pub(crate) session_id: String,
    // Defaults keep older OpenClaw `sessions.json` files (no createdAt) readable.
    #[serde(default)]
    pub(crate) created_at: i64,
    #[serde(default)]
    pub(crate) updated_at: i64,
    #[serde(default)]
    pub(crate) message_count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_model: Option<String>,
}

impl IndexEntry {
    /// The entry of a transcript that has only its header.
    pub(crate) fn fresh(header: &super::transcript::Header) -> Self {
        Self {
            session_id: header.id.clone(),
            created_at: header.created_at,
            updated_at: header.created_at,
            message_count: 0,
            last_model: None,
        }
    }
}

pub(crate) type Index = BTreeMap<String, IndexEntry>;

/// An index read from disk, with what had to be repaired.
pub(crate) struct Loaded {
    pub(crate) index: Index,
    pub(crate) notes: Vec<String>,
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join("sessions.json")
}

/// Reads `dir/sessions.json`, adding sessions whose transcript exists but is
/// not indexed (a crash between creating a transcript and indexing it).
pub(crate) fn load(dir: &Path) -> io::Result<Loaded> {
    let mut notes = Vec::new();
    let file = path(dir);
    let mut index: Index = match std::fs::read(&file) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(index) => index,
            Err(e) => {
                let aside = dir.join(format!(
                    "sessions.json.corrupt-{}",
                    jiff::Timestamp::now().as_millisecond()
                ));
                std::fs::rename(&file, &aside)?;
                notes.push(format!(
                    "{} was corrupt ({e}); kept as {} and rebuilt from the transcripts",
                    file.display(),
                    aside.display()
                ));
                Index::new()
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Index::new(),
        Err(e) => return Err(e),
    };
    let indexed: std::collections::HashSet<String> =
        index.values().map(|e| e.session_id.clone()).collect();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded { index, notes }),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".jsonl") else {
            continue;
        };
        if indexed.contains(id) {
            continue;
        }
        let Ok(header) = Transcript::read_header(&entry.path()) else {
            notes.push(format!(
                "{} has no valid header; ignored",
                entry.path().display()
            ));
            continue;
        };
        let newer = index
            .get(&header.session_key)
            .is_none_or(|existing| existing.created_at < header.created_at);
        if newer {
            notes.push(format!(
                "recovered session {} ({name}) missing from the index",
                header.session_key
            ));
            index.insert(header.session_key.clone(), IndexEntry::fresh(&header));
        }
    }
    Ok(Loaded { index, notes })
}

/// Replaces `dir/sessions.json` atomically; `durable` also fsyncs (for
/// changes of which session a key maps to, not for summary fields).
pub(crate) fn write(dir: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let file = path(dir);
    let tmp = dir.join(format!(
        "sessions.json.tmp-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    if durable {
        f.sync_all()?;
    }
    drop(f);
    std::fs::rename(&tmp, &file)?;
    if durable {
        sync_dir(&file)?;
    }
    Ok(())
}
