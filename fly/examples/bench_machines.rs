//! Load driver for `bench/fly-machines.sh`: N machine creates and repeated
//! lists through the client against a Machines API (fly-local in simulate
//! mode), printing one JSON object with calls/s and latency per phase.
//!
//! ```text
//! bench_machines --url http://127.0.0.1:4280 --token T [--machines 1000] [--concurrency 16] [--lists 50]
//! ```

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fly_machines::{
    CallRecord, Client, CreateApp, CreateMachine, ListMachines, MachineConfig, MachineGuest, Token,
};
use futures::{StreamExt, TryStreamExt, stream};

struct Options {
    url: String,
    token: String,
    machines: usize,
    concurrency: usize,
    lists: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        url: String::new(),
        token: String::new(),
        machines: 1000,
        concurrency: 16,
        lists: 50,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => options.url = value,
            "--token" => options.token = value,
            "--machines" => options.machines = value.parse().context("--machines")?,
            "--concurrency" => options.concurrency = value.parse().context("--concurrency")?,
            "--lists" => options.lists = value.parse().context("--lists")?,
            other => bail!("unknown flag {other}; see the file's doc comment"),
        }
    }
    if options.url.is_empty() || options.token.is_empty() {
        bail!("--url and --token are required");
    }
    Ok(options)
}

/// Latencies and outcomes of one phase.
#[derive(Default)]
struct Phase {
    latencies: Vec<Duration>,
    errors: usize,
}

impl Phase {
    fn report(&self, name: &str, elapsed: Duration) -> serde_json::Value {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pick = |q: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
                .map(|d| d.as_secs_f64() * 1000.0)
        };
        serde_json::json!({
            "phase": name,
            "calls": sorted.len(),
            "errors": self.errors,
            "seconds": elapsed.as_secs_f64(),
            "calls_per_sec": sorted.len() as f64 / elapsed.as_secs_f64(),
            "p50_ms": pick(0.5),
            "p99_ms": pick(0.99),
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let phase = Arc::new(Mutex::new(Phase::default()));
    let observed = phase.clone();
    let client = Client::builder()
        .base_url(&options.url)?
        .token(Token::new(&options.token)?)
        .observer(move |call: &CallRecord<'_>| {
            let mut phase = observed.lock().unwrap();
            phase.latencies.push(call.elapsed);
            if !call.status.is_some_and(|s| (200..300).contains(&s)) {
                phase.errors += 1;
            }
        })
        .build()?;

    let app = format!("bench-{}", std::process::id());
    client
        .apps()
        .create(&CreateApp::new(&app, "personal"))
        .await
        .context("creating the bench app")?;
    let machines = client.machines(&app);
    let mut report = Vec::new();
    let mut run_phase =
        async |name: &str,
               work: std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + '_>>| {
            *phase.lock().unwrap() = Phase::default();
            let started = Instant::now();
            work.await?;
            let elapsed = started.elapsed();
            report.push(phase.lock().unwrap().report(name, elapsed));
            anyhow::Ok(())
        };

    let create = stream::iter(0..options.machines)
        .map(|i| {
            let machines = machines.clone();
            async move {
                let mut config = MachineConfig::new("registry.fly.io/openclaw-rs:bench");
                config.guest = Some(MachineGuest::shared(1, 256));
                config.metadata.insert("bench/index".into(), i.to_string());
                config
                    .metadata
                    .insert("bench/group".into(), (i % 10).to_string());
                machines
                    .create(
                        &CreateMachine::new(config)
                            .name(format!("bench-{i}"))
                            .region("iad"),
                    )
                    .await
            }
        })
        .buffer_unordered(options.concurrency)
        .try_for_each(|_| async { Ok(()) });
    run_phase(
        "create",
        Box::pin(async { create.await.context("create phase") }),
    )
    .await?;

    let list_all = async {
        for _ in 0..options.lists {
            let all = machines.list(&ListMachines::default()).await?;
            if all.len() != options.machines {
                bail!(
                    "listed {} machines, created {}",
                    all.len(),
                    options.machines
                );
            }
        }
        Ok(())
    };
    run_phase("list_all", Box::pin(list_all)).await?;

    let list_by_metadata = async {
        for i in 0..options.lists {
            let group = (i % 10).to_string();
            let found = machines
                .list(&ListMachines::default().metadata("bench/group", group))
                .await?;
            if found.is_empty() {
                bail!("metadata filter found nothing");
            }
        }
        Ok(())
    };
    run_phase("list_by_metadata", Box::pin(list_by_metadata)).await?;

    // Client-side cost of reading a full list: decode the same body repeatedly.
    let raw = reqwest::Client::new()
        .get(format!(
            "{}/v1/apps/{app}/machines",
            options.url.trim_end_matches('/')
        ))
        .bearer_auth(&options.token)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let rounds = 20;
    let started = Instant::now();
    for _ in 0..rounds {
        let decoded: Vec<fly_machines::Machine> = serde_json::from_slice(&raw)?;
        assert_eq!(decoded.len(), options.machines);
    }
    let decode_ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);

    let ids: Vec<String> = machines
        .list(&ListMachines::default().summary())
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let get_each = stream::iter(ids)
        .map(|id| {
            let machines = machines.clone();
            async move { machines.get(&id).await }
        })
        .buffer_unordered(options.concurrency)
        .try_for_each(|_| async { Ok(()) });
    run_phase(
        "get",
        Box::pin(async { get_each.await.context("get phase") }),
    )
    .await?;

    println!(
        "{}",
        serde_json::json!({
            "app": app,
            "machines": options.machines,
            "concurrency": options.concurrency,
            "phases": report,
            "list_body_bytes": raw.len(),
            "client_decode_ms_per_list": decode_ms,
        })
    );
    Ok(())
}
