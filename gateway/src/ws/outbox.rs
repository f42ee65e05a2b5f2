//! The send side of one WebSocket connection, shared by its reader loop and by method
//! handlers (which may send more than one response, like the original's `agent`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use super::errors::{ErrorShape, close};
use super::frames::{MAX_BUFFERED_BYTES, Response};

/// What the writer task sends.
#[derive(Debug)]
pub enum Outbound {
    Text(String),
    Close(u16, String),
}

/// A cheap, cloneable handle for sending frames to one client.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Outbound>,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    queued_bytes: AtomicUsize,
    /// Set when the client must be dropped at once (slow consumer), ahead of the queue.
    urgent: Notify,
}

/// The writer's end of an [`Outbox`].
#[derive(Debug)]
pub struct OutboxReceiver {
    rx: mpsc::UnboundedReceiver<Outbound>,
    shared: Arc<Shared>,
}

impl Outbox {
    pub fn new() -> (Self, OutboxReceiver) {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        (
            Self {
                tx,
                shared: shared.clone(),
            },
            OutboxReceiver { rx, shared },
        )
    }

    /// Queues a text frame. A client that lets more than `maxBufferedBytes` pile up is
    /// closed `1008 slow consumer`, as the original does.
    pub fn text(&self, text: String) {
        let queued = self
            .shared
            .queued_bytes
            .fetch_add(text.len(), Ordering::Relaxed)
            + text.len();
        if queued > MAX_BUFFERED_BYTES {
            self.shared.urgent.notify_one();
            return;
        }
        let _ = self.tx.send(Outbound::Text(text));
    }

    /// Sends a successful response to request `id`.
    pub fn respond_ok(&self, id: &str, payload: &Value) {
        self.text(Response::ok(id, payload).to_text());
    }

    /// Sends a failed response to request `id`.
    pub fn respond_err(&self, id: &str, error: &ErrorShape) {
        self.text(Response::err(id, error).to_text());
    }

    /// Queues a close frame after everything already queued.
    pub fn close(&self, code: u16, reason: &str) {
        let _ = self.tx.send(Outbound::Close(
            code,
            super::errors::truncate_reason(reason),
        ));
    }

    /// Bytes queued for this connection and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.shared.queued_bytes.load(Ordering::Relaxed)
    }

    /// Whether the connection's writer is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl OutboxReceiver {
    /// The next frame to write; a slow-consumer close jumps the queue.
    pub async fn next(&mut self) -> Option<Outbound> {
        tokio::select! {
            biased;
            _ = self.shared.urgent.notified() => Some(Outbound::Close(close::POLICY, "slow consumer".into())),
            item = self.rx.recv() => {
                if let Some(Outbound::Text(t)) = &item {
                    self.shared.queued_bytes.fetch_sub(t.len(), Ordering::Relaxed);
                }
                item
            }
        }
    }
}
