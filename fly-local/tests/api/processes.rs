//! Machines as real processes (the stand-in program in tests/machines), in
//! their own namespaces when the tests run as root (as here and in CI).

use serde_json::{Value, json};

use crate::support::{TestServer, checks_become, http_get, log_shows, service_port, standin_image};

const IMAGE: &str = "test/standin:1";

async fn server() -> TestServer {
    TestServer::start(|b| b.image(standin_image("test/standin:*"))).await
}

fn config(env: Value) -> Value {
    json!({
        "image": IMAGE,
        "env": env,
        "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 256},
        "services": [{"protocol": "tcp", "internal_port": 8080, "ports": [{"port": 80, "handlers": ["http"]}],
                      "checks": [{"type": "tcp", "interval": "100ms", "timeout": "1s"}]}],
        "checks": {"alive": {"type": "http", "port": 8080, "path": "/healthz", "interval": "100ms", "timeout": "1s"}},
        "restart": {"policy": "no"},
    })
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[tokio::test]
async fn a_machine_is_a_real_process_with_env_secrets_files_volume_and_service() {
    let t = server().await;
    let app = t.app("proc-a").await;
    t.api
        .post(
            &format!("/v1/apps/{app}/secrets/API_TOKEN"),
            json!({"value": "s3cret"}),
        )
        .await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "data", "region": "iad"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut cfg = config(json!({"GREETING": "hello"}));
    cfg["mounts"] = json!([{"volume": vol, "path": "/data"}]);
    cfg["files"] = json!([
        {"guest_path": "/etc/standin/config.json", "raw_value": "eyJhIjoxfQ=="},
        {"guest_path": "/data/seeded.txt", "raw_value": "c2VlZA=="}
    ]);
    let m = t
        .api
        .create_machine(&app, json!({"region": "iad", "config": cfg}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;

    let port = service_port(&t, &id).await;
    assert_eq!(
        http_get(port, "/env/GREETING").await.unwrap(),
        (200, "hello".into())
    );
    assert_eq!(
        http_get(port, "/env/API_TOKEN").await.unwrap().1,
        "s3cret",
        "app secrets are env"
    );
    assert_eq!(http_get(port, "/env/FLY_MACHINE_ID").await.unwrap().1, id);
    assert_eq!(http_get(port, "/env/FLY_APP_NAME").await.unwrap().1, app);
    assert_eq!(http_get(port, "/env/FLY_REGION").await.unwrap().1, "iad");
    assert_eq!(
        http_get(port, "/file?path=/etc/standin/config.json")
            .await
            .unwrap()
            .1,
        r#"{"a":1}"#
    );
    assert_eq!(
        http_get(port, "/file?path=/data/seeded.txt")
            .await
            .unwrap()
            .1,
        "seed"
    );
    let host_vol = t.data_dir().join("data/volumes").join(&vol);
    assert_eq!(
        std::fs::read_to_string(host_vol.join("seeded.txt")).unwrap(),
        "seed",
        "files under the mount land on the volume"
    );

    let logs = t.api.get(&format!("/__fly-local/machines/{id}/logs")).await;
    assert!(
        logs.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        logs.text.contains("Preparing to run: `python3"),
        "{}",
        logs.text
    );
    assert!(
        logs.text.contains("standin listening on 0.0.0.0:8080"),
        "{}",
        logs.text
    );

    // Exec runs in the same context: env, volume, (as root) hostname and pid namespace.
    let exec = |cmd: Vec<&str>| {
        let api = t.api.clone();
        let path = format!("/v1/apps/{app}/machines/{id}/exec");
        let body = json!({"command": cmd, "timeout": 10});
        async move { api.post(&path, body).await }
    };
    let r = exec(vec![
        "sh",
        "-c",
        "echo $GREETING; echo written > /data/by-exec.txt; exit 3",
    ])
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["exit_code"], 3);
    assert_eq!(r.body["stdout"], "hello\n");
    assert_eq!(
        std::fs::read_to_string(host_vol.join("by-exec.txt")).unwrap(),
        "written\n"
    );
    let r = exec(vec!["sh", "-c", "echo oops >&2"]).await;
    assert_eq!(r.body["stderr"], "oops\n");
    if is_root() {
        assert_eq!(
            exec(vec!["hostname"]).await.body["stdout"],
            format!("{id}\n")
        );
        assert_eq!(
            http_get(port, "/pid").await.unwrap().1,
            "2",
            "the main process is PID 2 under the machine's init"
        );
        assert!(
            !std::path::Path::new("/etc/standin/config.json").exists(),
            "files never touch the host root"
        );
    }
}

#[tokio::test]
async fn a_process_bound_to_loopback_is_unreachable_like_on_fly() {
    if !is_root() {
        panic!("this test needs root (network namespaces); run the suite as root as CI does");
    }
    let t = server().await;
    let app = t.app("proc-b").await;
    let m = t
        .api
        .create_machine(
            &app,
            json!({"config": config(json!({"BIND": "127.0.0.1"}))}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    log_shows(&t, &id, "standin listening on 127.0.0.1:8080").await;
    let machine = checks_become(&t, &app, &id, "critical").await;
    assert!(
        machine["checks"][0]["output"]
            .as_str()
            .unwrap()
            .contains("connect"),
        "{}",
        machine["checks"]
    );
    let port = service_port(&t, &id).await;
    assert!(
        http_get(port, "/healthz").await.is_err(),
        "the proxy must not reach a loopback-bound process"
    );
    // Yet the process is up: from inside the machine, loopback answers.
    let r = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines/{id}/exec"),
            json!({"command": ["python3", "-c", "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:8080/healthz').read().decode())"]}),
        )
        .await;
    assert_eq!(r.body["stdout"], "ok\n", "{}", r.body);
}

#[tokio::test]
async fn two_machines_listen_on_the_same_port_in_their_own_namespaces() {
    if !is_root() {
        panic!("this test needs root (network namespaces); run the suite as root as CI does");
    }
    let t = server().await;
    let app = t.app("proc-c").await;
    let a = t
        .api
        .create_machine(&app, json!({"config": config(json!({}))}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = t
        .api
        .create_machine(&app, json!({"config": config(json!({}))}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [&a, &b] {
        t.api.wait_state(&app, id, "started").await;
        checks_become(&t, &app, id, "passing").await;
    }
    let (pa, pb) = (service_port(&t, &a).await, service_port(&t, &b).await);
    assert_ne!(pa, pb);
    assert_eq!(http_get(pa, "/env/FLY_MACHINE_ID").await.unwrap().1, a);
    assert_eq!(http_get(pb, "/env/FLY_MACHINE_ID").await.unwrap().1, b);
}

#[tokio::test]
async fn exits_follow_the_restart_policy_with_exit_codes() {
    let t = server().await;
    let app = t.app("proc-d").await;
    let mut cfg = config(json!({"EXIT_AT_START": "3"}));
    cfg["restart"] = json!({"policy": "on-failure", "max_retries": 2});
    let m = t.api.create_machine(&app, json!({"config": cfg})).await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "stopped").await;
    let events = t
        .api
        .get(&format!("/v1/apps/{app}/machines/{id}/events?limit=50"))
        .await
        .body;
    let exits: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "exit")
        .collect();
    assert_eq!(exits.len(), 3, "first run + 2 retries: {events:#}");
    assert!(
        exits
            .iter()
            .all(|e| e["request"]["exit_event"]["exit_code"] == 3)
    );
    assert_eq!(exits[0]["request"]["exit_event"]["restarting"], false);
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert_eq!(logs.matches("standin exiting with 3").count(), 3, "{logs}");
    assert!(logs.contains("Main child exited normally with code: 3"));

    // A clean exit under on-failure stops the machine; `always` restarts it.
    let mut cfg = config(json!({}));
    cfg["restart"] = json!({"policy": "always"});
    let m = t.api.create_machine(&app, json!({"config": cfg})).await;
    let id = m["id"].as_str().unwrap().to_owned();
    let started = t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;
    let port = service_port(&t, &id).await;
    http_get(port, "/exit/0").await.unwrap();
    let after = started.body["event_id"].as_str().unwrap();
    let w = t
        .api
        .get(&format!(
            "/v1/apps/{app}/machines/{id}/wait?state=started&from_event_id={after}&timeout=30"
        ))
        .await;
    assert_eq!(w.status, 200);
}

#[tokio::test]
async fn stop_signals_the_process_and_kill_crashes_it() {
    let t = server().await;
    let app = t.app("proc-e").await;
    let mut cfg = config(json!({}));
    cfg["restart"] = json!({"policy": "on-failure"});
    let m = t.api.create_machine(&app, json!({"config": cfg})).await;
    let id = m["id"].as_str().unwrap().to_owned();
    let started = t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;

    // Admin kill: a crash (SIGKILL), restarted by on-failure.
    let r = t
        .api
        .post(&format!("/__fly-local/machines/{id}/kill"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    let after = started.body["event_id"].as_str().unwrap();
    t.api
        .get(&format!(
            "/v1/apps/{app}/machines/{id}/wait?state=started&from_event_id={after}&timeout=30"
        ))
        .await;
    checks_become(&t, &app, &id, "passing").await;
    let exit = crate::machines::event(&t, &app, &id, "exit").await;
    assert_eq!(exit["request"]["exit_event"]["restarting"], true);
    assert_ne!(exit["request"]["exit_event"]["exit_code"], 0);

    // Stop: the configured signal (default SIGINT), handled by the program.
    t.api
        .post(
            &format!("/v1/apps/{app}/machines/{id}/stop"),
            json!({"signal": "SIGTERM"}),
        )
        .await;
    t.api.wait_state(&app, &id, "stopped").await;
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert!(logs.contains("standin got SIGTERM"), "{logs}");
    let port = service_port(&t, &id).await;
    assert!(
        http_get(port, "/healthz").await.is_err(),
        "a stopped machine serves nothing"
    );
}

#[tokio::test]
async fn every_boot_is_fresh_and_fly_local_restarts_reboot_machines() {
    let mut t = server().await;
    let app = t.app("proc-f").await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "data", "region": "iad"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut cfg = config(json!({}));
    cfg["mounts"] = json!([{"volume": vol, "path": "/data"}]);
    let m = t
        .api
        .create_machine(&app, json!({"region": "iad", "config": cfg}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    let exec = |t: &TestServer, cmd: &str| {
        let api = t.api.clone();
        let path = format!("/v1/apps/{app}/machines/{id}/exec");
        let body = json!({"command": ["sh", "-c", cmd]});
        async move {
            api.post(&path, body).await.body["stdout"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    exec(&t, "echo kept > /data/kept; echo lost > /root-scratch").await;
    let boot1 = exec(&t, "cat /proc/sys/kernel/random/boot_id").await;

    t.restart(|b| b.image(standin_image("test/standin:*")))
        .await;
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;
    assert_eq!(
        exec(&t, "cat /data/kept").await,
        "kept\n",
        "the volume persists"
    );
    if is_root() {
        assert_eq!(
            exec(&t, "cat /root-scratch 2>/dev/null || echo gone").await,
            "gone\n",
            "the root filesystem is reset"
        );
        let boot2 = exec(&t, "cat /proc/sys/kernel/random/boot_id").await;
        assert_ne!(boot1, boot2, "each boot has its own boot id");
        assert_eq!(boot2.trim().len(), 36);
    }
}

#[tokio::test]
async fn memory_beyond_the_guest_size_is_oom_killed() {
    let t = server().await;
    let app = t.app("proc-oom").await;
    let mut cfg = config(json!({"ALLOC_MB": "600"}));
    cfg["guest"] = json!({"cpu_kind": "shared", "cpus": 1, "memory_mb": 256});
    let m = t.api.create_machine(&app, json!({"config": cfg})).await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "stopped").await;
    let exit = crate::machines::event(&t, &app, &id, "exit").await;
    assert_eq!(
        exit["request"]["exit_event"]["oom_killed"], true,
        "{exit:#}"
    );
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert!(!logs.contains("standin allocated"), "{logs}");
    assert!(logs.contains("Out of memory"), "{logs}");
}

#[tokio::test]
async fn host_isolation_runs_on_the_host_with_volume_paths_rewritten() {
    let t = TestServer::start(|b| {
        b.image(standin_image("test/standin:*"))
            .isolation(fly_local::Isolation::Host)
    })
    .await;
    let app = t.app("proc-host").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "data", "region": "iad"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut cfg = config(json!({"PORT": port.to_string(), "STATE": "/data/state"}));
    cfg["services"][0]["internal_port"] = json!(port);
    cfg["checks"]["alive"]["port"] = json!(port);
    cfg["mounts"] = json!([{"volume": vol, "path": "/data"}]);
    cfg["files"] = json!([{"guest_path": "/data/seeded.txt", "raw_value": "c2VlZA=="}]);
    let m = t
        .api
        .create_machine(&app, json!({"region": "iad", "config": cfg}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;
    let host_vol = t.data_dir().join("data/volumes").join(&vol);
    let seen = http_get(service_port(&t, &id).await, "/env/STATE")
        .await
        .unwrap()
        .1;
    assert_eq!(
        seen,
        host_vol.join("state").display().to_string(),
        "the mount path is rewritten to the volume's directory"
    );
    assert_eq!(
        std::fs::read_to_string(host_vol.join("seeded.txt")).unwrap(),
        "seed"
    );
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert!(
        logs.contains("WARN host isolation"),
        "the fallback is announced: {logs}"
    );
    let info = t.api.get("/__fly-local/info").await.body;
    assert_eq!(info["isolation"], "host");
}

#[tokio::test]
async fn machines_keep_their_boot_time_secrets_until_updated() {
    let t = server().await;
    let app = t.app("proc-secrets").await;
    t.api
        .post(
            &format!("/v1/apps/{app}/secrets/TOKEN"),
            json!({"value": "one"}),
        )
        .await;
    let cfg = config(json!({}));
    let m = t.api.create_machine(&app, json!({"config": cfg})).await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;
    let port = service_port(&t, &id).await;
    assert_eq!(http_get(port, "/env/TOKEN").await.unwrap().1, "one");

    let v = t
        .api
        .post(
            &format!("/v1/apps/{app}/secrets/TOKEN"),
            json!({"value": "two"}),
        )
        .await
        .body["version"]
        .clone();
    let r = t
        .api
        .post(&format!("/v1/apps/{app}/machines/{id}/restart"), json!({}))
        .await;
    assert_eq!(r.status, 200);
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;
    assert_eq!(
        http_get(port, "/env/TOKEN").await.unwrap().1,
        "one",
        "a restart keeps the boot-time secrets"
    );

    let up = t
        .api
        .post(
            &format!("/v1/apps/{app}/machines/{id}"),
            json!({"config": cfg, "min_secrets_version": v}),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    let version = up.body["instance_id"].as_str().unwrap();
    t.api
        .get(&format!(
            "/v1/apps/{app}/machines/{id}/wait?state=started&version={version}&timeout=30"
        ))
        .await;
    checks_become(&t, &app, &id, "passing").await;
    assert_eq!(
        http_get(port, "/env/TOKEN").await.unwrap().1,
        "two",
        "an update applies the new secrets"
    );
}

#[tokio::test]
async fn suspend_freezes_the_process_and_start_resumes_it() {
    let t = server().await;
    let app = t.app("proc-suspend").await;
    let m = t
        .api
        .create_machine(&app, json!({"config": config(json!({}))}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;
    let base = format!("/v1/apps/{app}/machines/{id}");
    assert_eq!(
        t.api
            .post(&format!("{base}/suspend"), json!({}))
            .await
            .status,
        200
    );
    t.api.wait_state(&app, &id, "suspended").await;
    let port = service_port(&t, &id).await;
    assert!(
        http_get(port, "/healthz").await.is_err(),
        "a suspended machine serves nothing"
    );
    let s = t.api.post(&format!("{base}/start"), json!({})).await;
    assert_eq!(s.body["previous_state"], "suspended");
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert_eq!(
        logs.matches("Preparing to run").count(),
        1,
        "resumed, not rebooted: {logs}"
    );
    assert_eq!(logs.matches("standin listening").count(), 1, "{logs}");
}
