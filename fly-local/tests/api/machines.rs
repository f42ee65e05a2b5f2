use serde_json::{Value, json};

use crate::support::TestServer;

fn cfg(image: &str) -> Value {
    json!({"image": image, "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 256}})
}

#[tokio::test]
async fn create_is_asynchronous_and_reads_back_like_fly() {
    let t = TestServer::simulated().await;
    let app = t.app("machines-a").await;
    let m = t
        .api
        .create_machine(&app, json!({"name": "gw", "region": "ams", "config": {
            "image": "registry.fly.io/openclaw-rs:1.2.3",
            "env": {"PORT": "8080"},
            "services": [{"protocol": "tcp", "internal_port": 8080, "autostop": "off", "autostart": true,
                          "ports": [{"port": 443, "handlers": ["tls", "http"]}]}],
            "metadata": {"managed-by": "test"},
            "future_field": {"kept": [1, 2]}
        }}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 14);
    assert_eq!(m["state"], "created");
    assert_eq!(m["name"], "gw");
    assert_eq!(m["region"], "ams");
    assert_eq!(m["instance_id"].as_str().unwrap().len(), 26);
    assert!(m["private_ip"].as_str().unwrap().starts_with("fdaa:"));
    assert_eq!(m["image_ref"]["repository"], "openclaw-rs");
    assert_eq!(
        m["config"]["future_field"],
        json!({"kept": [1, 2]}),
        "unknown config fields are echoed"
    );
    assert_eq!(
        m["config"]["services"][0]["autostop"],
        json!(false),
        "off is encoded as false"
    );

    let w = t.api.wait_state(&app, &id, "started").await;
    assert_eq!(w.body["ok"], true);
    assert_eq!(w.body["version"], m["instance_id"]);
    let got = t.api.machine(&app, &id).await;
    assert_eq!(got["state"], "started");
    let kinds: Vec<&str> = got["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["start", "launch"], "events newest first");
    assert!(
        got["events"][0]["timestamp"].as_i64().unwrap()
            >= got["events"][1]["timestamp"].as_i64().unwrap()
    );

    let list = t
        .api
        .get(&format!("/v1/apps/{app}/machines?metadata.managed-by=test"))
        .await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let none = t
        .api
        .get(&format!(
            "/v1/apps/{app}/machines?metadata.managed-by=other"
        ))
        .await;
    assert_eq!(none.body, json!([]));
    let summary = t
        .api
        .get(&format!("/v1/apps/{app}/machines?summary=true"))
        .await;
    assert!(summary.body[0].get("config").is_none());
    let by_state = t
        .api
        .get(&format!("/v1/apps/{app}/machines?state=stopped,suspended"))
        .await;
    assert_eq!(by_state.body, json!([]));
    let app_info = t.api.get(&format!("/v1/apps/{app}")).await;
    assert_eq!(app_info.body["machine_count"], 1);
    assert_eq!(app_info.body["status"], "deployed");
}

#[tokio::test]
async fn start_stop_restart_suspend_follow_the_state_machine() {
    let t = TestServer::simulated().await;
    let app = t.app("machines-b").await;
    let m = t
        .api
        .create_machine(&app, json!({"config": cfg("x:1"), "skip_launch": true}))
        .await;
    let id = m["id"].as_str().unwrap();
    let base = format!("/v1/apps/{app}/machines/{id}");
    // skip_launch: stays created; start works from there.
    let w = t
        .api
        .get(&format!("{base}/wait?state=settled&timeout=1"))
        .await;
    assert_eq!(w.body["state"], "created");
    let s = t.api.post(&format!("{base}/start"), json!({})).await;
    assert_eq!(s.status, 200);
    assert_eq!(s.body["previous_state"], "created");
    t.api.wait_state(&app, id, "started").await;

    let stop = t
        .api
        .post(
            &format!("{base}/stop"),
            json!({"signal": "SIGTERM", "timeout": "5s"}),
        )
        .await;
    assert_eq!(stop.status, 200);
    let mid = t.api.machine(&app, id).await;
    assert!(["stopping", "stopped"].contains(&mid["state"].as_str().unwrap()));
    t.api.wait_state(&app, id, "stopped").await;
    // Restart needs a started machine.
    let r = t.api.post(&format!("{base}/restart"), json!({})).await;
    assert_eq!(r.status, 412);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .starts_with("failed_precondition:")
    );

    t.api.post(&format!("{base}/start"), json!({})).await;
    t.api.wait_state(&app, id, "started").await;
    let r = t
        .api
        .post(
            &format!("{base}/restart?timeout=3&signal=SIGTERM"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    t.api.wait_state(&app, id, "started").await;
    let events = t.api.get(&format!("{base}/events?limit=2")).await.body;
    assert_eq!(events.as_array().unwrap().len(), 2);
    assert_eq!(events[0]["type"], "restart");

    assert_eq!(
        t.api
            .post(&format!("{base}/suspend"), json!({}))
            .await
            .status,
        200
    );
    t.api.wait_state(&app, id, "suspended").await;
    let s = t.api.post(&format!("{base}/start"), json!({})).await;
    assert_eq!(s.body["previous_state"], "suspended");
    t.api.wait_state(&app, id, "started").await;

    // Without force a running machine is not destroyed.
    let d = t.api.delete(&base).await;
    assert_eq!(d.status, 412, "{}", d.body);
    let d = t
        .api
        .off_spec("DELETE", &format!("{base}?kill=true"), None)
        .await;
    assert_eq!(d.status, 200);
    assert_eq!(d.body, json!({"ok": true}));
    t.api.wait_state(&app, id, "destroyed").await;
    assert_eq!(
        t.api.get(&format!("/v1/apps/{app}/machines")).await.body,
        json!([])
    );
    let all = t
        .api
        .get(&format!("/v1/apps/{app}/machines?include_deleted=true"))
        .await
        .body;
    assert_eq!(all[0]["state"], "destroyed");
}

#[tokio::test]
async fn start_while_launching_is_refused_with_412() {
    let t = TestServer::start(|b| {
        b.simulate(true).delays(fly_local::Delays {
            launch: std::time::Duration::from_secs(30),
            ..Default::default()
        })
    })
    .await;
    let app = t.app("machines-c").await;
    let m = t
        .api
        .create_machine(&app, json!({"config": cfg("x:1")}))
        .await;
    let r = t
        .api
        .post(
            &format!(
                "/v1/apps/{app}/machines/{}/start",
                m["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 412);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .contains("unable to start machine from current state"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn update_replaces_the_version_and_keeps_name_and_region() {
    let t = TestServer::simulated().await;
    let app = t.app("machines-d").await;
    let m = t
        .api
        .create_machine(
            &app,
            json!({"name": "a", "region": "iad", "config": cfg("x:1")}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    let v1 = m["instance_id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, id, "started").await;

    let stale = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines/{id}"),
            json!({"current_version": "01HZZZZZZZZZZZZZZZZZZZZZZZ", "config": cfg("x:2")}),
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(
        stale.body["error"]
            .as_str()
            .unwrap()
            .starts_with("aborted:")
    );

    let up = t
        .api
        .post(&format!("/v1/apps/{app}/machines/{id}"), json!({"current_version": v1, "name": "renamed", "region": "ams", "config": cfg("x:2")}))
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let v2 = up.body["instance_id"].as_str().unwrap().to_owned();
    assert_ne!(v1, v2);
    assert_eq!(up.body["name"], "a", "name is immutable");
    assert_eq!(up.body["region"], "iad", "region is immutable");
    assert_eq!(up.body["state"], "replacing");
    let w = t
        .api
        .get(&format!(
            "/v1/apps/{app}/machines/{id}/wait?state=started&version={v2}&timeout=30"
        ))
        .await;
    assert_eq!(w.body["version"], v2);
    let versions = t
        .api
        .get(&format!("/v1/apps/{app}/machines/{id}/versions"))
        .await
        .body;
    assert_eq!(versions[0]["version"], v2);
    assert_eq!(versions[1]["version"], v1);
    assert_eq!(versions[0]["user_config"]["image"], "x:2");

    // A stopped machine is started by an update, unless skip_launch.
    t.api
        .post(&format!("/v1/apps/{app}/machines/{id}/stop"), json!({}))
        .await;
    t.api.wait_state(&app, id, "stopped").await;
    let up = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines/{id}"),
            json!({"skip_launch": true, "config": cfg("x:3")}),
        )
        .await;
    assert_eq!(up.body["state"], "stopped");
    t.api
        .post(
            &format!("/v1/apps/{app}/machines/{id}"),
            json!({"config": cfg("x:4")}),
        )
        .await;
    t.api.wait_state(&app, id, "started").await;
}

#[tokio::test]
async fn restart_policy_and_auto_destroy_on_simulated_exits() {
    let t = TestServer::simulated().await;
    let app = t.app("machines-e").await;
    let kill = |id: String| {
        let api = t.api.clone();
        async move {
            let r = api
                .post(
                    &format!("/__fly-local/machines/{id}/kill"),
                    json!({"signal": "SIGKILL"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
    };
    // on-failure (default): a crash is restarted, with an exit event.
    let m = t
        .api
        .create_machine(&app, json!({"config": cfg("x:1")}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let started = t.api.wait_state(&app, &id, "started").await;
    kill(id.clone()).await;
    let after = started.body["event_id"].as_str().unwrap();
    let w = t
        .api
        .get(&format!(
            "/v1/apps/{app}/machines/{id}/wait?state=started&from_event_id={after}&timeout=30"
        ))
        .await;
    assert_eq!(w.status, 200);
    let exit = event(&t, &app, &id, "exit").await;
    assert_eq!(exit["request"]["exit_event"]["signal"], 9);
    assert_eq!(exit["request"]["exit_event"]["restarting"], true);

    // no: a crash leaves it stopped.
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": {"image": "x:1", "restart": {"policy": "no"}}}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    kill(id.clone()).await;
    t.api.wait_state(&app, &id, "stopped").await;

    // auto_destroy: the machine is destroyed after its process ends.
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": {"image": "x:1", "auto_destroy": true, "restart": {"policy": "no"}}}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    kill(id.clone()).await;
    t.api.wait_state(&app, &id, "destroyed").await;
}

/// The newest event of a kind.
pub async fn event(t: &TestServer, app: &str, id: &str, kind: &str) -> Value {
    let events = t
        .api
        .get(&format!("/v1/apps/{app}/machines/{id}/events?limit=50"))
        .await
        .body;
    events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event on {id}: {events:#}"))
        .clone()
}

#[tokio::test]
async fn signals_cordon_metadata() {
    let t = TestServer::simulated().await;
    let app = t.app("machines-f").await;
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": cfg("x:1"), "skip_service_registration": true}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    let base = format!("/v1/apps/{app}/machines/{id}");
    assert_eq!(
        m["cordoned"], true,
        "skip_service_registration creates the machine cordoned"
    );
    t.api.wait_state(&app, id, "started").await;
    assert_eq!(
        t.api
            .post(&format!("{base}/uncordon"), json!({}))
            .await
            .status,
        200
    );
    assert_eq!(t.api.machine(&app, id).await["cordoned"], false);

    // Signals by name (spec) and by number (the Go client's kill).
    assert_eq!(
        t.api
            .post(&format!("{base}/signal"), json!({"signal": "SIGUSR1"}))
            .await
            .status,
        200
    );
    let numeric = t
        .api
        .off_spec(
            "POST",
            &format!("{base}/signal"),
            Some(json!({"signal": 10})),
        )
        .await;
    assert_eq!(numeric.status, 200, "{}", numeric.body);
    assert_eq!(
        t.api
            .off_spec(
                "POST",
                &format!("{base}/signal"),
                Some(json!({"signal": "SIGBOGUS"}))
            )
            .await
            .status,
        400
    );

    let v = t.api.machine(&app, id).await["instance_id"].clone();
    assert_eq!(
        t.api
            .post(&format!("{base}/metadata/owner"), json!({"value": "ns/a"}))
            .await
            .status,
        204
    );
    let md = t.api.get(&format!("{base}/metadata")).await;
    assert_eq!(md.body["owner"], "ns/a");
    assert_eq!(
        t.api.get(&format!("{base}/metadata/owner")).await.body,
        json!({"value": "ns/a"})
    );
    let patched = t
        .api
        .with_headers(
            "PATCH",
            &format!("{base}/metadata"),
            Some(json!({"metadata": {"owner": "", "digest": "abc"}, "machine_version": v})),
            &[],
        )
        .await;
    assert_eq!(patched.status, 204, "{}", patched.body);
    let md = t.api.get(&format!("{base}/metadata")).await.body;
    assert_eq!(md, json!({"digest": "abc"}));
    let stale = t
        .api
        .put(
            &format!("{base}/metadata"),
            json!({"metadata": {"x": "1"}, "machine_version": "01H00000000000000000000000"}),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(
        t.api
            .delete(&format!("{base}/metadata/digest"))
            .await
            .status,
        204
    );
    assert_eq!(
        t.api.get(&format!("{base}/metadata/digest")).await.status,
        404
    );
    // Metadata edits do not make a new version.
    assert_eq!(t.api.machine(&app, id).await["instance_id"], v);
}

#[tokio::test]
async fn secrets_versions_digests_and_boot_time_snapshot() {
    let t = TestServer::simulated().await;
    let app = t.app("secrets-a").await;
    let base = format!("/v1/apps/{app}/secrets");
    let a = t
        .api
        .post(&format!("{base}/API_KEY"), json!({"value": "one"}))
        .await;
    assert_eq!(a.status, 201);
    let v1 = a.body["version"].as_u64().unwrap();
    let b = t
        .api
        .post(&base, json!({"values": {"OTHER": "x", "API_KEY": "two"}}))
        .await;
    assert_eq!(b.status, 200);
    let v2 = b.body["version"].as_u64().unwrap();
    assert!(v2 > v1);
    let list = t.api.get(&base).await.body;
    let key = list["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "API_KEY")
        .unwrap()
        .clone();
    assert!(
        key.get("value").is_none(),
        "values hidden without show_secrets"
    );
    assert_eq!(key["digest"].as_str().unwrap().len(), 16);
    let shown = t
        .api
        .get(&format!("{base}/API_KEY?show_secrets=true"))
        .await
        .body;
    assert_eq!(shown["value"], "two");
    assert_ne!(shown["digest"], a.body["digest"]);
    assert_eq!(
        t.api
            .get(&format!("{base}?min_version={}", v2 + 1))
            .await
            .status,
        412
    );

    // A machine created now asks for the latest version; one above it is refused.
    let r = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines"),
            json!({"config": cfg("x:1"), "min_secrets_version": v2 + 5}),
        )
        .await;
    assert_eq!(r.status, 412);
    t.api
        .create_machine(
            &app,
            json!({"config": cfg("x:1"), "min_secrets_version": v2}),
        )
        .await;

    let del = t.api.delete(&format!("{base}/OTHER")).await;
    assert_eq!(del.status, 200);
    assert!(del.body["version"].as_u64().unwrap() > v2);
    assert_eq!(t.api.delete(&format!("{base}/OTHER")).await.status, 404);
    let unset = t
        .api
        .off_spec("POST", &base, Some(json!({"values": {"API_KEY": null}})))
        .await;
    assert_eq!(unset.status, 200);
    assert_eq!(t.api.get(&format!("{base}/API_KEY")).await.status, 404);
}

#[tokio::test]
async fn org_lists_are_cursor_paged() {
    let t = TestServer::simulated().await;
    let app = t.app("org-a").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            t.api
                .create_machine(&app, json!({"config": cfg("x:1"), "skip_launch": true}))
                .await["id"]
                .clone(),
        );
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let r = t
            .api
            .get(&format!(
                "/v1/orgs/personal/machines?limit=2&cursor={cursor}"
            ))
            .await;
        assert_eq!(r.status, 200);
        for m in r.body["machines"].as_array().unwrap() {
            assert_eq!(m["app_name"], app.as_str());
            seen.push(m["id"].clone());
        }
        pages += 1;
        cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(pages, 3);
    seen.sort_by_key(|v| v.to_string());
    ids.sort_by_key(|v| v.to_string());
    assert_eq!(seen, ids);
    assert_eq!(
        t.api.get("/v1/orgs/other-org/machines").await.body["machines"],
        json!([])
    );
    t.api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "v", "region": "iad"}),
        )
        .await;
    let vols = t.api.get("/v1/orgs/personal/volumes?limit=10").await.body;
    assert_eq!(vols["volumes"][0]["app_name"], app.as_str());
}
