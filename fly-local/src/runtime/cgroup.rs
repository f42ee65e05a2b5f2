//! Per-machine memory limits (`guest.memory_mb`) enforced with a cgroup, so a
//! process that needs more memory than its machine has is OOM-killed as it is
//! on Fly. cgroup v2 is used when its memory controller is available, else
//! cgroup v1; when neither is writable, limits are not enforced (logged).

use std::path::PathBuf;

/// Removes empty machine cgroups left behind by earlier runs (a process
/// that exited abruptly cannot clean up). Busy ones fail to rmdir and stay;
/// a machine's cgroup is recreated at each boot anyway.
pub fn sweep() {
    for root in [
        "/sys/fs/cgroup/fly-local",
        "/sys/fs/cgroup/memory/fly-local",
    ] {
        if let Ok(entries) = std::fs::read_dir(root) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ = std::fs::remove_dir(entry.path());
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Cgroup {
    dir: PathBuf,
    v2: bool,
}

impl Cgroup {
    /// Creates (or reuses) the machine's cgroup with a memory limit.
    pub fn create(machine_id: &str, memory_mb: u32) -> Option<Self> {
        let bytes = u64::from(memory_mb) * 1024 * 1024;
        let v2_root = PathBuf::from("/sys/fs/cgroup");
        let v2 = v2_root.join("cgroup.controllers");
        if std::fs::read_to_string(&v2).is_ok_and(|c| c.split_whitespace().any(|x| x == "memory")) {
            let parent = v2_root.join("fly-local");
            let _ = std::fs::create_dir_all(&parent);
            let _ = std::fs::write(v2_root.join("cgroup.subtree_control"), "+memory");
            let _ = std::fs::write(parent.join("cgroup.subtree_control"), "+memory");
            let dir = parent.join(machine_id);
            if std::fs::create_dir_all(&dir).is_ok()
                && std::fs::write(dir.join("memory.max"), bytes.to_string()).is_ok()
            {
                let _ = std::fs::write(dir.join("memory.swap.max"), "0");
                return Some(Self { dir, v2: true });
            }
        }
        let dir = PathBuf::from("/sys/fs/cgroup/memory/fly-local").join(machine_id);
        if std::fs::create_dir_all(&dir).is_ok()
            && std::fs::write(dir.join("memory.limit_in_bytes"), bytes.to_string()).is_ok()
        {
            let _ = std::fs::write(dir.join("memory.memsw.limit_in_bytes"), bytes.to_string());
            return Some(Self { dir, v2: false });
        }
        None
    }

    /// The file a process writes "0" to in order to join.
    pub fn procs_file(&self) -> PathBuf {
        self.dir.join("cgroup.procs")
    }

    /// How many OOM kills happened in this cgroup so far.
    pub fn oom_kills(&self) -> u64 {
        let file = if self.v2 {
            "memory.events"
        } else {
            "memory.oom_control"
        };
        std::fs::read_to_string(self.dir.join(file))
            .ok()
            .and_then(|text| {
                text.lines().find_map(|l| {
                    l.strip_prefix("oom_kill ")
                        .and_then(|n| n.trim().parse().ok())
                })
            })
            .unwrap_or(0)
    }

    /// Removes the cgroup once its last process is gone (processes of a
    /// machine die just after its main process is reaped, so this retries
    /// briefly on a helper thread).
    pub fn remove(&self) {
        let dir = self.dir.clone();
        let removed = std::fs::remove_dir(&dir).is_ok() || !dir.exists();
        if !removed {
            let _ = std::thread::Builder::new()
                .name("cgroup-cleanup".into())
                .spawn(move || {
                    for _ in 0..100 {
                        if std::fs::remove_dir(&dir).is_ok() || !dir.exists() {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    tracing::debug!(cgroup = %dir.display(), "cgroup still busy; left in place");
                });
        }
    }
}
