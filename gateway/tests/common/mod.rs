//! Test harness: runs the real `openclaw` binary on a free port and talks to it over
//! real sockets. Readiness is the start-up line, never a sleep.
#![allow(dead_code)]

pub mod browser;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub const TOKEN: &str = "test-token-0123";

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_openclaw")
}

/// A command for the gateway with a clean environment and `state` as state dir.
pub fn command(state: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.arg("gateway")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", state)
        .env("OPENCLAW_STATE_DIR", state)
        .current_dir(state);
    cmd
}

/// A running gateway; killed on drop.
pub struct Gateway {
    pub child: Child,
    pub port: u16,
    pub state: tempfile::TempDir,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl Gateway {
    /// Starts with `--allow-unconfigured --bind loopback --port 0 --token TOKEN` plus `extra`.
    pub fn start(extra: &[&str]) -> Self {
        Self::start_with(
            tempfile::tempdir().unwrap(),
            &[
                "--allow-unconfigured",
                "--bind",
                "loopback",
                "--port",
                "0",
                "--token",
                TOKEN,
            ],
            extra,
            &[],
        )
    }

    pub fn start_with(
        state: tempfile::TempDir,
        base: &[&str],
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let mut cmd = command(state.path(), &args);
        cmd.envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn openclaw");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        pump(child.stdout.take().unwrap(), stdout.clone(), Some(tx));
        pump(child.stderr.take().unwrap(), stderr.clone(), None);
        let port = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(port) => port,
            Err(_) => panic!(
                "gateway did not start: stdout={:?} stderr={:?}",
                stdout.lock().unwrap(),
                stderr.lock().unwrap()
            ),
        };
        Self {
            child,
            port,
            state,
            stdout,
            stderr,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.port)
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits until a stdout line contains `needle`.
    pub fn wait_for_line(&self, needle: &str) -> String {
        wait_for(&self.stdout, needle)
    }

    pub fn output(&self) -> String {
        let mut all = self.stdout.lock().unwrap().join("\n");
        all.push('\n');
        all.push_str(&self.stderr.lock().unwrap().join("\n"));
        all
    }

    pub fn sigterm(&self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
    }

    pub fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "gateway did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn lock_files(&self) -> Vec<PathBuf> {
        lock_files(self.state.path())
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn lock_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect()
}

fn pump(
    reader: impl std::io::Read + Send + 'static,
    sink: Arc<Mutex<Vec<String>>>,
    port_tx: Option<std::sync::mpsc::Sender<u16>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            if let Some(tx) = &port_tx
                && let Some(rest) = line.split("listening on ws://").nth(1)
            {
                let port = rest
                    .split(' ')
                    .next()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let _ = tx.send(port);
            }
            sink.lock().unwrap().push(line);
        }
    });
}

pub fn wait_for(lines: &Arc<Mutex<Vec<String>>>, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(line) = lines.lock().unwrap().iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no line containing {needle:?} in {:?}",
            lines.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the gateway expecting it to exit by itself; returns (code, stdout, stderr).
pub fn run_to_exit(state: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = command(state, args);
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket (optionally with an `Origin`) and returns it with the challenge.
pub async fn open(url: &str, origin: Option<&str>) -> (Ws, Value) {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("origin", o)).into_iter().collect();
    open_with_headers(url, &headers).await
}

/// Opens a WebSocket with extra request headers and returns it with the challenge.
pub async fn open_with_headers(url: &str, headers: &[(&'static str, &str)]) -> (Ws, Value) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let challenge = next_json(&mut ws).await;
    (ws, challenge)
}

pub fn connect_frame(client_id: &str, mode: &str, auth: Value) -> Value {
    json!({"type": "req", "id": "c1", "method": "connect", "params": {
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": client_id, "version": "1.0", "platform": "linux", "mode": mode},
        "role": "operator", "scopes": ["operator.read"], "caps": [], "auth": auth }})
}

/// Connects as the CLI with the token and returns the socket after `hello-ok`.
pub async fn connected(url: &str) -> (Ws, Value) {
    let (mut ws, _) = open(url, None).await;
    send(
        &mut ws,
        &connect_frame("cli", "cli", json!({"token": TOKEN})),
    )
    .await;
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["ok"], true, "{hello}");
    (ws, hello)
}

pub async fn send(ws: &mut Ws, frame: &Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// The next text frame as JSON (fails on close).
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("frame in time")
        {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// The next response frame, skipping events.
pub async fn next_response(ws: &mut Ws) -> Value {
    loop {
        let frame = next_json(ws).await;
        if frame["type"] == "res" {
            return frame;
        }
    }
}

/// Reads until the server closes; returns (code, reason) and any text frames before it.
pub async fn until_close(ws: &mut Ws) -> (u16, String, Vec<Value>) {
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Text(t))) => frames.push(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(Some(f)))) => {
                return (f.code.into(), f.reason.to_string(), frames);
            }
            Some(Ok(Message::Close(None))) | None => return (1005, String::new(), frames),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("socket error before close: {e}"),
        }
    }
}
