//! Scale benchmark of the `fly-local` server itself (the client-side bench
//! lives with the fly-machines crate): 1,000 simulated machine creates, gets
//! and lists over HTTP with 8 concurrent clients, then the server's RSS.
//!
//! `cargo bench -p fly-local --bench scale` (set FLY_LOCAL_BENCH_MACHINES to
//! change the count).

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Instant;

use futures::StreamExt;
use serde_json::{Value, json};

const TOKEN: &str = "bench-token";
const CONCURRENCY: usize = 8;

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("FLY_LOCAL_BENCH_MACHINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fly-local"))
        .args([
            "serve",
            "--simulate",
            "--transition-ms",
            "1",
            "--token",
            TOKEN,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data",
        ])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fly-local");
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let _ready = lines
        .find(|l| l.as_ref().is_ok_and(|l| l.contains("Machines API on")))
        .expect("fly-local did not start");
    std::thread::spawn(move || lines.for_each(drop));
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}/v1");
    let http = reqwest::Client::new();
    let rss_idle = rss_kb(pid);

    http.post(format!("{base}/apps"))
        .bearer_auth(TOKEN)
        .json(&json!({"name": "bench", "org_slug": "personal"}))
        .send()
        .await
        .unwrap();

    let started = Instant::now();
    let ids: Vec<String> = futures::stream::iter(0..n)
        .map(|i| {
            let http = http.clone();
            let base = base.clone();
            async move {
                let body = json!({"name": format!("m{i}"), "config": {
                    "image": "registry.fly.io/openclaw-rs:latest",
                    "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 256},
                    "env": {"OPENCLAW_STATE_DIR": "/data"},
                    "services": [{"protocol": "tcp", "internal_port": 3000, "ports": [{"port": 443, "handlers": ["tls", "http"]}]}],
                    "checks": {"healthz": {"type": "http", "port": 3000, "path": "/healthz", "interval": "15s"}},
                    "metadata": {"openclaw.ai/owner": format!("default/m{i}")}}});
                let r = http.post(format!("{base}/apps/bench/machines")).bearer_auth(TOKEN).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let create_secs = started.elapsed().as_secs_f64();
    let rss_created = rss_kb(pid);

    let started = Instant::now();
    futures::stream::iter(ids.iter())
        .map(|id| {
            let req = http
                .get(format!("{base}/apps/bench/machines/{id}"))
                .bearer_auth(TOKEN)
                .send();
            async move { assert_eq!(req.await.unwrap().status(), 200) }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let get_secs = started.elapsed().as_secs_f64();

    let lists = 20;
    let started = Instant::now();
    for _ in 0..lists {
        let r = http
            .get(format!("{base}/apps/bench/machines"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.json::<Value>().await.unwrap().as_array().unwrap().len(),
            n
        );
    }
    let list_secs = started.elapsed().as_secs_f64();
    let rss_after = rss_kb(pid);
    let peak = peak_kb(pid);

    println!("fly-local scale bench: {n} simulated machines, {CONCURRENCY} concurrent clients");
    println!(
        "  create: {:>8.0} calls/s ({create_secs:.2} s)",
        n as f64 / create_secs
    );
    println!(
        "  get:    {:>8.0} calls/s ({get_secs:.2} s)",
        n as f64 / get_secs
    );
    println!(
        "  list of {n}: {:>6.1} ms each",
        list_secs * 1000.0 / lists as f64
    );
    println!(
        "  server RSS: idle {} MB, after the creates {} MB, after the lists {} MB, peak {} MB",
        rss_idle / 1024,
        rss_created / 1024,
        rss_after / 1024,
        peak / 1024
    );
    let _ = child.kill();
    let _ = child.wait();
}

fn status_field(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn rss_kb(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

fn peak_kb(pid: u32) -> u64 {
    status_field(pid, "VmHWM:")
}
