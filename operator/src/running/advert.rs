//! The file a running `up` advertises itself in:
//! `$STATE/running/up-<pid>.json` (mode 0600: it holds the control token and
//! the embedded fly-local's API token), removed when `up` stops. A file whose
//! process is gone (a `kill -9`) is ignored and cleaned up by the next reader.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What another command needs to talk to a running `up`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advert {
    /// The `up` process.
    pub pid: u32,
    /// Base URL of its server (`/status`, `/metrics`, and the control API under `/v1`).
    pub url: String,
    /// Bearer token of the control API.
    pub token: String,
    /// The `-f` paths it reconciles (absolute).
    pub sources: Vec<PathBuf>,
    /// The Machines API it talks to, in words.
    pub api: String,
    /// Its embedded fly-local, if it runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fly_local: Option<FlyLocalAdvert>,
    /// When it started (RFC 3339).
    pub started_at: String,
}

/// Where an embedded fly-local serves, and its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlyLocalAdvert {
    /// Its base URL (`/v1` Machines API, `/api/v1/apps/{app}/logs`, `/__fly-local`).
    pub base_url: String,
    /// Its API token.
    pub token: String,
    /// Its data directory.
    pub data_dir: PathBuf,
}

/// Where adverts live.
pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("running")
}

/// Keeps an advert on disk while it lives.
#[derive(Debug)]
pub struct AdvertGuard {
    path: PathBuf,
}

impl AdvertGuard {
    /// Writes `advert` for this process.
    pub fn write(state_dir: &Path, advert: &Advert) -> std::io::Result<Self> {
        let path = dir(state_dir).join(format!("up-{}.json", advert.pid));
        let text = serde_json::to_string_pretty(advert).expect("an advert serialises");
        crate::private_file::write(&path, &text)?;
        Ok(Self { path })
    }
}

impl Drop for AdvertGuard {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.path.display(), error = %e, "cannot remove the advert; the next reader ignores it");
        }
    }
}

/// The adverts of `up`s whose process is alive, oldest first.
pub fn list(state_dir: &Path) -> Vec<Advert> {
    let Ok(entries) = std::fs::read_dir(dir(state_dir)) else {
        return vec![];
    };
    let mut out: Vec<Advert> = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let is_advert = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("up-") && n.ends_with(".json"));
        if !is_advert {
            continue;
        }
        let Some(advert) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Advert>(&t).ok())
        else {
            continue;
        };
        if alive(advert.pid) {
            out.push(advert);
        } else if let Err(e) = std::fs::remove_file(&path) {
            // Left by a process that is gone; another reader may have removed it first.
            tracing::debug!(file = %path.display(), error = %e, "stale advert not removed");
        }
    }
    out.sort_by(|a, b| a.started_at.cmp(&b.started_at));
    out
}

fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    // It exists but belongs to another user.
    std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advert(pid: u32) -> Advert {
        Advert {
            pid,
            url: "http://127.0.0.1:1".into(),
            token: "t".into(),
            sources: vec![],
            api: "x".into(),
            fly_local: None,
            started_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn live_adverts_are_listed_and_removed_with_their_guard() {
        let dir = tempfile::tempdir().unwrap();
        let me = advert(std::process::id());
        let guard = AdvertGuard::write(dir.path(), &me).unwrap();
        assert_eq!(list(dir.path()), vec![me]);
        drop(guard);
        assert!(list(dir.path()).is_empty());
    }

    #[test]
    fn an_advert_of_a_dead_process_is_ignored_and_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let guard = AdvertGuard::write(dir.path(), &advert(pid)).unwrap();
        std::mem::forget(guard);
        assert!(list(dir.path()).is_empty());
        assert_eq!(
            std::fs::read_dir(super::dir(dir.path())).unwrap().count(),
            0
        );
    }
}
