//! Agents benchmark (run `bench/agents`, or `cargo bench -p openclaw-gateway --bench agents`):
//!
//! 1. **Added latency per streamed token**: the fake Anthropic provider streams
//!    N deltas; for each we take the time from the fake handing it to its
//!    socket to (a) our provider client reading it directly, and (b) a
//!    WebSocket client receiving the matching `chat` delta event through a
//!    real `openclaw gateway` process. The difference is what the gateway adds.
//! 2. **Gateway RSS with concurrent streaming sessions**: S WebSocket clients,
//!    one session each, all streaming at once (`maxConcurrent` = S); the
//!    gateway process's RSS idle, while all S stream, and its peak.
//!
//! The fake provider and the clients run in this process, the gateway in its
//! own (built with the bench profile), so its RSS is measured alone.

#[path = "../tests/agents_support/gateway.rs"]
#[allow(dead_code)]
mod gateway;

use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::join_all;
use gateway::{GatewayProc, WsClient};
use openclaw_fakes::providers::{Answer, FakeProvider, Flavor, Reply};
use openclaw_gateway::agents::providers::{
    ChatMessage, Endpoint, ModelRequest, Role, StreamItem, Timeouts, built_in, open,
};
use openclaw_gateway::agents::secret::ApiKey;
use serde_json::{Value, json};

mod support;

use support::{arg, rss_mib, summary};

const KEY: &str = "sk-ant-bench";

fn config(max_concurrent: usize) -> Value {
    json!({"agents": {"defaults": {"model": "anthropic/claude-bench", "maxConcurrent": max_concurrent}}})
}

fn env(fake: &FakeProvider) -> Vec<(String, String)> {
    vec![
        ("ANTHROPIC_BASE_URL".into(), fake.base_url()),
        ("ANTHROPIC_API_KEY".into(), KEY.into()),
    ]
}

fn answer(tokens: usize, delay: Duration) -> Reply {
    Reply::Answer(
        Answer::text("tok ".repeat(tokens))
            .deltas(tokens)
            .delay(delay),
    )
}

/// Per-token latency (µs) reading the fake directly with our provider client.
async fn direct(fake: &FakeProvider, tokens: usize, delay: Duration) -> Vec<f64> {
    fake.push("claude-bench", answer(tokens, delay));
    let endpoint = Endpoint {
        provider: "anthropic".into(),
        api: built_in("anthropic").unwrap().api,
        base_url: fake.base_url(),
        headers: Vec::new(),
        timeouts: Timeouts::default(),
    };
    let request = ModelRequest {
        model: "claude-bench".into(),
        system: None,
        messages: vec![ChatMessage {
            role: Role::User,
            text: "go".into(),
        }],
        max_tokens: 1024,
    };
    let before = fake.requests().len();
    let http = reqwest::Client::new();
    let mut stream = open(&http, &endpoint, &ApiKey::new(KEY).unwrap(), &request)
        .await
        .unwrap();
    let mut received = Vec::with_capacity(tokens);
    while let Some(item) = stream.next().await {
        match item.unwrap() {
            StreamItem::Text(_) => received.push(Instant::now()),
            StreamItem::Done { .. } => break,
        }
    }
    let sent = fake.requests()[before].delta_times();
    sent.iter()
        .zip(&received)
        .map(|(s, r)| r.duration_since(*s).as_secs_f64() * 1e6)
        .collect()
}

/// Per-token latency (µs) from the fake to a WebSocket client, through the gateway.
async fn through_gateway(
    fake: &FakeProvider,
    gw: &GatewayProc,
    tokens: usize,
    delay: Duration,
) -> Vec<f64> {
    fake.push("claude-bench", answer(tokens, delay));
    let mut client = gw.connect().await;
    let before = fake.requests().len();
    let run = format!("lat-{before}");
    client
        .call(
            "chat.send",
            json!({"sessionKey": run, "message": "go", "idempotencyKey": run}),
        )
        .await;
    let mut received = Vec::with_capacity(tokens);
    loop {
        let e = client.event("chat").await;
        let at = Instant::now();
        if e["payload"]["runId"] != run.as_str() {
            continue;
        }
        match e["payload"]["state"].as_str() {
            Some("delta") => received.push(at),
            Some("final") => break,
            Some("error" | "aborted") => panic!("run failed: {e}"),
            _ => {}
        }
    }
    let sent = fake.requests()[before].delta_times();
    sent.iter()
        .zip(&received)
        .map(|(s, r)| r.duration_since(*s).as_secs_f64() * 1e6)
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sessions = arg("--sessions", 100);
    let tokens = arg("--tokens", 400);
    let stream_tokens = arg("--stream-tokens", 100);
    let fake = FakeProvider::start(Flavor::Anthropic).await;
    fake.require_key(KEY);
    let state = tempfile::tempdir().unwrap();
    let gw = GatewayProc::start(state.path(), &config(sessions), &env(&fake)).await;
    let pid = gw.pid();

    // 1. Latency per token (2 ms between tokens so each travels on its own).
    let delay = Duration::from_millis(2);
    direct(&fake, 20, delay).await; // warm-up
    through_gateway(&fake, &gw, 20, delay).await;
    let (d50, d99, dmean) = summary(direct(&fake, tokens, delay).await);
    let (g50, g99, gmean) = summary(through_gateway(&fake, &gw, tokens, delay).await);

    // 2. RSS with `sessions` sessions streaming at once: first all driven by one
    //    WebSocket client, then each by its own client (every client receives
    //    every session's events: the fan-out worst case).
    let (idle, _) = rss_mib(pid);
    fake.always(answer(stream_tokens, Duration::from_millis(100)));
    let one = streaming_rss(&fake, &gw, sessions, false).await;
    let many = streaming_rss(&fake, &gw, sessions, true).await;
    let (after, peak) = rss_mib(pid);
    gw.stop().await;

    println!();
    println!("Added latency per streamed token ({tokens} tokens, 2 ms apart; fake → reader):");
    println!("  {:<34} {:>9} {:>9} {:>9}", "", "p50", "p99", "mean");
    println!(
        "  {:<34} {:>6.0} µs {:>6.0} µs {:>6.0} µs",
        "direct (provider client)", d50, d99, dmean
    );
    println!(
        "  {:<34} {:>6.0} µs {:>6.0} µs {:>6.0} µs",
        "through gateway (WebSocket event)", g50, g99, gmean
    );
    println!(
        "  {:<34} {:>6.0} µs {:>6.0} µs {:>6.0} µs",
        "added by the gateway",
        g50 - d50,
        g99 - d99,
        gmean - dmean
    );
    println!();
    println!(
        "Gateway RSS with {sessions} sessions streaming at once ({stream_tokens} tokens each, 100 ms apart):"
    );
    println!("  idle after start                          {idle:>7.1} MiB");
    for (label, m) in [
        ("driven by 1 WebSocket client", &one),
        ("driven by 1 client each (fan-out)", &many),
    ] {
        println!(
            "  {label:<36} {:>7.1} MiB while all stream ({} clients connected: {:.1} MiB; {}/{sessions} answered; {} at once at the provider)",
            m.streaming, m.clients, m.connected, m.answered, m.max_in_flight
        );
    }
    println!(
        "  after the runs                            {after:>7.1} MiB (peak VmHWM {peak:.1} MiB)"
    );
}

/// Memory readings of one streaming round.
struct Round {
    clients: usize,
    connected: f64,
    streaming: f64,
    answered: usize,
    max_in_flight: usize,
}

/// Starts `sessions` runs at once (one client, or one client per session),
/// samples the gateway's RSS while all of them stream, waits for every answer.
async fn streaming_rss(
    fake: &FakeProvider,
    gw: &GatewayProc,
    sessions: usize,
    client_per_session: bool,
) -> Round {
    let pid = gw.pid();
    let tag = if client_per_session { "many" } else { "one" };
    let clients = if client_per_session { sessions } else { 1 };
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(gw.connect().await);
    }
    let (connected, _) = rss_mib(pid);
    let before = fake.requests().len();
    let in_flight_before = fake.max_in_flight();
    let drive = async {
        let per_client = sessions / clients;
        let runs = conns.into_iter().enumerate().map(|(c, mut client): (usize, WsClient)| async move {
            let ids: Vec<String> = (0..per_client).map(|i| format!("{tag}-{c}-{i}")).collect();
            for id in &ids {
                client
                    .call("chat.send", json!({"sessionKey": id, "message": "stream please", "idempotencyKey": id}))
                    .await;
            }
            // Every client sees every run's events: count the ends of its own.
            let (mut answered, mut ended) = (0, 0);
            while ended < ids.len() {
                let e = client.event("chat").await;
                let p = &e["payload"];
                if !ids.iter().any(|id| p["runId"] == id.as_str()) {
                    continue;
                }
                match p["state"].as_str() {
                    Some("final") => (answered, ended) = (answered + 1, ended + 1),
                    Some("error" | "aborted") => ended += 1,
                    _ => {}
                }
            }
            answered
        });
        join_all(runs).await.into_iter().sum::<usize>()
    };
    let sample = async {
        let started = Instant::now();
        while fake.requests().len() < before + sessions
            && started.elapsed() < Duration::from_secs(60)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut streaming: f64 = 0.0;
        while fake.in_flight() > 0 {
            if fake.in_flight() >= sessions {
                streaming = streaming.max(rss_mib(pid).0);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        streaming
    };
    let (answered, streaming) = tokio::join!(drive, sample);
    Round {
        clients,
        connected,
        streaming,
        answered,
        max_in_flight: fake.max_in_flight().max(in_flight_before),
    }
}
