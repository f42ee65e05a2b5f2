use serde_json::json;

use crate::support::{TOKEN, TestServer};

#[tokio::test]
async fn requests_without_the_token_get_401_bearer_and_flyv1_work() {
    let t = TestServer::simulated().await;
    let anon = t.api.with_auth(None);
    let r = anon.get("/v1/apps?org_slug=personal").await;
    assert_eq!(r.status, 401);
    assert!(r.body["error"].is_string());
    let wrong = t.api.with_auth(Some("nope"));
    assert_eq!(wrong.get("/v1/apps?org_slug=personal").await.status, 401);
    let flyv1 = t
        .api
        .with_auth(None)
        .with_headers(
            "GET",
            "/v1/apps?org_slug=personal",
            None,
            &[("authorization", &format!("FlyV1 {TOKEN}"))],
        )
        .await;
    assert_eq!(flyv1.status, 200);
    assert!(flyv1.headers.contains_key("fly-request-id"));
    // The health probe needs no token; the admin API does.
    assert_eq!(anon.get("/__fly-local/health").await.status, 200);
    assert_eq!(anon.get("/__fly-local/requests").await.status, 401);
}

#[tokio::test]
async fn app_lifecycle_and_name_rules() {
    let t = TestServer::start(|b| {
        b.simulate(true).settings({
            let mut s = fly_local::Settings {
                simulate: true,
                token: TOKEN.into(),
                ..Default::default()
            };
            s.foreign_apps = vec!["someone-elses".into()];
            s
        })
    })
    .await;
    let r = t
        .api
        .post(
            "/v1/apps",
            json!({"name": "my-app", "org_slug": "personal"}),
        )
        .await;
    assert_eq!(r.status, 201);
    // The documented spelling `app_name` is accepted too.
    let r = t
        .api
        .off_spec(
            "POST",
            "/v1/apps",
            Some(json!({"app_name": "other-app", "org_slug": "acme"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let taken = t
        .api
        .post("/v1/apps", json!({"name": "my-app", "org_slug": "acme"}))
        .await;
    assert_eq!(taken.status, 422);
    assert_eq!(taken.body["status"], "name_taken");
    let foreign = t
        .api
        .post(
            "/v1/apps",
            json!({"name": "someone-elses", "org_slug": "personal"}),
        )
        .await;
    assert_eq!(foreign.status, 422);
    assert_eq!(t.api.get("/v1/apps/someone-elses").await.status, 403);

    let app = t.api.get("/v1/apps/my-app").await;
    assert_eq!(app.status, 200);
    assert_eq!(app.body["organization"]["slug"], "personal");
    assert_eq!(app.body["machine_count"], 0);

    let list = t.api.get("/v1/apps?org_slug=personal").await;
    assert_eq!(list.body["total_apps"], 1);
    assert_eq!(list.body["apps"][0]["name"], "my-app");

    assert_eq!(t.api.delete("/v1/apps/my-app").await.status, 202);
    let gone = t.api.get("/v1/apps/my-app").await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["error"], "app not found");
    // The name is free again.
    assert_eq!(
        t.api
            .post(
                "/v1/apps",
                json!({"name": "my-app", "org_slug": "personal"})
            )
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn deleting_an_app_destroys_its_machines_and_volumes() {
    let t = TestServer::simulated().await;
    let app = t.app("doomed").await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "data", "region": "iad"}),
        )
        .await
        .body;
    let m = t
        .api
        .create_machine(&app, json!({"region": "iad", "config": {"image": "x:1", "mounts": [{"volume": vol["id"], "path": "/data"}]}}))
        .await;
    t.api
        .wait_state(&app, m["id"].as_str().unwrap(), "started")
        .await;
    assert_eq!(t.api.delete(&format!("/v1/apps/{app}")).await.status, 202);
    assert_eq!(
        t.api.get(&format!("/v1/apps/{app}/machines")).await.status,
        404
    );
    assert!(
        !t.data_dir()
            .join("data/volumes")
            .join(vol["id"].as_str().unwrap())
            .exists()
    );
}
