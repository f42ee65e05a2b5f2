//! `examples/node-image.yaml` end to end on the embedded fly-local: the
//! official image maps to the npm install `.ci/tools.sh` makes, the
//! operator gives it what it needs (gateway.mode, NODE_OPTIONS, 2 GB), and a
//! SIGKILLed Node gateway's lock (in `$OPENCLAW_STATE_DIR/tmp/openclaw-<uid>/`)
//! and a hand-made drift are healed. Heavy (a Node gateway): run alone.

use std::time::Duration;

use serde_json::json;

use crate::access::fly_local_get;
use crate::support::{Home, http_status};

const EXAMPLE: &str = include_str!("../../../examples/node-image.yaml");

#[tokio::test]
async fn node_cli_the_node_image_runs_end_to_end_and_heals() {
    assert!(
        std::env::var_os("OPENCLAW_NODE_CLI").is_some(),
        "the Node OpenClaw install of .ci/tools.sh is required: run `source .ci/tools.sh` (or .ci/test)"
    );
    let home = Home::new();
    home.write("node.yaml", EXAMPLE);
    let up = home.up(&[]).await;
    // The Node gateway takes a minute or more to start on a busy machine.
    let s = up
        .wait_phase_within("default/node-claw", "Ready", 150)
        .await;
    let out = up.output();
    assert!(
        out.contains("images it runs: registry.fly.io/openclaw-rs:*, ghcr.io/openclaw/openclaw:*"),
        "the built-in mapping is on: {out}"
    );
    let url = s["localUrl"].as_str().unwrap().to_owned();
    assert_eq!(http_status(&format!("{url}/healthz")).await, 200);
    let id = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();
    let (_, m) = fly_local_get(&home, &format!("/v1/apps/node-claw/machines/{id}")).await;
    let config = &m["config"];
    assert_eq!(
        config["env"]["NODE_OPTIONS"], "--max-old-space-size=1536",
        "{config:#}"
    );
    assert_eq!(config["guest"]["memory_mb"], 2048);
    assert_eq!(config["init"]["cmd"][0], "node");

    // SIGKILL: the lock stays in tmp/openclaw-<uid>/; the gateway comes back.
    let volume = s["status"]["fly"]["volumeId"].as_str().unwrap().to_owned();
    let lock_dir = home
        .operator_state()
        .join("fly-local/volumes")
        .join(&volume)
        .join("tmp/openclaw-0");
    let locks = || -> Vec<String> {
        std::fs::read_dir(&lock_dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".lock"))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        !locks().is_empty(),
        "the Node gateway holds its locks in {}",
        lock_dir.display()
    );
    let (base, token) = crate::access::fly_local_url(&home);
    let r = reqwest::Client::new()
        .post(format!("{base}/__fly-local/machines/{id}/kill"))
        .bearer_auth(&token)
        .json(&json!({"signal": "SIGKILL"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
    loop {
        let (_, m) = fly_local_get(&home, &format!("/v1/apps/node-claw/machines/{id}")).await;
        let restarted = m["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["type"] == "exit"));
        if restarted && http_status(&format!("{url}/healthz")).await == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the Node gateway never came back: {m:#}\n{}",
            up.output()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Drift: memory set by hand is put back.
    let (_, m) = fly_local_get(&home, &format!("/v1/apps/node-claw/machines/{id}")).await;
    let mut config = m["config"].clone();
    config["guest"]["memory_mb"] = json!(1024);
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/apps/node-claw/machines/{id}"))
        .bearer_auth(&token)
        .json(&json!({"config": config, "current_version": m["instance_id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(150);
    loop {
        let s = up.status("default/node-claw").await;
        let healed = s["status"]["lastDriftCorrections"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["field"] == "guest.memory_mb"));
        if healed && s["status"]["phase"] == "Ready" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "drift not healed: {s:#}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    up.interrupt().await;
}
