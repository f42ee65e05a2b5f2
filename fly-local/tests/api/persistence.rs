use serde_json::json;

use crate::support::TestServer;

#[tokio::test]
async fn a_restart_keeps_everything_and_reboots_running_machines() {
    let mut t = TestServer::simulated().await;
    let app = t.app("persist-a").await;
    t.api
        .post(
            &format!("/v1/apps/{app}/secrets/TOKEN"),
            json!({"value": "v"}),
        )
        .await;
    t.api
        .post(
            &format!("/v1/apps/{app}/ip_assignments"),
            json!({"type": "shared_v4"}),
        )
        .await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "d", "region": "iad"}),
        )
        .await
        .body["id"]
        .clone();
    let running = t.api.create_machine(&app, json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": vol, "path": "/data"}]}})).await;
    let stopped = t
        .api
        .create_machine(
            &app,
            json!({"config": {"image": "x:1"}, "skip_launch": true}),
        )
        .await;
    let rid = running["id"].as_str().unwrap();
    t.api.wait_state(&app, rid, "started").await;
    let before = t.api.machine(&app, rid).await;

    t.restart(|b| b.simulate(true)).await;

    assert_eq!(t.api.get(&format!("/v1/apps/{app}")).await.status, 200);
    assert_eq!(
        t.api.get(&format!("/v1/apps/{app}/secrets")).await.body["secrets"][0]["name"],
        "TOKEN"
    );
    assert_eq!(
        t.api
            .get(&format!("/v1/apps/{app}/ip_assignments"))
            .await
            .body["ips"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.api
            .get(&format!("/v1/apps/{app}/volumes/{}", vol.as_str().unwrap()))
            .await
            .body["attached_machine_id"],
        rid
    );
    t.api.wait_state(&app, rid, "started").await;
    let after = t.api.machine(&app, rid).await;
    assert_eq!(after["instance_id"], before["instance_id"]);
    assert_eq!(after["config"], before["config"]);
    let sid = stopped["id"].as_str().unwrap();
    assert_eq!(t.api.machine(&app, sid).await["state"], "created");
}

#[tokio::test]
async fn a_second_server_cannot_share_the_data_dir() {
    let t = TestServer::simulated().await;
    let err = fly_local::FlyLocal::builder()
        .data_dir(t.data_dir().join("data"))
        .start()
        .await
        .err()
        .expect("second start must fail");
    assert!(
        err.to_string().contains("in use by another fly-local"),
        "{err}"
    );
}
