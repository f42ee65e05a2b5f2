//! WebSocket protocol v4 against the real binary over real sockets.

mod common;

use common::*;
use futures::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn hello_ok_and_core_methods() {
    let gw = Gateway::start(&[]);
    let (mut ws, challenge) = open(&gw.url(), None).await;
    assert_eq!(challenge["event"], "connect.challenge");
    assert!(
        challenge["payload"]["nonce"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert!(challenge.get("seq").is_none());
    send(
        &mut ws,
        &connect_frame("cli", "cli", json!({"token": TOKEN})),
    )
    .await;
    let hello = next_json(&mut ws).await;
    let p = &hello["payload"];
    assert_eq!(
        (p["type"].as_str(), p["protocol"].as_i64()),
        (Some("hello-ok"), Some(4))
    );
    assert_eq!(
        p["auth"],
        json!({"method": "token", "role": "operator", "scopes": ["operator.read"]})
    );
    let methods: Vec<&str> = p["features"]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    // The core's methods first, then those of the subsystems (agents).
    assert_eq!(methods[..3], ["health", "status", "system-presence"]);
    assert!(methods.contains(&"chat.send"), "{methods:?}");
    assert!(
        p["features"]["events"]
            .as_array()
            .unwrap()
            .contains(&json!("tick"))
    );
    assert_eq!(p["policy"]["maxPayload"], 26214400);
    assert!(
        p["snapshot"]["presence"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Gateway: ")
    );

    for (id, method) in [("h", "health"), ("s", "status"), ("p", "system-presence")] {
        send(&mut ws, &json!({"type": "req", "id": id, "method": method})).await;
        let res = next_response(&mut ws).await;
        assert_eq!(
            (res["id"].as_str(), res["ok"].as_bool()),
            (Some(id), Some(true)),
            "{res}"
        );
    }
    send(
        &mut ws,
        &json!({"type": "req", "id": "u", "method": "nosuch"}),
    )
    .await;
    let res = next_response(&mut ws).await;
    assert_eq!(res["error"]["code"], "FORBIDDEN");
    assert_eq!(res["error"]["details"]["missingScope"], "operator.admin");
}

#[tokio::test]
async fn ticks_carry_increasing_seq_and_unknown_methods_for_admins() {
    let gw = Gateway::start_with(
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
        &[],
        &[("OPENCLAW_TICK_INTERVAL_MS", "100")],
    );
    let (mut ws, _) = open(&gw.url(), None).await;
    let mut frame = connect_frame("cli", "cli", json!({"token": TOKEN}));
    frame["params"]["scopes"] = json!(["operator.admin"]);
    send(&mut ws, &frame).await;
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["payload"]["policy"]["tickIntervalMs"], 100);
    let (a, b) = (next_json(&mut ws).await, next_json(&mut ws).await);
    assert_eq!(
        (a["event"].as_str(), b["event"].as_str()),
        (Some("tick"), Some("tick"))
    );
    assert!(
        b["seq"].as_u64().unwrap() > a["seq"].as_u64().unwrap(),
        "{a} {b}"
    );
    send(
        &mut ws,
        &json!({"type": "req", "id": "u", "method": "nosuch"}),
    )
    .await;
    let res = next_response(&mut ws).await;
    assert_eq!(
        res["error"],
        json!({"code": "INVALID_REQUEST", "message": "unknown method: nosuch"})
    );
}

#[tokio::test]
async fn wrong_token_is_refused_with_1008_and_never_logged() {
    let gw = Gateway::start(&[]);
    let (mut ws, _) = open(&gw.url(), None).await;
    send(
        &mut ws,
        &connect_frame("cli", "cli", json!({"token": "wrong-secret-value"})),
    )
    .await;
    let (code, reason, frames) = until_close(&mut ws).await;
    assert_eq!(code, 1008);
    assert!(
        reason.starts_with("unauthorized: gateway token mismatch"),
        "{reason}"
    );
    assert_eq!(frames[0]["error"]["details"]["code"], "AUTH_TOKEN_MISMATCH");
    gw.wait_for_line("unauthorized connect");
    let out = gw.output();
    assert!(
        !out.contains("wrong-secret-value") && !out.contains(TOKEN),
        "{out}"
    );
}

#[tokio::test]
async fn handshake_refusals_match_the_original() {
    let gw = Gateway::start(&[]);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"type": "req", "id": "x", "method": "health"}),
            1008,
            "invalid handshake: first request must be connect",
        ),
        (
            {
                let mut f = connect_frame("cli", "cli", json!({"token": TOKEN}));
                f["params"]["minProtocol"] = json!(1);
                f["params"]["maxProtocol"] = json!(2);
                f
            },
            1002,
            "protocol mismatch",
        ),
        (
            connect_frame("bogus", "cli", json!({"token": TOKEN})),
            1008,
            "invalid connect params: at /client/id: must be equal to one of the allowed values",
        ),
        (
            connect_frame("cli", "cli", json!({})),
            1008,
            "device identity required",
        ),
        (
            json!({"type": "req", "id": "x", "method": "connect"}),
            1008,
            "invalid connect params: must be object",
        ),
        (
            json!({"type": "event", "event": "x"}),
            1008,
            "invalid request frame",
        ),
    ];
    for (frame, expected_code, expected_reason) in cases {
        let (mut ws, _) = open(&gw.url(), None).await;
        send(&mut ws, &frame).await;
        let (code, reason, _) = until_close(&mut ws).await;
        assert_eq!(
            (code, reason.as_str()),
            (expected_code, expected_reason),
            "{frame}"
        );
    }
}

#[tokio::test]
async fn malformed_binary_and_oversized_frames() {
    let gw = Gateway::start(&[]);
    // Not JSON before connect: closed 1000 without a reply.
    let (mut ws, _) = open(&gw.url(), None).await;
    ws.send(Message::Text("not json".into())).await.unwrap();
    let (code, _, frames) = until_close(&mut ws).await;
    assert_eq!((code, frames.len()), (1000, 0));
    // Binary garbage before connect: the same.
    let (mut ws, _) = open(&gw.url(), None).await;
    ws.send(Message::Binary(vec![0xff, 0, 0x12].into()))
        .await
        .unwrap();
    assert_eq!(until_close(&mut ws).await.0, 1000);
    // Over 64 KiB before connect: 1009.
    let (mut ws, _) = open(&gw.url(), None).await;
    ws.send(Message::Text("x".repeat(70_000).into()))
        .await
        .unwrap();
    assert_eq!(until_close(&mut ws).await.0, 1009);

    let (mut ws, _) = connected(&gw.url()).await;
    // Not JSON after connect: ignored, the connection keeps working.
    ws.send(Message::Text("{oops".into())).await.unwrap();
    // A binary frame holding JSON is read like text, as the original does.
    ws.send(Message::Binary(
        json!({"type": "req", "id": "b", "method": "health"})
            .to_string()
            .into_bytes()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_response(&mut ws).await["id"], "b");
    // Unknown frame keys are rejected with the original's wording.
    send(
        &mut ws,
        &json!({"type": "req", "id": "r5", "method": "health", "extra": 1}),
    )
    .await;
    let res = next_response(&mut ws).await;
    assert_eq!(
        res["error"]["message"],
        "invalid request frame: at root: unexpected property 'extra'"
    );
    // Over maxPayload: 1009. Send from another task: the server refuses the frame from
    // its header and closes while the client is still writing it.
    let big = json!({"type": "req", "id": "big", "method": "health", "params": {"x": "y".repeat(26_300_000)}});
    let (mut sink, mut stream) = futures::StreamExt::split(ws);
    tokio::spawn(async move {
        let _ = sink.send(Message::Text(big.to_string().into())).await;
    });
    let code = loop {
        match futures::StreamExt::next(&mut stream).await {
            Some(Ok(Message::Close(Some(frame)))) => break u16::from(frame.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(code, 1009);
}

#[tokio::test]
async fn browser_origins_are_checked() {
    let gw = Gateway::start(&[]);
    let (mut ws, _) = open(&gw.url(), Some("http://evil.example")).await;
    send(
        &mut ws,
        &connect_frame("cli", "cli", json!({"token": TOKEN})),
    )
    .await;
    let (code, _, frames) = until_close(&mut ws).await;
    assert_eq!(code, 1008);
    assert_eq!(
        frames[0]["error"]["details"]["code"],
        "CONTROL_UI_ORIGIN_NOT_ALLOWED"
    );
    // Our own page's origin is fine, but a Control UI must prove a device identity.
    let own = format!("http://127.0.0.1:{}", gw.port);
    let (mut ws, _) = open(&gw.url(), Some(&own)).await;
    send(
        &mut ws,
        &connect_frame("openclaw-control-ui", "ui", json!({"token": TOKEN})),
    )
    .await;
    let (_, reason, _) = until_close(&mut ws).await;
    assert_eq!(
        reason,
        "control ui requires device identity (use HTTPS or localhost secure context)"
    );
}

/// Through a proxy (as on Fly, or through `openclaw-operator up`'s local URL) the
/// connection is not local; the shared secret still gives the CLI its scopes, and a
/// client that is neither the CLI nor a backend still gets none.
#[tokio::test]
async fn the_cli_behind_a_proxy_keeps_its_scopes_with_the_shared_secret() {
    let gw = Gateway::start(&[]);
    let proxied = [("x-forwarded-for", "203.0.113.7")];
    let scopes_of = |hello: &Value| hello["payload"]["auth"]["scopes"].clone();

    let (mut ws, _) = open_with_headers(&gw.url(), &proxied).await;
    send(
        &mut ws,
        &connect_frame("cli", "cli", json!({"token": TOKEN})),
    )
    .await;
    let hello = next_json(&mut ws).await;
    assert_eq!(scopes_of(&hello), json!(["operator.read"]), "{hello}");
    send(
        &mut ws,
        &json!({"type": "req", "id": "h", "method": "health"}),
    )
    .await;
    let res = next_response(&mut ws).await;
    assert_eq!(res["ok"], true, "{res}");

    let (mut ws, _) = open_with_headers(&gw.url(), &proxied).await;
    send(
        &mut ws,
        &connect_frame("cli", "probe", json!({"token": TOKEN})),
    )
    .await;
    let hello = next_json(&mut ws).await;
    assert_eq!(scopes_of(&hello), json!([]), "{hello}");
}

#[tokio::test]
async fn device_identity_is_verified_and_paired() {
    use base64::Engine;
    use ed25519_dalek::{Signer, SigningKey};
    let gw = Gateway::start(&[]);
    let key = SigningKey::from_bytes(&[9; 32]);
    let raw = key.verifying_key().to_bytes();
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let id = openclaw_gateway::ws::device::device_id(&raw);
    for tamper in [true, false] {
        let (mut ws, challenge) = open(&gw.url(), None).await;
        let (nonce, ts) = (
            challenge["payload"]["nonce"].as_str().unwrap().to_owned(),
            challenge["payload"]["ts"].as_u64().unwrap(),
        );
        let payload =
            format!("v3|{id}|test|test|operator|operator.read|{ts}|{TOKEN}|{nonce}|linux|");
        let mut sig = key.sign(payload.as_bytes()).to_bytes();
        if tamper {
            sig[0] ^= 1;
        }
        let mut frame = connect_frame("test", "test", json!({"token": TOKEN}));
        frame["params"]["device"] = json!({"id": id, "publicKey": b64(&raw), "signature": b64(&sig), "signedAt": ts, "nonce": nonce});
        send(&mut ws, &frame).await;
        let res = next_json(&mut ws).await;
        if tamper {
            assert_eq!(
                res["error"]["details"]["code"], "DEVICE_AUTH_SIGNATURE_INVALID",
                "{res}"
            );
        } else {
            let auth = &res["payload"]["auth"];
            assert_eq!(auth["scopes"], json!(["operator.read"]), "{res}");
            assert_eq!(auth["deviceToken"].as_str().unwrap().len(), 43);
            // A device-less `test` client keeps no scopes.
            let (mut ws2, _) = open(&gw.url(), None).await;
            send(
                &mut ws2,
                &connect_frame("test", "test", json!({"token": TOKEN})),
            )
            .await;
            assert_eq!(
                next_json(&mut ws2).await["payload"]["auth"]["scopes"],
                json!([])
            );
        }
    }
}

#[tokio::test]
async fn presence_follows_connections() {
    let gw = Gateway::start(&[]);
    let (mut watcher, _) = connected(&gw.url()).await;
    let (mut backend, _) = open(&gw.url(), None).await;
    let mut frame = connect_frame("gateway-client", "backend", json!({"token": TOKEN}));
    frame["params"]["client"]["displayName"] = json!("ops-backend");
    send(&mut backend, &frame).await;
    assert_eq!(next_json(&mut backend).await["ok"], true);
    let event = loop {
        let f = next_json(&mut watcher).await;
        if f["event"] == "presence" {
            break f;
        }
    };
    let hosts: Vec<&str> = event["payload"]["presence"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["host"].as_str())
        .collect();
    assert!(hosts.contains(&"ops-backend"), "{event}");
    assert!(event["stateVersion"]["presence"].as_u64().unwrap() >= 2);
    drop(backend);
    let gone = loop {
        let f = next_json(&mut watcher).await;
        if f["event"] == "presence" {
            break f;
        }
    };
    assert!(!gone.to_string().contains("ops-backend"));
}

#[tokio::test]
async fn sigterm_sends_shutdown_then_1012_and_removes_the_lock() {
    let mut gw = Gateway::start(&[]);
    assert_eq!(gw.lock_files().len(), 1);
    let (mut ws, _) = connected(&gw.url()).await;
    gw.sigterm();
    let (code, reason, frames) = until_close(&mut ws).await;
    assert_eq!((code, reason.as_str()), (1012, "service restart"));
    assert!(
        frames
            .iter()
            .any(|f| f["event"] == "shutdown" && f["payload"]["reason"] == "gateway stopping"),
        "{frames:?}"
    );
    assert_eq!(gw.wait_exit(), 0);
    assert!(gw.lock_files().is_empty());
    assert!(gw.output().contains("received SIGTERM; shutting down"));
}
