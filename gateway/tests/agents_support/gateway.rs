//! A real `openclaw gateway` process for end-to-end tests, and a WebSocket
//! client speaking protocol v4 to it (token auth, as the official CLI does).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;

pub const TOKEN: &str = "gateway-test-token";

/// A running gateway on a free loopback port, with its console output captured.
pub struct GatewayProc {
    child: Child,
    pub port: u16,
    pub state_dir: PathBuf,
    output: Arc<Mutex<String>>,
}

impl GatewayProc {
    /// Writes `config` (plus `gateway.mode: local`) to the state dir and starts
    /// the gateway with exactly `env` (and PATH), waiting for its listening line.
    pub async fn start(state_dir: &Path, config: &Value, env: &[(String, String)]) -> Self {
        let mut config = config.clone();
        config["gateway"] = json!({"mode": "local"});
        std::fs::write(
            state_dir.join("openclaw.json"),
            serde_json::to_vec_pretty(&config).unwrap(),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_openclaw"))
            .args([
                "gateway", "--port", "0", "--bind", "loopback", "--token", TOKEN,
            ])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("OPENCLAW_STATE_DIR", state_dir)
            .envs(env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start target/debug/openclaw");
        let output = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        let mut port_tx = Some(port_tx);
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let sink = Arc::clone(&output);
        tokio::spawn(async move {
            while let Ok(Some(line)) = stdout.next_line().await {
                if let Some(rest) = line.split("listening on ws://127.0.0.1:").nth(1)
                    && let Some(tx) = port_tx.take()
                {
                    let port: u16 = rest.split(' ').next().unwrap().parse().unwrap();
                    let _ = tx.send(port);
                }
                let mut out = sink.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        });
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = Arc::clone(&output);
        tokio::spawn(async move {
            while let Ok(Some(line)) = stderr.next_line().await {
                let mut out = sink.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        });
        let port = match tokio::time::timeout(Duration::from_secs(15), port_rx).await {
            Ok(Ok(port)) => port,
            _ => panic!(
                "the gateway did not start listening:\n{}",
                output.lock().unwrap()
            ),
        };
        Self {
            child,
            port,
            state_dir: state_dir.to_owned(),
            output,
        }
    }

    /// The process id (for memory readings).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Everything the process printed so far (stdout and stderr).
    pub fn logs(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id().expect("running") as i32);
        nix::sys::signal::kill(pid, signal).expect("signal the gateway");
    }

    /// SIGKILL: no shutdown, no cleanup.
    pub async fn kill9(mut self) {
        self.signal(nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait().await;
    }

    /// SIGTERM and wait for a clean exit.
    pub async fn stop(mut self) -> String {
        self.signal(nix::sys::signal::Signal::SIGTERM);
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("the gateway stops within 10 s")
            .unwrap();
        assert!(status.success(), "clean exit on SIGTERM: {status}");
        self.logs()
    }

    pub async fn connect(&self) -> WsClient {
        WsClient::connect(self.port).await
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A protocol-v4 client: `connect` with the token, then requests and events.
pub struct WsClient {
    ws: Ws,
    next_id: u64,
    events: VecDeque<Value>,
    pub hello: Value,
}

impl WsClient {
    pub async fn connect(port: u16) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/"))
            .await
            .expect("websocket upgrade");
        let mut client = Self {
            ws,
            next_id: 0,
            events: VecDeque::new(),
            hello: Value::Null,
        };
        let challenge = client.next_frame().await;
        assert_eq!(challenge["event"], "connect.challenge", "{challenge}");
        let res = client
            .call(
                "connect",
                json!({"minProtocol": 4, "maxProtocol": 4,
                       "client": {"id": "cli", "version": "test", "platform": "linux", "mode": "cli"},
                       "role": "operator", "scopes": ["operator.admin", "operator.read", "operator.write"],
                       "caps": [], "auth": {"token": TOKEN}}),
            )
            .await;
        assert_eq!(res["ok"], true, "connect refused: {res}");
        client.hello = res["payload"].clone();
        client
    }

    async fn next_frame(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .expect("a frame within 20 s")
                .expect("socket open")
                .expect("frame read");
            if let Message::Text(text) = msg {
                return serde_json::from_str(&text).expect("JSON frame");
            }
        }
    }

    /// Sends a request and returns its (first) response frame; events seen
    /// meanwhile are kept for [`WsClient::event`].
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = format!("{}:test", self.next_id);
        let frame = json!({"type": "req", "id": id, "method": method, "params": params});
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
        self.response(&id).await
    }

    /// `chat.send` of `message` to session `key` as run `run_id`; returns the response frame.
    pub async fn send_chat(&mut self, key: &str, message: &str, run_id: &str) -> Value {
        self.call(
            "chat.send",
            json!({"sessionKey": key, "message": message, "idempotencyKey": run_id}),
        )
        .await
    }

    /// The next response frame with `id` (for a second reply to the same id).
    pub async fn response(&mut self, id: &str) -> Value {
        loop {
            let f = self.next_frame().await;
            if f["type"] == "res" && f["id"] == id {
                return f;
            }
            if f["type"] == "event" {
                self.events.push_back(f);
            }
        }
    }

    /// The next event frame named `name` (others are skipped).
    pub async fn event(&mut self, name: &str) -> Value {
        loop {
            let f = match self.events.pop_front() {
                Some(f) => f,
                None => self.next_frame().await,
            };
            if f["type"] == "event" && f["event"] == name {
                return f;
            }
        }
    }

    /// `chat` event payloads of `run_id` up to its final/aborted/error one.
    pub async fn chat_until_done(&mut self, run_id: &str) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let e = self.event("chat").await;
            if e["payload"]["runId"] != run_id {
                continue;
            }
            let state = e["payload"]["state"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            out.push(e["payload"].clone());
            if matches!(state.as_str(), "final" | "aborted" | "error") {
                return out;
            }
        }
    }
}
