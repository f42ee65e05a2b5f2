//! Whole-spec validation: the cases the issue lists, through the public entry.

use super::*;
use crate::crd::{GatewayAuth, OpenClawSpec, SecretEnv, SecretSource, VmSpec};
use crate::dereference::dereference;
use crate::secrets::LocalSecretResolver;

fn key() -> ResourceKey {
    ResourceKey::new("default", "my-openclaw")
}

fn with_token(mut spec: OpenClawSpec) -> OpenClawSpec {
    spec.gateway.auth = GatewayAuth {
        token: Some(SecretSource::File("token".into())),
        ..Default::default()
    };
    spec
}

fn run(spec: &OpenClawSpec) -> Result<ValidOpenClaw, SpecErrors> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "s3cret\n").unwrap();
    let deref = dereference(
        &key(),
        spec,
        &LocalSecretResolver::default(),
        Some(dir.path()),
    );
    validate(&key(), spec, deref)
}

fn parse(yaml: &str) -> OpenClawSpec {
    serde_saphyr::from_str(yaml).unwrap()
}

#[test]
fn defaults_plus_a_token_are_valid() {
    let v = run(&with_token(parse("{}"))).unwrap();
    let Target::Fly(fly) = &v.target else {
        panic!("fly is the default platform")
    };
    assert_eq!(fly.app, "my-openclaw");
    assert_eq!(fly.guest.memory_mb, 256);
    assert_eq!(v.runtime, Runtime::Rust);
    assert_eq!(v.gateway.port, 3000);
    assert_eq!(v.secrets[TOKEN_ENV].expose(), "s3cret");
}

#[test]
fn every_problem_is_reported_at_once() {
    let spec = parse(
        r#"
image: ghcr.io/openclaw/openclaw:2026.9.6
fly: { region: paris, vm: { memoryMb: 512 } }
gateway: { port: 0 }
secrets: [ { name: "bad-name", env: X }, { name: OPENCLAW_GATEWAY_TOKEN, env: Y } ]
"#,
    );
    let err = run(&spec).unwrap_err();
    let text = err.to_string();
    for needle in [
        "spec.fly.region",
        "spec.fly.vm.memoryMb: 512 MB is below the 1024 MB floor of the Node gateway image",
        "spec.gateway.port: 0 is not a TCP port",
        "spec.gateway.auth.token: bind lan",
        "spec.secrets[0].name",
        "spec.secrets[1].name: OPENCLAW_GATEWAY_TOKEN is set from spec.gateway.auth",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
    assert_eq!(err.reason(), "InvalidSpec");
}

#[test]
fn an_unreadable_secret_is_not_an_invalid_spec() {
    let mut spec = with_token(parse("{}"));
    spec.secrets.push(SecretEnv {
        name: "ANTHROPIC_API_KEY".into(),
        source: SecretSource::Env("OPENCLAW_TEST_NEVER_SET_ANTHROPIC".into()),
    });
    let err = run(&spec).unwrap_err();
    assert_eq!(err.reason(), "SecretUnavailable");
    assert_eq!(err.0[0].path, "spec.secrets[0].env");
}

#[test]
fn the_node_image_is_detected_and_gets_node_defaults() {
    assert_eq!(
        detect_runtime("registry.fly.io/openclaw-rs:latest"),
        Runtime::Rust
    );
    assert_eq!(detect_runtime("openclaw-rs@sha256:abc"), Runtime::Rust);
    assert_eq!(
        detect_runtime("ghcr.io/openclaw/openclaw:2026.9.6"),
        Runtime::Node
    );
    let mut spec = with_token(parse("image: ghcr.io/openclaw/openclaw:latest"));
    let v = run(&spec).unwrap();
    let Target::Fly(fly) = &v.target else {
        panic!()
    };
    assert_eq!(fly.guest.memory_mb, 2048);
    spec.runtime = Some(Runtime::Rust);
    spec.fly.vm = VmSpec {
        memory_mb: Some(256),
        ..Default::default()
    };
    assert!(
        run(&spec).is_ok(),
        "an explicit runtime overrides detection"
    );
}

#[test]
fn bad_names() {
    let spec = with_token(parse(
        "fly: { app: Not_An_App, org: 'My Org', volume: { name: data-vol, sizeGb: 0 } }",
    ));
    let text = run(&spec).unwrap_err().to_string();
    for needle in [
        "spec.fly.app",
        "spec.fly.org",
        "spec.fly.volume.name",
        "spec.fly.volume.sizeGb",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
}

/// The image's memory floor is one number ([`Runtime::memory_floor_mb`]):
/// Fly and Kubernetes accept exactly it and refuse just below it.
#[test]
fn one_memory_floor_on_every_platform() {
    for (runtime, image) in [
        (Runtime::Rust, String::new()),
        (
            Runtime::Node,
            "image: ghcr.io/openclaw/openclaw:2026.9.6\n".to_owned(),
        ),
    ] {
        let floor = runtime.memory_floor_mb();
        let fly = |mb: u32| {
            run(&with_token(parse(&format!(
                "{image}fly: {{ vm: {{ memoryMb: {mb} }} }}"
            ))))
        };
        let kube = |mb: u32| {
            run(&with_token(parse(&format!(
                "{image}platform: kubernetes\nkubernetes: {{ resources: {{ limits: {{ memory: {mb}Mi }} }} }}"
            ))))
        };
        let below = format!("below the {floor} MB floor of {}", runtime.image_label());
        for (platform, at, under) in [
            ("fly", fly(floor), fly(floor - 256)),
            ("kubernetes", kube(floor), kube(floor - 1)),
        ] {
            assert!(at.is_ok(), "{platform} {runtime:?}: {:?}", at.err());
            let err = under.expect_err("below the floor").to_string();
            assert!(err.contains(&below), "{platform} {runtime:?}: {err}");
        }
    }
}

#[test]
fn an_include_in_spec_config_is_an_invalid_spec_naming_the_key_and_the_fix() {
    let spec = with_token(parse(
        r#"
config:
  gateway: { mode: local }
  channels: { discord: { $include: ./discord.json5 } }
"#,
    ));
    let err = run(&spec).unwrap_err();
    assert_eq!(err.reason(), "InvalidSpec");
    let text = err.to_string();
    assert!(
        text.contains(
            "spec.config.channels.discord.$include: spec.config is delivered as one inline file"
        ) && text.contains("inline the included file's content in spec.config"),
        "{text}"
    );
}

/// Issue 18 item 6: a resource may not read the operator's credentials or
/// files outside its directory; each refusal is an `InvalidSpec` naming the
/// field and the fix, and no value is read.
#[test]
fn secrets_from_anywhere_are_invalid_specs() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("resources");
    std::fs::create_dir(&res).unwrap();
    std::fs::write(res.join("token"), "s3cret\n").unwrap();
    std::fs::write(dir.path().join("outside.txt"), "leak\n").unwrap();
    let spec = with_token(parse(
        r#"
secrets:
  - { name: STOLEN_FLY, env: FLY_API_TOKEN }
  - { name: HOSTNAME_FILE, file: /etc/hostname }
  - { name: OUTSIDE, file: ../outside.txt }
"#,
    ));
    let deref = dereference(&key(), &spec, &LocalSecretResolver::default(), Some(&res));
    assert!(
        !deref.values.contains_key("STOLEN_FLY") && !deref.values.contains_key("OUTSIDE"),
        "nothing refused is read"
    );
    let err = validate(&key(), &spec, deref).unwrap_err();
    assert_eq!(err.reason(), "InvalidSpec");
    let text = err.to_string();
    for needle in [
        "spec.secrets[0].env: FLY_API_TOKEN is one of the operator's own credentials",
        "--allow-secret-env FLY_API_TOKEN",
        "spec.secrets[1].file: /etc/hostname is outside",
        "spec.secrets[2].file: ../outside.txt goes up a directory",
        "--secret-file-root",
    ] {
        assert!(text.contains(needle), "{needle:?} in {text}");
    }
}
