//! One WebSocket connection: challenge, handshake, then requests and events until either
//! side closes or the gateway drains.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::admission::{self, Admission, Rejection};
use super::connect::ConnectParams;
use super::errors::{ErrorShape, close};
use super::frames::{self, MAX_PREAUTH_PAYLOAD};
use super::origin::Peer;
use super::outbox::{Outbound, Outbox, OutboxReceiver};
use super::registry::{Call, ClientContext};
use super::scopes::Scope;
use crate::state::Gateway;
use crate::state::lifecycle::now_ms;
use crate::state::presence::ClientPresence;

/// Queued bytes beyond which a connection skips droppable events (live
/// progress such as streamed deltas) instead of queueing them.
const LIVE_BACKLOG_BYTES: usize = 64 * 1024;

/// Runs a connection to completion.
pub async fn run(gateway: Arc<Gateway>, socket: WebSocket, peer: Peer) {
    let conn_id = uuid::Uuid::new_v4().to_string();
    let (sink, mut stream) = socket.split();
    let (outbox, receiver) = Outbox::new();
    let writer = tokio::spawn(write_loop(sink, receiver));

    let nonce = uuid::Uuid::new_v4().to_string();
    outbox.text(frames::unsequenced_event(
        "connect.challenge",
        &json!({ "nonce": nonce, "ts": now_ms(), "capabilities": [] }),
    ));

    let handshake = tokio::time::timeout(
        gateway.settings.handshake_timeout,
        handshake(&gateway, &mut stream, &outbox, &peer, &nonce),
    );
    let session = tokio::select! {
        result = handshake => match result {
            Ok(Some(session)) => Some(session),
            Ok(None) => None,
            Err(_elapsed) => {
                tracing::debug!(target: "ws", "handshake timeout conn={conn_id} peer={}", peer.addr);
                outbox.close(close::NORMAL, "");
                None
            }
        },
        _ = gateway.lifecycle.draining() => {
            outbox.close(close::SERVICE_RESTART, "service restart");
            None
        }
    };
    if let Some((request_id, params, admission)) = session {
        serve_session(
            &gateway,
            &mut stream,
            &outbox,
            &peer,
            &conn_id,
            &request_id,
            params,
            admission,
        )
        .await;
    }
    drop(outbox);
    let _ = writer.await;
    // Give the client a moment to read our close frame and answer it before the socket is
    // dropped: closing with unread input would reset the connection and lose the frame.
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while stream.next().await.is_some() {}
    })
    .await;
}

/// How long a closed connection waits for the client's side of the closing handshake.
const CLOSE_LINGER: std::time::Duration = std::time::Duration::from_millis(500);

type Stream = futures::stream::SplitStream<WebSocket>;

/// Reads frames until a successful `connect`; `None` when the connection was refused
/// (the refusal is already queued).
async fn handshake(
    gateway: &Gateway,
    stream: &mut Stream,
    outbox: &Outbox,
    peer: &Peer,
    nonce: &str,
) -> Option<(String, ConnectParams, Admission)> {
    let data = match next_data(stream).await {
        Incoming::Data(data) => data,
        Incoming::TooBig => {
            outbox.close(close::TOO_BIG, "preauth payload too large");
            return None;
        }
        Incoming::End => return None,
    };
    if data.len() > MAX_PREAUTH_PAYLOAD {
        outbox.close(close::TOO_BIG, "preauth payload too large");
        return None;
    }
    let Ok(value) = serde_json::from_slice::<Value>(&data) else {
        tracing::debug!(target: "ws", "invalid handshake: first frame is not JSON peer={}", peer.addr);
        outbox.close(close::NORMAL, "");
        return None;
    };
    let request = match frames::parse_request(value) {
        Ok(r) => r,
        Err(_) => {
            tracing::warn!(target: "ws", "invalid handshake peer={} origin={}", peer.addr, peer.origin.as_deref().unwrap_or("n/a"));
            outbox.close(close::POLICY, "invalid request frame");
            return None;
        }
    };
    let refuse = |error: ErrorShape, code: u16| {
        outbox.respond_err(&request.id, &error);
        outbox.close(code, &error.message);
        None
    };
    if request.method != "connect" {
        return refuse(
            ErrorShape::invalid_request("invalid handshake: first request must be connect"),
            close::POLICY,
        );
    }
    let params = match ConnectParams::parse(request.params.as_ref()) {
        Ok(p) => p,
        Err(e) => {
            return refuse(
                ErrorShape::invalid_request(format!("invalid connect params: {e}")),
                close::POLICY,
            );
        }
    };
    match admission::admit(gateway, &params, peer, nonce, now_ms()) {
        Ok(admission) => Some((request.id, params, admission)),
        Err(Rejection { error, close_code }) => refuse(error, close_code),
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve_session(
    gateway: &Arc<Gateway>,
    stream: &mut Stream,
    outbox: &Outbox,
    peer: &Peer,
    conn_id: &str,
    connect_id: &str,
    params: ConnectParams,
    admission: Admission,
) {
    let client = Arc::new(ClientContext {
        conn_id: conn_id.to_owned(),
        client_id: params.client.id.clone(),
        client_mode: params.client.mode.clone(),
        role: admission.role.clone(),
        scopes: admission.scopes.clone(),
        device_id: admission.device.as_ref().map(|d| d.id.clone()),
        is_local: peer.is_local,
    });
    // Subscribe before `hello-ok` so no event emitted after it is missed.
    let mut events = gateway.events.subscribe();
    outbox.respond_ok(
        connect_id,
        &super::hello::hello_ok(gateway, conn_id, &admission),
    );
    tracing::info!(
        target: "ws",
        "connected conn={conn_id} client={} mode={} auth={} scopes=[{}]",
        client.client_id,
        client.client_mode,
        admission.method,
        client.scopes.names().join(",")
    );
    let tracked = tracks_presence(&params);
    if tracked {
        gateway
            .presence
            .upsert(conn_id, presence_entry(&params, &admission, peer));
        gateway.events.emit_presence(&gateway.presence.list());
    }

    let mut seq: u64 = 0;
    loop {
        tokio::select! {
            biased;
            event = events.recv() => match event {
                Ok(b) => {
                    if b.required_scope.is_none_or(|s| client.scopes.allows(s)) {
                        seq += 1;
                        // A client that is behind skips live progress (a gap in `seq`,
                        // as with the original) instead of queueing all of it.
                        if !(b.droppable && outbox.queued_bytes() > LIVE_BACKLOG_BYTES) {
                            outbox.text(b.frame(seq));
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => seq += missed,
                Err(RecvError::Closed) => break,
            },
            _ = gateway.lifecycle.draining() => {
                // The `shutdown` event was emitted before draining began, so `biased`
                // delivers it above before we get here.
                outbox.close(close::SERVICE_RESTART, "service restart");
                break;
            }
            incoming = next_data(stream) => match incoming {
                Incoming::Data(data) => dispatch(gateway, &client, outbox, &data),
                Incoming::TooBig => {
                    outbox.close(close::TOO_BIG, "payload too large");
                    break;
                }
                Incoming::End => break,
            },
        }
        if outbox.is_closed() {
            break;
        }
    }
    if tracked && gateway.presence.remove(conn_id) {
        gateway.events.emit_presence(&gateway.presence.list());
    }
    tracing::debug!(target: "ws", "disconnected conn={conn_id}");
}

/// Handles one frame after `hello-ok`.
fn dispatch(gateway: &Arc<Gateway>, client: &Arc<ClientContext>, outbox: &Outbox, data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        // The original logs and ignores unparseable frames once connected.
        tracing::warn!(target: "ws", "parse error: frame is not JSON conn={}", client.conn_id);
        return;
    };
    let request = match frames::parse_request(value) {
        Ok(r) => r,
        Err(invalid) => {
            let id = invalid.id.as_deref().unwrap_or("invalid");
            outbox.respond_err(
                id,
                &ErrorShape::invalid_request(format!("invalid request frame: {}", invalid.message)),
            );
            return;
        }
    };
    let method = gateway
        .methods
        .get(&request.method)
        .filter(|_| request.method != "connect");
    let required = method.map_or(Scope::Admin, |m| m.scope);
    if !client.scopes.allows(required) {
        if method.is_none() {
            // The original answers an unknown method with the admin-scope refusal;
            // the log says what really happened.
            tracing::info!(target: "ws", "unknown method {} from conn={} (answered missing scope: operator.admin, as the original does)", request.method, client.conn_id);
        }
        outbox.respond_err(&request.id, &missing_scope(required));
        return;
    }
    let Some(method) = method.cloned() else {
        tracing::info!(target: "ws", "unknown method {} from conn={}", request.method, client.conn_id);
        outbox.respond_err(
            &request.id,
            &ErrorShape::invalid_request(format!("unknown method: {}", request.method)),
        );
        return;
    };
    let call = Call {
        gateway: gateway.clone(),
        request_id: request.id.clone(),
        params: request.params,
        client: client.clone(),
        outbox: outbox.clone(),
    };
    let outbox = outbox.clone();
    tokio::spawn(async move {
        match method.call(call).await {
            Ok(payload) => outbox.respond_ok(&request.id, &payload),
            Err(error) => outbox.respond_err(&request.id, &error),
        }
    });
}

fn missing_scope(scope: Scope) -> ErrorShape {
    ErrorShape::new(
        super::errors::ErrorCode::Forbidden,
        format!("missing scope: {}", scope.as_str()),
    )
    .with_details(json!({
        "code": "MISSING_SCOPE",
        "missingScope": scope.as_str(),
        "requiredScopes": [scope.as_str()],
    }))
}

/// One-shot CLI calls and probes are not shown as connected clients.
fn tracks_presence(params: &ConnectParams) -> bool {
    !matches!(params.client.mode.as_str(), "cli" | "probe")
}

fn presence_entry(params: &ConnectParams, admission: &Admission, peer: &Peer) -> ClientPresence {
    let c = &params.client;
    let host = c.display_name.clone().unwrap_or_else(|| c.id.clone());
    ClientPresence {
        text: format!("Node: {host} · mode {}", c.mode),
        host,
        client_id: c.id.clone(),
        ip: peer.client_ip.map(|ip| ip.to_string()),
        version: c.version.clone(),
        platform: c.platform.clone(),
        device_family: c.device_family.clone(),
        mode: c.mode.clone(),
        device_id: admission.device.as_ref().map(|d| d.id.clone()),
        roles: vec![admission.role.clone()],
        scopes: admission
            .scopes
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        instance_id: c.instance_id.clone(),
        reason: "connect",
        ts: now_ms(),
    }
}

enum Incoming {
    /// A text or binary frame's bytes (binary frames are read as UTF-8 JSON, as the original does).
    Data(Vec<u8>),
    TooBig,
    End,
}

async fn next_data(stream: &mut Stream) -> Incoming {
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => return Incoming::Data(t.as_bytes().to_vec()),
            Some(Ok(Message::Binary(b))) => return Incoming::Data(b.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => return Incoming::End,
            Some(Err(e)) => {
                // tungstenite's capacity error ("Space limit exceeded: Message too long").
                let text = e.to_string();
                return if text.contains("Space limit exceeded") || text.contains("too long") {
                    Incoming::TooBig
                } else {
                    Incoming::End
                };
            }
        }
    }
}

async fn write_loop(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut receiver: OutboxReceiver,
) {
    while let Some(item) = receiver.next().await {
        match item {
            Outbound::Text(text) => {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            Outbound::Close(code, reason) => {
                let _ = sink
                    .send(Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })))
                    .await;
                break;
            }
        }
    }
    let _ = sink.close().await;
}
