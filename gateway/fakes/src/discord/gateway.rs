//! The fake Discord gateway: one WebSocket connection at a time, speaking JSON text
//! frames as Discord's gateway v10 does.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::model;
use super::{Command, Session, Shared, lock};

pub(super) async fn upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| connection(shared, socket))
}

/// Close codes Discord uses.
mod close {
    pub const AUTHENTICATION_FAILED: u16 = 4004;
    pub const DISALLOWED_INTENTS: u16 = 4014;
}

async fn connection(shared: Arc<Shared>, socket: WebSocket) {
    let conn_id = {
        let mut next = lock(&shared.next_connection);
        *next += 1;
        *next
    };
    lock(&shared.counters).connections += 1;
    let (tx, mut rx) = mpsc::unbounded_channel::<Command>();
    let (mut sink, mut stream) = socket.split();
    let interval = *lock(&shared.heartbeat_interval_ms);
    let hello = json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": interval}});
    if sink.send(text(&hello)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = stream.next() => {
                let Some(Ok(frame)) = frame else { break };
                let payload: Value = match frame {
                    Message::Text(t) => match serde_json::from_str(t.as_str()) {
                        Ok(v) => v,
                        Err(_) => continue,
                    },
                    Message::Close(_) => break,
                    _ => continue,
                };
                lock(&shared.gateway_frames).push(payload.clone());
                let reply = handle(&shared, conn_id, &tx, &payload);
                shared.changed.notify_waiters();
                match reply {
                    Reply::None => {}
                    Reply::Frames(frames) => {
                        for f in frames {
                            if sink.send(text(&f)).await.is_err() {
                                break;
                            }
                        }
                    }
                    Reply::Close(code, reason) => {
                        let _ = sink.send(close_frame(code, &reason)).await;
                        break;
                    }
                }
            }
            command = rx.recv() => {
                match command {
                    Some(Command::Send(frame)) => {
                        if sink.send(text(&frame)).await.is_err() {
                            break;
                        }
                    }
                    Some(Command::Close(code, reason)) => {
                        release(&shared, conn_id);
                        let _ = sink.send(close_frame(code, &reason)).await;
                        break;
                    }
                    Some(Command::Abort) | None => {
                        release(&shared, conn_id);
                        return;
                    }
                }
            }
        }
    }
    release(&shared, conn_id);
}

enum Reply {
    None,
    Frames(Vec<Value>),
    Close(u16, String),
}

fn handle(
    shared: &Shared,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<Command>,
    payload: &Value,
) -> Reply {
    let d = &payload["d"];
    match payload["op"].as_u64() {
        // Heartbeat → ACK.
        Some(1) => {
            lock(&shared.counters).heartbeats += 1;
            Reply::Frames(vec![json!({"op": 11})])
        }
        // IDENTIFY.
        Some(2) => {
            lock(&shared.counters).identifies += 1;
            if !shared.valid_token(d["token"].as_str()) {
                return Reply::Close(
                    close::AUTHENTICATION_FAILED,
                    "Authentication failed.".into(),
                );
            }
            let intents = d["intents"].as_u64().unwrap_or(0);
            if intents & *lock(&shared.refused_intents) != 0 {
                return Reply::Close(close::DISALLOWED_INTENTS, "Disallowed intent(s).".into());
            }
            let session_id = uuid::Uuid::new_v4().simple().to_string();
            let mut session = lock(&shared.session);
            *session = Session {
                id: Some(session_id.clone()),
                seq: 1,
                log: Vec::new(),
                intents,
            };
            let ready = json!({"op": 0, "s": 1, "t": "READY",
                               "d": model::ready(&session_id, &shared.origin.replacen("http://", "ws://", 1))});
            // Live only once READY is queued, so dispatches follow it.
            let _ = tx.send(Command::Send(ready));
            *lock(&shared.live) = Some((conn_id, tx.clone()));
            Reply::None
        }
        // RESUME: replay what the session missed, then RESUMED.
        Some(6) => {
            lock(&shared.counters).resumes += 1;
            if !shared.valid_token(d["token"].as_str()) {
                return Reply::Close(
                    close::AUTHENTICATION_FAILED,
                    "Authentication failed.".into(),
                );
            }
            let mut session = lock(&shared.session);
            if session.id.as_deref() != d["session_id"].as_str() || session.id.is_none() {
                return Reply::Frames(vec![json!({"op": 9, "d": false})]);
            }
            let from = d["seq"].as_u64().unwrap_or(0);
            for (_, frame) in session.log.iter().filter(|(s, _)| *s > from) {
                let _ = tx.send(Command::Send(frame.clone()));
            }
            session.seq += 1;
            let _ = tx.send(Command::Send(
                json!({"op": 0, "s": session.seq, "t": "RESUMED", "d": {}}),
            ));
            *lock(&shared.live) = Some((conn_id, tx.clone()));
            Reply::None
        }
        _ => Reply::None,
    }
}

/// Forgets `conn_id` as the live connection (if it still is).
fn release(shared: &Shared, conn_id: u64) {
    let mut live = lock(&shared.live);
    if live.as_ref().is_some_and(|(id, _)| *id == conn_id) {
        *live = None;
    }
    drop(live);
    shared.changed.notify_waiters();
}

fn text(v: &Value) -> Message {
    Message::Text(v.to_string().into())
}

fn close_frame(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}
