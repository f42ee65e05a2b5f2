//! Crashes: a stale lock left by a SIGKILLed old gateway, an operator killed
//! after each write, and creates whose answers were lost.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{OLD_NODE_IMAGE, TOKEN_SPEC, World, resource};

#[tokio::test]
async fn a_stale_lock_after_sigkill_is_cleared_for_a_gateway_that_cannot_reclaim_it() {
    let w = World::start().await;
    w.write(
        "old.yaml",
        &resource("old", &format!("{TOKEN_SPEC}  image: {OLD_NODE_IMAGE}\n")),
    );
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/old", "Ready").await;
    let id = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();

    // A crash leaves /data/gateway.*.lock behind; the old gateway then refuses to start.
    let (code, body) = w
        .api(
            Method::POST,
            &format!("/__fly-local/machines/{id}/kill"),
            Some(json!({"signal": "SIGKILL"})),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let s = op
        .wait_for("e2e/old", 60, "lock cleared", |s| {
            s["events"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["reason"] == "StaleLockCleared"))
                && s["status"]["phase"] == "Ready"
        })
        .await;
    let logs = reqwest::Client::new()
        .get(format!(
            "{}/__fly-local/machines/{id}/logs",
            w.fly.base_url()
        ))
        .bearer_auth(w.fly.token())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        logs.contains("already running"),
        "the stand-in did refuse: {logs}"
    );
    assert!(
        op.metrics()
            .await
            .contains("openclaw_operator_stale_locks_cleared_total 1")
    );
    assert_eq!(
        s["status"]["fly"]["machineId"],
        id.as_str(),
        "same machine, healed"
    );
}

/// Counts what exists for `app`, to prove there are no duplicates.
async fn inventory(w: &World, app: &str) -> Value {
    let (_, apps) = w.get("/v1/apps?org_slug=personal").await;
    let (_, vols) = w.get(&format!("/v1/apps/{app}/volumes")).await;
    let (_, ips) = w.get(&format!("/v1/apps/{app}/ip_assignments")).await;
    let (_, secrets) = w.get(&format!("/v1/apps/{app}/secrets")).await;
    let live_vols = vols
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "created")
        .count();
    json!({
        "apps": apps["apps"].as_array().map(|a| a.iter().filter(|x| x["name"] == app).count()),
        "volumes": live_vols,
        "machines": w.machines(app).await.len(),
        "ips": ips["ips"].as_array().map(Vec::len),
        "secrets": secrets["secrets"].as_array().map(Vec::len),
    })
}

const CONVERGED: &str = r#"{"apps":1,"ips":2,"machines":1,"secrets":1,"volumes":1}"#;

#[tokio::test]
async fn an_operator_killed_after_each_write_converges_without_duplicates() {
    // A fresh apply makes 6 writes: app, volume, secrets, IPv4, IPv6, machine.
    for n in 1..=6 {
        let w = World::start().await;
        w.write("crash.yaml", &resource("crash", TOKEN_SPEC));
        let n_text = n.to_string();
        let op = w
            .operator(&[("OPENCLAW_OPERATOR_EXIT_AFTER_WRITES", n_text.as_str())])
            .await;
        let out = op.exited().await;
        assert!(
            out.contains("aborting after"),
            "write {n}: the failpoint fired: {out}"
        );
        let op = w.operator(&[]).await;
        op.wait_phase("e2e/crash", "Ready").await;
        assert_eq!(
            inventory(&w, "crash").await.to_string(),
            CONVERGED,
            "after a kill at write {n}"
        );
    }
}

#[tokio::test]
async fn creates_whose_answers_are_lost_are_not_duplicated() {
    let w = World::start().await;
    for route in [
        "POST /v1/apps",
        "POST /v1/apps/{app_name}/volumes",
        "POST /v1/apps/{app_name}/machines",
        "POST /v1/apps/{app_name}/ip_assignments",
    ] {
        let (code, body) = w
            .api(
                Method::POST,
                "/__fly-local/faults",
                Some(
                    json!({"route": route, "kind": "commit_then_fail", "status": 500, "times": 1}),
                ),
            )
            .await;
        assert_eq!(code, 201, "{body}");
    }
    w.write("lost.yaml", &resource("lost", TOKEN_SPEC));
    let op = w.operator(&[]).await;
    op.wait_phase("e2e/lost", "Ready").await;
    let (_, faults) = w.get("/__fly-local/faults").await;
    assert!(
        faults["faults"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["triggered"] == 1),
        "every fault fired: {faults}"
    );
    assert_eq!(inventory(&w, "lost").await.to_string(), CONVERGED);
}

#[tokio::test]
async fn a_lease_left_by_a_killed_operator_is_taken_over_at_once() {
    let w = World::start().await;
    w.write("held.yaml", &resource("held", TOKEN_SPEC));
    let op = w.operator(&[]).await;
    let s = op.wait_phase("e2e/held", "Ready").await;
    let id = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();
    op.kill().await;

    // A changed spec needs a machine update under a lease; this run dies
    // right after taking it, as a crash mid-update would.
    let bigger = format!("{TOKEN_SPEC}  fly: {{ vm: {{ memoryMb: 512 }} }}\n");
    w.write("held.yaml", &resource("held", &bigger));
    let op = w
        .operator(&[("OPENCLAW_OPERATOR_EXIT_AFTER_WRITES", "1")])
        .await;
    let out = op.exited().await;
    assert!(
        out.contains("aborting after POST /v1/apps/{app_name}/machines/{machine_id}/lease"),
        "{out}"
    );
    let (code, lease) = w.get(&format!("/v1/apps/held/machines/{id}/lease")).await;
    assert_eq!(code, 200, "the dead run's lease is still held: {lease}");
    let expires = lease["data"]["expires_at"].as_i64().expect("expires_at");

    // The next run recognises the lease as its own and updates now, not after the TTL.
    let op = w.operator(&[]).await;
    op.wait_for("e2e/held", 60, "updated", |s| {
        s["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["reason"] == "MachineUpdated"))
    })
    .await;
    let now = jiff::Timestamp::now().as_second();
    assert!(
        now < expires,
        "the update waited for the lease to expire (now {now}, lease until {expires})"
    );
    let s = op.wait_phase("e2e/held", "Ready").await;
    assert!(
        s["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["reason"] == "LeaseReclaimed"),
        "{s:#}"
    );
    let machines = w.machines("held").await;
    assert_eq!(machines.len(), 1);
    assert_eq!(machines[0]["config"]["guest"]["memory_mb"], 512);
}
