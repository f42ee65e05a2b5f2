//! Shared set-up for the agent engine tests: fake providers on free ports, a
//! temporary state dir, and an environment pointing the real clients at them.

#![allow(dead_code)] // each test binary uses a different part

pub mod gateway;

use std::time::Duration;

use openclaw_fakes::providers::{FakeProvider, Flavor};
use openclaw_gateway::agents::config::{AgentsConfig, Sections, parse};
use openclaw_gateway::agents::endpoints::Env;
use openclaw_gateway::agents::providers::Timeouts;
use openclaw_gateway::agents::{Engine, EngineOptions, RunEvent, SendRequest};
use serde_json::Value;
use tokio::sync::broadcast;

pub const ANTHROPIC_KEY: &str = "sk-ant-test-0123456789-SECRET";
pub const OPENAI_KEY: &str = "sk-openai-test-9876543210-SECRET";
pub const GEMINI_KEY: &str = "AIza-gemini-test-5555-SECRET";

pub struct Harness {
    pub anthropic: FakeProvider,
    pub openai: FakeProvider,
    pub gemini: FakeProvider,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Self {
        let h = Self {
            anthropic: FakeProvider::start(Flavor::Anthropic).await,
            openai: FakeProvider::start(Flavor::OpenAi).await,
            gemini: FakeProvider::start(Flavor::Gemini).await,
            dir: tempfile::tempdir().expect("temp state dir"),
        };
        h.anthropic.require_key(ANTHROPIC_KEY);
        h.openai.require_key(OPENAI_KEY);
        h.gemini.require_key(GEMINI_KEY);
        h
    }

    /// Base URLs and keys, as the gateway's environment would hold them.
    pub fn env(&self) -> Env {
        Env(vec![
            ("ANTHROPIC_BASE_URL".into(), self.anthropic.base_url()),
            ("OPENAI_BASE_URL".into(), self.openai.base_url()),
            ("GOOGLE_BASE_URL".into(), self.gemini.base_url()),
            ("ANTHROPIC_API_KEY".into(), ANTHROPIC_KEY.into()),
            ("OPENAI_API_KEY".into(), OPENAI_KEY.into()),
            ("GEMINI_API_KEY".into(), GEMINI_KEY.into()),
        ])
    }

    pub fn options(&self) -> EngineOptions {
        let mut o = EngineOptions::new(self.dir.path());
        o.env = self.env();
        o.timeouts = Timeouts {
            first_byte: Duration::from_secs(10),
            idle: Duration::from_secs(10),
        };
        o
    }

    pub async fn engine(&self, config: &Value) -> Engine {
        self.engine_with(config, self.options()).await
    }

    pub async fn engine_with(&self, config: &Value, options: EngineOptions) -> Engine {
        Engine::new(agents_config(config), options).expect("engine starts")
    }
}

pub fn agents_config(config: &Value) -> AgentsConfig {
    parse(Sections {
        agents: config.get("agents"),
        auth: config.get("auth"),
        bindings: config.get("bindings"),
        models: config.get("models"),
    })
    .expect("valid test config")
    .config
}

/// A message to run in session `key` (`main`, …) of the default agent.
pub fn message(key: &str, text: &str) -> SendRequest {
    SendRequest {
        session_key: key.into(),
        message: text.into(),
        ..Default::default()
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A config whose default chain is `primary` then `fallbacks`.
pub fn chain(primary: &str, fallbacks: &[&str], max_concurrent: u32) -> Value {
    serde_json::json!({"agents": {"defaults": {
        "model": {"primary": primary, "fallbacks": fallbacks},
        "maxConcurrent": max_concurrent}}})
}

/// `config` with a generous timeout for `provider` (`models.providers.<id>.timeoutSeconds`),
/// so that a test's short default timeouts only ever trip the provider meant to fail,
/// however loaded the machine is.
pub fn patient(mut config: Value, provider: &str) -> Value {
    config["models"]["providers"][provider] = serde_json::json!({"timeoutSeconds": 30});
    config
}

/// Every event of `run_id` up to and including its terminal one.
pub async fn events_of(rx: &mut broadcast::Receiver<RunEvent>, run_id: &str) -> Vec<RunEvent> {
    let mut out = Vec::new();
    let collect = async {
        loop {
            match rx.recv().await {
                Ok(e) if &*e.run_id == run_id => {
                    let last = e.kind.is_terminal();
                    out.push(e);
                    if last {
                        return;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    panic!("test subscriber lagged by {n} events")
                }
                Err(broadcast::error::RecvError::Closed) => panic!("event channel closed"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), collect)
        .await
        .unwrap_or_else(|_| panic!("run {run_id} did not finish within 20 s"));
    out
}
