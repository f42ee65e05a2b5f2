//! One session's transcript: an append-only JSONL file, fsync'd per record.
//!
//! Line 1 is a header (`{"type":"session",…}`), every other line a message
//! record. A crash can only tear the last line: loading ignores a tail without
//! its newline, and the next append first truncates it away, so earlier
//! history is never lost. These are blocking file operations; the store runs
//! them on the blocking pool.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::super::message::TranscriptMessage;

/// The first record of every transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Header {
    pub(crate) version: u32,
    pub(crate) id: String,
    pub(crate) session_key: String,
    pub(crate) agent_id: String,
    /// Creation time, ms since the epoch.
    pub(crate) created_at: i64,
}

/// One line of the file.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Record {
    Session(Header),
    Message {
        id: String,
        message: TranscriptMessage,
    },
}

/// A transcript loaded in memory, with the length of its valid prefix.
#[derive(Debug)]
pub(crate) struct Transcript {
    pub(crate) path: PathBuf,
    pub(crate) header: Header,
    pub(crate) messages: Vec<TranscriptMessage>,
    /// Bytes up to and including the last complete line.
    pub(crate) valid_len: u64,
    /// Complete lines that did not parse (kept in the file, skipped).
    pub(crate) skipped: usize,
    /// A torn last line was found (and will be truncated on the next append).
    pub(crate) torn: bool,
}

/// A file that is not a transcript, or cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is not a session transcript (no valid header line)")]
    NoHeader { path: PathBuf },
}

impl Transcript {
    /// Creates the file with its header, durably (file and directory fsync'd).
    pub(crate) fn create(path: &Path, header: Header) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let line = line(&Record::Session(header.clone()))?;
        let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
        file.write_all(&line)?;
        file.sync_all()?;
        sync_dir(path)?;
        Ok(Self {
            path: path.to_owned(),
            header,
            messages: Vec::new(),
            valid_len: line.len() as u64,
            skipped: 0,
            torn: false,
        })
    }

    /// Reads only the header (for rebuilding an index).
    pub(crate) fn read_header(path: &Path) -> Result<Header, LoadError> {
        let mut file = File::open(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut buf = vec![0u8; 4096];
        let n = file.read(&mut buf).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let first = buf[..n].split(|b| *b == b'\n').next().unwrap_or_default();
        // A header longer than the buffer or without its newline is not trusted.
        if !buf[..n].contains(&b'\n') {
            return Err(LoadError::NoHeader {
                path: path.to_owned(),
            });
        }
        match serde_json::from_slice(first) {
            Ok(Record::Session(h)) => Ok(h),
            _ => Err(LoadError::NoHeader {
                path: path.to_owned(),
            }),
        }
    }

    /// Loads the whole transcript, tolerating a torn last line.
    pub(crate) fn load(path: &Path) -> Result<Self, LoadError> {
        let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let valid_len = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let torn = valid_len < bytes.len();
        let mut lines = bytes[..valid_len]
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty());
        let header = match lines.next().map(serde_json::from_slice::<Record>) {
            Some(Ok(Record::Session(h))) => h,
            _ => {
                return Err(LoadError::NoHeader {
                    path: path.to_owned(),
                });
            }
        };
        let mut messages = Vec::new();
        let mut skipped = 0;
        for l in lines {
            match serde_json::from_slice::<Record>(l) {
                Ok(Record::Message { message, .. }) => messages.push(message),
                Ok(Record::Session(_)) | Err(_) => skipped += 1,
            }
        }
        Ok(Self {
            path: path.to_owned(),
            header,
            messages,
            valid_len: valid_len as u64,
            skipped,
            torn,
        })
    }
}

/// What an append needs, owned, so it can run on the blocking pool.
pub(crate) struct Append {
    pub(crate) path: PathBuf,
    pub(crate) valid_len: u64,
    pub(crate) line: Vec<u8>,
}

impl Append {
    /// The record line for `message`.
    pub(crate) fn new(t: &Transcript, message: &TranscriptMessage) -> io::Result<Self> {
        Ok(Self {
            path: t.path.clone(),
            valid_len: t.valid_len,
            line: line(&Record::Message {
                id: uuid::Uuid::new_v4().to_string(),
                message: message.clone(),
            })?,
        })
    }

    /// Cuts any torn tail, appends the line and fsyncs; returns the new valid length.
    pub(crate) fn run(self) -> io::Result<u64> {
        let mut file = OpenOptions::new().read(true).write(true).open(&self.path)?;
        if file.metadata()?.len() != self.valid_len {
            file.set_len(self.valid_len)?;
        }
        use std::io::{Seek, SeekFrom};
        file.seek(SeekFrom::Start(self.valid_len))?;
        file.write_all(&self.line)?;
        file.sync_data()?;
        Ok(self.valid_len + self.line.len() as u64)
    }
}

fn line(record: &Record) -> io::Result<Vec<u8>> {
    let mut out = serde_json::to_vec(record)?;
    out.push(b'\n');
    Ok(out)
}

/// Makes a directory entry change (create, rename) durable.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::message::TranscriptMessage;
    use super::*;

    fn header() -> Header {
        Header {
            version: 1,
            id: "s1".into(),
            session_key: "agent:main:main".into(),
            agent_id: "main".into(),
            created_at: 1,
        }
    }

    fn append(t: &mut Transcript, text: &str) {
        let m = TranscriptMessage::user(text, "r");
        t.valid_len = Append::new(t, &m).unwrap().run().unwrap();
        t.messages.push(m);
    }

    #[test]
    fn a_torn_last_line_is_ignored_then_truncated_away() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s1.jsonl");
        let mut t = Transcript::create(&path, header()).unwrap();
        append(&mut t, "one");
        append(&mut t, "two");
        // A crash in the middle of writing the third record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"type":"message","id":"x","message":{"role":"user","con"#)
            .unwrap();
        drop(f);

        let mut t = Transcript::load(&path).unwrap();
        assert!(t.torn);
        let texts: Vec<String> = t.messages.iter().map(TranscriptMessage::text).collect();
        assert_eq!(texts, ["one", "two"]);
        append(&mut t, "three");
        let t = Transcript::load(&path).unwrap();
        assert!(!t.torn);
        let texts: Vec<String> = t.messages.iter().map(TranscriptMessage::text).collect();
        assert_eq!(texts, ["one", "two", "three"]);
        assert_eq!(t.skipped, 0);
    }

    #[test]
    fn a_file_without_header_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, "{\"type\":\"sess").unwrap();
        assert!(matches!(
            Transcript::load(&path),
            Err(LoadError::NoHeader { .. })
        ));
        assert!(Transcript::read_header(&path).is_err());
    }
}
