//! `platform: fly` from a cluster: the resource's Fly app, volume, secrets,
//! IPs and machine appear on a fly-local (given by URL, as Fly would be) and
//! the status is written back to the cluster; deletion removes them.

use k8s_openapi::api::core::v1::Secret;
use kube::api::DeleteParams;
use serde_json::{Value, json};

use crate::support::{Cluster, TEAM_A, wait_for};

async fn fly_get(fly: &fly_local::FlyLocal, path: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", fly.base_url()))
        .bearer_auth(fly.token())
        .send()
        .await
        .expect("fly-local answers");
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn fly_resources_appear_on_fly_and_status_comes_back() {
    let data = tempfile::tempdir().unwrap();
    let fly = fly_local::FlyLocal::builder()
        .data_dir(data.path())
        .simulate(true)
        .start()
        .await
        .expect("fly-local starts");
    let cluster = Cluster::start(&["team-a"]).await;
    let base = fly.base_url();
    let _op = cluster
        .operator(
            &[TEAM_A, &["--resync", "2s"]].concat(),
            &[
                ("FLY_API_TOKEN", fly.token()),
                ("FLY_FLAPS_BASE_URL", &base),
            ],
        )
        .await;
    let _: Secret = cluster
        .create(
            "team-a",
            json!({"metadata": {"name": "gw"}, "data": {"token": "czNjcmV0LXRva2Vu"}}),
        )
        .await;
    let claws = cluster
        .create_claw(
            "team-a",
            "claw",
            "{platform: fly, fly: {app: claw-team-a}, gateway: {auth: {token: {secretKeyRef: {name: gw, key: token}}}}}",
        )
        .await;
    let o = wait_for(&claws, "claw", "Ready", |o| {
        o.and_then(|o| o.status.as_ref())
            .is_some_and(|s| s.phase.to_string() == "Ready")
    })
    .await
    .unwrap();
    let status = o.status.unwrap();
    assert_eq!(
        status.endpoint.as_deref(),
        Some("wss://claw-team-a.fly.dev")
    );
    let machine_id = status.fly.as_ref().unwrap().machine_id.clone().unwrap();
    let (_, machines) = fly_get(&fly, "/v1/apps/claw-team-a/machines").await;
    let machines = machines.as_array().unwrap();
    assert_eq!(machines.len(), 1);
    assert_eq!(machines[0]["id"], machine_id.as_str());
    assert_eq!(
        machines[0]["config"]["metadata"]["openclaw.ai/owner"],
        "team-a/claw"
    );
    let (_, secrets) = fly_get(&fly, "/v1/apps/claw-team-a/secrets").await;
    assert!(
        secrets.to_string().contains("OPENCLAW_GATEWAY_TOKEN"),
        "{secrets}"
    );
    assert!(
        !secrets.to_string().contains("s3cret-token"),
        "values are never listed"
    );

    claws
        .delete("claw", &DeleteParams::default())
        .await
        .unwrap();
    wait_for(&claws, "claw", "deletion", |o| o.is_none()).await;
    let (code, _) = fly_get(&fly, "/v1/apps/claw-team-a").await;
    assert_eq!(code, 404, "deletionPolicy Delete removes the app");
}
