//! Bad input: each case answers with the API's error body, names the field,
//! and leaves stored state exactly as it was (checked by reading it back and
//! by restarting fly-local).

use serde_json::{Value, json};

use crate::support::TestServer;

async fn snapshot(t: &TestServer, app: &str) -> Value {
    let machines = t
        .api
        .get(&format!("/v1/apps/{app}/machines?include_deleted=true"))
        .await
        .body;
    let volumes = t.api.get(&format!("/v1/apps/{app}/volumes")).await.body;
    let secrets = t.api.get(&format!("/v1/apps/{app}/secrets")).await.body;
    let ips = t
        .api
        .get(&format!("/v1/apps/{app}/ip_assignments"))
        .await
        .body;
    let mut machines = machines;
    for m in machines.as_array_mut().unwrap() {
        m.as_object_mut().unwrap().remove("checks");
    }
    json!({"machines": machines, "volumes": volumes, "secrets": secrets, "ips": ips})
}

#[tokio::test]
async fn bad_input_is_rejected_clearly_and_changes_nothing() {
    let mut t = TestServer::simulated().await;
    let app = t.app("bad-a").await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "d", "region": "iad"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = t.api.create_machine(&app, json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": vol, "path": "/data"}]}})).await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    let lease = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines/{id}/lease"),
            json!({"ttl": 600}),
        )
        .await
        .body["data"]["nonce"]
        .clone();
    let before = snapshot(&t, &app).await;

    let machines = format!("/v1/apps/{app}/machines");
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "GET",
            "/v1/apps/no-such-app".into(),
            None,
            404,
            "app not found",
        ),
        (
            "GET",
            format!("{machines}/00000000000000"),
            None,
            404,
            "machine not found",
        ),
        (
            "GET",
            format!("/v1/apps/{app}/volumes/vol_0000000000000000"),
            None,
            404,
            "volume not found",
        ),
        (
            "GET",
            format!("/v1/apps/{app}/secrets/NOPE"),
            None,
            404,
            "secret not found",
        ),
        (
            "POST",
            machines.clone(),
            Some(json!({"config": {}})),
            400,
            "config.image",
        ),
        ("POST", machines.clone(), Some(json!({})), 400, "config"),
        (
            "POST",
            machines.clone(),
            Some(
                json!({"config": {"image": "x:1", "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 100}}}),
            ),
            400,
            "config.guest.memory_mb",
        ),
        (
            "POST",
            machines.clone(),
            Some(json!({"config": {"image": "x:1", "env": {"PORT": 8080}}})),
            400,
            "config.env.PORT",
        ),
        (
            "POST",
            machines.clone(),
            Some(
                json!({"config": {"image": "x:1", "services": [{"protocol": "sctp", "internal_port": 1}]}}),
            ),
            400,
            "config.services[0].protocol",
        ),
        (
            "POST",
            machines.clone(),
            Some(
                json!({"config": {"image": "x:1", "mounts": [{"volume": "vol_missing", "path": "/data"}]}}),
            ),
            400,
            "config.mounts[0].volume",
        ),
        (
            "POST",
            machines.clone(),
            Some(
                json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": vol, "path": "/data"}]}}),
            ),
            412,
            "already claimed",
        ),
        (
            "POST",
            machines.clone(),
            Some(json!({"region": "mars", "config": {"image": "x:1"}})),
            400,
            "region",
        ),
        (
            "POST",
            format!("{machines}/{id}/stop"),
            Some(json!({})),
            409,
            "lease currently held",
        ),
        (
            "POST",
            format!("{machines}/{id}"),
            Some(json!({"config": {"image": "x:2"}})),
            409,
            "lease currently held",
        ),
        (
            "DELETE",
            format!("{machines}/{id}?force=true"),
            None,
            409,
            "lease currently held",
        ),
        (
            "POST",
            format!("{machines}/{id}/lease"),
            Some(json!({"ttl": 5})),
            409,
            "lease currently held",
        ),
        (
            "PUT",
            format!("/v1/apps/{app}/volumes/{vol}/extend"),
            Some(json!({"size_gb": 0})),
            400,
            "size_gb",
        ),
        (
            "POST",
            format!("/v1/apps/{app}/volumes"),
            Some(json!({"region": "iad"})),
            400,
            "name",
        ),
        (
            "POST",
            format!("/v1/apps/{app}/secrets/1BAD"),
            Some(json!({"value": "x"})),
            400,
            "secret name",
        ),
        (
            "POST",
            format!("/v1/apps/{app}/ip_assignments"),
            Some(json!({"type": "shared_v4", "region": "iad"})),
            400,
            "region",
        ),
        (
            "POST",
            "/v1/apps".into(),
            Some(json!({"name": "Bad Name!", "org_slug": "personal"})),
            422,
            "name",
        ),
    ];
    for (method, path, body, status, needle) in cases {
        let r = t.api.off_spec(method, &path, body.clone()).await;
        assert_eq!(r.status, status, "{method} {path} {body:?}: {}", r.body);
        let err = r.body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no error field: {}", r.text));
        assert!(
            err.contains(needle),
            "{method} {path}: {err:?} should mention {needle:?}"
        );
    }

    // Invalid JSON, a wrong type deep in the body, and a huge body.
    let r = t
        .api
        .raw("POST", &machines, b"{\"config\": {\"image\": ".to_vec())
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON body")
    );
    let r = t
        .api
        .raw(
            "POST",
            &machines,
            br#"{"config": {"image": "x", "checks": {"a": {"type": "http", "port": "80"}}}}"#
                .to_vec(),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["error"].as_str().unwrap().contains("checks.a.port"),
        "{}",
        r.body
    );
    let mut huge = br#"{"config": {"image": "x", "env": {"A": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 8 * 1024 * 1024));
    huge.extend(br#""}}}"#);
    let r = t.api.raw("POST", &machines, huge).await;
    assert_eq!(r.status, 413);
    assert!(r.body["error"].is_string());

    assert_eq!(
        snapshot(&t, &app).await,
        before,
        "bad input changed stored state"
    );
    t.restart(|b| b.simulate(true)).await;
    t.api.wait_state(&app, &id, "started").await;
    let after = snapshot(&t, &app).await;
    assert_eq!(after["volumes"], before["volumes"]);
    assert_eq!(after["secrets"], before["secrets"]);
    assert_eq!(after["machines"].as_array().unwrap().len(), 1);
    assert_eq!(
        after["machines"][0]["config"],
        before["machines"][0]["config"]
    );
    // The lease survived the restart too.
    let held = t.api.get(&format!("{machines}/{id}/lease")).await;
    assert_eq!(held.body["data"]["nonce"], lease);
}
