//! Each drift case of the deployment guide's troubleshooting list, made by
//! hand on the live machine, is put back within one resync.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TOKEN_SPEC, World, resource};

/// Replaces the live machine's config the way `fly machine update` does.
async fn update_by_hand(w: &World, app: &str, id: &str, edit: impl Fn(&mut Value)) {
    let (_, m) = w.get(&format!("/v1/apps/{app}/machines/{id}")).await;
    let mut config = m["config"].clone();
    edit(&mut config);
    let (code, body) = w
        .api(
            Method::POST,
            &format!("/v1/apps/{app}/machines/{id}"),
            Some(json!({"config": config, "current_version": m["instance_id"]})),
        )
        .await;
    assert_eq!(code, 200, "manual update refused: {body}");
}

fn corrected(s: &Value, field: &str) -> bool {
    s["status"]["lastDriftCorrections"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["field"] == field))
        && s["status"]["phase"] == "Ready"
}

#[tokio::test]
async fn every_drift_case_is_healed_within_one_resync() {
    let w = World::start().await;
    w.write("drift.yaml", &resource("drift", TOKEN_SPEC));
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/drift", "Ready").await;
    let id = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();

    // `--bind 127.0.0.1`: Fly's proxy cannot reach the gateway.
    update_by_hand(&w, "drift", &id, |c| {
        let cmd = c["init"]["cmd"].as_array_mut().unwrap();
        let i = cmd.iter().position(|a| a == "--bind").unwrap();
        cmd[i + 1] = json!("loopback");
    })
    .await;
    // Resync is 2 s; healing (update + restart + check) must fit well inside 15 s.
    op.wait_for("e2e/drift", 15, "bind healed", |s| corrected(s, "bind"))
        .await;

    // 512 MB instead of what the spec says.
    update_by_hand(&w, "drift", &id, |c| c["guest"]["memory_mb"] = json!(512)).await;
    op.wait_for("e2e/drift", 15, "memory healed", |s| {
        corrected(s, "guest.memory_mb")
    })
    .await;

    // internal_port no longer matches --port: health checks fail.
    update_by_hand(&w, "drift", &id, |c| {
        c["services"][0]["internal_port"] = json!(8080)
    })
    .await;
    op.wait_for("e2e/drift", 15, "internal_port healed", |s| {
        corrected(s, "services.internal_port")
    })
    .await;

    // State on the container filesystem: OPENCLAW_STATE_DIR dropped, mount moved.
    update_by_hand(&w, "drift", &id, |c| {
        c["env"]
            .as_object_mut()
            .unwrap()
            .remove("OPENCLAW_STATE_DIR");
    })
    .await;
    op.wait_for("e2e/drift", 15, "state dir healed", |s| {
        corrected(s, "env.OPENCLAW_STATE_DIR")
    })
    .await;

    // Stopped by hand.
    let (code, _) = w
        .api(
            Method::POST,
            &format!("/v1/apps/drift/machines/{id}/stop"),
            Some(json!({})),
        )
        .await;
    assert_eq!(code, 200);
    op.wait_for("e2e/drift", 15, "restarted", |s| {
        s["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["reason"] == "MachineStarted"))
            && s["status"]["phase"] == "Ready"
    })
    .await;

    let (_, m) = w.get(&format!("/v1/apps/drift/machines/{id}")).await;
    let cmd: Vec<String> = serde_json::from_value(m["config"]["init"]["cmd"].clone()).unwrap();
    assert!(cmd.windows(2).any(|p| p == ["--bind", "lan"]), "{cmd:?}");
    assert_eq!(m["config"]["guest"]["memory_mb"], 256);
    assert_eq!(m["config"]["services"][0]["internal_port"], 3000);
    assert_eq!(
        w.machines("drift").await.len(),
        1,
        "healed in place, never duplicated"
    );
    let metrics = op.metrics().await;
    for field in [
        "bind",
        "guest.memory_mb",
        "services.internal_port",
        "env.OPENCLAW_STATE_DIR",
    ] {
        assert!(
            metrics.contains(&format!(
                "openclaw_operator_drift_corrections_total{{field=\"{field}\"}} 1"
            )),
            "{field}:\n{metrics}"
        );
    }
    let events = op.status("e2e/drift").await["events"].to_string();
    assert!(events.contains("DriftCorrected"), "{events}");
}
