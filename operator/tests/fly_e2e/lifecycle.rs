//! Apply, re-apply, invalid specs, secret rotation, exposure change, deletion.

use reqwest::Method;
use serde_json::json;

use crate::support::{TOKEN, TOKEN_SPEC, World, resource};
use crate::ws;

#[tokio::test]
async fn fresh_apply_is_ready_and_a_second_up_makes_no_write() {
    let w = World::start().await;
    w.write(
        "fresh.yaml",
        &resource("fresh", &format!("{TOKEN_SPEC}  fly: {{ region: iad }}\n")),
    );
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/fresh", "Ready").await;
    assert_eq!(s["status"]["endpoint"], "wss://fresh.fly.dev");
    let machine = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();
    let url = w.local_url(&machine).await;
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    let (_, res) = ws::call(&url, TOKEN, "health")
        .await
        .expect("WebSocket health");
    assert_eq!(res["ok"], true, "{res}");
    // The table shows where to open it: a stable local port in front of
    // fly-local's own (which changes with every machine).
    let shown = s["localUrl"].as_str().expect("a local URL");
    let through = reqwest::get(format!("{shown}/healthz")).await.unwrap();
    assert_eq!(through.status(), 200, "{shown}");

    // A second operator (stateless: nothing carried over) finds everything in place.
    op.kill().await;
    let seq = w.last_seq().await;
    let op = w.operator(&[]).await;
    op.wait_phase("e2e/fresh", "Ready").await;
    op.wait_reconciles(2).await;
    assert_eq!(
        w.writes_since(seq).await,
        Vec::<String>::new(),
        "steady state writes nothing"
    );
    assert_eq!(w.machines("fresh").await.len(), 1);
}

#[tokio::test]
async fn invalid_specs_are_reported_and_nothing_is_written() {
    let w = World::start().await;
    w.write(
        "low-mem.yaml",
        &resource(
            "low-mem",
            &format!("{TOKEN_SPEC}  fly: {{ vm: {{ memoryMb: 128 }} }}\n"),
        ),
    );
    w.write(
        "no-token.yaml",
        &resource("no-token", "  gateway: { bind: lan }\n"),
    );
    w.write(
        "bad-port.yaml",
        &resource(
            "bad-port",
            "  gateway: { port: 70000, auth: { token: { env: E2E_GATEWAY_TOKEN } } }\n",
        ),
    );
    w.write(
        "bad-region.yaml",
        &resource(
            "bad-region",
            &format!("{TOKEN_SPEC}  fly: {{ region: paris, vm: {{ size: shared-cpu-3x }} }}\n"),
        ),
    );
    w.write(
        "bad-config.yaml",
        &resource(
            "bad-config",
            &format!("{TOKEN_SPEC}  config: {{ gateway: {{ mode: remote }}, bogusKey: 1 }}\n"),
        ),
    );
    w.write("node-small.yaml", &resource("node-small", &format!("{TOKEN_SPEC}  image: ghcr.io/openclaw/openclaw:2026.9.6\n  fly: {{ vm: {{ memoryMb: 512 }} }}\n")));
    let op = w.operator(&[]).await;
    for (name, needle) in [
        (
            "low-mem",
            "spec.fly.vm.memoryMb: 128 MB is below the 256 MB floor",
        ),
        ("no-token", "spec.gateway.auth.token: bind lan"),
        ("bad-port", "spec.gateway.port: 70000 is not a TCP port"),
        ("bad-region", "spec.fly.region"),
        ("bad-config", "spec.config.gateway.mode"),
        (
            "node-small",
            "below the 1024 MB floor of the Node gateway image; set memoryMb to 1024 or more (2048 MB recommended)",
        ),
    ] {
        let key = format!("e2e/{name}");
        let s = op.wait_phase(&key, "Failed").await;
        let ready = s["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Ready")
            .unwrap()
            .clone();
        assert_eq!(ready["status"], "False");
        assert_eq!(ready["reason"], "InvalidSpec", "{key}: {ready}");
        assert!(
            ready["message"].as_str().unwrap().contains(needle),
            "{key}: {ready}"
        );
        let events = s["events"].as_array().unwrap();
        assert!(
            events
                .iter()
                .any(|e| e["reason"] == "InvalidSpec" && e["type"] == "Warning"),
            "{key}: {events:?}"
        );
    }
    op.wait_reconciles(0).await;
    let (_, log) = w.get("/__fly-local/requests").await;
    assert_eq!(
        log["requests"],
        json!([]),
        "an invalid spec makes no API call at all"
    );
}

#[tokio::test]
async fn a_rotated_secret_reaches_the_gateway_and_the_old_value_is_nowhere() {
    let w = World::start().await;
    let token_file = w.resources.path().join("token.txt");
    std::fs::write(&token_file, "old-secret-value-1\n").unwrap();
    let spec = "  gateway:\n    auth:\n      token: { file: token.txt }\n  secrets:\n    - { name: ANTHROPIC_API_KEY, file: token.txt }\n";
    w.write("rot.yaml", &resource("rot", spec));
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/rot", "Ready").await;
    let machine = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();
    let url = w.local_url(&machine).await;
    ws::call(&url, "old-secret-value-1", "health")
        .await
        .expect("old token works");

    std::fs::write(&token_file, "new-secret-value-2\n").unwrap();
    // The next resync re-reads the file, updates the secret and the machine.
    op.wait_for("e2e/rot", 60, "updated", |s| {
        s["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["reason"] == "MachineUpdated"))
            && s["status"]["phase"] == "Ready"
    })
    .await;
    let url = w.local_url(&machine).await;
    ws::call(&url, "new-secret-value-2", "health")
        .await
        .expect("the gateway sees the new token");
    assert!(
        ws::call(&url, "old-secret-value-1", "health")
            .await
            .is_err(),
        "the old token no longer works"
    );

    let status = op.status("e2e/rot").await.to_string();
    let output = op.output();
    for secret in ["old-secret-value-1", "new-secret-value-2"] {
        assert!(!status.contains(secret), "{secret} in status: {status}");
        assert!(!output.contains(secret), "{secret} in operator logs");
    }
    assert_eq!(w.machines("rot").await.len(), 1);
}

#[tokio::test]
async fn public_to_private_leaves_only_the_flycast_address() {
    let w = World::start().await;
    w.write("exp.yaml", &resource("exp", TOKEN_SPEC));
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/exp", "Ready").await;
    let ips: Vec<String> = serde_json::from_value(s["status"]["fly"]["ips"].clone()).unwrap();
    assert!(
        ips.iter().any(|ip| ip.contains('.')) && ips.iter().any(|ip| ip.contains(':')),
        "{ips:?}"
    );

    w.write(
        "exp.yaml",
        &resource(
            "exp",
            &format!("{TOKEN_SPEC}  fly: {{ exposure: private }}\n"),
        ),
    );
    let s = op
        .wait_for("e2e/exp", 60, "private", |s| {
            s["status"]["endpoint"] == "ws://exp.flycast" && s["status"]["phase"] == "Ready"
        })
        .await;
    let (_, live) = w.get("/v1/apps/exp/ip_assignments").await;
    let live: Vec<String> = live["ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(live.len(), 1, "{live:?}");
    assert!(live[0].starts_with("fdaa:"), "{live:?}");
    assert_eq!(s["status"]["fly"]["ips"], json!(live));
}

#[tokio::test]
async fn deletion_honours_each_policy() {
    let w = World::start().await;
    w.write("gone.yaml", &resource("gone", TOKEN_SPEC));
    w.write(
        "kept.yaml",
        &resource("kept", &format!("{TOKEN_SPEC}  deletionPolicy: Orphan\n")),
    );
    let op = w.operator(&[]).await;
    op.wait_phase("e2e/gone", "Ready").await;
    op.wait_phase("e2e/kept", "Ready").await;
    w.remove("gone.yaml");
    w.remove("kept.yaml");
    op.wait_for("e2e/gone", 60, "deleted", |s| s.is_null())
        .await;
    op.wait_for("e2e/kept", 60, "released", |s| s.is_null())
        .await;
    let (code, _) = w.get("/v1/apps/gone").await;
    assert_eq!(code, 404, "Delete removes the app");
    let (_, vols) = w.get("/v1/apps/kept/volumes").await;
    assert_eq!(vols.as_array().unwrap().len(), 1, "Orphan keeps the volume");
    w.assert_orphaned("kept", "e2e/kept").await;
    let _ = w.api(Method::GET, "/v1/apps/kept", None).await;
}
