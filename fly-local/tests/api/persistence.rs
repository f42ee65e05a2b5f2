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

/// The `fly-local` binary, killed with SIGKILL mid-flight: its state is
/// intact on the next start, its machine processes died with it, and
/// `fly-local logs` reads a machine's output from the data dir.
#[tokio::test]
async fn kill_dash_nine_loses_nothing_that_was_acknowledged() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let machines = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/machines");
    let spawn = || {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_fly-local"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(&data)
            .args([
                "--token",
                crate::support::TOKEN,
                "--image",
                &format!("test/standin:*={machines}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        (child, format!("http://127.0.0.1:{port}"))
    };
    // Readiness: the line the CLI prints once it is listening.
    let ready = |child: &mut std::process::Child, base: String| {
        use std::io::BufRead;
        let stderr = child.stderr.take().unwrap();
        let mut lines = std::io::BufReader::new(stderr).lines();
        let line = lines
            .find(|l| l.as_ref().is_ok_and(|l| l.contains("Machines API on")))
            .expect("fly-local never listened");
        assert!(line.unwrap().contains(&base));
        std::thread::spawn(move || lines.for_each(drop));
        crate::support::Api::new(&base)
    };

    let (mut child, base) = spawn();
    let api = ready(&mut child, base);
    assert_eq!(
        api.post(
            "/v1/apps",
            json!({"name": "crashy", "org_slug": "personal"})
        )
        .await
        .status,
        201
    );
    let vol = api
        .post(
            "/v1/apps/crashy/volumes",
            json!({"name": "d", "region": "iad"}),
        )
        .await
        .body["id"]
        .clone();
    let m = api
        .create_machine(
            "crashy",
            json!({"region": "iad", "config": {
            "image": "test/standin:1",
            "init": {"cmd": ["python3", format!("{machines}/standin.py")]},
            "mounts": [{"volume": vol, "path": "/data"}]}}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    api.wait_state("crashy", &id, "started").await;
    for i in 0..20 {
        api.post(
            &format!("/v1/apps/crashy/secrets/S{i}"),
            json!({"value": format!("v{i}")}),
        )
        .await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, base) = spawn();
    let api = ready(&mut child, base.clone());
    let secrets = api.get("/v1/apps/crashy/secrets").await.body;
    assert_eq!(secrets["secrets"].as_array().unwrap().len(), 20);
    assert_eq!(
        api.get(&format!(
            "/v1/apps/crashy/volumes/{}",
            vol.as_str().unwrap()
        ))
        .await
        .body["attached_machine_id"],
        id.as_str()
    );
    api.wait_state("crashy", &id, "started").await;

    let out = Command::new(env!("CARGO_BIN_EXE_fly-local"))
        .args(["logs", &id, "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("fly-local restarted: booting the machine again")
    );
    // The same through a running server, checked against the app.
    let out = Command::new(env!("CARGO_BIN_EXE_fly-local"))
        .args([
            "logs",
            &id,
            "--app",
            "crashy",
            "--tail",
            "50",
            "--token",
            crate::support::TOKEN,
            "--url",
            &base,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Preparing to run"));
    let wrong_app = Command::new(env!("CARGO_BIN_EXE_fly-local"))
        .args([
            "logs",
            &id,
            "--app",
            "other",
            "--token",
            crate::support::TOKEN,
            "--url",
            &base,
        ])
        .output()
        .unwrap();
    assert!(!wrong_app.status.success());
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Issue 18: the state holds app secrets in plaintext, so only its owner may
/// read it: the data dir is 0700 and `state.sqlite` (and its WAL) 0600, also
/// when an older fly-local left them world-readable.
#[tokio::test]
async fn the_state_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut t = TestServer::simulated().await;
    let app = t.app("private-state").await;
    let r = t
        .api
        .post(
            &format!("/v1/apps/{app}/secrets/TOKEN"),
            json!({"value": "hunter2"}),
        )
        .await;
    assert!(r.status < 300, "{}", r.text);
    let data = t.data_dir().join("data");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("state.sqlite")), 0o600);
    let wal = data.join("state.sqlite-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    // Loosened by hand (or by an older version): tightened at the next start.
    for p in [&data, &data.join("state.sqlite")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    t.restart(|b| b.simulate(true)).await;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("state.sqlite")), 0o600);
}
