//! The `openclaw gateway` process: refusals, exit codes, lock file, ports, probes.

mod common;

use std::time::Duration;

use common::*;

#[test]
fn listening_line_and_probes() {
    let gw = Gateway::start(&[]);
    let line = gw.wait_for_line("listening on");
    assert!(
        line.ends_with(&format!(
            "[gateway] listening on ws://127.0.0.1:{} (PID {})",
            gw.port,
            gw.child.id()
        )),
        "{line}"
    );
    let get = |path: &str| {
        let out = std::process::Command::new("curl")
            .args(["-s", "-i", &gw.http(path)])
            .output()
            .expect("curl is needed");
        String::from_utf8(out.stdout).unwrap()
    };
    for path in ["/health", "/healthz"] {
        let r = get(path);
        assert!(
            r.starts_with("HTTP/1.1 200") && r.ends_with("{\"ok\":true,\"status\":\"live\"}"),
            "{r}"
        );
        assert!(
            r.contains("cache-control: no-store") && r.contains("x-content-type-options: nosniff"),
            "{r}"
        );
    }
    assert!(get("/readyz").contains("\"ready\":true"));
    assert!(get("/startupz").contains("\"status\":\"started\""));
    let ui = get("/");
    assert!(
        ui.contains("<title>OpenClaw Control</title>")
            && ui.contains("content-security-policy: default-src 'self'"),
        "{ui}"
    );
    assert!(get("/nope.js").starts_with("HTTP/1.1 404"));
    let out = std::process::Command::new("curl")
        .args(["-s", "-i", "-X", "POST", &gw.http("/healthz")])
        .output()
        .unwrap();
    let r = String::from_utf8(out.stdout).unwrap();
    assert!(
        r.starts_with("HTTP/1.1 405") && r.contains("allow: GET, HEAD"),
        "{r}"
    );
}

#[test]
fn non_loopback_without_secret_exits_78_naming_env_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_to_exit(
        dir.path(),
        &["--allow-unconfigured", "--bind", "lan", "--port", "0"],
        &[],
    );
    assert_eq!(code, 78, "{stdout}{stderr}");
    for needle in [
        "Refusing to bind gateway to lan without auth.",
        "OPENCLAW_GATEWAY_TOKEN",
        "OPENCLAW_GATEWAY_PASSWORD",
        "--token/--password",
    ] {
        assert!(stderr.contains(needle), "{needle} missing in {stderr}");
    }
    let (code, _, stderr) = run_to_exit(
        dir.path(),
        &[
            "--allow-unconfigured",
            "--bind",
            "tailnet",
            "--port",
            "0",
            "--token",
            "t",
        ],
        &[],
    );
    assert_eq!(code, 78);
    assert!(stderr.contains("tailnet is not supported"), "{stderr}");
}

#[test]
fn missing_and_invalid_config_exit_78_and_the_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_to_exit(dir.path(), &["--port", "0", "--token", "t"], &[]);
    assert_eq!(code, 78);
    assert!(stderr.contains("Missing config."), "{stderr}");
    let path = dir.path().join("openclaw.json");
    let broken = "{\n  gateway: {\n    mode: 'local',\n    port: 3000,,\n  },\n}\n";
    std::fs::write(&path, broken).unwrap();
    let (code, _, stderr) = run_to_exit(dir.path(), &["--port", "0", "--token", "t"], &[]);
    assert_eq!(code, 78);
    assert!(
        stderr.contains(&format!("{}:4:", path.display())),
        "names file and line: {stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    std::fs::write(&path, "{gateway: {mode: 'local', bogus: true}}").unwrap();
    let (code, _, stderr) = run_to_exit(dir.path(), &["--port", "0", "--token", "t"], &[]);
    assert_eq!(code, 78);
    assert!(stderr.contains("gateway.bogus"), "{stderr}");
}

#[test]
fn config_and_env_drive_port_bind_and_auth() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("openclaw.json"),
        "{gateway: {mode: 'local', bind: 'loopback', auth: {token: '${MY_TOKEN}'}}}",
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), "MY_TOKEN=from-dotenv\n").unwrap();
    let gw = Gateway::start_with(dir, &["--port", "0"], &[], &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut ws, _) = open(&gw.url(), None).await;
        send(
            &mut ws,
            &connect_frame("cli", "cli", serde_json::json!({"password": "from-dotenv"})),
        )
        .await;
        assert_eq!(next_json(&mut ws).await["ok"], true);
    });
}

#[test]
fn second_gateway_on_the_same_state_dir_says_already_running() {
    let gw = Gateway::start(&[]);
    let started = std::time::Instant::now();
    let (code, _, stderr) = run_to_exit(
        gw.state.path(),
        &[
            "--allow-unconfigured",
            "--bind",
            "loopback",
            "--port",
            "0",
            "--token",
            TOKEN,
        ],
        &[],
    );
    assert_eq!(code, 78);
    assert!(
        stderr.contains("already running") && stderr.contains(&format!("pid {}", gw.child.id())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&gw.lock_files()[0].display().to_string()),
        "names the lock: {stderr}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "waits the original's 5 s for the owner"
    );
}

#[test]
fn stale_lock_after_a_kill_is_reclaimed_with_one_line() {
    let mut gw = Gateway::start(&[]);
    let lock = gw.lock_files()[0].clone();
    gw.child.kill().unwrap();
    gw.wait_exit();
    assert!(lock.exists(), "SIGKILL leaves the lock behind");
    let state = std::mem::replace(&mut gw.state, tempfile::tempdir().unwrap());
    let again = Gateway::start_with(
        state,
        &[
            "--allow-unconfigured",
            "--bind",
            "loopback",
            "--port",
            "0",
            "--token",
            TOKEN,
        ],
        &[],
        &[],
    );
    let line = again.wait_for_line("reclaimed stale lock");
    assert!(line.contains("process is gone"), "{line}");
}

#[test]
fn busy_port_fails_clearly_and_force_frees_it() {
    let mut holder = std::process::Command::new("python3")
        .args(["-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(120)"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 is needed (installed on CI machines)");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let port = line.trim().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_to_exit(
        dir.path(),
        &[
            "--allow-unconfigured",
            "--bind",
            "loopback",
            "--port",
            &port,
            "--token",
            "t",
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!("Port {port} is already in use."))
            && stderr.contains(&format!("pid {}", holder.id())),
        "{stderr}"
    );
    assert!(
        common::lock_files(dir.path()).is_empty(),
        "no lock left behind"
    );
    let gw = Gateway::start_with(
        dir,
        &[
            "--allow-unconfigured",
            "--bind",
            "loopback",
            "--port",
            &port,
            "--token",
            "t",
            "--force",
        ],
        &[],
        &[],
    );
    assert!(
        gw.wait_for_line("force: killed pid")
            .contains(&holder.id().to_string())
    );
    assert!(holder.wait().is_ok());
}

#[test]
fn unwritable_state_dir_is_a_clear_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let state = file.join("state");
    let (code, _, stderr) = run_to_exit(
        dir.path(),
        &[
            "--allow-unconfigured",
            "--bind",
            "loopback",
            "--port",
            "0",
            "--token",
            "t",
        ],
        &[("OPENCLAW_STATE_DIR", state.to_str().unwrap())],
    );
    assert_eq!(code, 78);
    assert!(
        stderr.contains("is not writable") && stderr.contains(&state.display().to_string()),
        "{stderr}"
    );
}

/// A supervisor may stop the gateway the moment it says it listens: the signal
/// is already handled then (clean exit 0, locks removed), never the default kill.
#[test]
fn sigterm_right_after_the_listening_line_is_a_clean_stop() {
    for _ in 0..5 {
        let mut gw = Gateway::start(&[]);
        gw.sigterm();
        assert_eq!(gw.wait_exit(), 0, "{}", gw.output());
        assert!(gw.lock_files().is_empty(), "locks removed");
    }
}
