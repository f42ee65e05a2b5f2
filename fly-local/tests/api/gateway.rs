//! The real `openclaw` gateway (the workspace's binary) as a machine, the way
//! the operator runs it: our image's CMD, state on the volume at /data, the
//! token as an app secret, an HTTP check on /healthz.

use std::path::PathBuf;

use base64::Engine as _;
use fly_local::ImageSpec;
use openclaw_fakes::providers::{Answer, FakeProvider, Flavor, Reply};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{TestServer, checks_become, log_shows, service_port};

/// The `openclaw` binary in the same target dir as this test executable.
fn gateway_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .to_path_buf();
    assert!(
        dir.join("openclaw").is_file(),
        "the gateway binary {} is missing: build it with `cargo build -p openclaw-gateway` \
         (`cargo nextest run --workspace` builds it)",
        dir.join("openclaw").display()
    );
    dir
}

fn image() -> ImageSpec {
    ImageSpec {
        pattern: "registry.fly.io/openclaw-rs:*".into(),
        path: vec![gateway_dir()],
        cmd: [
            "openclaw",
            "gateway",
            "--allow-unconfigured",
            "--bind",
            "lan",
            "--port",
            "3000",
        ]
        .map(String::from)
        .to_vec(),
        ..ImageSpec::default()
    }
}

fn config(volume: &str, cmd: Option<Vec<&str>>) -> Value {
    let mut cfg = json!({
        "image": "registry.fly.io/openclaw-rs:latest",
        "env": {"OPENCLAW_STATE_DIR": "/data", "OPENCLAW_GATEWAY_PORT": "3000"},
        "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 256},
        "mounts": [{"volume": volume, "path": "/data"}],
        "services": [{"protocol": "tcp", "internal_port": 3000, "autostop": "off",
                      "ports": [{"port": 443, "handlers": ["tls", "http"]}, {"port": 80, "handlers": ["http"], "force_https": true}]}],
        "checks": {"healthz": {"type": "http", "port": 3000, "path": "/healthz", "interval": "100ms", "timeout": "1s"}},
    });
    if let Some(cmd) = cmd {
        cfg["init"] = json!({"cmd": cmd});
    }
    cfg
}

#[tokio::test]
async fn the_real_gateway_runs_as_a_machine_and_survives_a_crash() {
    let t = TestServer::start(|b| b.image(image())).await;
    let app = t.app("gw-real").await;
    t.api
        .post(
            &format!("/v1/apps/{app}/secrets/OPENCLAW_GATEWAY_TOKEN"),
            json!({"value": "tok-123"}),
        )
        .await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "openclaw_data", "region": "iad", "size_gb": 1}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = t
        .api
        .create_machine(&app, json!({"region": "iad", "config": config(&vol, None)}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    let started = t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;

    let ep = t
        .api
        .get(&format!("/__fly-local/machines/{id}/endpoint"))
        .await
        .body;
    let port = ep["service_ports"][0]["port"].as_u64().unwrap();
    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert!(logs.contains("listening on ws://0.0.0.0:3000"), "{logs}");

    // A crash (SIGKILL) leaves the lock files behind; the next boot has a
    // new boot id, so the gateway reclaims them and is healthy again.
    t.api
        .post(&format!("/__fly-local/machines/{id}/kill"), json!({}))
        .await;
    let after = started.body["event_id"].as_str().unwrap();
    let w = t
        .api
        .get(&format!(
            "/v1/apps/{app}/machines/{id}/wait?state=started&from_event_id={after}&timeout=30"
        ))
        .await;
    assert_eq!(w.status, 200);
    checks_become(&t, &app, &id, "passing").await;
    let logs = t
        .api
        .get(&format!("/__fly-local/machines/{id}/logs"))
        .await
        .text;
    assert_eq!(
        logs.matches("listening on ws://0.0.0.0:3000").count(),
        2,
        "{logs}"
    );
}

#[tokio::test]
async fn a_gateway_bound_to_loopback_fails_its_checks() {
    if !nix::unistd::geteuid().is_root() {
        panic!("this test needs root (network namespaces); run the suite as root as CI does");
    }
    let t = TestServer::start(|b| b.image(image())).await;
    let app = t.app("gw-loopback").await;
    t.api
        .post(
            &format!("/v1/apps/{app}/secrets/OPENCLAW_GATEWAY_TOKEN"),
            json!({"value": "tok-123"}),
        )
        .await;
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "openclaw_data", "region": "iad"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cmd = vec![
        "openclaw",
        "gateway",
        "--allow-unconfigured",
        "--bind",
        "loopback",
        "--port",
        "3000",
    ];
    let m = t
        .api
        .create_machine(
            &app,
            json!({"region": "iad", "config": config(&vol, Some(cmd))}),
        )
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    log_shows(&t, &id, "listening on ws://127.0.0.1:3000").await;
    checks_become(&t, &app, &id, "critical").await;
}

/// The product's main job, end to end: a real gateway in a machine (own
/// network namespace) answers a chat through a model provider it reaches
/// over the machine's outbound network, here a fake Anthropic on the host's
/// loopback at `FLY_LOCAL_HOST`, driven over the WebSocket on the machine's
/// service port.
#[tokio::test]
async fn a_gateway_in_a_machine_chats_through_a_provider_on_the_host() {
    crate::egress::require_egress_tools();
    let provider = FakeProvider::start(Flavor::Anthropic).await;
    provider.require_key("sk-ant-in-a-machine");
    provider.always(Reply::Answer(
        Answer::text("hello from the host's provider").deltas(3),
    ));
    let t = TestServer::start(|b| b.image(image()).host_loopback(true)).await;
    let host = t.api.get("/__fly-local/info").await.body["host_address"]
        .as_str()
        .expect("a host address with host loopback")
        .to_owned();
    let provider_port = provider.origin().rsplit(':').next().unwrap();
    let app = t.app("gw-egress").await;
    for (name, value) in [
        ("OPENCLAW_GATEWAY_TOKEN", "tok-egress"),
        ("ANTHROPIC_API_KEY", "sk-ant-in-a-machine"),
    ] {
        t.api
            .post(
                &format!("/v1/apps/{app}/secrets/{name}"),
                json!({ "value": value }),
            )
            .await;
    }
    let vol = t
        .api
        .post(
            &format!("/v1/apps/{app}/volumes"),
            json!({"name": "openclaw_data", "region": "iad"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let openclaw_json = json!({
        "gateway": {"mode": "local"},
        "agents": {"defaults": {"model": {"primary": "anthropic/claude-opus-4-5"}}},
    });
    let mut cfg = config(&vol, None);
    cfg["env"]["ANTHROPIC_BASE_URL"] = json!(format!("http://{host}:{provider_port}"));
    cfg["env"]["OPENCLAW_CONFIG_PATH"] = json!("/etc/openclaw/openclaw.json");
    cfg["files"] = json!([{
        "guest_path": "/etc/openclaw/openclaw.json",
        "raw_value": base64::engine::general_purpose::STANDARD.encode(openclaw_json.to_string()),
    }]);
    let m = t
        .api
        .create_machine(&app, json!({"region": "iad", "config": cfg}))
        .await;
    let id = m["id"].as_str().unwrap().to_owned();
    t.api.wait_state(&app, &id, "started").await;
    checks_become(&t, &app, &id, "passing").await;

    let port = service_port(&t, &id).await;
    let done = chat_once(port, "tok-egress", "hi from a test").await;
    assert_eq!(done["state"], "final", "{done}");
    assert_eq!(
        done["message"]["content"][0]["text"], "hello from the host's provider",
        "{done}"
    );
    let requests = provider.requests();
    assert_eq!(requests.len(), 1, "one call reached the host's provider");
    assert_eq!(requests[0].model, "claude-opus-4-5");
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects with the token (protocol v4), sends one chat message and returns
/// the run's last `chat` event payload (`final`, `error` or `aborted`).
async fn chat_once(port: u16, token: &str, message: &str) -> Value {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/"))
        .await
        .expect("websocket upgrade through the machine's service port");
    let challenge = next_frame(&mut ws).await;
    assert_eq!(challenge["event"], "connect.challenge", "{challenge}");
    let scopes = ["operator.read", "operator.write"];
    let connect = request(
        &mut ws,
        "connect",
        json!({"minProtocol": 4, "maxProtocol": 4,
               "client": {"id": "cli", "version": "test", "platform": "linux", "mode": "cli"},
               "role": "operator", "scopes": scopes, "caps": [],
               "device": device_proof(&challenge["payload"], token, &scopes.join(",")),
               "auth": {"token": token}}),
    )
    .await;
    assert_eq!(connect["ok"], true, "connect refused: {connect}");
    let sent = request(
        &mut ws,
        "chat.send",
        json!({"sessionKey": "main", "message": message, "idempotencyKey": "egress-1"}),
    )
    .await;
    assert_eq!(sent["ok"], true, "{sent}");
    loop {
        let f = next_frame(&mut ws).await;
        let payload = &f["payload"];
        if f["event"] == "chat"
            && payload["runId"] == "egress-1"
            && matches!(
                payload["state"].as_str(),
                Some("final" | "error" | "aborted")
            )
        {
            return payload.clone();
        }
    }
}

/// A remote client (the proxy's connections are not the machine's loopback)
/// keeps its scopes only with a device identity: an Ed25519 key signing the
/// challenge (protocol v3 signature string).
fn device_proof(challenge: &Value, token: &str, scopes: &str) -> Value {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::Signer;
    use sha2::Digest;
    let key = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
    let public = key.verifying_key().to_bytes();
    let id = hex::encode(sha2::Sha256::digest(public));
    let nonce = challenge["nonce"].as_str().unwrap_or_default();
    let ts = challenge["ts"].as_i64().unwrap_or_default();
    let signed = format!("v3|{id}|cli|cli|operator|{scopes}|{ts}|{token}|{nonce}|linux|");
    json!({
        "id": id,
        "publicKey": URL_SAFE_NO_PAD.encode(public),
        "signature": URL_SAFE_NO_PAD.encode(key.sign(signed.as_bytes()).to_bytes()),
        "signedAt": ts,
        "nonce": nonce,
    })
}

/// Sends a request and returns its response frame (events meanwhile are skipped).
async fn request(ws: &mut Ws, method: &str, params: Value) -> Value {
    use futures::SinkExt;
    let frame = json!({"type": "req", "id": method, "method": method, "params": params});
    ws.send(Message::text(frame.to_string())).await.unwrap();
    loop {
        let f = next_frame(ws).await;
        if f["type"] == "res" && f["id"] == method {
            return f;
        }
    }
}

async fn next_frame(ws: &mut Ws) -> Value {
    use futures::StreamExt;
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next())
            .await
            .expect("a frame within 20 s")
            .expect("socket open")
            .expect("frame read");
        if let Message::Text(text) = msg {
            return serde_json::from_str(&text).expect("JSON frame");
        }
    }
}
