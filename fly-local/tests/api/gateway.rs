//! The real `openclaw` gateway (the workspace's binary) as a machine, the way
//! the operator runs it: our image's CMD, state on the volume at /data, the
//! token as an app secret, an HTTP check on /healthz.

use std::path::PathBuf;

use fly_local::ImageSpec;
use serde_json::{Value, json};

use crate::support::{TestServer, checks_become, log_shows};

/// The `openclaw` binary in the same target dir as this test executable.
fn gateway_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .to_path_buf();
    assert!(
        dir.join("openclaw").is_file(),
        "the gateway binary {} is missing: build it with `cargo build -p openclaw-gateway` \
         (`cargo nextest run --workspace` builds it)",
        dir.join("openclaw").display()
    );
    dir
}

fn image() -> ImageSpec {
    ImageSpec {
        pattern: "registry.fly.io/openclaw-rs:*".into(),
        path: vec![gateway_dir()],
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
        ..ImageSpec::default()
    }
}

fn config(volume: &str, cmd: Option<Vec<&str>>) -> Value {
    let mut cfg = json!({
        "image": "registry.fly.io/openclaw-rs:latest",
        "env": {"OPENCLAW_STATE_DIR": "/data", "OPENCLAW_GATEWAY_PORT": "3000"},
        "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 256},
        "mounts": [{"volume": volume, "path": "/data"}],
        "services": [{"protocol": "tcp", "internal_port": 3000, "autostop": "off",
                      "ports": [{"port": 443, "handlers": ["tls", "http"]}, {"port": 80, "handlers": ["http"], "force_https": true}]}],
        "checks": {"healthz": {"type": "http", "port": 3000, "path": "/healthz", "interval": "100ms", "timeout": "1s"}},
    });
    if let Some(cmd) = cmd {
        cfg["init"] = json!({"cmd": cmd});
    }
    cfg
}

#[tokio::test]
async fn the_real_gateway_runs_as_a_machine_and_survives_a_crash() {
    let t = TestServer::start(|b| b.image(image())).await;
    let app = t.app("gw-real").await;
    t.api
        .post(
            &format!("/v1/apps/{app}/secrets/OPENCLAW_GATEWAY_TOKEN"),
            json!({"value": "tok-123"}),
        )
        .await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "openclaw_data", "region": "iad", "size_gb": 1}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = t
        .api
        .create_machine(&app, json!({"region": "iad", "config": config(&vol, None)}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let started = t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;

    let ep = t
        .api
        .get(&format!("/__fly-local/machines/{id}/endpoint"))
        .await
        .body;
    let port = ep["service_ports"][0]["port"].as_u64().unwrap();
    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert!(logs.contains("listening on ws://0.0.0.0:3000"), "{logs}");

    // A crash (SIGKILL) leaves the lock files behind; the next boot has a
    // new boot id, so the gateway reclaims them and is healthy again.
    t.api
        .post(&format!("/__fly-local/machines/{id}/kill"), json!({}))
        .await;
    let after = started.body["event_id"].as_str().unwrap();
    let w = t
        .api
        .get(&format!(
            "/v1/apps/{app}/machines/{id}/wait?state=started&from_event_id={after}&timeout=30"
        ))
        .await;
    assert_eq!(w.status, 200);
    checks_become(&t, &app, &id, "passing").await;
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert_eq!(
        logs.matches("listening on ws://0.0.0.0:3000").count(),
        2,
        "{logs}"
    );
}

#[tokio::test]
async fn a_gateway_bound_to_loopback_fails_its_checks() {
    if !nix::unistd::geteuid().is_root() {
        panic!("this test needs root (network namespaces); run the suite as root as CI does");
    }
    let t = TestServer::start(|b| b.image(image())).await;
    let app = t.app("gw-loopback").await;
    t.api
        .post(
            &format!("/v1/apps/{app}/secrets/OPENCLAW_GATEWAY_TOKEN"),
            json!({"value": "tok-123"}),
        )
        .await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "openclaw_data", "region": "iad"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cmd = vec![
        "openclaw",
        "gateway",
        "--allow-unconfigured",
        "--bind",
        "loopback",
        "--port",
        "3000",
    ];
    let m = t
        .api
        .create_machine(
            &app,
            json!({"region": "iad", "config": config(&vol, Some(cmd))}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    log_shows(&t, &id, "listening on ws://127.0.0.1:3000").await;
    checks_become(&t, &app, &id, "critical").await;
}
