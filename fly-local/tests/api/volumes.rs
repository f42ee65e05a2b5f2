use serde_json::json;

use crate::support::TestServer;

#[tokio::test]
async fn volume_rules_as_on_fly() {
    let t = TestServer::simulated().await;
    let app = t.app("vol-a").await;
    let base = format!("/v1/apps/{app}/volumes");
    let v = t
        .api
        .post(
            &base,
            json!({"name": "data", "region": "iad", "size_gb": 1}),
        )
        .await;
    assert_eq!(v.status, 200, "volume create answers 200");
    let vol = v.body["id"].as_str().unwrap().to_owned();
    assert!(vol.starts_with("vol_") && vol.len() == 20);
    assert_eq!(v.body["state"], "created");
    assert_eq!(v.body["encrypted"], true);
    assert!(
        t.data_dir().join("data/volumes").join(&vol).is_dir(),
        "a volume is a directory"
    );
    // Duplicate names are allowed.
    let dup = t
        .api
        .post(&base, json!({"name": "data", "region": "ams"}))
        .await;
    assert_eq!(dup.status, 200);
    let other = dup.body["id"].as_str().unwrap().to_owned();

    // Wrong region → 412; attach works in the same region.
    let r = t.api.post(&format!("/v1/apps/{app}/machines"), json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": other, "path": "/data"}]}})).await;
    assert_eq!(r.status, 412, "{}", r.body);
    let m = t.api.create_machine(&app, json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": vol, "path": "/data"}]}})).await;
    let mid = m["id"].as_str().unwrap().to_owned();
    assert_eq!(
        t.api.get(&format!("{base}/{vol}")).await.body["attached_machine_id"],
        mid.as_str()
    );
    // One machine per volume.
    let r = t.api.post(&format!("/v1/apps/{app}/machines"), json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": vol, "path": "/data"}]}})).await;
    assert_eq!(r.status, 412);
    assert_eq!(
        r.body["error"],
        format!("failed_precondition: volume already claimed by machine {mid}")
    );
    // One volume per machine.
    let r = t.api.post(&format!("/v1/apps/{app}/machines"), json!({"config": {"image": "x:1", "mounts": [{"volume": vol, "path": "/a"}, {"volume": other, "path": "/b"}]}})).await;
    assert_eq!(r.status, 400);
    // Bound volumes cannot be deleted.
    let r = t.api.delete(&format!("{base}/{vol}")).await;
    assert_eq!(r.status, 412);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .starts_with("failed_precondition: volume is currently bound to machine")
    );

    // Extend grows only.
    let e = t
        .api
        .put(&format!("{base}/{vol}/extend"), json!({"size_gb": 2}))
        .await;
    assert_eq!(e.status, 200);
    assert_eq!(e.body["volume"]["size_gb"], 2);
    assert_eq!(e.body["needs_restart"], true);
    assert_eq!(
        t.api
            .put(&format!("{base}/{vol}/extend"), json!({"size_gb": 1}))
            .await
            .status,
        400
    );
    let u = t
        .api
        .put(&format!("{base}/{vol}"), json!({"snapshot_retention": 7}))
        .await;
    assert_eq!(u.body["snapshot_retention"], 7);

    // After the machine is destroyed the volume is free, then deletable.
    t.api.wait_state(&app, &mid, "started").await;
    t.api
        .off_spec(
            "DELETE",
            &format!("/v1/apps/{app}/machines/{mid}?force=true"),
            None,
        )
        .await;
    t.api.wait_state(&app, &mid, "destroyed").await;
    assert!(
        t.api
            .get(&format!("{base}/{vol}"))
            .await
            .body
            .get("attached_machine_id")
            .is_none_or(|v| v.is_null())
    );
    let d = t.api.delete(&format!("{base}/{vol}")).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.body["state"], "pending_destroy");
    let list = t.api.get(&base).await.body;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|v| v["id"] != vol.as_str() || v["state"] != "created")
    );
}

#[tokio::test]
async fn binding_outlives_machine_destroy_when_configured() {
    let t = TestServer::start(|b| {
        b.simulate(true).delays(fly_local::Delays {
            volume_unbind: std::time::Duration::from_secs(3600),
            ..Default::default()
        })
    })
    .await;
    let app = t.app("vol-b").await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "d", "region": "iad"}),
        )
        .await
        .body["id"]
        .clone();
    let m = t.api.create_machine(&app, json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": vol, "path": "/data"}]}})).await;
    let mid = m["id"].as_str().unwrap();
    t.api
        .off_spec(
            "DELETE",
            &format!("/v1/apps/{app}/machines/{mid}?force=true"),
            None,
        )
        .await;
    t.api.wait_state(&app, mid, "destroyed").await;
    let r = t
        .api
        .delete(&format!("/v1/apps/{app}/volumes/{}", vol.as_str().unwrap()))
        .await;
    assert_eq!(
        r.status, 412,
        "still bound right after the destroy: {}",
        r.body
    );
}
