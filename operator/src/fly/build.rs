//! The *build* stage for Fly: pure functions from a validated spec to the
//! desired app, volume, secrets, IPs and machine config. No I/O here, so what
//! the operator wants can be tested and printed (`plan`) without an API.

use std::collections::BTreeMap;
use std::time::Duration;

use fly_machines::{
    Autostop, CheckType, Handler, MachineCheck, MachineConfig, MachineFile, MachineGuest,
    MachineInit, MachineMount, MachinePort, MachineRestart, MachineService, Protocol,
    RestartPolicy,
};
use serde_json::{Value, json};

use crate::crd::{CpuKind, Exposure, Runtime};
use crate::secrets::{SecretValue, digest_hex};
use crate::validate::{FlyTarget, ValidOpenClaw};

use super::labels;

/// Where the gateway keeps its state (the volume's mount path).
pub const STATE_DIR: &str = "/data";
/// Where `spec.config` is delivered: not the volume's `openclaw.json`, so a
/// config a person wrote on the volume is never overwritten.
pub const CONFIG_PATH: &str = "/etc/openclaw/openclaw.json";
/// Name of the machine's health check.
pub const CHECK_NAME: &str = "gateway";
/// Name given to the gateway machine.
pub const MACHINE_NAME: &str = "openclaw-gateway";

/// Everything the operator wants to exist on Fly for one resource.
#[derive(Clone, Debug)]
pub struct DesiredFly {
    /// App, org, region, sizes, exposure.
    pub target: FlyTarget,
    /// Secret values by variable name.
    pub secrets: BTreeMap<String, SecretValue>,
    /// Short digests of those values (what is stored in machine metadata).
    pub secret_digests: BTreeMap<String, String>,
    /// The machine config. Its mount has an empty volume id, filled in once
    /// the volume is known; digests are computed without it.
    pub machine: MachineConfig,
    /// Digest of the machine config (no secret values, no volume id).
    pub config_digest: String,
    /// Stop the machine instead of running it.
    pub suspend: bool,
    /// Gateway port.
    pub port: u16,
}

/// How often the platform probes the gateway's `/healthz` (also its grace
/// period after a start). Fly's usual 15 s by default; the embedded
/// fly-local uses a shorter one so a laptop sees "Ready" quickly.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(15);

/// Builds the desired Fly state of a validated resource targeting Fly.
pub fn build(valid: &ValidOpenClaw, target: &FlyTarget, check_interval: Duration) -> DesiredFly {
    let secret_digests: BTreeMap<String, String> = valid
        .secrets
        .iter()
        .map(|(k, v)| (k.clone(), short_digest(&v.digest())))
        .collect();
    let mut machine = machine_config(valid, target, check_interval);
    let config_digest = digest_of(&machine);
    let meta = &mut machine.metadata;
    meta.insert(labels::CONFIG_DIGEST.into(), config_digest.clone());
    meta.insert(
        labels::SECRET_DIGESTS.into(),
        serde_json::to_string(&secret_digests).expect("map of strings"),
    );
    DesiredFly {
        target: target.clone(),
        secrets: valid.secrets.clone(),
        secret_digests,
        machine,
        config_digest,
        suspend: valid.suspend,
        port: valid.gateway.port,
    }
}

/// First 16 hex digits of a `sha256:` digest: enough to detect a change.
pub fn short_digest(d: &str) -> String {
    d.trim_start_matches("sha256:").chars().take(16).collect()
}

fn digest_of(config: &MachineConfig) -> String {
    let text = serde_json::to_string(config).expect("config serialises");
    short_digest(&digest_hex(text.as_bytes()))
}

/// The gateway's argv: `openclaw gateway --allow-unconfigured --port P --bind B [--auth M]`.
pub fn command(valid: &ValidOpenClaw) -> Vec<String> {
    let mut argv: Vec<String> = match valid.runtime {
        Runtime::Rust => vec!["openclaw".into()],
        Runtime::Node => vec!["node".into(), "dist/index.js".into()],
    };
    argv.extend(
        [
            "gateway",
            "--allow-unconfigured",
            "--port",
            &valid.gateway.port.to_string(),
            "--bind",
            valid.gateway.bind.as_flag(),
        ]
        .map(String::from),
    );
    if let Some(mode) = valid.gateway.auth_mode {
        argv.extend(["--auth".to_owned(), mode.as_flag().to_owned()]);
    }
    argv
}

/// `openclaw.json` as delivered: the spec's config plus what the image
/// requires (`gateway.mode=local`; for the Node image, the public Control UI
/// origin). `None` when there is nothing to deliver.
pub fn rendered_config(valid: &ValidOpenClaw, target: &FlyTarget) -> Option<Value> {
    let origin =
        (target.exposure == Exposure::Public).then(|| format!("https://{}.fly.dev", target.app));
    render_config(valid, origin.as_deref())
}

/// `openclaw.json` as delivered on any platform: the spec's config plus
/// `gateway.mode=local`, and for the Node image the public Control UI origin
/// (`public_origin`, when the gateway has one). `None` when there is
/// nothing to deliver.
pub fn render_config(valid: &ValidOpenClaw, public_origin: Option<&str>) -> Option<Value> {
    let needs_render = valid.runtime == Runtime::Node || valid.config.is_some();
    if !needs_render {
        return None;
    }
    let mut config = Value::Object(valid.config.clone().unwrap_or_default());
    let gateway = config
        .as_object_mut()
        .expect("object")
        .entry("gateway")
        .or_insert_with(|| json!({}));
    if let Some(g) = gateway.as_object_mut() {
        g.entry("mode").or_insert_with(|| json!("local"));
        if let Some(origin) = public_origin.filter(|_| valid.runtime == Runtime::Node) {
            let ui = g.entry("controlUi").or_insert_with(|| json!({}));
            if let Some(ui) = ui.as_object_mut() {
                let origins = ui.entry("allowedOrigins").or_insert_with(|| json!([]));
                if let Some(list) = origins.as_array_mut()
                    && !list.iter().any(|o| o == &json!(origin))
                {
                    list.push(json!(origin));
                }
            }
        }
    }
    Some(config)
}

fn machine_config(
    valid: &ValidOpenClaw,
    target: &FlyTarget,
    check_interval: Duration,
) -> MachineConfig {
    let port = valid.gateway.port;
    let mut env = BTreeMap::from([
        ("OPENCLAW_STATE_DIR".to_owned(), STATE_DIR.to_owned()),
        ("OPENCLAW_GATEWAY_PORT".to_owned(), port.to_string()),
    ]);
    let mut files = Vec::new();
    if let Some(config) = rendered_config(valid, target) {
        let text = serde_json::to_string_pretty(&config).expect("json");
        files.push(MachineFile::raw(CONFIG_PATH, text).mode(0o600));
        env.insert("OPENCLAW_CONFIG_PATH".into(), CONFIG_PATH.into());
    }
    if valid.runtime == Runtime::Node {
        // Leave a quarter of the machine to the rest of the process; the
        // guide's 2 GB machine gets the 1536 MB it recommends.
        let heap = target.guest.memory_mb * 3 / 4;
        env.insert(
            "NODE_OPTIONS".into(),
            format!("--max-old-space-size={heap}"),
        );
    }
    let guest = match target.guest.cpu_kind {
        CpuKind::Shared => MachineGuest::shared(target.guest.cpus, target.guest.memory_mb),
        CpuKind::Performance => {
            MachineGuest::performance(target.guest.cpus, target.guest.memory_mb)
        }
    };
    let ports = match target.exposure {
        Exposure::Public => vec![
            MachinePort::new(443, [Handler::Tls, Handler::Http]),
            MachinePort::new(80, [Handler::Http]).force_https(),
        ],
        // Flycast: plain HTTP on the private network only.
        Exposure::Private => vec![MachinePort::new(80, [Handler::Http])],
    };
    let service = MachineService {
        protocol: Some(Protocol::Tcp),
        internal_port: Some(port),
        ports,
        autostop: Some(Autostop::Off),
        autostart: Some(true),
        min_machines_running: Some(1),
        ..Default::default()
    };
    let check = MachineCheck::http(port, "/healthz")
        .interval(check_interval)
        .timeout(Duration::from_secs(2).min(check_interval))
        .grace_period(check_interval);
    debug_assert_eq!(check.kind, Some(CheckType::Http));
    let metadata = BTreeMap::from([
        (labels::OWNER.to_owned(), valid.key.to_string()),
        (labels::MANAGED_BY.to_owned(), labels::MANAGER.to_owned()),
    ]);
    MachineConfig {
        image: valid.image.clone(),
        env,
        init: Some(MachineInit {
            cmd: Some(command(valid)),
            ..Default::default()
        }),
        guest: Some(guest),
        mounts: vec![MachineMount::new(String::new(), STATE_DIR)],
        services: vec![service],
        checks: BTreeMap::from([(CHECK_NAME.to_owned(), check)]),
        restart: Some(MachineRestart::policy(RestartPolicy::Always)),
        files,
        metadata,
        ..Default::default()
    }
}

/// The `--bind` value in a command line, if any.
pub fn bind_in(argv: &[String]) -> Option<&str> {
    flag_value(argv, "--bind")
}

/// The `--port` value in a command line, if any.
pub fn port_in(argv: &[String]) -> Option<&str> {
    flag_value(argv, "--port")
}

fn flag_value<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    let eq = format!("{flag}=");
    argv.iter().enumerate().find_map(|(i, a)| {
        if a == flag {
            argv.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(&eq)
        }
    })
}

#[cfg(test)]
mod tests;
