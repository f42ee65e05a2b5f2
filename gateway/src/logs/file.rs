//! The file log the original keeps and its clients tail (`logs.tail`, `openclaw
//! logs`, the Control UI's Logs view): one JSON object per line in
//! `/tmp/openclaw/openclaw-YYYY-MM-DD.log` (local date), or `logging.file`.
//!
//! Lines logged before the config names the file are kept (a bounded number) and
//! written once it is known, so the start-up lines are in the file too.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Lines held until the target is known.
const PENDING_MAX: usize = 500;

/// Where the log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `logging.file`.
    Fixed(PathBuf),
    /// The original's dated file in this directory.
    Rolling(PathBuf),
}

impl Target {
    /// The default: `/tmp/openclaw`, as the original writes it.
    pub fn default_rolling() -> Self {
        Target::Rolling(std::env::temp_dir().join("openclaw"))
    }

    /// The file for today.
    pub fn file(&self) -> PathBuf {
        match self {
            Target::Fixed(p) => p.clone(),
            Target::Rolling(dir) => {
                let date = jiff::Zoned::now().strftime("%Y-%m-%d").to_string();
                dir.join(format!("openclaw-{date}.log"))
            }
        }
    }
}

#[derive(Default)]
struct State {
    target: Option<Target>,
    pending: Vec<String>,
}

static STATE: Mutex<State> = Mutex::new(State {
    target: None,
    pending: Vec::new(),
});

/// Sets where the log goes and writes what was held.
pub fn configure(target: Target) {
    let mut s = STATE.lock().unwrap_or_else(|p| p.into_inner());
    let pending = std::mem::take(&mut s.pending);
    s.target = Some(target.clone());
    drop(s);
    for line in pending {
        append(&target.file(), &line);
    }
}

/// The file `logs.tail` reads (today's, or `logging.file`).
pub fn current_file() -> PathBuf {
    let s = STATE.lock().unwrap_or_else(|p| p.into_inner());
    s.target
        .clone()
        .unwrap_or_else(Target::default_rolling)
        .file()
}

fn write(line: String) {
    let mut s = STATE.lock().unwrap_or_else(|p| p.into_inner());
    match s.target.clone() {
        Some(t) => {
            drop(s);
            append(&t.file(), &line);
        }
        None if s.pending.len() < PENDING_MAX => s.pending.push(line),
        None => {}
    }
}

fn append(path: &Path, line: &str) {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent() {
        // An existing directory is fine; a failure shows up when opening the file.
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path);
    // The file log must never take the gateway down; the console still has the line.
    if let Ok(mut f) = file {
        let _ = f.write_all(format!("{line}\n").as_bytes());
    }
}

/// One line in the original's shape.
pub fn format_line(
    subsystem: &str,
    level: &tracing::Level,
    message: &str,
    time: &jiff::Zoned,
    hostname: &str,
) -> String {
    let (id, name) = match *level {
        tracing::Level::TRACE => (1, "TRACE"),
        tracing::Level::DEBUG => (2, "DEBUG"),
        tracing::Level::INFO => (3, "INFO"),
        tracing::Level::WARN => (4, "WARN"),
        tracing::Level::ERROR => (5, "ERROR"),
    };
    let meta_name = json!({ "subsystem": subsystem }).to_string();
    json!({
        "0": meta_name, "1": message,
        "_meta": {"runtime": "openclaw-rs", "hostname": hostname,
                  "date": time.timestamp().to_string(), "logLevelId": id, "logLevelName": name,
                  "name": meta_name, "parentNames": ["openclaw"]},
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
        "hostname": hostname, "message": message,
    })
    .to_string()
}

/// The tracing layer that writes the file log.
pub struct FileLayer {
    hostname: String,
}

impl FileLayer {
    pub fn new() -> Self {
        Self {
            hostname: crate::system::host::uname().0,
        }
    }
}

impl Default for FileLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Subscriber> Layer<S> for FileLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut v = Message::default();
        event.record(&mut v);
        let subsystem = meta.target().rsplit("::").next().unwrap_or("gateway");
        write(format_line(
            subsystem,
            meta.level(),
            &v.0,
            &jiff::Zoned::now(),
            &self.hostname,
        ));
    }
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            self.0.push_str(&format!(" {}={value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_the_originals_shape() {
        let t: jiff::Zoned = "2026-12-03T18:16:56.741+00:00[UTC]".parse().unwrap();
        let line = format_line(
            "gateway",
            &tracing::Level::INFO,
            "loading configuration…",
            &t,
            "vm",
        );
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["0"], r#"{"subsystem":"gateway"}"#);
        assert_eq!(v["1"], "loading configuration…");
        assert_eq!(v["_meta"]["logLevelName"], "INFO");
        assert_eq!(v["time"], "2026-12-03T18:16:56.741+00:00");
        assert!(
            Target::Rolling("/tmp/openclaw".into())
                .file()
                .to_string_lossy()
                .starts_with("/tmp/openclaw/openclaw-")
        );
    }
}
