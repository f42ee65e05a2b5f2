//! The per-config lock file `$STATE_DIR/gateway.<h>.lock` that keeps two gateways off
//! one state directory.
//!
//! `<h>` is the first 8 hex characters of SHA-256 over the absolute config path, as in the
//! original (`/data/openclaw.json` → `gateway.41895371.lock`). The file sits directly in
//! the state directory, where the Fly deployment guide and the operator look for it
//! (`cat /data/gateway.*.lock`); its content is described in [`content`].
//!
//! Mutual exclusion is an `flock` held for the gateway's lifetime, so a crashed or
//! SIGKILLed gateway never blocks the next one. The recorded pid, start time and boot id
//! also protect against owners that do not `flock` (the Node gateway): such an owner is
//! alive only if its pid exists *and* its start time matches *and* it is from this boot,
//! which is what makes a lock left on a volume by a restarted container stale even when
//! the new gateway gets the same pid.

pub mod content;
pub mod process;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub use content::LockContent;

/// How long a live owner is waited for before giving up, as the original (5 s, 100 ms poll).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5000);
const POLL: Duration = Duration::from_millis(100);

/// `$STATE_DIR/gateway.<first 8 hex of sha256(config path)>.lock`.
pub fn lock_path(state_dir: &Path, config_path: &Path) -> PathBuf {
    let digest = Sha256::digest(config_path.to_string_lossy().as_bytes());
    state_dir.join(format!("gateway.{}.lock", &hex::encode(digest)[..8]))
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("gateway already running (pid {}); lock timeout after {waited_ms}ms (lock file: {})", pid.map_or("unknown".into(), |p| p.to_string()), path.display())]
    AlreadyRunning {
        pid: Option<u32>,
        path: PathBuf,
        waited_ms: u128,
    },
    #[error("state directory {} is not writable: cannot {action} {}: {source}", state_dir.display(), path.display())]
    Unwritable {
        state_dir: PathBuf,
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
}

/// Why a previous owner's lock was judged stale and taken over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaleReason {
    ProcessGone,
    StartTimeDiffers,
    BootIdDiffers,
    NotAGateway,
    Unreadable,
}

impl std::fmt::Display for StaleReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ProcessGone => "process is gone",
            Self::StartTimeDiffers => "pid reused by another process (start time differs)",
            Self::BootIdDiffers => "written before the last reboot/restart (boot id differs)",
            Self::NotAGateway => "pid now belongs to a process that is not a gateway",
            Self::Unreadable => "content unreadable",
        })
    }
}

/// A stale lock taken over during [`GatewayLock::acquire`].
#[derive(Debug, Clone)]
pub struct Reclaimed {
    pub previous_pid: Option<u32>,
    pub reason: StaleReason,
}

/// A held lock. Dropping it releases the `flock`; [`GatewayLock::release`] also deletes the file.
#[derive(Debug)]
pub struct GatewayLock {
    path: PathBuf,
    file: File,
    content: LockContent,
    token: [u8; 16],
}

/// What to record in a new lock.
#[derive(Debug, Clone)]
pub struct LockRequest<'a> {
    pub state_dir: &'a Path,
    pub config_path: &'a Path,
    pub port: u16,
    pub timeout: Duration,
}

impl GatewayLock {
    /// Takes the lock, waiting up to `timeout` for a live owner, reclaiming a stale one.
    pub fn acquire(req: &LockRequest<'_>) -> Result<(Self, Option<Reclaimed>), LockError> {
        let path = lock_path(req.state_dir, req.config_path);
        let unwritable = |action, source| LockError::Unwritable {
            state_dir: req.state_dir.to_owned(),
            path: path.clone(),
            action,
            source,
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(req.state_dir)
            .map_err(|e| unwritable("create directory", e))?;
        let started = Instant::now();
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)
                .map_err(|e| unwritable("open", e))?;
            let holder = if try_flock(&file) {
                if !still_at(&file, &path) {
                    continue; // released and deleted while we opened it: start over
                }
                let previous = read_all(&mut file);
                match judge(&previous) {
                    Judgement::Free => {
                        return Self::write_new(file, path.clone(), req, None)
                            .map_err(|e| unwritable("write", e));
                    }
                    Judgement::Stale(reclaimed) => {
                        return Self::write_new(file, path.clone(), req, Some(reclaimed))
                            .map_err(|e| unwritable("write", e));
                    }
                    Judgement::Held(pid) => pid,
                }
            } else {
                content::parse(&read_all(&mut file)).and_then(|c| c.pid)
            };
            drop(file);
            if started.elapsed() >= req.timeout {
                return Err(LockError::AlreadyRunning {
                    pid: holder,
                    path,
                    waited_ms: req.timeout.as_millis(),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    fn write_new(
        file: File,
        path: PathBuf,
        req: &LockRequest<'_>,
        reclaimed: Option<Reclaimed>,
    ) -> std::io::Result<(Self, Option<Reclaimed>)> {
        let pid = std::process::id();
        let content = LockContent {
            pid: Some(pid),
            owner_id: uuid::Uuid::new_v4().to_string(),
            cron_owner_projection: Some(content::CRON_OWNER_PROJECTION.into()),
            created_at: Some(
                jiff::Timestamp::now()
                    .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string(),
            ),
            config_path: Some(req.config_path.display().to_string()),
            state_dir: Some(req.state_dir.display().to_string()),
            port: Some(req.port),
            start_time: process::start_time(pid),
            boot_id: process::boot_id(),
        };
        let mut lock = Self {
            path,
            file,
            content,
            token: rand::random(),
        };
        lock.write()?;
        Ok((lock, reclaimed))
    }

    fn write(&mut self) -> std::io::Result<()> {
        let text = content::render(&self.content, &self.token);
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(text.as_bytes())?;
        self.file.sync_all()
    }

    /// Records the port actually bound (differs from the request for `--port 0`).
    pub fn set_port(&mut self, port: u16) -> std::io::Result<()> {
        if self.content.port == Some(port) {
            return Ok(());
        }
        self.content.port = Some(port);
        self.write()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn content(&self) -> &LockContent {
        &self.content
    }

    /// Deletes the file if it is still ours, then releases the `flock`.
    pub fn release(self) -> std::io::Result<()> {
        if still_at(&self.file, &self.path) {
            std::fs::remove_file(&self.path)?;
        }
        Ok(())
    }
}

enum Judgement {
    Free,
    Stale(Reclaimed),
    Held(Option<u32>),
}

/// Judges a lock whose `flock` we hold: anything but a live owner that does not `flock`
/// (the Node gateway) is free or stale.
fn judge(previous: &str) -> Judgement {
    if previous.trim().is_empty() {
        return Judgement::Free;
    }
    let Some(content) = content::parse(previous) else {
        return Judgement::Stale(Reclaimed {
            previous_pid: None,
            reason: StaleReason::Unreadable,
        });
    };
    let stale = |reason| {
        Judgement::Stale(Reclaimed {
            previous_pid: content.pid,
            reason,
        })
    };
    let Some(pid) = content.pid else {
        return stale(StaleReason::Unreadable);
    };
    if let (Some(recorded), Some(current)) = (&content.boot_id, process::boot_id())
        && *recorded != current
    {
        return stale(StaleReason::BootIdDiffers);
    }
    if pid == std::process::id() || !process::is_alive(pid) {
        return stale(StaleReason::ProcessGone);
    }
    match (content.start_time, process::start_time(pid)) {
        (Some(recorded), Some(actual)) if recorded != actual => {
            stale(StaleReason::StartTimeDiffers)
        }
        (Some(_), Some(_)) => Judgement::Held(Some(pid)),
        _ if process::looks_like_gateway(pid) => Judgement::Held(Some(pid)),
        _ => stale(StaleReason::NotAGateway),
    }
}

fn try_flock(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own; no memory is involved.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Whether `path` still names the inode `file` has open.
fn still_at(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn read_all(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    text
}

#[cfg(test)]
mod tests;
