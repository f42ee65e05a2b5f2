//! A minimal WebSocket client of the gateway protocol (v4): challenge,
//! `connect` with the shared token and a device identity (a remote client
//! needs one to keep its scopes), one request.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Connects to `http_url` with `token` and calls `method`; returns the
/// `connect` response and the method's response.
pub async fn call(http_url: &str, token: &str, method: &str) -> Result<(Value, Value), String> {
    let url = http_url.replacen("http://", "ws://", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}/"))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let challenge = next_json(&mut ws).await?;
    if challenge["event"] != "connect.challenge" {
        return Err(format!("expected connect.challenge, got {challenge}"));
    }
    let device = device(&challenge["payload"], token);
    let connect = json!({"type": "req", "id": "1", "method": "connect", "params": {
        "minProtocol": 4, "maxProtocol": 4,
        "client": {"id": "cli", "version": "e2e", "platform": "linux", "mode": "cli"},
        "role": "operator", "scopes": ["operator.read"], "caps": [],
        "device": device,
        "auth": {"token": token}}});
    ws.send(Message::text(connect.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    let hello = next_json(&mut ws).await?;
    if hello["ok"] != true {
        return Err(format!("connect refused: {hello}"));
    }
    let req = json!({"type": "req", "id": "2", "method": method});
    ws.send(Message::text(req.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let frame = next_json(&mut ws).await?;
        if frame["type"] == "res" && frame["id"] == "2" {
            return Ok((hello, frame));
        }
    }
}

/// A signed device proof for the challenge (protocol v3 signature string).
fn device(challenge: &Value, token: &str) -> Value {
    use base64::Engine;
    use ed25519_dalek::Signer;
    use sha2::Digest;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let public = key.verifying_key().to_bytes();
    let id = hex::encode(sha2::Sha256::digest(public));
    let nonce = challenge["nonce"].as_str().unwrap_or_default();
    let ts = challenge["ts"].as_i64().unwrap_or_default();
    let payload = format!("v3|{id}|cli|cli|operator|operator.read|{ts}|{token}|{nonce}|linux|");
    json!({
        "id": id,
        "publicKey": b64.encode(public),
        "signature": b64.encode(key.sign(payload.as_bytes()).to_bytes()),
        "signedAt": ts,
        "nonce": nonce,
    })
}

async fn next_json<S>(ws: &mut S) -> Result<Value, String>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .map_err(|_| "no frame within 10 s".to_owned())?
            .ok_or("closed")?
            .map_err(|e| e.to_string())?;
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).map_err(|e| e.to_string());
        }
        if let Message::Close(c) = msg {
            return Err(format!("closed: {c:?}"));
        }
    }
}
