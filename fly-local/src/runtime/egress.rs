//! Outbound network for machines in namespace isolation, as a Fly machine
//! has: TCP and UDP to anywhere the host reaches (NAT) and DNS.
//!
//! Each machine's network namespace gets a [slirp4netns] attached when it is
//! created: a userspace TCP/IP stack that owns a `tap0` in the namespace
//! (10.0.2.100/24, default route via 10.0.2.2, MTU 65520) and turns the
//! machine's packets into ordinary sockets of the host. Nothing changes on
//! the host (no bridge, no firewall rules), and the machine's private
//! address, where the service proxy and checks connect, stays on its
//! loopback as before. DNS is slirp's forwarder at [`DNS`], which relays to
//! the host's resolver; machines see it in a generated `/etc/resolv.conf`.
//!
//! fly-local extension (no such thing on Fly): with
//! [`EgressSettings::host_loopback`], [`HOST_LOOPBACK`] reaches services
//! bound to the host's 127.0.0.1, and machines get it as `FLY_LOCAL_HOST`.
//!
//! slirp4netns parses whatever the machine sends, so it runs sandboxed
//! (`--enable-sandbox --enable-seccomp`: its own mount namespace, every
//! capability dropped). It lives exactly as long as the namespace's
//! [`Slirp`] handle, and never outlives fly-local: it exits when the write
//! end of its exit pipe closes, which the kernel does if fly-local dies.
//!
//! [slirp4netns]: https://github.com/rootless-containers/slirp4netns

use std::fs::File;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::settings::{EgressSettings, Isolation};

/// Where a machine reaches the host's loopback (when allowed).
pub const HOST_LOOPBACK: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// slirp's DNS forwarder, the machine's only nameserver.
pub const DNS: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);
/// The variable that tells a machine where the host's services are.
pub const HOST_ENV: &str = "FLY_LOCAL_HOST";
/// The largest MTU slirp4netns accepts, less one, as rootless Podman uses:
/// fewer, larger packets through the userspace stack.
const MTU: u32 = 65520;
/// How long slirp4netns may take to bring the interface up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const INSTALL_HINT: &str =
    "install it (apt-get install slirp4netns) or point fly-local's --slirp4netns at it";

/// What outbound network machines get, decided once when fly-local starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Egress {
    /// A slirp4netns per machine namespace.
    Slirp(SlirpConfig),
    /// Host isolation: machines share the host's network.
    Host,
    /// Loopback and the private address only; why.
    None(String),
}

/// How to run slirp4netns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlirpConfig {
    /// The resolved program.
    pub program: PathBuf,
    pub host_loopback: bool,
}

impl Egress {
    /// Looks for what egress needs (the program, `/dev/net/tun`).
    pub fn detect(settings: &EgressSettings, isolation: Isolation) -> Self {
        if isolation == Isolation::Host {
            return Egress::Host;
        }
        let program = match resolve_program(&settings.slirp4netns) {
            Ok(p) => p,
            Err(reason) => return Egress::None(reason),
        };
        if !Path::new("/dev/net/tun").exists() {
            return Egress::None(
                "/dev/net/tun is missing (slirp4netns needs the tun device: `modprobe tun`, \
                 or `mkdir -p /dev/net && mknod /dev/net/tun c 10 200`)"
                    .into(),
            );
        }
        Egress::Slirp(SlirpConfig {
            program,
            host_loopback: settings.host_loopback,
        })
    }

    /// `"slirp4netns"`, `"host"` or `"none: <reason>"` (for `/__fly-local/info`).
    pub fn describe(&self) -> String {
        match self {
            Egress::Slirp(_) => "slirp4netns".into(),
            Egress::Host => "host".into(),
            Egress::None(reason) => format!("none: {reason}"),
        }
    }

    /// One line for people: what machines reach, and how to reach the host.
    pub fn summary(&self) -> String {
        let host = match self.host_address() {
            Some(addr) => format!("this host's 127.0.0.1 is {addr} in machines (${HOST_ENV})"),
            None => {
                "this host's 127.0.0.1 is out of their reach (--host-loopback allows it)".into()
            }
        };
        match self {
            Egress::Slirp(_) => format!("machines reach the network through slirp4netns; {host}"),
            Egress::Host => format!("machines share this host's network; {host}"),
            Egress::None(reason) => format!("machines have NO outbound network: {reason}"),
        }
    }

    /// Where machines reach the host's loopback, if they can.
    pub fn host_address(&self) -> Option<IpAddr> {
        match self {
            Egress::Slirp(c) if c.host_loopback => Some(IpAddr::V4(HOST_LOOPBACK)),
            Egress::Host => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            _ => None,
        }
    }
}

/// A bare name is looked up in `PATH`; a path must be an executable file.
fn resolve_program(program: &Path) -> Result<PathBuf, String> {
    let executable = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.components().count() > 1 {
        return if executable(program) {
            Ok(program.to_path_buf())
        } else {
            Err(format!(
                "{} is not an executable file; {INSTALL_HINT}",
                program.display()
            ))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
        .ok_or_else(|| {
            format!(
                "{} was not found in PATH; {INSTALL_HINT}",
                program.display()
            )
        })
}

#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    #[error("cannot start {program}: {source}")]
    Spawn { program: PathBuf, source: io::Error },
    #[error("slirp4netns exited before the network was up ({status}): {output}")]
    Exited { status: String, output: String },
    #[error("slirp4netns did not bring the network up within {0:?}")]
    Timeout(Duration),
    #[error("cannot set up slirp4netns: {0}")]
    Io(#[from] io::Error),
}

/// A slirp4netns serving one network namespace; dropping it ends it.
pub struct Slirp {
    child: Child,
    /// Write end of the exit pipe: slirp4netns exits when it closes.
    exit: Option<OwnedFd>,
}

impl Slirp {
    /// Attaches slirp4netns to `netns` and waits until the interface is up.
    /// Blocking: call it from a blocking thread. slirp4netns's own messages
    /// go to `log` (replaced on every attach).
    pub fn attach(
        config: &SlirpConfig,
        netns: BorrowedFd<'_>,
        log: &Path,
    ) -> Result<Self, EgressError> {
        let (ready_read, ready_write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
        let (exit_read, exit_write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let output = File::create(log)?;
        let inherited = [
            netns.as_raw_fd(),
            ready_write.as_raw_fd(),
            exit_read.as_raw_fd(),
        ];
        let mut cmd = Command::new(&config.program);
        cmd.args(["--configure", "--enable-sandbox", "--enable-seccomp"])
            .arg(format!("--mtu={MTU}"))
            .arg(format!("--ready-fd={}", inherited[1]))
            .arg(format!("--exit-fd={}", inherited[2]));
        if !config.host_loopback {
            cmd.arg("--disable-host-loopback");
        }
        cmd.args([
            "--netns-type=path",
            &format!("/proc/self/fd/{}", inherited[0]),
            "tap0",
        ])
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output);
        // SAFETY: fcntl is async-signal-safe; the fds outlive the spawn.
        unsafe {
            cmd.pre_exec(move || inherited.iter().try_for_each(|&fd| keep_across_exec(fd)));
        }
        let child = cmd.spawn().map_err(|source| EgressError::Spawn {
            program: config.program.clone(),
            source,
        })?;
        // Only slirp4netns holds these now: EOF on `ready_read` means it died.
        drop((ready_write, exit_read));
        let mut slirp = Slirp {
            child,
            exit: Some(exit_write),
        };
        slirp.wait_ready(ready_read, log)?;
        Ok(slirp)
    }

    fn wait_ready(&mut self, ready: OwnedFd, log: &Path) -> Result<(), EgressError> {
        let millis = u16::try_from(READY_TIMEOUT.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(ready.as_fd(), PollFlags::POLLIN)];
        let n = loop {
            match poll(&mut fds, PollTimeout::from(millis)) {
                Err(nix::errno::Errno::EINTR) => continue,
                other => break other.map_err(io::Error::from)?,
            }
        };
        if n == 0 {
            return Err(EgressError::Timeout(READY_TIMEOUT));
        }
        let mut byte = [0u8; 1];
        if File::from(ready).read(&mut byte)? == 1 {
            return Ok(());
        }
        let status = self
            .child
            .wait()
            .map_or_else(|e| e.to_string(), |s| s.to_string());
        let output = std::fs::read_to_string(log).unwrap_or_default();
        Err(EgressError::Exited {
            status,
            output: output.trim().to_owned(),
        })
    }
}

impl Drop for Slirp {
    fn drop(&mut self) {
        self.exit.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keep_across_exec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on an open fd with integer arguments.
    if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(program: &str, host_loopback: bool) -> EgressSettings {
        EgressSettings {
            slirp4netns: program.into(),
            host_loopback,
        }
    }

    #[test]
    fn host_isolation_shares_the_host_network() {
        let e = Egress::detect(&settings("/nonexistent", false), Isolation::Host);
        assert_eq!(e, Egress::Host);
        assert_eq!(e.describe(), "host");
        assert_eq!(e.host_address(), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }

    #[test]
    fn a_missing_program_is_named_with_the_fix() {
        let e = Egress::detect(
            &settings("/nonexistent/slirp4netns", true),
            Isolation::Namespaces,
        );
        let text = e.describe();
        assert!(
            text.starts_with("none: /nonexistent/slirp4netns is not an executable file"),
            "{text}"
        );
        assert!(text.contains("apt-get install slirp4netns"), "{text}");
        assert_eq!(e.host_address(), None, "no egress, no host address");
        let e = Egress::detect(&settings("no-such-slirp-xyz", false), Isolation::Namespaces);
        assert!(
            e.describe()
                .contains("no-such-slirp-xyz was not found in PATH")
        );
    }

    #[test]
    fn the_host_address_needs_host_loopback() {
        let config = |host_loopback| {
            Egress::Slirp(SlirpConfig {
                program: "/usr/bin/slirp4netns".into(),
                host_loopback,
            })
        };
        assert_eq!(config(false).host_address(), None);
        assert_eq!(config(true).host_address(), Some(IpAddr::V4(HOST_LOOPBACK)));
        assert_eq!(config(true).describe(), "slirp4netns");
    }
}
