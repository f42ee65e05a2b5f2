//! Headless Chromium driven over the DevTools protocol (CDP on a WebSocket):
//! the browser tests of the Control UI share it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::Ws;

/// The Chromium binary, or a failure naming how to install it.
pub fn chromium() -> String {
    let path = std::env::var("OPENCLAW_CHROMIUM").ok().or_else(|| {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|p| p.to_string())
    });
    path.expect("Chromium is missing: install it with `apt-get install -y chromium` (.ci/run does) or set OPENCLAW_CHROMIUM")
}

/// A headless Chromium showing one page; killed when dropped.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    pub cdp: Cdp,
}

impl Browser {
    /// Starts Chromium (fresh profile, the flags this machine needs) on `url`
    /// and attaches to the page over DevTools.
    pub async fn open(url: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1100,800",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = child.stderr.take().unwrap();
        let devtools = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.split("DevTools listening on ").nth(1).map(str::to_owned))
            .expect("chromium printed its DevTools endpoint");
        let port = devtools
            .split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let targets: Value = reqwest::get(format!("http://127.0.0.1:{port}/json/list"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let page = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target");
        let (ws, _) =
            tokio_tungstenite::connect_async(page["webSocketDebuggerUrl"].as_str().unwrap())
                .await
                .unwrap();
        Self {
            child,
            _profile: profile,
            cdp: Cdp { ws, next: 0 },
        }
    }

    /// Saves a PNG of the page as `target/test-artifacts/<name>` and returns its path.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        let shot = self
            .cdp
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        let dir = std::path::Path::new(super::binary())
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("test-artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, &png).unwrap();
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A DevTools session on one page.
pub struct Cdp {
    ws: Ws,
    next: u64,
}

impl Cdp {
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        self.ws
            .send(Message::Text(
                json!({"id": id, "method": method, "params": params})
                    .to_string()
                    .into(),
            ))
            .await
            .unwrap();
        loop {
            let Some(Ok(Message::Text(t))) = self.ws.next().await else {
                panic!("devtools connection lost")
            };
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    /// Polls `expression` until it is truthy (20 s at most): the page has no
    /// event the test could await instead.
    pub async fn wait_until(&mut self, expression: &str, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.eval(expression).await;
            if !v.is_null() && v != json!(false) && v != json!("") {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Pastes `token` into the login form and waits for the connection.
    pub async fn log_in(&mut self, token: &str) {
        self.wait_until(
            "document.readyState === 'complete' && !!document.getElementById('token')",
            "the page",
        )
        .await;
        self.eval(&format!(
            "(() => {{ document.getElementById('token').value = '{token}'; document.getElementById('connect').click(); return true; }})()"
        ))
        .await;
        let state = self.wait_until("document.getElementById('conn-state').dataset.state === 'connected' || document.getElementById('login-error').textContent", "connection").await;
        assert_eq!(state, true, "login failed: {state}");
    }
}
