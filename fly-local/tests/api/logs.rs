//! Machine output: Fly's log API shape (`/api/v1/apps/{app}/logs`, what
//! flyctl polls), following a machine's log across restarts, and the
//! graceful stop of machines when fly-local shuts down.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::{TOKEN, TestServer, log_shows, standin_image};

async fn server() -> TestServer {
    TestServer::start(|b| b.image(standin_image("test/standin:*"))).await
}

async fn standin(t: &TestServer, app: &str) -> String {
    let m = t
        .api
        .create_machine(
            app,
            json!({"region": "iad", "config": {"image": "test/standin:1", "restart": {"policy": "no"}}}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(app, &id, "started").await;
    log_shows(t, &id, "standin listening").await;
    id
}

/// Polls the log API from `token` until a line containing `needle` comes;
/// returns every line seen and the last token.
async fn poll_until(
    t: &TestServer,
    app: &str,
    mut token: String,
    needle: &str,
) -> (Vec<Value>, String) {
    let mut seen = Vec::new();
    for _ in 0..200 {
        let r = t
            .api
            .get(&format!("/api/v1/apps/{app}/logs?next_token={token}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        token = r.body["meta"]["next_token"].as_str().unwrap().to_owned();
        let data = r.body["data"].as_array().unwrap().clone();
        let found = data.iter().any(|d| {
            d["attributes"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(needle)
        });
        seen.extend(data);
        if found {
            return (seen, token);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no log line with {needle:?}; saw {seen:#?}");
}

#[tokio::test]
async fn app_logs_have_flys_shape_and_continue_from_their_token() {
    let t = server().await;
    let app = t.app("logs-shape").await;
    let id = standin(&t, &app).await;
    let (lines, token) = poll_until(&t, &app, String::new(), "standin listening").await;
    assert!(!token.is_empty());
    let first = &lines[0];
    assert_eq!(first["type"], "logs");
    let a = &first["attributes"];
    assert_eq!(a["instance"], id.as_str());
    assert_eq!(a["region"], "iad");
    assert_eq!(a["meta"]["event"]["provider"], "runner");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .starts_with("Preparing to run"),
        "{a}"
    );
    assert!(
        a["timestamp"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok(),
        "{a}"
    );
    assert_eq!(a["level"], "info");
    let app_line = lines
        .iter()
        .find(|l| l["attributes"]["meta"]["event"]["provider"] == "app")
        .expect("the process's own output");
    assert!(
        app_line["attributes"]["message"]
            .as_str()
            .unwrap()
            .contains("standin listening")
    );

    // Nothing new: an empty page that keeps the token.
    let r = t
        .api
        .get(&format!("/api/v1/apps/{app}/logs?next_token={token}"))
        .await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["meta"]["next_token"], token.as_str());

    // A restart: the same token gives only what came after, signal included.
    let r = t
        .api
        .post(&format!("/v1/apps/{app}/machines/{id}/restart"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (after, _) = poll_until(&t, &app, token, "standin listening").await;
    let texts: Vec<&str> = after
        .iter()
        .map(|l| l["attributes"]["message"].as_str().unwrap())
        .collect();
    assert!(
        texts.iter().any(|m| m.contains("standin got SIGINT")),
        "{texts:?}"
    );
    assert!(
        !texts
            .iter()
            .any(|m| m.starts_with("Preparing to run") && texts.len() > 20),
        "{texts:?}"
    );
    let repeated = lines
        .iter()
        .any(|l| after.iter().any(|a| a["id"] == l["id"]));
    assert!(!repeated, "no line twice");

    // Filters and errors.
    let other = t
        .api
        .get(&format!("/api/v1/apps/{app}/logs?instance=0000000000000"))
        .await;
    assert_eq!(other.body["data"], json!([]));
    assert_eq!(t.api.get("/api/v1/apps/no-such-app/logs").await.status, 404);
    assert_eq!(
        t.api
            .get(&format!("/api/v1/apps/{app}/logs?next_token=garbage"))
            .await
            .status,
        400
    );
    let anonymous = t
        .api
        .with_auth(None)
        .get(&format!("/api/v1/apps/{app}/logs"))
        .await;
    assert_eq!(anonymous.status, 401, "the API's token is required");
}

#[tokio::test]
async fn a_followed_log_streams_across_a_restart() {
    let t = server().await;
    let app = t.app("logs-follow").await;
    let id = standin(&t, &app).await;
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/__fly-local/machines/{id}/logs?follow=true",
            t.server.as_ref().unwrap().base_url()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    let mut read_until = async |needle: &str, count: usize| {
        while text.matches(needle).count() < count {
            let chunk = tokio::time::timeout(Duration::from_secs(20), body.next())
                .await
                .unwrap_or_else(|_| panic!("no {needle:?} in the followed log: {text}"))
                .expect("the stream stays open")
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text.clone()
    };
    read_until("standin listening", 1).await;
    let r = t
        .api
        .post(&format!("/v1/apps/{app}/machines/{id}/restart"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let text = read_until("standin listening", 2).await;
    assert!(text.contains("standin got SIGINT"), "{text}");
}

/// Issue 18: stopping fly-local (Ctrl-C of `fly-local serve` or of `up`)
/// stops each machine as a host shutdown does — SIGTERM, time to exit —
/// instead of killing it, and leaves it `started` to boot at the next start.
#[tokio::test]
async fn a_shutdown_stops_machines_with_sigterm_and_they_boot_again() {
    let mut t = server().await;
    let app = t.app("logs-shutdown").await;
    let id = standin(&t, &app).await;
    t.server.take().unwrap().shutdown().await;
    let log = std::fs::read_to_string(
        t.data_dir()
            .join("data/machines")
            .join(&id)
            .join("machine.log"),
    )
    .unwrap();
    for needle in [
        "Sending signal SIGTERM to main child",
        "standin got SIGTERM",
        "Main child exited",
    ] {
        assert!(log.contains(needle), "{needle:?} in {log}");
    }
    assert!(!log.contains("SIGKILL"), "{log}");
    t.restart(|b| b.image(standin_image("test/standin:*")))
        .await;
    t.api.wait_state(&app, &id, "started").await;
}
