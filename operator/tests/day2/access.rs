//! `status`, `token`, `logs -f`, `proxy`, the stable local port across
//! restarts of `up` and heals, and Ctrl-C stopping gateways gracefully.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{Home, http_status, resource};

/// Reads `logs -f` output until a line containing `needle` has come `count` times.
async fn follow_until(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    seen: &mut Vec<String>,
    needle: &str,
    count: usize,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen.iter().filter(|l| l.contains(needle)).count() < count {
        let line = tokio::time::timeout_at(deadline, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("logs -f never showed {needle:?} {count} times: {seen:#?}"))
            .unwrap()
            .unwrap_or_else(|| panic!("logs -f ended: {seen:#?}"));
        seen.push(line);
    }
}

#[tokio::test]
async fn day_two_commands_a_stable_port_and_a_graceful_ctrl_c() {
    let home = Home::new();
    home.write("claw.yaml", &resource("claw", ""));
    let up = home.up(&[]).await;
    let s = up.wait_phase("default/claw", "Ready").await;
    let url = s["localUrl"].as_str().unwrap().to_owned();
    let machine = s["status"]["fly"]["machineId"].as_str().unwrap().to_owned();
    assert_eq!(http_status(&format!("{url}/healthz")).await, 200);

    // status: the table, one resource in detail, and JSON.
    let (code, table, _) = home.run(&["status"]).await;
    assert_eq!(code, 0);
    let header = table.lines().next().unwrap();
    for col in ["NAME", "PHASE", "MACHINE", "ENDPOINT", "AGE", "LAST EVENT"] {
        assert!(header.contains(col), "{table}");
    }
    let row = table
        .lines()
        .find(|l| l.starts_with("default/claw"))
        .expect(&table);
    assert!(
        row.contains("Ready") && row.contains(&machine) && row.contains(&url),
        "{row}"
    );
    let (_, described, _) = home.run(&["status", "claw"]).await;
    for needle in [
        "Phase:        Ready",
        "Conditions:",
        "GatewayHealthy  True",
        "IPs:",
        "Volume:",
        "Events:",
        "MachineCreated",
    ] {
        assert!(described.contains(needle), "{needle:?} in {described}");
    }
    let (_, json, _) = home.run(&["status", "default/claw", "-o", "json"]).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["status"]["phase"], "Ready");
    let (_, yaml, _) = home.run(&["status", "-o", "yaml"]).await;
    assert!(yaml.contains("default/claw"), "{yaml}");
    let (code, _, err) = home.run(&["status", "nope"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("declared: default/claw"), "{err}");

    // token: the generated value, on stdout only, never in the operator's output.
    let generated = std::fs::read_to_string(
        home.operator_state()
            .join("secrets/default/claw/OPENCLAW_GATEWAY_TOKEN"),
    )
    .unwrap();
    let (code, token, err) = home.run(&["token", "claw"]).await;
    assert_eq!((code, token.trim_end()), (0, generated.trim()), "{err}");
    assert!(err.is_empty(), "nothing but the token: {err}");
    let (_, from_files, _) = home
        .run(&["token", "claw", "-f", home.resources().to_str().unwrap()])
        .await;
    assert_eq!(from_files.trim_end(), generated.trim());

    // logs: the gateway's output; -f follows it.
    let (code, logs, err) = home.run(&["logs", "claw"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        logs.contains(&format!("app[{machine}] iad [info]")),
        "{logs}"
    );
    assert!(logs.contains("listening on ws://0.0.0.0:3000"), "{logs}");
    let (_, recent, _) = home.run(&["logs", "claw", "--since", "1h"]).await;
    assert!(recent.contains("listening on"), "{recent}");
    let (_, none, _) = home.run(&["logs", "claw", "--since", "1ms"]).await;
    assert!(!none.contains("listening on"), "{none}");
    let mut follow = home.command(&["logs", "claw", "-f"]).spawn().unwrap();
    let mut lines = BufReader::new(follow.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    follow_until(&mut lines, &mut seen, "listening on", 1).await;

    // proxy: another local port to the same gateway.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_port = free.local_addr().unwrap().port();
    drop(free);
    let mut proxy = home
        .command(&["proxy", "claw", &proxy_port.to_string()])
        .spawn()
        .unwrap();
    let mut proxy_out = BufReader::new(proxy.stdout.take().unwrap()).lines();
    let proxied = tokio::time::timeout(Duration::from_secs(20), proxy_out.next_line())
        .await
        .expect("proxy says where it listens")
        .unwrap()
        .unwrap();
    assert_eq!(proxied, format!("http://127.0.0.1:{proxy_port}/"));
    assert_eq!(http_status(&format!("{proxied}healthz")).await, 200);

    // A rejected edit while the gateway serves: Degraded with the reason, not Failed.
    home.write(
        "claw.yaml",
        &resource("claw", "  fly: { vm: { memoryMb: 128 } }\n"),
    );
    let s = up.wait_phase("default/claw", "Degraded").await;
    let msg = s["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("the edit was rejected and the previous gateway keeps serving"),
        "{msg}"
    );
    assert!(msg.contains("spec.fly.vm.memoryMb"), "{msg}");
    assert_eq!(
        http_status(&format!("{url}/healthz")).await,
        200,
        "still serving"
    );
    home.write("claw.yaml", &resource("claw", ""));
    up.wait_phase("default/claw", "Ready").await;

    // Ctrl-C: the gateway gets SIGTERM, drains, and removes its lock.
    let out = up.interrupt().await;
    assert!(out.contains("each gateway gets SIGTERM"), "{out}");
    assert!(
        out.contains("openclaw-operator: stopped; the gateways stay declared"),
        "{out}"
    );
    let data = home.operator_state().join("fly-local");
    let log =
        std::fs::read_to_string(data.join("machines").join(&machine).join("machine.log")).unwrap();
    for needle in [
        "Sending signal SIGTERM to main child",
        "received SIGTERM",
        "Main child exited normally with code: 0",
    ] {
        assert!(log.contains(needle), "{needle:?} in {log}");
    }
    let locks: Vec<_> = walk(&data.join("volumes"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "lock"))
        .collect();
    assert!(locks.is_empty(), "no lock left on the volume: {locks:?}");
    assert!(
        !home
            .operator_state()
            .join("running")
            .read_dir()
            .unwrap()
            .any(|_| true),
        "the advert is gone"
    );
    assert_eq!(
        http_status(&format!("{proxied}healthz")).await,
        0,
        "nothing behind the proxy now"
    );

    // The next `up`: the same local port, and `logs -f` carries on.
    let up = home.up(&[]).await;
    let s = up.wait_phase("default/claw", "Ready").await;
    assert_eq!(
        s["localUrl"],
        url.as_str(),
        "the local port is kept across restarts"
    );
    assert_eq!(http_status(&format!("{url}/healthz")).await, 200);
    follow_until(&mut lines, &mut seen, "listening on", 2).await;
    assert_eq!(
        http_status(&format!("{proxied}healthz")).await,
        200,
        "the proxy follows too"
    );

    // A heal that replaces the machine keeps the port as well.
    let (_, machines) = fly_local_get(&home, "/v1/apps/claw/machines").await;
    let id = machines[0]["id"].as_str().unwrap().to_owned();
    fly_local_delete(&home, &format!("/v1/apps/claw/machines/{id}?force=true")).await;
    let healed = wait_new_machine(&up, &id).await;
    assert_eq!(healed["localUrl"], url.as_str(), "{healed:#}");
    assert_eq!(http_status(&format!("{url}/healthz")).await, 200);
    follow_until(&mut lines, &mut seen, "listening on", 3).await;
    let _ = follow.kill().await;
    let _ = proxy.kill().await;
    up.interrupt().await;
}

async fn wait_new_machine(up: &crate::support::Up, old: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s = up.status("default/claw").await;
        let id = s["status"]["fly"]["machineId"].as_str().unwrap_or(old);
        if id != old && s["status"]["phase"] == "Ready" && s["localUrl"].is_string() {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never healed: {s:#}\n{}",
            up.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The embedded fly-local's URL and token, from the `up`'s advert.
pub fn fly_local_url(home: &Home) -> (String, String) {
    let dir = home.operator_state().join("running");
    let advert = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .next()
        .expect("an advert");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(advert.path()).unwrap()).unwrap();
    (
        v["flyLocal"]["baseUrl"].as_str().unwrap().to_owned(),
        v["flyLocal"]["token"].as_str().unwrap().to_owned(),
    )
}

pub async fn fly_local_get(home: &Home, path: &str) -> (u16, serde_json::Value) {
    let (base, token) = fly_local_url(home);
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

async fn fly_local_delete(home: &Home, path: &str) {
    let (base, token) = fly_local_url(home);
    let r = reqwest::Client::new()
        .delete(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
