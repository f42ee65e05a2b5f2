use serde_json::{Value, json};

use crate::support::TestServer;

#[tokio::test]
async fn request_log_counts_calls_by_route() {
    let t = TestServer::simulated().await;
    let app = t.app("log-a").await;
    t.api.delete("/__fly-local/requests").await;
    t.api.get(&format!("/v1/apps/{app}")).await;
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": {"image": "x:1"}, "skip_launch": true}),
        )
        .await;
    t.api
        .get(&format!(
            "/v1/apps/{app}/machines/{}/wait?state=created",
            m["id"].as_str().unwrap()
        ))
        .await;
    let log = t.api.get("/__fly-local/requests").await.body;
    let reqs = log["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 3, "admin calls are not logged: {log:#}");
    assert_eq!(reqs[0]["route"], "GET /v1/apps/{app_name}");
    assert_eq!(reqs[0]["mutating"], false);
    assert_eq!(reqs[1]["route"], "POST /v1/apps/{app_name}/machines");
    assert_eq!(reqs[1]["method"], "POST");
    assert_eq!(reqs[1]["path"], format!("/v1/apps/{app}/machines"));
    assert_eq!(reqs[1]["status"], 200);
    assert_eq!(reqs[1]["mutating"], true);
    assert_eq!(
        reqs[2]["route"],
        "GET /v1/apps/{app_name}/machines/{machine_id}/wait"
    );
    assert_eq!(reqs[2]["mutating"], false);
    let since = reqs[1]["seq"].as_u64().unwrap();
    let tail = t
        .api
        .get(&format!("/__fly-local/requests?since={since}"))
        .await
        .body;
    assert_eq!(tail["requests"].as_array().unwrap().len(), 1);
    assert_eq!(t.api.delete("/__fly-local/requests").await.status, 204);
    t.api.get(&format!("/v1/apps/{app}")).await;
    let after = t.api.get("/__fly-local/requests").await.body;
    assert!(
        after["requests"][0]["seq"].as_u64().unwrap() > since,
        "seq keeps increasing after a clear"
    );
}

#[tokio::test]
async fn faults_error_commit_then_fail_and_latency() {
    let t = TestServer::simulated().await;
    let app = t.app("faults-a").await;
    let route = "POST /v1/apps/{app_name}/machines";

    // error: not applied, API error shape, Retry-After honoured, `times` bounds it.
    let f = t.api.post("/__fly-local/faults", json!({"route": route, "kind": "error", "status": 429, "retry_after_secs": 2, "times": 1})).await;
    assert_eq!(f.status, 201);
    let r = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines"),
            json!({"config": {"image": "x:1"}}),
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "2");
    assert!(r.body["error"].is_string());
    assert_eq!(
        t.api.get(&format!("/v1/apps/{app}/machines")).await.body,
        json!([]),
        "an error fault applies nothing"
    );
    let again = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines"),
            json!({"config": {"image": "x:1"}}),
        )
        .await;
    assert_eq!(again.status, 200, "times: 1 → only the first call fails");
    let faults = t.api.get("/__fly-local/faults").await.body;
    assert_eq!(faults["faults"][0]["triggered"], 1);
    t.api.delete("/__fly-local/faults").await;

    // commit_then_fail: the machine exists although the client saw a 500.
    t.api
        .post(
            "/__fly-local/faults",
            json!({"route": route, "kind": "commit_then_fail"}),
        )
        .await;
    let r = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines"),
            json!({"config": {"image": "x:1"}}),
        )
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(
        t.api
            .get(&format!("/v1/apps/{app}/machines"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let log = t.api.get("/__fly-local/requests").await.body;
    let last = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|r| r["route"] == route)
        .unwrap()
        .clone();
    assert_eq!(last["fault"], "f2");
    assert_eq!(last["status"], 500);

    // Deleting one fault by id; unknown ids are 404.
    assert_eq!(t.api.delete("/__fly-local/faults/f2").await.status, 204);
    assert_eq!(t.api.delete("/__fly-local/faults/f2").await.status, 404);

    // latency: served, but late.
    t.api
        .post(
            "/__fly-local/faults",
            json!({"route": "GET /v1/apps/{app_name}", "kind": "latency", "latency_ms": 300}),
        )
        .await;
    let started = std::time::Instant::now();
    assert_eq!(t.api.get(&format!("/v1/apps/{app}")).await.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    // Bad fault specs are rejected with the field named.
    let bad = t
        .api
        .post(
            "/__fly-local/faults",
            json!({"kind": "error", "probability": 2.0}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body["error"]
            .as_str()
            .unwrap()
            .starts_with("probability")
    );
    let bad = t
        .api
        .post("/__fly-local/faults", json!({"kind": "explode"}))
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn kill_needs_a_running_machine_and_unknown_machines_are_404() {
    let t = TestServer::simulated().await;
    let app = t.app("kill-a").await;
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": {"image": "x:1"}, "skip_launch": true}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    assert_eq!(
        t.api
            .post(&format!("/__fly-local/machines/{id}/kill"), json!({}))
            .await
            .status,
        412
    );
    assert_eq!(
        t.api
            .post("/__fly-local/machines/nope/kill", json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        t.api.get("/__fly-local/machines/nope/logs").await.status,
        404
    );
    let ep = t
        .api
        .get(&format!("/__fly-local/machines/{id}/endpoint"))
        .await;
    assert_eq!(ep.body, json!({"service_ports": []}));
}

#[tokio::test]
async fn stale_and_shuffled_lists_and_legacy_error_bodies() {
    let t = TestServer::simulated().await;
    let app = t.app("faults-b").await;
    for _ in 0..6 {
        t.api
            .create_machine(
                &app,
                json!({"config": {"image": "x:1"}, "skip_launch": true}),
            )
            .await;
    }
    let list_route = "GET /v1/apps/{app_name}/machines";
    // A list right after a write misses the new machine.
    t.api
        .post(
            "/__fly-local/faults",
            json!({"route": list_route, "kind": "stale_list", "stale_ms": 60000, "times": 1}),
        )
        .await;
    assert_eq!(
        t.api.get(&format!("/v1/apps/{app}/machines")).await.body,
        json!([]),
        "stale list"
    );
    assert_eq!(
        t.api
            .get(&format!("/v1/apps/{app}/machines"))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        6
    );

    // Shuffled order: same set, and some call differs from sorted order.
    let sorted: Vec<Value> = t
        .api
        .get(&format!("/v1/apps/{app}/machines"))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    t.api
        .post(
            "/__fly-local/faults",
            json!({"route": list_route, "kind": "shuffle_list"}),
        )
        .await;
    let mut differed = false;
    for _ in 0..20 {
        let ids: Vec<Value> = t
            .api
            .get(&format!("/v1/apps/{app}/machines"))
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect();
        let mut a = ids.clone();
        a.sort_by_key(|v| v.to_string());
        let mut b = sorted.clone();
        b.sort_by_key(|v| v.to_string());
        assert_eq!(a, b);
        differed |= ids != sorted;
    }
    assert!(differed, "20 shuffles of 6 items all came back in order");
    t.api.delete("/__fly-local/faults").await;

    // The older error body style.
    t.api.post("/__fly-local/faults", json!({"route": "GET /v1/apps/{app_name}", "kind": "error", "status": 503, "body_style": "legacy", "message": "maintenance"})).await;
    let r = t.api.get(&format!("/v1/apps/{app}")).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body, json!({"status": "error", "message": "maintenance"}));
}
