//! Channels benchmark (run `bench/channels`, or `cargo bench -p openclaw-gateway --bench channels`):
//!
//! 1. **Gateway RSS**: idle with no channel, then with a Discord and a Telegram
//!    bot connected (serenity + teloxide against the fakes), then the peak while
//!    answering a burst.
//! 2. **Round trip per message**: a person's message injected into the fake
//!    platform → the answer posted back (fake model answering at once), one at a
//!    time, for Discord and Telegram: p50 / p99 / mean.
//! 3. **Burst**: B messages in B different Discord channels at once, time until
//!    all are answered.
//! 4. **Reply splitting**: time to split a 100,000-character answer for Discord.
//!
//! The fakes run in this process, the gateway in its own (bench profile), so its
//! RSS is measured alone.

#[path = "../tests/agents_support/gateway.rs"]
#[allow(dead_code)]
mod gateway;

use std::time::{Duration, Instant};

use gateway::GatewayProc;
use openclaw_fakes::discord::{BOT_ID, FakeDiscord, Incoming as DiscordMessage};
use openclaw_fakes::providers::{FakeProvider, Flavor};
use openclaw_fakes::telegram::{FakeTelegram, Incoming as TelegramMessage};
use openclaw_gateway::channels::chunk::{Limits, Unit, split};
use serde_json::json;

mod support;

use support::{arg, rss_mib, summary};

const KEY: &str = "sk-openai-bench";
const LIMIT: Duration = Duration::from_secs(60);

fn stats(ms: Vec<f64>) -> String {
    let (p50, p99, mean) = summary(ms);
    format!("{p50:>8.2} {p99:>8.2} {mean:>8.2}")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rounds = arg("--messages", 200);
    let burst = arg("--burst", 100);
    let model = FakeProvider::start(Flavor::OpenAi).await;
    let mut env = vec![
        ("OPENAI_BASE_URL".to_owned(), model.base_url()),
        ("OPENAI_API_KEY".to_owned(), KEY.to_owned()),
    ];

    // 1a. No channel.
    let state = tempfile::tempdir().unwrap();
    let bare = GatewayProc::start(state.path(), &json!({}), &env).await;
    let (bare_rss, _) = rss_mib(bare.pid());
    bare.stop().await;

    // 1b. Both bots connected.
    let discord = FakeDiscord::start().await;
    let telegram = FakeTelegram::start().await;
    env.extend([
        ("DISCORD_API_BASE_URL".to_owned(), discord.api_base()),
        ("DISCORD_BOT_TOKEN".to_owned(), discord.token()),
        ("TELEGRAM_API_BASE_URL".to_owned(), telegram.api_base()),
        ("TELEGRAM_BOT_TOKEN".to_owned(), telegram.token()),
    ]);
    let config = json!({
        "agents": {"defaults": {"maxConcurrent": burst.max(8)}},
        "channels": {
            "discord": {"groupPolicy": "open", "guilds": {"*": {"requireMention": false}}},
            "telegram": {"dmPolicy": "open", "allowFrom": ["*"]},
        }
    });
    let state = tempfile::tempdir().unwrap();
    let gw = GatewayProc::start(state.path(), &config, &env).await;
    let pid = gw.pid();
    assert!(discord.wait_ready(LIMIT).await, "discord connected");
    assert!(
        telegram
            .wait_until(LIMIT, |t| !t.calls_of("getUpdates").is_empty())
            .await
    );
    let (connected_rss, _) = rss_mib(pid);

    // 2. Round trips, one message at a time.
    let mut dc = Vec::new();
    for i in 0..rounds {
        let start = Instant::now();
        discord.inject(DiscordMessage::guild(
            "1",
            "2",
            &format!("<@{BOT_ID}> ping {i}"),
        ));
        discord.wait_for_posts(i + 1, LIMIT).await;
        dc.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let mut tg = Vec::new();
    for i in 0..rounds {
        let start = Instant::now();
        telegram.inject(TelegramMessage::direct(42, &format!("ping {i}")));
        telegram.wait_for_sent(i + 1, LIMIT).await;
        tg.push(start.elapsed().as_secs_f64() * 1000.0);
    }

    // 3. A burst across many channels.
    let before = discord.posted().len();
    let start = Instant::now();
    for i in 0..burst {
        discord.inject(DiscordMessage::guild(
            "1",
            &format!("{}", 3_000 + i),
            "hello",
        ));
    }
    let all = discord.wait_for_posts(before + burst, LIMIT).await;
    let burst_ms = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(all.len(), before + burst);
    let (after_rss, peak_rss) = rss_mib(pid);
    gw.stop().await;

    // 4. Splitting.
    let text = "A sentence of a long answer, with words. ".repeat(2_500);
    let limits = Limits {
        max_units: 2000,
        max_lines: Some(17),
        unit: Unit::CodePoints,
    };
    let runs = 50;
    let start = Instant::now();
    let mut parts = 0;
    for _ in 0..runs {
        parts = split(std::hint::black_box(&text), limits).len();
    }
    let split_ms = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;

    println!();
    println!("Gateway RSS (bench profile):");
    println!("  no channel, idle                           {bare_rss:>7.1} MiB");
    println!("  Discord + Telegram connected, idle         {connected_rss:>7.1} MiB");
    println!(
        "  after {rounds}×2 round trips and a burst of {burst:<4}  {after_rss:>7.1} MiB (peak {peak_rss:.1} MiB)"
    );
    println!();
    println!("Round trip, message injected → answer posted ({rounds} each, ms):");
    println!("  {:<10} {:>8} {:>8} {:>8}", "", "p50", "p99", "mean");
    println!("  {:<10} {}", "Discord", stats(dc));
    println!("  {:<10} {}", "Telegram", stats(tg));
    println!();
    println!(
        "Burst: {burst} Discord channels at once → all answered in {burst_ms:.0} ms ({:.0} messages/s)",
        burst as f64 / (burst_ms / 1000.0)
    );
    println!(
        "Split a {} KB answer for Discord: {split_ms:.2} ms ({parts} messages)",
        text.len() / 1000
    );
}
