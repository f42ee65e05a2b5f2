//! Captured machine output: stdout and stderr of every run of a machine's
//! main process (one pipe for both, so lines keep their order), plus the
//! lines Fly's init prints (`Preparing to run: …`, `Main child exited …`),
//! appended to `<data>/machines/<id>/machine.log`, rotated at 8 MiB.
//!
//! Each line is stored as `<RFC 3339 time, ns> <provider> <text>`, where the
//! provider is `app` (the process's output) or `runner` (fly-local's own
//! lines), so logs can be served as Fly's log API serves them (time, level,
//! instance) and followed from a cursor. Times are strictly increasing per
//! machine (one writer at a time), so a line's time is its position.
//! [`Logs::read`] gives the text alone, as before; lines of older files
//! without the prefix read as text with no time.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Who wrote a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// The machine's main process.
    App,
    /// fly-local itself (`Preparing to run`, `Main child exited`, …).
    Runner,
}

impl Provider {
    fn as_str(self) -> &'static str {
        match self {
            Provider::App => "app",
            Provider::Runner => "runner",
        }
    }
}

/// One stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When it was written; `None` for lines of older files.
    pub at: Option<Timestamp>,
    /// Who wrote it.
    pub provider: Provider,
    /// The text, without the newline.
    pub text: String,
}

impl LogLine {
    /// Nanoseconds since the epoch (0 for lines without a time): the
    /// position of the line in its machine's log.
    pub fn nanos(&self) -> i128 {
        self.at.map_or(0, |t| t.as_nanosecond())
    }

    /// `info`, `warn` or `error`: fly-local's lines carry their level
    /// (` WARN …`); a process's output is `info`.
    pub fn level(&self) -> &'static str {
        let head = self.text.trim_start();
        if self.provider == Provider::Runner {
            if head.starts_with("WARN") {
                return "warn";
            }
            if head.starts_with("ERROR") {
                return "error";
            }
        }
        "info"
    }

    fn parse(raw: &str) -> Self {
        let parsed = raw.split_once(' ').and_then(|(ts, rest)| {
            let at: Timestamp = ts.parse().ok()?;
            let (provider, text) = if let Some(t) = rest.strip_prefix("app ") {
                (Provider::App, t)
            } else if let Some(t) = rest.strip_prefix("runner ") {
                (Provider::Runner, t)
            } else {
                return None;
            };
            Some(LogLine {
                at: Some(at),
                provider,
                text: text.to_owned(),
            })
        });
        parsed.unwrap_or_else(|| LogLine {
            at: None,
            provider: Provider::App,
            text: raw.to_owned(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Logs {
    dir: PathBuf,
    /// The last time written per machine: writes are serialised under this
    /// lock and their times strictly increase.
    last: Arc<Mutex<HashMap<String, i128>>>,
}

impl Logs {
    pub fn new(machines_dir: PathBuf) -> Self {
        Self {
            dir: machines_dir,
            last: Arc::default(),
        }
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id).join("machine.log")
    }

    /// Appends one line (fly-local's own messages about the machine).
    pub fn append(&self, id: &str, line: &str) {
        if let Err(err) = self.write(id, Provider::Runner, line) {
            tracing::warn!(machine = id, error = %err, "cannot write machine log");
        }
    }

    fn write(&self, id: &str, provider: Provider, text: &str) -> std::io::Result<()> {
        let mut last = self.last.lock().expect("log times");
        let now = Timestamp::now().as_nanosecond();
        let prev = last.get(id).copied().unwrap_or(i128::MIN);
        let nanos = now.max(prev + 1);
        let at = Timestamp::from_nanosecond(nanos).unwrap_or_else(|_| Timestamp::now());
        append_line(
            &self.path(id),
            &format!("{} {} {text}", format_time(at), provider.as_str()),
        )?;
        last.insert(id.to_owned(), nanos);
        Ok(())
    }

    /// Copies a process's output into the log until the pipe closes.
    pub fn capture(&self, id: &str, reader: impl Read + Send + 'static) {
        let logs = self.clone();
        let id = id.to_owned();
        let spawned = std::thread::Builder::new().name(format!("log-{id}")).spawn(move || {
            let mut reader = BufReader::new(reader);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line);
                        let text = text.trim_end_matches(['\n', '\r']);
                        tracing::trace!(machine = %id, "{text}");
                        if let Err(err) = logs.write(&id, Provider::App, text) {
                            tracing::warn!(machine = %id, error = %err, "cannot write machine log");
                        }
                    }
                }
            }
        });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start a log capture thread");
        }
    }

    /// The captured output (rotated part first), optionally only the last `tail` lines.
    pub fn read(&self, id: &str, tail: Option<usize>) -> String {
        let lines = self.lines_after(id, None);
        let start = tail.map_or(0, |n| lines.len().saturating_sub(n));
        let mut out = String::new();
        for l in &lines[start..] {
            out.push_str(&l.text);
            out.push('\n');
        }
        out
    }

    /// The lines written after position `after` (see [`LogLine::nanos`]),
    /// oldest first; every line when `after` is `None`.
    pub fn lines_after(&self, id: &str, after: Option<i128>) -> Vec<LogLine> {
        let path = self.path(id);
        let current = read_lines(&path);
        // The rotated part only matters when the cursor is older than the current file.
        let need_rotated = match (after, current.first()) {
            (None, _) | (_, None) => true,
            (Some(after), Some(first)) => first.nanos() > after,
        };
        let mut lines = if need_rotated {
            read_lines(&rotated(&path))
        } else {
            Vec::new()
        };
        lines.extend(current);
        if let Some(after) = after {
            lines.retain(|l| l.at.is_some() && l.nanos() > after);
        }
        lines
    }
}

/// RFC 3339 in UTC with nanoseconds, e.g. `2026-01-02T03:04:05.123456789Z`.
pub fn format_time(at: Timestamp) -> String {
    format!("{at:.9}")
}

fn read_lines(path: &Path) -> Vec<LogLine> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(LogLine::parse)
        .collect()
}

fn rotated(path: &Path) -> PathBuf {
    path.with_extension("log.1")
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(path)
        .map(|m| m.len() > MAX_BYTES)
        .unwrap_or(false)
    {
        std::fs::rename(path, rotated(path))?;
    }
    let mut file: File = OpenOptions::new().create(true).append(true).open(path)?;
    let mut buf = Vec::with_capacity(line.len() + 1);
    buf.extend_from_slice(line.as_bytes());
    buf.push(b'\n');
    file.write_all(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_tails() {
        let dir = tempfile::tempdir().unwrap();
        let logs = Logs::new(dir.path().to_path_buf());
        for i in 0..5 {
            logs.append("m1", &format!("line {i}"));
        }
        assert_eq!(logs.read("m1", Some(2)), "line 3\nline 4\n");
        assert!(logs.read("m1", None).starts_with("line 0\n"));
        assert_eq!(logs.read("unknown", None), "");
    }

    #[test]
    fn lines_carry_strictly_increasing_times_and_follow_from_a_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let logs = Logs::new(dir.path().to_path_buf());
        logs.append("m1", " WARN careful");
        logs.write("m1", Provider::App, "hello").unwrap();
        let all = logs.lines_after("m1", None);
        assert_eq!(all.len(), 2);
        assert!(all[0].nanos() < all[1].nanos());
        assert_eq!((all[0].level(), all[1].level()), ("warn", "info"));
        assert_eq!(all[1].provider, Provider::App);
        let after = logs.lines_after("m1", Some(all[0].nanos()));
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].text, "hello");
        assert!(logs.lines_after("m1", Some(all[1].nanos())).is_empty());
    }

    #[test]
    fn lines_of_older_files_read_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let logs = Logs::new(dir.path().to_path_buf());
        std::fs::create_dir_all(dir.path().join("m1")).unwrap();
        std::fs::write(logs.path("m1"), "old line\n").unwrap();
        logs.append("m1", "new line");
        assert_eq!(logs.read("m1", None), "old line\nnew line\n");
        let all = logs.lines_after("m1", None);
        assert_eq!(all[0].at, None);
        assert_eq!(
            logs.lines_after("m1", Some(0)).len(),
            1,
            "a cursor skips them"
        );
    }
}
