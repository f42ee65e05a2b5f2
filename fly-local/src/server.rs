//! Embedding fly-local: a builder that starts the server on a listener with a
//! data dir, a token, an image table and a simulate mode, and a handle with
//! `base_url()`, `token()` and a graceful `shutdown()` that leaves state on
//! disk. Machine processes never outlive fly-local: `shutdown()` and dropping
//! the handle kill them; the next start boots machines recorded as running.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::context::{Ctx, Inner};
use crate::db::Shared;
use crate::images::{ImageSpec, ImageTable};
use crate::runtime::Runtime;
use crate::runtime::egress::Egress;
use crate::settings::{Delays, Isolation, Settings};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("data dir {0} is in use by another fly-local")]
    Locked(PathBuf),
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
}

/// Configures and starts a fly-local server.
#[must_use]
pub struct FlyLocalBuilder {
    data_dir: Option<PathBuf>,
    listen: ListenOn,
    settings: Settings,
}

enum ListenOn {
    Addr(SocketAddr),
    Listener(std::net::TcpListener),
}

impl FlyLocalBuilder {
    /// Where state (SQLite), machine roots, logs and volumes live. Required.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Address to listen on (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = ListenOn::Addr(addr);
        self
    }

    /// An already bound listener.
    pub fn listener(mut self, listener: std::net::TcpListener) -> Self {
        self.listen = ListenOn::Listener(listener);
        self
    }

    /// The API token (default: a random one, see [`FlyLocal::token`]).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.settings.token = token.into();
        self
    }

    /// Adds an image table entry (first match wins, in the order added).
    pub fn image(mut self, spec: ImageSpec) -> Self {
        self.settings.images.images.push(spec);
        self
    }

    pub fn images(mut self, table: ImageTable) -> Self {
        self.settings.images = table;
        self
    }

    /// Run every machine without a process (scale tests).
    pub fn simulate(mut self, simulate: bool) -> Self {
        self.settings.simulate = simulate;
        self
    }

    pub fn delays(mut self, delays: Delays) -> Self {
        self.settings.delays = delays;
        self
    }

    pub fn isolation(mut self, isolation: Isolation) -> Self {
        self.settings.isolation = isolation;
        self
    }

    /// The slirp4netns program that gives machines outbound network (default
    /// `slirp4netns`, looked up in `PATH`).
    pub fn slirp4netns(mut self, program: impl Into<PathBuf>) -> Self {
        self.settings.egress.slirp4netns = program.into();
        self
    }

    /// Let machines reach the host's loopback at `FLY_LOCAL_HOST` (default
    /// off; see [`crate::settings::EgressSettings::host_loopback`]).
    pub fn host_loopback(mut self, allow: bool) -> Self {
        self.settings.egress.host_loopback = allow;
        self
    }

    pub fn default_region(mut self, region: impl Into<String>) -> Self {
        self.settings.default_region = region.into();
        self
    }

    /// Replaces all settings (the token and images included).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    pub async fn start(mut self) -> Result<FlyLocal, StartError> {
        let data_dir = self.data_dir.ok_or_else(|| {
            StartError::Config("a data dir is required (FlyLocal::builder().data_dir(...))".into())
        })?;
        std::fs::create_dir_all(&data_dir).map_err(|source| StartError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let state_file = data_dir.join("state.sqlite");
        make_private(&data_dir, &state_file).map_err(|source| StartError::DataDir {
            path: data_dir.clone(),
            source,
        })?;
        let lock = lock_data_dir(&data_dir)?;
        if self.settings.isolation == Isolation::Namespaces && !nix::unistd::geteuid().is_root() {
            return Err(StartError::Config(
                "namespace isolation needs root; use Isolation::Auto or Host".into(),
            ));
        }
        if !crate::settings::is_region(&self.settings.default_region) {
            return Err(StartError::Config(format!(
                "default region {:?} is not a Fly region",
                self.settings.default_region
            )));
        }
        if self.settings.token.is_empty() {
            self.settings.token = format!("fl_{}", crate::ids::nonce());
        }
        let store = Store::open(&state_file)?;
        let shared = Arc::new(Shared::open(store)?);
        let settings = Arc::new(self.settings);
        let clock = Arc::new(Clock::default());
        let runtime = Runtime::new(shared.clone(), settings.clone(), clock.clone(), &data_dir);
        let ctx = Ctx(Arc::new(Inner {
            shared,
            runtime: runtime.clone(),
            settings: settings.clone(),
            clock,
            requests: Default::default(),
            faults: Default::default(),
        }));

        let listener = match self.listen {
            ListenOn::Addr(addr) => {
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Listen {
                        addr: addr.to_string(),
                        source,
                    })?
            }
            ListenOn::Listener(l) => {
                let addr = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
                l.set_nonblocking(true)
                    .map_err(|source| StartError::Listen {
                        addr: addr.clone(),
                        source,
                    })?;
                tokio::net::TcpListener::from_std(l)
                    .map_err(|source| StartError::Listen { addr, source })?
            }
        };
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: "?".into(),
            source,
        })?;

        let app = router(ctx, settings.max_body_bytes);
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            };
            if let Err(err) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %err, "fly-local server failed");
            }
        });
        runtime.recover();
        tracing::info!(%addr, data_dir = %data_dir.display(), isolation = ?runtime.isolation, egress = %runtime.egress.describe(), "fly-local listening");
        Ok(FlyLocal {
            addr,
            token: settings.token.clone(),
            data_dir,
            runtime,
            stop: stop_tx,
            server: Some(server),
            _lock: lock,
        })
    }
}

/// The full HTTP surface: the Machines API and fly-local's admin API.
pub fn router(ctx: Ctx, max_body_bytes: usize) -> Router {
    crate::api::router(ctx.clone())
        .merge(crate::admin::router(ctx))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(
            crate::api::middleware::request_id,
        ))
}

/// A running fly-local.
pub struct FlyLocal {
    addr: SocketAddr,
    token: String,
    data_dir: PathBuf,
    runtime: Arc<Runtime>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
    _lock: nix::fcntl::Flock<std::fs::File>,
}

impl FlyLocal {
    pub fn builder() -> FlyLocalBuilder {
        FlyLocalBuilder {
            data_dir: None,
            listen: ListenOn::Addr(SocketAddr::from(([127, 0, 0, 1], 0))),
            settings: Settings::default(),
        }
    }

    /// `http://127.0.0.1:<port>`: the Machines API is under `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// What outbound network machines get; [`Egress::host_address`] is where
    /// they reach this host's loopback (their `FLY_LOCAL_HOST`), if allowed.
    pub fn egress(&self) -> &Egress {
        &self.runtime.egress
    }

    /// Stops serving, ends every machine process, and returns once they are
    /// gone. Recorded state stays on disk for the next start.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.runtime.shutdown().await;
    }
}

impl Drop for FlyLocal {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.stop.send(true);
            server.abort();
            self.runtime.kill_all_now();
        }
    }
}

/// The state holds app secrets in plaintext (the API must hand them to
/// machines): the data dir is the owner's only (0700) and the database file,
/// created here before SQLite opens it, is 0600; SQLite gives its `-wal` and
/// `-shm` files the database's mode. An existing dir or file is tightened.
fn make_private(data_dir: &Path, state_file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(state_file)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = state_file.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

fn lock_data_dir(dir: &Path) -> Result<nix::fcntl::Flock<std::fs::File>, StartError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("fly-local.lock"))
        .map_err(|source| StartError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|_| StartError::Locked(dir.to_path_buf()))
}
