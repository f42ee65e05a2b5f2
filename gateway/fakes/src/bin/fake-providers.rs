//! Serves the three fake model providers until killed, for benchmarks and manual runs.
//!
//! Prints one `NAME=VALUE` line per provider base URL (ready to `export`), then
//! `ready`. Options: `--deltas N` and `--delay-ms MS` make every answer stream
//! as N deltas MS apart; `--text T` sets the answer text (default: an echo).

use std::time::Duration;

use openclaw_fakes::providers::{Answer, FakeProvider, Flavor, Reply};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut deltas = None;
    let mut delay = Duration::ZERO;
    let mut text = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "--deltas" => deltas = Some(value().parse().unwrap_or_else(|_| usage("--deltas"))),
            "--delay-ms" => {
                delay =
                    Duration::from_millis(value().parse().unwrap_or_else(|_| usage("--delay-ms")))
            }
            "--text" => text = Some(value()),
            other => usage(other),
        }
    }
    let fakes = [
        (
            "ANTHROPIC_BASE_URL",
            FakeProvider::start(Flavor::Anthropic).await,
        ),
        ("OPENAI_BASE_URL", FakeProvider::start(Flavor::OpenAi).await),
        ("GOOGLE_BASE_URL", FakeProvider::start(Flavor::Gemini).await),
    ];
    for (name, fake) in &fakes {
        if deltas.is_some() || text.is_some() || !delay.is_zero() {
            let n = deltas.unwrap_or(8);
            let body = text.clone().unwrap_or_else(|| "token ".repeat(n));
            fake.always(Reply::Answer(Answer::text(body).deltas(n).delay(delay)));
        }
        println!("{name}={}", fake.base_url());
    }
    println!("ready");
    let _ = tokio::signal::ctrl_c().await;
}

fn usage(arg: &str) -> ! {
    eprintln!(
        "fake-providers: bad argument {arg:?}; usage: fake-providers [--deltas N] [--delay-ms MS] [--text T]"
    );
    std::process::exit(2);
}
