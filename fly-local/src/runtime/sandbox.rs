//! Spawning a machine's main process (and `exec` commands) in its sandbox.
//!
//! Namespaces mode (root): own mount, pid, UTS and IPC namespaces and the
//! machine's network namespace; the root is a fresh overlay of the host root
//! per boot (writes outside the volume vanish on restart, as on Fly); the
//! volume directory is bind-mounted at its mount path; `/tmp` is a fresh
//! tmpfs; `/proc` belongs to the machine's pid namespace and
//! `/proc/sys/kernel/random/boot_id` is new on every boot, so a lock file
//! judged by pid alone looks "alive" after a restart, exactly as in a
//! container. Config `files` are written into the new root (or onto the
//! volume when under its mount path) before the process starts.
//!
//! Host mode (not root): the process runs on the host network with the
//! volume's real directory; the mount path is rewritten in env and args.

use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::cgroup::Cgroup;
use super::launch::{ALIAS_DIR, LaunchPlan};
use super::netns::NetNs;
use super::process::ExitInfo;
use super::shim::{FreshRoot, JoinNs};

/// Where a sandbox's files live on the host.
#[derive(Debug, Clone)]
pub struct MachineDirs {
    pub root: PathBuf,
}

impl MachineDirs {
    pub fn upper(&self) -> PathBuf {
        self.root.join("rootfs/upper")
    }
    pub fn work(&self) -> PathBuf {
        self.root.join("rootfs/work")
    }
    pub fn merged(&self) -> PathBuf {
        self.root.join("rootfs/merged")
    }
    pub fn boot_id(&self) -> PathBuf {
        self.root.join("boot_id")
    }
    /// Host-mode stand-in for the machine's root filesystem.
    pub fn host_root(&self) -> PathBuf {
        self.root.join("hostroot")
    }
}

/// The resolved isolation of a launch.
pub enum Sandbox<'a> {
    Namespaces { netns: &'a NetNs, hostname: &'a str },
    Host,
}

/// A running main process.
pub struct RealProcess {
    child: tokio::process::Child,
    /// The host pid of the machine's PID 1 (namespaces) or of the process (host).
    pub init_pid: Option<Pid>,
    cgroup: Option<Cgroup>,
    oom_before: u64,
}

impl RealProcess {
    pub async fn wait(&mut self) -> ExitInfo {
        let status = match self.child.wait().await {
            Ok(s) => s,
            Err(err) => {
                tracing::error!(error = %err, "cannot wait for a machine process");
                return ExitInfo::code(125);
            }
        };
        let mut exit = match (status.code(), status.signal()) {
            (Some(code), _) => ExitInfo::code(code),
            (None, Some(sig)) => ExitInfo {
                code: None,
                signal: Some(sig),
                oom_killed: false,
            },
            _ => ExitInfo::code(125),
        };
        if let Some(cg) = &self.cgroup {
            exit.oom_killed = cg.oom_kills() > self.oom_before;
        }
        exit
    }

    /// The host pid of the process fly-local spawned.
    pub fn pid(&self) -> Option<Pid> {
        self.child.id().map(|p| Pid::from_raw(p as i32))
    }

    pub fn signal(&self, signal: Signal) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), signal);
        }
    }

    /// Suspends every process of the machine (SIGSTOP), as a snapshot would.
    pub fn freeze(&self) {
        self.signal_all(Signal::SIGSTOP);
    }

    pub fn resume(&self) {
        self.signal_all(Signal::SIGCONT);
    }

    fn signal_all(&self, signal: Signal) {
        let Some(init) = self.init_pid else { return };
        for pid in same_pid_ns(init) {
            let _ = kill(pid, signal);
        }
        let _ = kill(init, signal);
    }
}

impl Drop for RealProcess {
    fn drop(&mut self) {
        if let Some(cg) = &self.cgroup {
            cg.remove();
        }
    }
}

/// Processes in the pid namespace `init` is PID 1 of (excluding `init`).
fn same_pid_ns(init: Pid) -> Vec<Pid> {
    let ns = |pid: i32| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
    let Some(target) = ns(init.as_raw()) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != init.as_raw() && ns(pid).as_ref() == Some(&target))
        .map(Pid::from_raw)
        .collect()
}

/// Prepares the root (fresh upper layer, files, boot id) and builds the command.
pub fn prepare_boot(
    plan: &LaunchPlan,
    dirs: &MachineDirs,
    volume_dir: Option<&Path>,
    host_mode: bool,
) -> std::io::Result<()> {
    for d in [dirs.upper(), dirs.work()] {
        if d.exists() {
            std::fs::remove_dir_all(&d)?;
        }
        std::fs::create_dir_all(&d)?;
    }
    std::fs::create_dir_all(dirs.merged())?;
    std::fs::write(dirs.boot_id(), format!("{}\n", uuid_like()))?;
    let root = if host_mode {
        dirs.host_root()
    } else {
        dirs.upper()
    };
    if host_mode {
        std::fs::create_dir_all(&root)?;
    } else if !plan.aliases.is_empty() {
        let alias_dir = root.join(ALIAS_DIR.trim_start_matches('/'));
        std::fs::create_dir_all(&alias_dir)?;
        for (name, target) in &plan.aliases {
            std::os::unix::fs::symlink(target, alias_dir.join(name))?;
        }
    }
    for file in &plan.files {
        let target = guest_to_host(
            &file.guest_path,
            plan.mount_path.as_deref(),
            volume_dir,
            &root,
        );
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, &file.contents)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(file.mode))?;
    }
    Ok(())
}

/// Where a guest path lives on the host: on the volume if under its mount
/// path, else under `root`.
pub fn guest_to_host(
    guest: &str,
    mount: Option<&str>,
    volume: Option<&Path>,
    root: &Path,
) -> PathBuf {
    if let (Some(mount), Some(volume)) = (mount, volume)
        && let Some(rest) = strip_dir_prefix(guest, mount)
    {
        return volume.join(rest.trim_start_matches('/'));
    }
    root.join(guest.trim_start_matches('/'))
}

fn strip_dir_prefix<'a>(path: &'a str, dir: &str) -> Option<&'a str> {
    let dir = dir.trim_end_matches('/');
    let rest = path.strip_prefix(dir)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Host mode: rewrites the volume mount path in a value to the real directory.
pub fn rewrite_for_host(value: &str, mount: Option<&str>, volume: Option<&Path>) -> String {
    match (mount, volume) {
        (Some(mount), Some(volume)) => {
            let mount = mount.trim_end_matches('/');
            let host = volume.display().to_string();
            let mut out = String::new();
            let mut rest = value;
            while let Some(i) = rest.find(mount) {
                let after = &rest[i + mount.len()..];
                let boundary_ok =
                    after.is_empty() || after.starts_with('/') || after.starts_with(':');
                let before_ok = i == 0 || rest[..i].ends_with(['=', ':', ' ']);
                out.push_str(&rest[..i]);
                if boundary_ok && before_ok {
                    out.push_str(&host);
                } else {
                    out.push_str(mount);
                }
                rest = after;
            }
            out.push_str(rest);
            out
        }
        _ => value.to_owned(),
    }
}

/// Builds the command for a fresh boot (or a one-off exec in a fresh root).
pub fn command_fresh(
    plan: &LaunchPlan,
    argv: &[String],
    dirs: &MachineDirs,
    volume_dir: Option<&Path>,
    sandbox: &Sandbox<'_>,
    cgroup: Option<&Cgroup>,
) -> std::io::Result<(std::process::Command, Option<OwnedFd>)> {
    match sandbox {
        Sandbox::Host => {
            let mount = plan.mount_path.as_deref();
            let mut cmd = std::process::Command::new(rewrite_for_host(
                &program_for(argv, plan).display().to_string(),
                mount,
                volume_dir,
            ));
            cmd.arg0(&argv[0]);
            cmd.args(
                argv[1..]
                    .iter()
                    .map(|a| rewrite_for_host(a, mount, volume_dir)),
            );
            cmd.env_clear();
            cmd.envs(
                plan.env
                    .iter()
                    .map(|(k, v)| (k, rewrite_for_host(v, mount, volume_dir))),
            );
            cmd.current_dir(dirs.host_root());
            // Its own process group: a Ctrl-C in the terminal that runs
            // fly-local (or the operator embedding it) reaches fly-local only,
            // which then stops machines in order (see `Supervisor::shutdown_process`).
            cmd.process_group(0);
            let procs = cgroup.map(|c| cstring(&c.procs_file())).transpose()?;
            // SAFETY: the closure only makes async-signal-safe syscalls.
            unsafe {
                cmd.pre_exec(move || {
                    super::shim::die_with_parent()?;
                    if let Some(procs) = &procs {
                        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                        if fd >= 0 {
                            libc::write(fd, c"0".as_ptr().cast(), 1);
                            libc::close(fd);
                        }
                    }
                    Ok(())
                });
            }
            Ok((cmd, None))
        }
        Sandbox::Namespaces { netns, hostname } => {
            let merged = dirs.merged();
            let in_root = |guest: &str| merged.join(guest.trim_start_matches('/'));
            let mut mkdirs = Vec::new();
            let mut binds = Vec::new();
            let mut add_bind = |src: &Path, guest: &str, recursive: bool| -> std::io::Result<()> {
                let mut acc = merged.clone();
                for comp in Path::new(guest.trim_start_matches('/')).components() {
                    acc.push(comp);
                    mkdirs.push(cstring(&acc)?);
                }
                binds.push((cstring(src)?, cstring(&in_root(guest))?, recursive));
                Ok(())
            };
            add_bind(Path::new("/dev"), "/dev", true)?;
            add_bind(Path::new("/sys"), "/sys", true)?;
            for dir in &plan.path_dirs {
                if dir.is_dir() {
                    add_bind(dir, &dir.display().to_string(), false)?;
                }
            }
            for target in plan.aliases.values() {
                if let Some(parent) = target.parent().filter(|p| p.is_dir()) {
                    add_bind(parent, &parent.display().to_string(), false)?;
                }
            }
            if let (Some(mount), Some(volume)) = (plan.mount_path.as_deref(), volume_dir) {
                add_bind(volume, mount, false)?;
            }
            for d in ["tmp", "proc"] {
                mkdirs.push(cstring(&merged.join(d))?);
            }
            let (pid_read, pid_write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
            let root = FreshRoot {
                netns_fd: Some(netns.raw_fd()),
                hostname: CString::new(*hostname).map_err(std::io::Error::other)?,
                cgroup_procs: cgroup.map(|c| cstring(&c.procs_file())).transpose()?,
                merged: cstring(&merged)?,
                overlay_opts: CString::new(format!(
                    "lowerdir=/,upperdir={},workdir={}",
                    dirs.upper().display(),
                    dirs.work().display()
                ))
                .map_err(std::io::Error::other)?,
                mkdirs,
                binds,
                tmp: cstring(&merged.join("tmp"))?,
                proc_dir: cstring(&merged.join("proc"))?,
                boot_id_src: cstring(&dirs.boot_id())?,
                boot_id_dst: cstring(&merged.join("proc/sys/kernel/random/boot_id"))?,
                workdir: CString::new(plan.workdir.clone()).map_err(std::io::Error::other)?,
                pid_pipe: pid_write.as_raw_fd(),
            };
            let mut cmd = std::process::Command::new(program_for(argv, plan));
            cmd.arg0(&argv[0]);
            cmd.args(&argv[1..]);
            cmd.env_clear();
            cmd.envs(plan.env.iter().map(|(k, v)| (k, v)));
            // Out of the terminal's process group, as in host mode above.
            cmd.process_group(0);
            let keep_open = pid_write;
            // SAFETY: FreshRoot::enter only makes async-signal-safe syscalls on
            // data prepared above; `keep_open` keeps the pipe fd valid.
            unsafe {
                cmd.pre_exec(move || {
                    let _ = &keep_open;
                    root.enter()
                });
            }
            Ok((cmd, Some(pid_read)))
        }
    }
}

fn program_for(argv: &[String], plan: &LaunchPlan) -> PathBuf {
    if argv.first() == plan.argv.first() {
        plan.program.clone()
    } else {
        PathBuf::from(&argv[0])
    }
}

/// Builds an `exec` command that joins a running machine's namespaces.
pub fn command_join(
    plan: &LaunchPlan,
    argv: &[String],
    init_pid: Pid,
    netns: &NetNs,
) -> std::io::Result<std::process::Command> {
    let open = |ns: &str| -> std::io::Result<OwnedFd> {
        Ok(std::fs::File::open(format!("/proc/{}/ns/{ns}", init_pid.as_raw()))?.into())
    };
    let (mnt, pid, uts) = (open("mnt")?, open("pid")?, open("uts")?);
    let join = JoinNs {
        netns_fd: netns.raw_fd(),
        mnt_fd: mnt.as_raw_fd(),
        pid_fd: pid.as_raw_fd(),
        uts_fd: uts.as_raw_fd(),
        workdir: CString::new(plan.workdir.clone()).map_err(std::io::Error::other)?,
    };
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    cmd.env_clear();
    cmd.envs(plan.env.iter().map(|(k, v)| (k, v)));
    let fds = (mnt, pid, uts);
    // SAFETY: JoinNs::enter only makes async-signal-safe syscalls; `fds` keeps
    // the namespace fds open until the child has entered them.
    unsafe {
        cmd.pre_exec(move || {
            let _ = &fds;
            join.enter()
        });
    }
    Ok(cmd)
}

/// Spawns on the spawner thread (so `PR_SET_PDEATHSIG` is tied to a thread
/// that lives as long as fly-local) with output into a pipe.
pub async fn spawn_main(
    spawner: &Arc<super::spawner::Spawner>,
    mut cmd: std::process::Command,
    pid_pipe: Option<OwnedFd>,
    cgroup: Option<Cgroup>,
) -> std::io::Result<(RealProcess, std::io::PipeReader)> {
    let (reader, writer) = std::io::pipe()?;
    cmd.stdin(Stdio::null());
    cmd.stdout(writer.try_clone()?);
    cmd.stderr(writer);
    let oom_before = cgroup.as_ref().map(Cgroup::oom_kills).unwrap_or(0);
    let (child, init_pid) = spawner
        .run(move || {
            let mut tokio_cmd = tokio::process::Command::from(cmd);
            tokio_cmd.kill_on_drop(true);
            let child = tokio_cmd.spawn()?;
            drop(tokio_cmd);
            let init = match pid_pipe {
                Some(fd) => {
                    let mut file = std::fs::File::from(fd);
                    let mut buf = [0u8; 4];
                    match file.read_exact(&mut buf) {
                        Ok(()) => Some(Pid::from_raw(i32::from_ne_bytes(buf))),
                        Err(_) => None,
                    }
                }
                None => child.id().map(|p| Pid::from_raw(p as i32)),
            };
            Ok((child, init))
        })
        .await?;
    Ok((
        RealProcess {
            child,
            init_pid,
            cgroup,
            oom_before,
        },
        reader,
    ))
}

fn cstring(path: &Path) -> std::io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other)
}

fn uuid_like() -> String {
    use rand::Rng;
    let b: [u8; 16] = rand::rng().random();
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_paths_on_the_volume_go_to_the_volume() {
        let vol = Path::new("/v");
        let root = Path::new("/r");
        assert_eq!(
            guest_to_host("/data/a.json", Some("/data"), Some(vol), root),
            PathBuf::from("/v/a.json")
        );
        assert_eq!(
            guest_to_host("/database", Some("/data"), Some(vol), root),
            PathBuf::from("/r/database")
        );
        assert_eq!(
            guest_to_host("/etc/x", Some("/data"), Some(vol), root),
            PathBuf::from("/r/etc/x")
        );
    }

    #[test]
    fn host_mode_rewrites_the_mount_path() {
        let vol = Some(Path::new("/var/vol"));
        assert_eq!(rewrite_for_host("/data", Some("/data"), vol), "/var/vol");
        assert_eq!(
            rewrite_for_host("OPENCLAW_STATE_DIR=/data/x", Some("/data"), vol),
            "OPENCLAW_STATE_DIR=/var/vol/x"
        );
        assert_eq!(
            rewrite_for_host("/database", Some("/data"), vol),
            "/database"
        );
        assert_eq!(rewrite_for_host("--port", Some("/data"), vol), "--port");
    }
}
