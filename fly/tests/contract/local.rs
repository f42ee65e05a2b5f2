//! An embedded fly-local for one test, and its admin API (request log, fault
//! injection, process kill) as agreed in fly-local's contract.

#![allow(dead_code)] // each test module uses a different part

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fly_machines::{
    CallRecord, Client, ClientBuilder, CreateApp, CreateMachine, Machine, MachineConfig,
    RetryPolicy, Token, WaitFor, WaitState,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The image simulated machines run (no process).
pub const IMAGE: &str = "registry.fly.io/openclaw-rs:contract";

/// One entry of fly-local's request log.
#[derive(Debug, Clone, Deserialize)]
pub struct Logged {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub route: String,
    pub status: u16,
    pub mutating: bool,
    pub fault: Option<String>,
}

/// The image whose machines are real processes: a shell from the host.
pub const SHELL_IMAGE: &str = "contract/sh:1";

/// A running fly-local with a fresh data directory.
pub struct Local {
    server: Option<fly_local::FlyLocal>,
    base_url: String,
    token: String,
    _data: tempfile::TempDir,
    admin: reqwest::Client,
}

impl Local {
    /// fly-local in simulate mode (machines without processes).
    pub async fn start() -> Self {
        Self::start_with(|builder| builder.simulate(true)).await
    }

    /// fly-local whose [`SHELL_IMAGE`] machines are real processes (a shell
    /// that prints a line and sleeps), everything else simulated.
    pub async fn start_with_processes() -> Self {
        Self::start_with(|builder| {
            builder
                .image(fly_local::ImageSpec {
                    pattern: "contract/sh:*".into(),
                    path: vec!["/usr/bin".into(), "/bin".into()],
                    cmd: vec![
                        "sh".into(),
                        "-c".into(),
                        "echo machine up; exec sleep 3600".into(),
                    ],
                    ..Default::default()
                })
                .image(fly_local::ImageSpec {
                    pattern: "*".into(),
                    simulate: true,
                    ..Default::default()
                })
        })
        .await
    }

    async fn start_with(
        configure: impl FnOnce(fly_local::FlyLocalBuilder) -> fly_local::FlyLocalBuilder,
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        let builder = fly_local::FlyLocal::builder()
            .data_dir(data.path())
            .token("contract-token");
        let server = configure(builder).start().await.expect("fly-local starts");
        Self {
            base_url: server.base_url(),
            token: server.token().to_owned(),
            server: Some(server),
            _data: data,
            admin: reqwest::Client::new(),
        }
    }

    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn token(&self) -> String {
        self.token.clone()
    }

    /// A client builder for this fly-local with millisecond retry delays.
    pub fn builder(&self) -> ClientBuilder {
        Client::builder()
            .base_url(&self.base_url())
            .unwrap()
            .token(Token::new(&self.token()).unwrap())
            .retry_policy(RetryPolicy {
                min_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(20),
                ..RetryPolicy::default()
            })
    }

    pub fn client(&self) -> Client {
        self.builder().build().unwrap()
    }

    /// Creates app `name` in the personal org.
    pub async fn app(&self, name: &str) {
        self.client()
            .apps()
            .create(&CreateApp::new(name, "personal"))
            .await
            .unwrap();
    }

    /// Creates a simulated machine in `app` with metadata `k` = `v`.
    pub async fn machine(&self, app: &str, name: &str) -> Machine {
        let mut config = MachineConfig::new(IMAGE);
        config.metadata.insert("contract/name".into(), name.into());
        self.client()
            .machines(app)
            .create(&CreateMachine::new(config).name(name).region("iad"))
            .await
            .unwrap()
    }

    /// Waits (up to 30 s) until machine `id` of `app` is started.
    pub async fn started(&self, app: &str, id: &str) {
        let target = WaitFor::state(WaitState::Started, Duration::from_secs(30));
        self.client().machines(app).wait(id, &target).await.unwrap();
    }

    fn admin_url(&self, path: &str) -> String {
        format!(
            "{}/__fly-local/{path}",
            self.base_url().trim_end_matches('/')
        )
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .admin
            .request(method, self.admin_url(path))
            .bearer_auth(self.token());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "admin {path}: {status} {text}");
        if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    /// Every API call fly-local served since the log was last cleared.
    pub async fn requests(&self) -> Vec<Logged> {
        let log = self.admin(reqwest::Method::GET, "requests", None).await;
        serde_json::from_value(log["requests"].clone()).unwrap()
    }

    /// Calls of `route` (e.g. `POST /v1/apps/{app_name}/machines`).
    pub async fn calls_of(&self, route: &str) -> Vec<Logged> {
        self.requests()
            .await
            .into_iter()
            .filter(|r| r.route == route)
            .collect()
    }

    pub async fn clear_requests(&self) {
        self.admin(reqwest::Method::DELETE, "requests", None).await;
    }

    /// Injects a fault (see fly-local's contract for the fields); returns its id.
    pub async fn inject(&self, fault: Value) -> String {
        let created = self
            .admin(reqwest::Method::POST, "faults", Some(fault))
            .await;
        created["id"].as_str().unwrap().to_owned()
    }

    /// An `error` fault on `route` answering `status`, `times` times.
    pub async fn fail(&self, route: &str, status: u16, times: u64) -> String {
        self.inject(json!({"route": route, "kind": "error", "status": status, "times": times}))
            .await
    }

    pub async fn clear_faults(&self) {
        self.admin(reqwest::Method::DELETE, "faults", None).await;
    }

    /// Shuts fly-local down (its port stops answering).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Kills the machine's process as if it crashed.
    pub async fn kill(&self, machine_id: &str) {
        self.admin(
            reqwest::Method::POST,
            &format!("machines/{machine_id}/kill"),
            Some(json!({"signal": "SIGKILL"})),
        )
        .await;
    }
}

/// Route label and status (None: no answer) of one attempt.
pub type Attempt = (String, Option<u16>);

/// Records the (route, status) of every attempt a client reports.
#[derive(Clone, Default)]
pub struct Attempts(Arc<Mutex<Vec<Attempt>>>);

impl Attempts {
    pub fn observer(&self) -> impl Fn(&CallRecord<'_>) + Send + Sync + 'static {
        let seen = self.0.clone();
        move |call| {
            seen.lock()
                .unwrap()
                .push((call.route.to_owned(), call.status))
        }
    }

    pub fn all(&self) -> Vec<Attempt> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}
