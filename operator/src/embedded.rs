//! The embedded fly-local: with no `FLY_API_TOKEN`, `up` runs a local Machines
//! API whose machines are this workspace's own gateway processes, so one
//! command runs everything on a laptop.
//!
//! Our gateway image (`registry.fly.io/openclaw-rs:*`) maps to the `openclaw`
//! binary: a real one next to this executable when present, else this very
//! executable, which is multi-call (run as `openclaw`, it is the gateway).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use fly_local::{FlyLocal, ImageSpec};

/// Image pattern of our gateway.
pub const GATEWAY_IMAGE_PATTERN: &str = "registry.fly.io/openclaw-rs:*";

/// How the embedded fly-local runs machines.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmbeddedOptions {
    /// Machines without processes (scale tests).
    pub simulate: bool,
    /// Machines reach this host's loopback at `$FLY_LOCAL_HOST`.
    pub host_loopback: bool,
}

/// A running embedded fly-local.
pub struct Embedded {
    server: FlyLocal,
    advert: PathBuf,
    /// Reads fly-local's admin endpoints (local URLs of machines).
    pub admin: LocalAdmin,
}

/// The image table entry for our gateway: where `openclaw` comes from.
pub fn gateway_image() -> anyhow::Result<ImageSpec> {
    let exe = std::env::current_exe().context("locating the operator executable")?;
    let dir = exe
        .parent()
        .context("the operator executable has no directory")?
        .to_path_buf();
    let mut spec = ImageSpec {
        pattern: GATEWAY_IMAGE_PATTERN.into(),
        path: vec![dir.clone()],
        entrypoint: vec![],
        cmd: [
            "openclaw",
            "gateway",
            "--allow-unconfigured",
            "--bind",
            "lan",
            "--port",
            "3000",
        ]
        .map(String::from)
        .to_vec(),
        ..Default::default()
    };
    if !is_executable(&dir.join("openclaw")) {
        spec.bin.insert("openclaw".into(), exe);
    }
    Ok(spec)
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl Embedded {
    /// Starts fly-local on a free local port with its state in `data_dir`,
    /// and advertises its URL and token in `state_dir` (mode 0600) for `plan`.
    pub async fn start(
        data_dir: &Path,
        state_dir: &Path,
        options: EmbeddedOptions,
    ) -> anyhow::Result<Self> {
        let token = hex::encode(rand::random::<[u8; 16]>());
        let server = FlyLocal::builder()
            .data_dir(data_dir)
            .token(&token)
            .image(gateway_image()?)
            .simulate(options.simulate)
            .host_loopback(options.host_loopback)
            .start()
            .await
            .with_context(|| {
                format!("starting the embedded fly-local in {}", data_dir.display())
            })?;
        let advert = crate::connect::embedded_file(state_dir);
        let body = serde_json::json!({ "baseUrl": server.base_url(), "token": server.token() });
        write_private(&advert, &body.to_string())
            .with_context(|| format!("writing {}", advert.display()))?;
        let admin = LocalAdmin::new(&server.base_url(), server.token());
        Ok(Self {
            server,
            advert,
            admin,
        })
    }

    /// Base URL of its Machines API.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Its API token.
    pub fn token(&self) -> &str {
        self.server.token()
    }

    /// What its machines can reach (the internet, this host), in one line.
    pub fn network_summary(&self) -> String {
        self.server.egress().summary()
    }

    /// Stops the server; state stays on disk.
    pub async fn shutdown(self) {
        let _ = std::fs::remove_file(&self.advert);
        self.server.shutdown().await;
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// fly-local's admin API (fly-local-contract.md): where a machine's services
/// are exposed on this host.
#[derive(Clone, Debug)]
pub struct LocalAdmin {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl LocalAdmin {
    /// An admin client for the fly-local at `base`.
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("a plain HTTP client builds"),
        }
    }

    /// The admin API of the fly-local at `base`, if `base` is a fly-local
    /// (it answers `/__fly-local/health`); `None` for the real Fly API.
    pub async fn detect(base: &str, token: &str) -> Option<Self> {
        let admin = Self::new(base, token);
        let url = format!("{}/__fly-local/health", admin.base);
        let ok = admin
            .http
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        ok.then_some(admin)
    }

    /// `http://127.0.0.1:PORT` where the machine's service on `internal_port`
    /// is reachable from this host.
    pub async fn local_url(&self, machine_id: &str, internal_port: u16) -> Option<String> {
        let url = format!("{}/__fly-local/machines/{machine_id}/endpoint", self.base);
        let v: serde_json::Value = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .ok()?
            .error_for_status()
            .ok()?
            .json()
            .await
            .ok()?;
        v["service_ports"].as_array()?.iter().find_map(|p| {
            (p["internal_port"].as_u64()? == u64::from(internal_port)).then(|| {
                format!(
                    "http://{}:{}",
                    p["host"].as_str().unwrap_or("127.0.0.1"),
                    p["port"]
                )
            })
        })
    }
}
