use serde_json::json;

use crate::support::TestServer;

#[tokio::test]
async fn wait_semantics() {
    let t = TestServer::simulated().await;
    let app = t.app("wait-a").await;
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": {"image": "x:1"}, "skip_launch": true}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    let base = format!("/v1/apps/{app}/machines/{id}/wait");

    // Immediate 200 when already satisfied; multi-state and settled.
    let r = t
        .api
        .get(&format!("{base}?state=started&state=settled&timeout=1"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "created");
    let r = t.api.get(&format!("{base}?state=stopped,settled")).await;
    assert_eq!(r.body["state"], "created");

    // 408 after the timeout; 400 for a bad state; 404 for an unknown machine.
    let started = std::time::Instant::now();
    let r = t.api.get(&format!("{base}?state=started&timeout=1")).await;
    assert_eq!(r.status, 408);
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    assert_eq!(
        t.api
            .off_spec("GET", &format!("{base}?state=sleeping"), None)
            .await
            .status,
        400
    );
    assert_eq!(t.api.get(&format!("{base}?timeout=abc")).await.status, 400);
    assert_eq!(
        t.api
            .get(&format!("/v1/apps/{app}/machines/00000000000000/wait"))
            .await
            .status,
        404
    );

    // Long poll: the wait returns when a start completes.
    let api = t.api.clone();
    let waiter = tokio::spawn({
        let base = base.clone();
        async move { api.get(&format!("{base}?state=started&timeout=30")).await }
    });
    t.api
        .post(&format!("/v1/apps/{app}/machines/{id}/start"), json!({}))
        .await;
    let r = waiter.await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "started");
    assert_eq!(r.body["version"], m["instance_id"]);

    // Waiting on an old version for stopped: it has been replaced.
    let old = m["instance_id"].as_str().unwrap();
    t.api
        .post(
            &format!("/v1/apps/{app}/machines/{id}"),
            json!({"config": {"image": "x:2"}}),
        )
        .await;
    let r = t
        .api
        .get(&format!("{base}?state=stopped&version={old}&timeout=5"))
        .await;
    assert_eq!(r.status, 200);
    // The deprecated instance_id alias is accepted.
    let r = t
        .api
        .get(&format!("{base}?state=stopped&instance_id={old}&timeout=5"))
        .await;
    assert_eq!(r.status, 200);

    // After destroy, wait for destroyed returns at once.
    t.api
        .off_spec(
            "DELETE",
            &format!("/v1/apps/{app}/machines/{id}?force=true"),
            None,
        )
        .await;
    let r = t
        .api
        .get(&format!("{base}?state=destroyed&timeout=30"))
        .await;
    assert_eq!(r.body["state"], "destroyed");
}
