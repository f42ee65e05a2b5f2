//! Captured machine output: stdout and stderr of every run of a machine's
//! main process (one pipe for both, so lines keep their order), plus the
//! lines Fly's init prints (`Preparing to run: …`, `Main child exited …`),
//! appended to `<data>/machines/<id>/machine.log`, rotated at 8 MiB.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

const MAX_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Logs {
    dir: PathBuf,
}

impl Logs {
    pub fn new(machines_dir: PathBuf) -> Self {
        Self { dir: machines_dir }
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(id).join("machine.log")
    }

    /// Appends one line (fly-local's own messages about the machine).
    pub fn append(&self, id: &str, line: &str) {
        let path = self.path(id);
        if let Err(err) = append_line(&path, line) {
            tracing::warn!(machine = id, error = %err, "cannot write machine log");
        }
    }

    /// Copies a process's output into the log until the pipe closes.
    pub fn capture(&self, id: &str, reader: impl Read + Send + 'static) {
        let path = self.path(id);
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
                        if let Err(err) = append_line(&path, text) {
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
        let path = self.path(id);
        let mut text = std::fs::read_to_string(rotated(&path)).unwrap_or_default();
        text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        match tail {
            Some(n) => {
                let lines: Vec<&str> = text.lines().collect();
                let start = lines.len().saturating_sub(n);
                let mut out = lines[start..].join("\n");
                if !out.is_empty() {
                    out.push('\n');
                }
                out
            }
            None => text,
        }
    }
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
}
