use serde_json::json;

use crate::support::TestServer;

#[tokio::test]
async fn leases_block_other_writers_and_expire() {
    let t = TestServer::simulated().await;
    let app = t.app("lease-a").await;
    let m = t
        .api
        .create_machine(&app, json!({"config": {"image": "x:1"}}))
        .await;
    let id = m["id"].as_str().unwrap();
    let base = format!("/v1/apps/{app}/machines/{id}");
    assert_eq!(
        t.api.get(&format!("{base}/lease")).await.status,
        404,
        "no lease yet"
    );

    let l = t
        .api
        .post(
            &format!("{base}/lease"),
            json!({"ttl": 60, "description": "deploy"}),
        )
        .await;
    assert_eq!(l.status, 201);
    let nonce = l.body["data"]["nonce"].as_str().unwrap().to_owned();
    assert_eq!(nonce.len(), 12);
    let exp1 = l.body["data"]["expires_at"].as_i64().unwrap();

    // Someone else cannot take it.
    let other = t
        .api
        .post(&format!("{base}/lease"), json!({"ttl": 60}))
        .await;
    assert_eq!(other.status, 409);
    // Mutations without the nonce are refused, reads are not.
    let stop = t.api.post(&format!("{base}/stop"), json!({})).await;
    assert_eq!(stop.status, 409);
    let err = stop.body["error"].as_str().unwrap();
    assert!(
        err.starts_with("aborted: machine ID") && err.contains("lease currently held by"),
        "{err}"
    );
    let wrong = t
        .api
        .with_headers(
            "POST",
            &format!("{base}/stop"),
            Some(json!({})),
            &[("fly-machine-lease-nonce", "000000000000")],
        )
        .await;
    assert_eq!(wrong.status, 409);
    assert_eq!(t.api.get(&base).await.status, 200);
    let with_lease = t.api.get(&format!("{base}?include_leases=true")).await.body;
    assert_eq!(with_lease["lease"]["description"], "deploy");
    assert!(with_lease["lease"].get("nonce").is_none());

    // The holder refreshes (same nonce, later expiry) and acts.
    t.api
        .post("/__fly-local/clock", json!({"advance_secs": 5}))
        .await;
    let refresh = t
        .api
        .with_headers(
            "POST",
            &format!("{base}/lease"),
            Some(json!({"ttl": 60})),
            &[("fly-machine-lease-nonce", &nonce)],
        )
        .await;
    assert_eq!(refresh.body["data"]["nonce"], nonce.as_str());
    assert!(refresh.body["data"]["expires_at"].as_i64().unwrap() > exp1);
    t.api.wait_state(&app, id, "started").await;
    let stop = t
        .api
        .with_headers(
            "POST",
            &format!("{base}/stop"),
            Some(json!({})),
            &[("fly-machine-lease-nonce", &nonce)],
        )
        .await;
    assert_eq!(stop.status, 200);

    // Release needs the nonce.
    let rel = t.api.delete(&format!("{base}/lease")).await;
    assert_eq!(rel.status, 400);
    let rel = t
        .api
        .with_headers(
            "DELETE",
            &format!("{base}/lease"),
            None,
            &[("fly-machine-lease-nonce", "ffffffffffff")],
        )
        .await;
    assert_eq!(rel.status, 404);
    assert!(
        rel.body["error"]
            .as_str()
            .unwrap()
            .contains("lease not found")
    );
    let rel = t
        .api
        .with_headers(
            "DELETE",
            &format!("{base}/lease"),
            None,
            &[("fly-machine-lease-nonce", &nonce)],
        )
        .await;
    assert_eq!(rel.status, 200);
    assert_eq!(t.api.get(&format!("{base}/lease")).await.status, 404);

    // A lease expires by itself (the clock is advanced, not waited for).
    let l = t
        .api
        .off_spec("POST", &format!("{base}/lease?ttl=10"), None)
        .await;
    assert_eq!(
        l.status, 201,
        "ttl in the query, no body (the Go client's form)"
    );
    t.api
        .post("/__fly-local/clock", json!({"advance_secs": 11}))
        .await;
    assert_eq!(t.api.get(&format!("{base}/lease")).await.status, 404);
    t.api.wait_state(&app, id, "stopped").await;
    assert_eq!(
        t.api.post(&format!("{base}/start"), json!({})).await.status,
        200
    );
}

#[tokio::test]
async fn create_with_lease_ttl_returns_the_nonce() {
    let t = TestServer::simulated().await;
    let app = t.app("lease-b").await;
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": {"image": "x:1"}, "lease_ttl": 30, "skip_launch": true}),
        )
        .await;
    let nonce = m["nonce"].as_str().unwrap();
    let id = m["id"].as_str().unwrap();
    let base = format!("/v1/apps/{app}/machines/{id}");
    assert_eq!(
        t.api.post(&format!("{base}/start"), json!({})).await.status,
        409
    );
    let ok = t
        .api
        .with_headers(
            "POST",
            &format!("{base}/start"),
            None,
            &[("fly-machine-lease-nonce", nonce)],
        )
        .await;
    assert_eq!(ok.status, 200);
    let upd = t
        .api
        .with_headers(
            "POST",
            &base,
            Some(json!({"config": {"image": "x:2"}})),
            &[("fly-machine-lease-nonce", nonce)],
        )
        .await;
    assert_eq!(upd.status, 200);
}
