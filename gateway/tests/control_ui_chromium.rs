//! The Control UI in real headless Chromium, driven over the DevTools protocol: load the
//! page, paste the token, see the health. The screenshot is kept under
//! `target/test-artifacts/control-ui.png`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

fn chromium() -> String {
    let path = std::env::var("OPENCLAW_CHROMIUM").ok().or_else(|| {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|p| p.to_string())
    });
    path.expect("Chromium is missing: install it with `apt-get install -y chromium` (.ci/run does) or set OPENCLAW_CHROMIUM")
}

struct Cdp {
    ws: Ws,
    next: u64,
}

impl Cdp {
    async fn call(&mut self, method: &str, params: Value) -> Value {
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

    async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    async fn wait_until(&mut self, expression: &str, what: &str) -> Value {
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
}

#[tokio::test]
async fn chromium_control_ui_shows_health_after_pasting_the_token() {
    let gw = Gateway::start(&[]);
    let profile = tempfile::tempdir().unwrap();
    let mut browser = Command::new(chromium())
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
        .arg(gw.http("/"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stderr = browser.stderr.take().unwrap();
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
    let (ws, _) = tokio_tungstenite::connect_async(page["webSocketDebuggerUrl"].as_str().unwrap())
        .await
        .unwrap();
    let mut cdp = Cdp { ws, next: 0 };

    cdp.wait_until(
        "document.readyState === 'complete' && !!document.getElementById('token')",
        "the page",
    )
    .await;
    assert_eq!(cdp.eval("document.title").await, "OpenClaw Control");
    cdp.eval(&format!(
        "(() => {{ document.getElementById('token').value = '{TOKEN}'; document.getElementById('connect').click(); return true; }})()"
    ))
    .await;
    let state = cdp.wait_until("document.getElementById('conn-state').dataset.state === 'connected' || document.getElementById('login-error').textContent", "connection").await;
    assert_eq!(state, true, "login failed: {state}");
    let health = cdp
        .wait_until(
            "document.getElementById('health-state').textContent.replace('…', '')",
            "health",
        )
        .await;
    assert_eq!(health, "OK");
    // Presence lists the gateway and this browser.
    cdp.eval("document.querySelector('[data-tab=clients]').click()")
        .await;
    let rows = cdp.wait_until("document.querySelectorAll('#presence-rows tr').length >= 2 && document.getElementById('presence-rows').innerText", "presence").await;
    assert!(
        rows.as_str().unwrap().contains("openclaw-control-ui"),
        "{rows}"
    );
    cdp.eval("document.querySelector('[data-tab=overview]').click()")
        .await;

    let shot = cdp
        .call("Page.captureScreenshot", json!({"format": "png"}))
        .await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    let target = std::path::Path::new(binary())
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("control-ui.png"), &png).unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    let _ = browser.kill();
    let _ = browser.wait();
}
