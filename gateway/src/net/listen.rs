//! Binding the gateway port, retrying while a previous instance lets go of it.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::Duration;

use super::bind::ListenAddrs;

/// The original retries a busy port 20 times, 500 ms apart, before giving up.
pub const BIND_ATTEMPTS: u32 = 20;
pub const BIND_RETRY_DELAY: Duration = Duration::from_millis(500);

/// Bound sockets: the primary one and, when available, its IPv6 loopback twin.
#[derive(Debug)]
pub struct Bound {
    pub primary: TcpListener,
    pub secondary: Option<TcpListener>,
}

impl Bound {
    pub fn local_addr(&self) -> SocketAddr {
        self.primary
            .local_addr()
            .expect("bound socket has an address")
    }
}

/// Binds `addrs` on `port` (0 = any free port), retrying `attempts` times on EADDRINUSE.
pub fn bind(
    addrs: &ListenAddrs,
    port: u16,
    attempts: u32,
    delay: Duration,
) -> std::io::Result<Bound> {
    let mut attempt = 1;
    let primary = loop {
        match bind_one(addrs.primary, port) {
            Ok(l) => break l,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempt < attempts => {
                attempt += 1;
                std::thread::sleep(delay);
            }
            Err(e) => return Err(e),
        }
    };
    let actual = primary.local_addr()?.port();
    // The IPv6 twin is best effort: hosts without IPv6 still serve IPv4.
    let secondary = addrs.secondary.and_then(|ip| bind_one(ip, actual).ok());
    Ok(Bound { primary, secondary })
}

fn bind_one(ip: IpAddr, port: u16) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let addr = SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // Like Node: a restart is not blocked by the previous instance's TIME_WAIT sockets.
    socket.set_reuse_address(true)?;
    if ip.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(511)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Whether something accepts connections on 127.0.0.1:`port` or has a LISTEN socket on it.
pub fn port_in_use(port: u16) -> bool {
    !super::force::listeners(port).is_empty()
        || std::net::TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_millis(200),
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BindMode;
    use crate::net::bind::resolve;

    #[test]
    fn binds_loopback_twins_on_one_port_and_reports_busy_ports() {
        let addrs = resolve(BindMode::Loopback, None, false).unwrap();
        let bound = bind(&addrs, 0, 1, Duration::ZERO).unwrap();
        let port = bound.local_addr().port();
        assert_ne!(port, 0);
        if let Some(v6) = &bound.secondary {
            assert_eq!(v6.local_addr().unwrap().port(), port);
        }
        let err = bind(&addrs, port, 2, Duration::from_millis(10)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    }
}
