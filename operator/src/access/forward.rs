//! A TCP forwarder: a local listener whose connections are copied both ways
//! to an upstream chosen *per connection*, so the local address stays the
//! same while the gateway behind it moves (a healed machine, a restarted
//! fly-local). `up`'s stable ports and `proxy` are both this.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long connecting to the upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a connection goes now: `Ok(addr)`, or why it cannot go anywhere
/// (the connection is then closed, and the reason logged once per change).
pub trait Upstream: Send + Sync + 'static {
    /// The address to connect this connection to.
    fn resolve(&self) -> BoxFuture<'_, Result<String, String>>;
}

impl<F> Upstream for F
where
    F: Fn() -> Result<String, String> + Send + Sync + 'static,
{
    fn resolve(&self) -> BoxFuture<'_, Result<String, String>> {
        let r = self();
        Box::pin(async move { r })
    }
}

/// A running forwarder; dropping it stops accepting (open connections finish).
#[derive(Debug)]
pub struct Forwarder {
    local: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Forwarder {
    /// Forwards connections accepted on `listener` to `upstream`.
    pub fn start(listener: TcpListener, upstream: Arc<dyn Upstream>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(listener, upstream));
        Ok(Self { local, task })
    }

    /// Binds `addr` (std, so a busy port is known at once) and forwards.
    pub fn bind(addr: SocketAddr, upstream: Arc<dyn Upstream>) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        Self::start(TcpListener::from_std(std_listener)?, upstream)
    }

    /// The local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

async fn accept_loop(listener: TcpListener, upstream: Arc<dyn Upstream>) {
    let last_problem = Arc::new(std::sync::Mutex::new(None::<String>));
    loop {
        let (inbound, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // EMFILE and the like: back off instead of spinning.
                tracing::warn!(error = %e, "forwarder: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let upstream = upstream.clone();
        let last_problem = last_problem.clone();
        tokio::spawn(async move {
            let target = match upstream.resolve().await {
                Ok(t) => t,
                Err(why) => {
                    let mut last = last_problem.lock().expect("forwarder lock");
                    if last.as_deref() != Some(why.as_str()) {
                        tracing::warn!(%peer, "forwarder: connection closed: {why}");
                        *last = Some(why);
                    }
                    return;
                }
            };
            let outbound =
                match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&target)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, %target, error = %e, "forwarder: upstream refused");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, %target, "forwarder: upstream timed out");
                        return;
                    }
                };
            *last_problem.lock().expect("forwarder lock") = None;
            copy(inbound, outbound).await;
        });
    }
}

async fn copy(mut a: TcpStream, mut b: TcpStream) {
    // Either side closing ends the connection; the byte counts are of no use.
    let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
}

/// `host:port` of an `http://host:port[/…]` URL.
pub fn authority(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let host = rest.split('/').next()?;
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn echo() -> (SocketAddr, JoinHandle<()>) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = l.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (addr, task)
    }

    async fn round_trip(local: SocketAddr) -> Option<String> {
        let mut c = TcpStream::connect(local).await.ok()?;
        c.write_all(b"ping").await.ok()?;
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).await.ok()?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    }

    #[tokio::test]
    async fn the_local_address_stays_while_the_upstream_moves() {
        let (a, _ta) = echo().await;
        let (b, _tb) = echo().await;
        let target = Arc::new(Mutex::new(Err::<String, String>("not yet".into())));
        let t = target.clone();
        let fwd = Forwarder::bind(
            "127.0.0.1:0".parse().unwrap(),
            Arc::new(move || t.lock().unwrap().clone()),
        )
        .unwrap();
        assert_eq!(
            round_trip(fwd.local_addr()).await,
            None,
            "closed while unresolved"
        );
        *target.lock().unwrap() = Ok(a.to_string());
        assert_eq!(round_trip(fwd.local_addr()).await.as_deref(), Some("ping"));
        *target.lock().unwrap() = Ok(b.to_string());
        assert_eq!(round_trip(fwd.local_addr()).await.as_deref(), Some("ping"));
    }

    #[test]
    fn authorities() {
        assert_eq!(
            authority("http://127.0.0.1:4000/").as_deref(),
            Some("127.0.0.1:4000")
        );
        assert_eq!(authority("ws://x"), None);
    }
}
