//! The build stage is pure: what the operator wants, checked without an API.

use super::*;
use crate::dereference::dereference;
use crate::fly::drift::{diff_owned, merge};
use crate::resource::ResourceKey;
use crate::secrets::{ResolveContext, ResolveError, SecretResolver};
use crate::validate::{Target, validate};

struct Fixed;

impl SecretResolver for Fixed {
    fn resolve(
        &self,
        _: &crate::crd::SecretSource,
        ctx: &ResolveContext<'_>,
    ) -> Result<SecretValue, ResolveError> {
        Ok(SecretValue::new(format!("value-of-{}", ctx.env_name)))
    }
}

fn desired(yaml: &str) -> DesiredFly {
    let spec: crate::crd::OpenClawSpec = serde_saphyr::from_str(yaml).unwrap();
    let key = ResourceKey::new("default", "claw");
    let valid = validate(&key, &spec, dereference(&key, &spec, &Fixed, None)).unwrap();
    let Target::Fly(t) = &valid.target else {
        panic!("fly")
    };
    build(&valid, t, DEFAULT_CHECK_INTERVAL)
}

const BASE: &str = "gateway: { auth: { token: { env: T } } }";

#[test]
fn the_guides_traps_are_built_out() {
    let d = desired(BASE);
    let m = &d.machine;
    let cmd = m.init.as_ref().unwrap().cmd.clone().unwrap();
    assert_eq!(
        cmd,
        [
            "openclaw",
            "gateway",
            "--allow-unconfigured",
            "--port",
            "3000",
            "--bind",
            "lan"
        ]
    );
    assert_eq!(
        m.services[0].internal_port,
        Some(3000),
        "internal_port = --port"
    );
    assert_eq!(m.checks[CHECK_NAME].port, Some(3000), "check port = --port");
    assert_eq!(m.env["OPENCLAW_STATE_DIR"], "/data");
    assert_eq!(m.mounts[0].path, "/data");
    assert_eq!(m.guest.as_ref().unwrap().memory_mb, Some(256));
    assert_eq!(m.metadata[labels::OWNER], "default/claw");
    assert!(
        !m.env.contains_key("OPENCLAW_CONFIG_PATH"),
        "no config, no path"
    );
    assert!(
        !serde_json::to_string(m).unwrap().contains("value-of-"),
        "no secret value in the machine config"
    );
}

#[test]
fn config_goes_to_its_own_path_with_mode_local() {
    let d = desired(&format!(
        "{BASE}\nconfig: {{ agents: {{ defaults: {{ maxConcurrent: 2 }} }} }}"
    ));
    let m = &d.machine;
    assert_eq!(m.env["OPENCLAW_CONFIG_PATH"], CONFIG_PATH);
    assert_ne!(CONFIG_PATH, "/data/openclaw.json");
    let file = m
        .files
        .iter()
        .find(|f| f.guest_path == CONFIG_PATH)
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&file.content().unwrap()).unwrap();
    assert_eq!(json["gateway"]["mode"], "local");
    assert_eq!(json["agents"]["defaults"]["maxConcurrent"], 2);
}

#[test]
fn the_node_image_gets_what_it_requires() {
    let d = desired(&format!(
        "{BASE}\nimage: ghcr.io/openclaw/openclaw:2026.9.6\nfly: {{ app: nodey }}"
    ));
    let m = &d.machine;
    assert_eq!(m.env["NODE_OPTIONS"], "--max-old-space-size=1536");
    assert_eq!(
        m.init.as_ref().unwrap().cmd.as_ref().unwrap()[..3],
        ["node", "dist/index.js", "gateway"]
    );
    let file = m
        .files
        .iter()
        .find(|f| f.guest_path == CONFIG_PATH)
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&file.content().unwrap()).unwrap();
    assert_eq!(json["gateway"]["mode"], "local");
    assert_eq!(
        json["gateway"]["controlUi"]["allowedOrigins"][0],
        "https://nodey.fly.dev"
    );
}

#[test]
fn digests_change_with_the_spec_and_the_secret_values_only() {
    let a = desired(BASE);
    assert_eq!(
        a.config_digest,
        desired(BASE).config_digest,
        "deterministic"
    );
    let b = desired(&format!("{BASE}\nfly: {{ vm: {{ memoryMb: 512 }} }}"));
    assert_ne!(a.config_digest, b.config_digest);
    assert_eq!(a.secret_digests.len(), 1);
    assert_eq!(a.secret_digests["OPENCLAW_GATEWAY_TOKEN"].len(), 16);
}

#[test]
fn drift_names_each_guide_trap_and_merge_puts_it_back() {
    let d = desired(BASE);
    let mut live = d.machine.clone();
    live.init.as_mut().unwrap().cmd = Some(
        [
            "openclaw", "gateway", "--port", "3000", "--bind", "loopback",
        ]
        .map(String::from)
        .to_vec(),
    );
    live.guest.as_mut().unwrap().memory_mb = Some(512);
    live.services[0].internal_port = Some(8080);
    live.env.remove("OPENCLAW_STATE_DIR");
    live.env.insert("SOMEONE_ELSES".into(), "kept".into());
    live.metadata.insert("team".into(), "kept".into());
    let fields: Vec<_> = diff_owned(&d.machine, &live)
        .iter()
        .map(|f| f.field)
        .collect();
    assert_eq!(
        fields,
        [
            "bind",
            "services.internal_port",
            "guest.memory_mb",
            "env.OPENCLAW_STATE_DIR"
        ]
    );
    let merged = merge(&d.machine, &live);
    assert!(diff_owned(&d.machine, &merged).is_empty());
    assert_eq!(merged.env["SOMEONE_ELSES"], "kept");
    assert_eq!(merged.metadata["team"], "kept");
}

#[test]
fn private_exposure_has_no_tls_edge() {
    let d = desired(&format!("{BASE}\nfly: {{ exposure: private }}"));
    let ports = &d.machine.services[0].ports;
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].port, Some(80));
}
