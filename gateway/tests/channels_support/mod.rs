//! Shared set-up for the channel tests: a real `openclaw gateway` process with
//! `--verbose` (debug lines show why messages are ignored), a fake OpenAI answering
//! for the default agent, and the fake Discord / Telegram the real serenity and
//! teloxide clients are pointed at.

#![allow(dead_code)] // each test binary uses a different part

#[path = "../agents_support/gateway.rs"]
pub mod ws;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openclaw_fakes::providers::{FakeProvider, Flavor};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;

pub use ws::{TOKEN, WsClient};

pub const OPENAI_KEY: &str = "sk-openai-test-channels-SECRET";
/// Generous limits for waits on real processes under a loaded CI machine.
pub const WAIT: Duration = Duration::from_secs(30);

/// The fake model provider answering for the default agent (`openai/gpt-6-astra`);
/// without a script it answers `echo: <message>`.
pub async fn model() -> FakeProvider {
    let fake = FakeProvider::start(Flavor::OpenAi).await;
    fake.require_key(OPENAI_KEY);
    fake
}

/// The environment pointing the gateway at the fake model.
pub fn model_env(model: &FakeProvider) -> Vec<(String, String)> {
    vec![
        ("OPENAI_BASE_URL".into(), model.base_url()),
        ("OPENAI_API_KEY".into(), OPENAI_KEY.into()),
    ]
}

/// A running gateway; killed on drop.
pub struct Gateway {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    lines: Arc<Mutex<Vec<String>>>,
    arrived: Arc<Notify>,
}

impl Gateway {
    /// Writes `config` (plus `gateway.mode: local`) and starts the gateway on a free
    /// port with exactly `env`, waiting for its listening line.
    pub async fn start(config: Value, env: &[(String, String)]) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), config, env, 0).await
    }

    /// As [`Gateway::start`], in `dir` and on `port` (0: any free port).
    pub async fn start_in(
        dir: tempfile::TempDir,
        mut config: Value,
        env: &[(String, String)],
        port: u16,
    ) -> Self {
        config["gateway"] = json!({"mode": "local"});
        std::fs::write(
            dir.path().join("openclaw.json"),
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .unwrap();
        let port_arg = port.to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_openclaw"))
            .args([
                "gateway",
                "--port",
                &port_arg,
                "--bind",
                "loopback",
                "--token",
                TOKEN,
                "--verbose",
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("OPENCLAW_STATE_DIR", dir.path())
            .envs(env.iter().cloned())
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start target/debug/openclaw");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        pump(child.stdout.take().unwrap(), &lines, &arrived);
        pump(child.stderr.take().unwrap(), &lines, &arrived);
        let mut gw = Self {
            child,
            port: 0,
            dir,
            lines,
            arrived,
        };
        let line = gw.wait_for_log("listening on ws://127.0.0.1:").await;
        let rest = line.split("listening on ws://127.0.0.1:").nth(1).unwrap();
        gw.port = rest.split(' ').next().unwrap().parse().unwrap();
        gw
    }

    pub fn state_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every line printed so far (stdout and stderr).
    pub fn logs(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Lines containing `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .cloned()
            .collect()
    }

    /// Waits for a line containing `needle` and returns it.
    pub async fn wait_for_log(&self, needle: &str) -> String {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let arrived = self.arrived.notified();
                if let Some(line) = self.log_lines(needle).into_iter().next() {
                    return line;
                }
                arrived.await;
            }
        })
        .await;
        found.unwrap_or_else(|_| {
            panic!(
                "no log line with {needle:?} within {WAIT:?}:\n{}",
                self.logs()
            )
        })
    }

    /// Waits until `n` lines contain `needle`.
    pub async fn wait_for_logs(&self, needle: &str, n: usize) -> Vec<String> {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let arrived = self.arrived.notified();
                let lines = self.log_lines(needle);
                if lines.len() >= n {
                    return lines;
                }
                arrived.await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("fewer than {n} lines with {needle:?}:\n{}", self.logs()))
    }

    pub async fn connect(&self) -> WsClient {
        WsClient::connect(self.port).await
    }

    /// `GET path` on the gateway's HTTP port.
    pub async fn http_status(&self, path: &str) -> u16 {
        reqwest::get(format!("http://127.0.0.1:{}{path}", self.port))
            .await
            .expect("gateway HTTP")
            .status()
            .as_u16()
    }

    /// SIGTERM and a clean exit; returns everything the process printed.
    pub async fn stop(self) -> String {
        self.stop_keeping_state().await.0
    }

    /// SIGTERM and a clean exit, keeping the state dir for a restart.
    pub async fn stop_keeping_state(mut self) -> (String, tempfile::TempDir) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().expect("running") as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("the gateway stops within 10 s")
            .unwrap();
        assert!(status.success(), "clean exit: {status}\n{}", self.logs());
        (self.logs(), self.dir)
    }
}

fn pump(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    lines: &Arc<Mutex<Vec<String>>>,
    arrived: &Arc<Notify>,
) {
    let lines = Arc::clone(lines);
    let arrived = Arc::clone(arrived);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            lines.lock().unwrap().push(line);
            arrived.notify_waiters();
        }
    });
}

/// A free loopback port (for configs that must name the gateway's own URL).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A long answer with paragraphs, a list and a code fence, to exercise splitting.
pub fn long_answer(paragraphs: usize) -> String {
    let mut out = Vec::new();
    for i in 0..paragraphs {
        let sentence =
            format!("Paragraph {i} explains one more detail of the plan in plain words. ");
        out.push(sentence.repeat(6).trim_end().to_owned());
        if i % 4 == 1 {
            out.push(format!(
                "```rust\n{}```",
                (0..12)
                    .map(|l| format!("let step_{i}_{l} = {l} * 2;\n"))
                    .collect::<String>()
            ));
        }
    }
    out.join("\n\n")
}
