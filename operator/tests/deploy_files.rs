//! The hand-deployment files at the repository root (`fly.toml`,
//! `fly.private.toml`, `Dockerfile`) must not reintroduce the traps the
//! deployment guide's troubleshooting section lists: a loopback bind, an
//! `internal_port` that disagrees with `--port`, state outside the volume,
//! memory below the gateway's floor, or (for the private file) anything public.

use std::path::{Path, PathBuf};

use openclaw_operator::crd::Runtime;
use toml::Value;

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

fn fly_toml(name: &str) -> Value {
    let path = repo_file(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, key| &v[*key])
        .as_str()
        .unwrap_or_else(|| panic!("{} is not a string", path.join(".")))
}

/// The value following `flag` in a whitespace-separated command.
fn flag<'a>(command: &'a [&'a str], flag: &str) -> Option<&'a str> {
    command
        .iter()
        .position(|w| *w == flag)
        .and_then(|i| command.get(i + 1).copied())
}

/// What every Fly deployment file must get right, whatever its exposure.
fn check_gateway_process(name: &str, doc: &Value, service: &Value) {
    let command: Vec<&str> = str_at(doc, &["processes", "app"])
        .split_whitespace()
        .collect();
    assert_eq!(
        &command[..2],
        ["openclaw", "gateway"],
        "{name}: process command"
    );
    assert_eq!(
        flag(&command, "--bind"),
        Some("lan"),
        "{name}: the gateway must bind 0.0.0.0 (`--bind lan`) or Fly's proxy cannot reach it"
    );
    let port: i64 = flag(&command, "--port")
        .unwrap_or_else(|| panic!("{name}: `--port` missing from the process command"))
        .parse()
        .expect("--port is a number");
    assert_eq!(
        service["internal_port"].as_integer(),
        Some(port),
        "{name}: internal_port must equal the gateway's --port, or health checks fail"
    );
    assert_eq!(
        str_at(doc, &["env", "OPENCLAW_STATE_DIR"]),
        str_at(doc, &["mounts", "destination"]),
        "{name}: the state dir must be the mounted volume, or state is lost on restart"
    );
    let memory = doc["vm"][0]["memory"].as_str().expect("vm.memory");
    let mb: u32 = memory.trim_end_matches("mb").parse().expect("memory in mb");
    assert!(
        mb >= Runtime::Rust.memory_floor_mb(),
        "{name}: {mb} MB is below the gateway's floor"
    );
}

#[test]
fn public_fly_toml_serves_the_gateway_over_https() {
    let doc = fly_toml("fly.toml");
    let service = &doc["http_service"];
    check_gateway_process("fly.toml", &doc, service);
    assert_eq!(service["force_https"].as_bool(), Some(true));
    let checks = service["checks"].as_array().expect("http_service.checks");
    assert!(
        checks
            .iter()
            .any(|c| c["path"].as_str() == Some("/healthz")),
        "fly.toml: Fly must probe the gateway's liveness endpoint"
    );
}

#[test]
fn private_fly_toml_exposes_nothing_public() {
    let doc = fly_toml("fly.private.toml");
    assert!(
        doc.get("http_service").is_none(),
        "fly.private.toml: an http_service means TLS on 443 for public IPs"
    );
    let services = doc["services"].as_array().expect("[[services]]");
    assert_eq!(services.len(), 1);
    check_gateway_process("fly.private.toml", &doc, &services[0]);
    for port in services[0]["ports"].as_array().expect("ports") {
        let handlers: Vec<&str> = port["handlers"]
            .as_array()
            .map(|h| h.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(
            !handlers.contains(&"tls"),
            "fly.private.toml: no TLS/public handler"
        );
        assert_ne!(port["port"].as_integer(), Some(443));
        assert!(port.get("force_https").is_none());
    }
}

#[test]
fn dockerfile_runs_the_same_command_with_state_on_the_volume() {
    let text = std::fs::read_to_string(repo_file("Dockerfile")).expect("Dockerfile");
    assert!(text.contains("ENV OPENCLAW_STATE_DIR=/data"));
    let cmd = text
        .lines()
        .find_map(|l| l.strip_prefix("CMD "))
        .expect("a CMD line");
    let cmd: Vec<String> = serde_json::from_str(cmd).expect("CMD in exec form");
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let doc = fly_toml("fly.toml");
    assert_eq!(
        flag(&cmd, "--port")
            .map(str::parse::<i64>)
            .and_then(Result::ok),
        doc["http_service"]["internal_port"].as_integer(),
        "Dockerfile CMD and fly.toml must agree on the port"
    );
    assert_eq!(flag(&cmd, "--bind"), Some("lan"));
}
