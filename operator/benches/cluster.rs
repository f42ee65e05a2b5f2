//! Benchmark of `openclaw-operator run` against the API-server stand-in
//! (`cargo bench -p openclaw-operator --bench cluster`; `BENCH_RESOURCES=N`,
//! default 1000): N `platform: kubernetes` resources in one namespace.
//!
//! Prints (and writes to `target/bench-cluster.json`):
//! - `converge_s`: from the first create until every StatefulSet exists and
//!   every status is written;
//! - `rss_idle_mb`, `rss_peak_mb`: the operator process's VmRSS once
//!   converged and its VmHWM (the stand-in runs in this process, not counted);
//! - `requests_per_resource`, `writes_per_resource` until convergence;
//! - `steady_writes`: writes during a full resync after convergence (target 0);
//! - `drift_heal_ms` p50/p95/max: a StatefulSet's replicas changed by another
//!   manager (`kubectl scale`-like) until the operator put it back, measured
//!   on a watch, 20 times.

use std::process::Stdio;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::wait::await_condition;
use kube_stand_in::StandIn;
use openclaw_operator::crd::OpenClaw;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

fn kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_RESOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let resync = Duration::from_secs(20);
    let stand_in = StandIn::with_options(200_000, Duration::from_secs(5));
    stand_in.add_user("op", "operator");
    let served = stand_in.serve().await.unwrap();
    let client = stand_in.client();
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &OpenClaw::crd())
        .await
        .unwrap();
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "bench"}})).unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    served.write_kubeconfig(&kubeconfig, "op", "bench").unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_openclaw-operator"))
        .args([
            "run",
            "--namespace",
            "bench",
            "--leader-election",
            "false",
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .args([
            "--resync",
            &format!("{}s", resync.as_secs()),
            "--concurrency",
            "16",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the operator starts");
    let pid = child.id().unwrap();
    let stderr = child.stderr.take().unwrap();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("operator: {line}");
        }
    });
    let claws: Api<OpenClaw> = Api::namespaced(client.clone(), "bench");
    let sts: Api<StatefulSet> = Api::namespaced(client.clone(), "bench");
    let started = Instant::now();
    for i in 0..n {
        let o: OpenClaw = serde_json::from_value(json!({
            "apiVersion": "openclaw.ai/v1alpha1", "kind": "OpenClaw",
            "metadata": {"name": format!("claw-{i}")}, "spec": {"platform": "kubernetes"}}))
        .unwrap();
        claws.create(&PostParams::default(), &o).await.unwrap();
    }
    // Converged: every StatefulSet exists and every status says Provisioning
    // (no kubelet here), polled on the stand-in in-process.
    loop {
        let made = sts.list(&Default::default()).await.unwrap().items.len();
        let statused = claws
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .iter()
            .filter(|o| o.status.as_ref().is_some_and(|s| s.kubernetes.is_some()))
            .count();
        if made == n && statused == n {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "no convergence: {made}/{statused} of {n}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let converge = started.elapsed();
    let operator = |r: &kube_stand_in::RequestRecord| r.user == "operator";
    let log = stand_in.requests();
    let requests = log.iter().filter(|r| operator(r)).count();
    let writes = log
        .iter()
        .filter(|r| operator(r) && !matches!(r.verb.as_str(), "get" | "list" | "watch"))
        .count();
    // Let in-flight reconciles of the last statuses settle, then watch a full resync.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_idle = kib(pid, "VmRSS:");
    stand_in.clear_requests();
    tokio::time::sleep(resync + Duration::from_secs(5)).await;
    let resync_log: Vec<_> = stand_in
        .requests()
        .into_iter()
        .filter(|r| operator(r))
        .collect();
    let steady_reads = resync_log.iter().filter(|r| r.verb == "get").count();
    let steady_writes: Vec<_> = resync_log
        .iter()
        .filter(|r| !matches!(r.verb.as_str(), "get" | "list" | "watch"))
        .map(|r| {
            format!(
                "{} {}/{}",
                r.verb,
                r.resource,
                r.name.clone().unwrap_or_default()
            )
        })
        .collect();
    // Drift: another manager scales a StatefulSet; time until it is put back.
    let mut heal_ms = Vec::new();
    for i in 0..20 {
        let name = format!("claw-{}", i * n / 20);
        let t = Instant::now();
        sts.patch(
            &name,
            &PatchParams {
                field_manager: Some("kubectl-scale".into()),
                ..Default::default()
            },
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
        tokio::time::timeout(
            Duration::from_secs(60),
            await_condition(sts.clone(), &name, |s: Option<&StatefulSet>| {
                s.is_some_and(|s| s.spec.replicas == Some(1))
            }),
        )
        .await
        .expect("healed")
        .unwrap();
        heal_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    heal_ms.sort_by(f64::total_cmp);
    let rss_peak = kib(pid, "VmHWM:");
    let report = json!({
        "resources": n,
        "converge_s": (converge.as_secs_f64() * 10.0).round() / 10.0,
        "rss_idle_mb": rss_idle / 1024,
        "rss_peak_mb": rss_peak / 1024,
        "requests_per_resource": (requests as f64 / n as f64 * 10.0).round() / 10.0,
        "writes_per_resource": (writes as f64 / n as f64 * 10.0).round() / 10.0,
        "steady_resync_reads": steady_reads,
        "steady_writes": steady_writes.len(),
        "steady_write_examples": steady_writes.iter().take(5).collect::<Vec<_>>(),
        "drift_heal_ms": {"p50": percentile(&heal_ms, 0.5).round(), "p95": percentile(&heal_ms, 0.95).round(), "max": heal_ms[heal_ms.len() - 1].round()},
    });
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-cluster.json");
    let _ = std::fs::write(out, serde_json::to_vec_pretty(&report).unwrap());
    let _ = child.kill().await;
}
