//! Code that runs in a freshly forked child, between `fork` and `exec`
//! (`pre_exec`): entering namespaces, building the machine's root, and the two
//! tiny waiter processes that keep the pid namespace alive.
//!
//! Only async-signal-safe operations are allowed here (the parent is
//! multi-threaded): raw syscalls on pre-built C strings, no allocation, no
//! locks. Everything is prepared by the caller in [`FreshRoot`]/[`JoinNs`].
//!
//! Process tree of a machine (namespaces mode):
//! ```text
//! fly-local ── C (host pid ns: waits for P, forwards signals)
//!               └─ P = PID 1 of the machine (init: reaps, forwards signals)
//!                   └─ the main process = PID 2, in the machine's root
//! ```
//! Like Fly's own init, the main process is not PID 1, so a SIGTERM without a
//! handler terminates it as it would on Fly. Every process of the machine dies
//! with fly-local (`PR_SET_PDEATHSIG`), and with P (pid namespace teardown).

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

/// Everything needed to enter a new set of namespaces with a fresh root.
pub struct FreshRoot {
    pub netns_fd: Option<RawFd>,
    pub hostname: CString,
    pub cgroup_procs: Option<CString>,
    pub merged: CString,
    pub overlay_opts: CString,
    /// Directories to create (absolute, under `merged`), in order.
    pub mkdirs: Vec<CString>,
    /// (source, target under merged, recursive)
    pub binds: Vec<(CString, CString, bool)>,
    pub tmp: CString,
    pub proc_dir: CString,
    pub boot_id_src: CString,
    pub boot_id_dst: CString,
    pub workdir: CString,
    /// Write end of a pipe that receives P's host pid (4 bytes), or -1.
    pub pid_pipe: RawFd,
}

/// Joining a running machine's namespaces (for `exec`).
pub struct JoinNs {
    pub netns_fd: RawFd,
    pub mnt_fd: RawFd,
    pub pid_fd: RawFd,
    pub uts_fd: RawFd,
    pub workdir: CString,
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn check_long(ret: libc::c_long) -> io::Result<()> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Makes the calling child die with its parent.
pub fn die_with_parent() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) })
}

impl FreshRoot {
    /// Runs in the child C. Returns (in the main process, PID 2) to let the
    /// caller exec; C and P never return.
    ///
    /// # Safety
    /// Must only be called from `pre_exec`.
    pub unsafe fn enter(&self) -> io::Result<()> {
        // SAFETY (whole block): raw syscalls on C strings that outlive the call.
        unsafe {
            die_with_parent()?;
            if let Some(procs) = &self.cgroup_procs {
                let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd >= 0 {
                    libc::write(fd, c"0".as_ptr().cast(), 1);
                    libc::close(fd);
                }
            }
            if let Some(fd) = self.netns_fd {
                check(libc::setns(fd, libc::CLONE_NEWNET))?;
            }
            check(libc::unshare(
                libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC,
            ))?;
            check(libc::sethostname(
                self.hostname.as_ptr(),
                self.hostname.as_bytes().len(),
            ))?;
            check(libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                c"overlay".as_ptr(),
                self.merged.as_ptr(),
                c"overlay".as_ptr(),
                0,
                self.overlay_opts.as_ptr().cast(),
            ))?;
            for dir in &self.mkdirs {
                if libc::mkdir(dir.as_ptr(), 0o755) != 0 {
                    let err = io::Error::last_os_error();
                    if err.raw_os_error() != Some(libc::EEXIST) {
                        return Err(err);
                    }
                }
            }
            for (src, dst, recursive) in &self.binds {
                let flags = libc::MS_BIND | if *recursive { libc::MS_REC } else { 0 };
                check(libc::mount(
                    src.as_ptr(),
                    dst.as_ptr(),
                    std::ptr::null(),
                    flags,
                    std::ptr::null(),
                ))?;
            }
            check(libc::mount(
                c"tmpfs".as_ptr(),
                self.tmp.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                c"mode=1777".as_ptr().cast(),
            ))?;

            // C: stays in the host pid namespace and waits for P.
            let p = libc::fork();
            if p < 0 {
                return Err(io::Error::last_os_error());
            }
            if p > 0 {
                if self.pid_pipe >= 0 {
                    let bytes = p.to_ne_bytes();
                    libc::write(self.pid_pipe, bytes.as_ptr().cast(), bytes.len());
                }
                wait_and_mirror(p, false);
            }

            // P: PID 1 of the machine.
            die_with_parent()?;
            check(libc::mount(
                c"proc".as_ptr(),
                self.proc_dir.as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                self.boot_id_src.as_ptr(),
                self.boot_id_dst.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            ))?;
            check(libc::chdir(self.merged.as_ptr()))?;
            check_long(libc::syscall(
                libc::SYS_pivot_root,
                c".".as_ptr(),
                c".".as_ptr(),
            ))?;
            check(libc::umount2(c".".as_ptr(), libc::MNT_DETACH))?;
            if libc::chdir(self.workdir.as_ptr()) != 0 {
                check(libc::chdir(c"/".as_ptr()))?;
            }

            let main = libc::fork();
            if main < 0 {
                return Err(io::Error::last_os_error());
            }
            if main > 0 {
                wait_and_mirror(main, true);
            }
            // The main process (PID 2): return, and let the caller exec.
            Ok(())
        }
    }
}

impl JoinNs {
    /// Enters a running machine's namespaces; the exec'd command runs in a
    /// forked child (a pid namespace applies to children only).
    ///
    /// # Safety
    /// Must only be called from `pre_exec`.
    pub unsafe fn enter(&self) -> io::Result<()> {
        // SAFETY: raw syscalls on fds and C strings owned by the caller.
        unsafe {
            die_with_parent()?;
            check(libc::setns(self.netns_fd, libc::CLONE_NEWNET))?;
            check(libc::setns(self.uts_fd, libc::CLONE_NEWUTS))?;
            check(libc::setns(self.pid_fd, libc::CLONE_NEWPID))?;
            check(libc::setns(self.mnt_fd, libc::CLONE_NEWNS))?;
            if libc::chdir(self.workdir.as_ptr()) != 0 {
                check(libc::chdir(c"/".as_ptr()))?;
            }
            let child = libc::fork();
            if child < 0 {
                return Err(io::Error::last_os_error());
            }
            if child > 0 {
                wait_and_mirror(child, false);
            }
            Ok(())
        }
    }
}

static TARGET: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(sig: libc::c_int) {
    let target = TARGET.load(Ordering::Relaxed);
    if target > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(target, sig);
        }
    }
}

/// Waits for `child` while forwarding every catchable signal to it, then
/// exits the way it did (same code, or killed by the same signal). With
/// `reap_all` it also reaps orphans, as a PID 1 must.
///
/// # Safety
/// Only in a forked child; never returns.
unsafe fn wait_and_mirror(child: libc::pid_t, reap_all: bool) -> ! {
    // SAFETY: async-signal-safe syscalls only.
    unsafe {
        TARGET.store(child, Ordering::Relaxed);
        // Nothing but stdio is needed from here on; closing the rest lets
        // the parent see EOF on its exec-error pipe and frees the netns fd.
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
        for sig in 1..32 {
            if matches!(sig, libc::SIGKILL | libc::SIGSTOP | libc::SIGCHLD) {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as *const () as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
        let mut status: libc::c_int = 0;
        loop {
            let pid = libc::waitpid(if reap_all { -1 } else { child }, &mut status, 0);
            if pid == child {
                break;
            }
            if pid < 0 && *libc::__errno_location() != libc::EINTR {
                libc::_exit(125);
            }
        }
        if libc::WIFEXITED(status) {
            libc::_exit(libc::WEXITSTATUS(status));
        }
        if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            libc::signal(sig, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
            libc::_exit(128 + sig);
        }
        libc::_exit(125)
    }
}
