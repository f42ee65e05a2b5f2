//! `logs.tail {cursor?, limit?, maxBytes?}` as the original pages its file log:
//! without a cursor, the last `maxBytes` (whole lines); with one, what was written
//! since, or — when the file shrank (a new day, rotation) or more than `maxBytes`
//! was written — the newest window with `reset: true`. The returned `cursor` is
//! the file size to pass next time (`openclaw logs --follow` polls this way).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::{Value, json};

pub const DEFAULT_LIMIT: u64 = 500;
pub const DEFAULT_MAX_BYTES: u64 = 250_000;
pub const MAX_LIMIT: u64 = 5000;
pub const MAX_BYTES: u64 = 1_000_000;

/// Which bytes of a file of `size` to read.
#[derive(Debug, PartialEq, Eq)]
pub struct Window {
    pub start: u64,
    pub reset: bool,
    pub truncated: bool,
    pub skipped: Option<u64>,
}

pub fn window(size: u64, cursor: Option<u64>, max_bytes: u64) -> Window {
    let newest = size.saturating_sub(max_bytes);
    match cursor {
        Some(c) if c > size => Window {
            start: newest,
            reset: true,
            truncated: newest > 0,
            skipped: None,
        },
        Some(c) if size - c > max_bytes => Window {
            start: newest,
            reset: true,
            truncated: true,
            skipped: Some(newest - c),
        },
        Some(c) => Window {
            start: c,
            reset: false,
            truncated: false,
            skipped: None,
        },
        None => Window {
            start: newest,
            reset: false,
            truncated: newest > 0,
            skipped: None,
        },
    }
}

/// Complete lines of `bytes` (read from `start`; `prev` is the byte before it):
/// a partial first line is dropped, the unterminated last one too.
pub fn lines(bytes: &[u8], start: u64, prev: Option<u8>, limit: usize) -> (Vec<String>, bool) {
    let text = String::from_utf8_lossy(bytes);
    let mut all: Vec<&str> = text.split('\n').collect();
    all.pop();
    if start > 0 && prev != Some(b'\n') && !all.is_empty() {
        all.remove(0);
    }
    let truncated = all.len() > limit;
    let keep = all.len().saturating_sub(limit);
    (
        all[keep..].iter().map(|s| (*s).to_owned()).collect(),
        truncated,
    )
}

pub fn read(
    path: &Path,
    cursor: Option<u64>,
    limit: u64,
    max_bytes: u64,
) -> std::io::Result<Value> {
    let limit = limit.clamp(1, MAX_LIMIT) as usize;
    let max_bytes = max_bytes.clamp(1, MAX_BYTES);
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(
                json!({"file": path, "cursor": 0, "size": 0, "lines": [], "truncated": false,
                             "reset": cursor.is_some_and(|c| c > 0)}),
            );
        }
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let w = window(size, cursor, max_bytes);
    let mut out = json!({"file": path, "cursor": size, "size": size, "lines": [],
                         "truncated": w.truncated, "reset": w.reset});
    if let Some(s) = w.skipped {
        out["skippedBytes"] = json!(s);
    }
    if size <= w.start {
        return Ok(out);
    }
    let prev = if w.start > 0 {
        let mut b = [0u8; 1];
        file.seek(SeekFrom::Start(w.start - 1))?;
        file.read_exact(&mut b)?;
        Some(b[0])
    } else {
        None
    };
    file.seek(SeekFrom::Start(w.start))?;
    let mut bytes = Vec::with_capacity((size - w.start) as usize);
    file.take(size - w.start).read_to_end(&mut bytes)?;
    let (lines, cut) = lines(&bytes, w.start, prev, limit);
    out["lines"] = json!(lines);
    if cut {
        out["truncated"] = json!(true);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_the_original() {
        assert_eq!(
            window(100, None, 40),
            Window {
                start: 60,
                reset: false,
                truncated: true,
                skipped: None
            }
        );
        assert_eq!(
            window(100, Some(90), 40),
            Window {
                start: 90,
                reset: false,
                truncated: false,
                skipped: None
            }
        );
        assert_eq!(
            window(100, Some(10), 40),
            Window {
                start: 60,
                reset: true,
                truncated: true,
                skipped: Some(50)
            }
        );
        assert_eq!(
            window(30, Some(90), 40),
            Window {
                start: 0,
                reset: true,
                truncated: false,
                skipped: None
            }
        );
    }

    #[test]
    fn only_whole_lines() {
        let (l, cut) = lines(b"tail of a\nb\nc\npartial", 5, Some(b'x'), 10);
        assert_eq!((l, cut), (vec!["b".to_owned(), "c".to_owned()], false));
        let (l, cut) = lines(b"a\nb\nc\n", 0, None, 2);
        assert_eq!((l, cut), (vec!["b".to_owned(), "c".to_owned()], true));
    }

    #[test]
    fn follows_a_growing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        std::fs::write(&path, "one\ntwo\n").unwrap();
        let first = read(&path, None, 500, 250_000).unwrap();
        assert_eq!(first["lines"], json!(["one", "two"]));
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let next = read(&path, first["cursor"].as_u64(), 500, 250_000).unwrap();
        assert_eq!(next["lines"], json!(["three"]));
        assert_eq!(next["reset"], false);
    }
}
