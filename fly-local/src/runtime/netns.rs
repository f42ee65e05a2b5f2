//! A machine's network namespace: loopback plus the machine's addresses (a
//! private IPv4 the proxy and checks use, like the VM address Fly's proxy
//! uses, and its 6PN `fdaa:` address), and nothing else.
//!
//! fly-local reaches a machine the way Fly's proxy does: by connecting to the
//! machine's address, never to its loopback. A process bound to 127.0.0.1 is
//! therefore unreachable from the proxy and the health checks, exactly as on
//! Fly; one bound to 0.0.0.0 (or `::`) is reachable.
//!
//! A dedicated thread lives inside the namespace and hands out sockets created
//! there (a socket stays in the namespace it was created in), so connecting
//! needs no `setns` on the async runtime's threads.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::process::Command;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use nix::sys::socket::{AddressFamily, SockFlag, SockType, socket};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;

type SocketRequest = (AddressFamily, oneshot::Sender<std::io::Result<OwnedFd>>);

pub struct NetNs {
    fd: OwnedFd,
    requests: std_mpsc::Sender<SocketRequest>,
    pub ipv4: Ipv4Addr,
    pub ipv6: Ipv6Addr,
}

impl NetNs {
    /// Creates the namespace and configures its addresses (with `ip` from
    /// iproute2, run inside the namespace).
    pub fn create(name: &str, ipv4: Ipv4Addr, ipv6: Ipv6Addr) -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = std_mpsc::channel::<std::io::Result<OwnedFd>>();
        let (req_tx, req_rx) = std_mpsc::channel::<SocketRequest>();
        std::thread::Builder::new()
            .name(format!("netns-{name}"))
            .spawn(move || {
                let setup = (|| -> std::io::Result<OwnedFd> {
                    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)?;
                    configure(ipv4, ipv6)?;
                    Ok(std::fs::File::open("/proc/thread-self/ns/net")?.into())
                })();
                let ok = setup.is_ok();
                let _ = ready_tx.send(setup);
                if !ok {
                    return;
                }
                while let Ok((family, reply)) = req_rx.recv() {
                    let sock = socket(
                        family,
                        SockType::Stream,
                        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
                        None,
                    )
                    .map_err(std::io::Error::from);
                    let _ = reply.send(sock);
                }
            })?;
        let fd = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("network namespace thread died"))??;
        Ok(Self {
            fd,
            requests: req_tx,
            ipv4,
            ipv6,
        })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The address the proxy and checks use for `port`.
    pub fn target(&self, port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.ipv4), port)
    }

    /// Opens a TCP connection from inside the namespace.
    pub async fn connect(&self, addr: SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
        let family = if addr.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        let (tx, rx) = oneshot::channel();
        self.requests
            .send((family, tx))
            .map_err(|_| std::io::Error::other("network namespace is gone"))?;
        let fd = rx
            .await
            .map_err(|_| std::io::Error::other("network namespace is gone"))??;
        let socket = TcpSocket::from_std_stream(std::net::TcpStream::from(fd));
        tokio::time::timeout(timeout, socket.connect(addr))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))?
    }
}

fn configure(ipv4: Ipv4Addr, ipv6: Ipv6Addr) -> std::io::Result<()> {
    run_ip(&["link", "set", "lo", "up"])?;
    run_ip(&["addr", "add", &format!("{ipv4}/32"), "dev", "lo"])?;
    // IPv6 may be disabled on the host; the IPv4 address is what fly-local uses.
    if let Err(err) = run_ip(&["addr", "add", &format!("{ipv6}/128"), "dev", "lo", "nodad"]) {
        tracing::debug!(error = %err, "cannot add the 6PN address to the machine namespace");
    }
    Ok(())
}

fn run_ip(args: &[&str]) -> std::io::Result<()> {
    let out = Command::new("ip").args(args).output().map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot run `ip` (iproute2) to configure a machine network namespace: {e}"),
        )
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The machine's private IPv4 inside its namespace (only meaningful there),
/// derived from its id so logs are stable.
pub fn machine_ipv4(machine_id: &str) -> Ipv4Addr {
    let n = u32::from_str_radix(&machine_id[machine_id.len().saturating_sub(4)..], 16).unwrap_or(2);
    Ipv4Addr::new(172, 19, ((n >> 8) & 0xff) as u8, ((n & 0xfe) | 2) as u8)
}
