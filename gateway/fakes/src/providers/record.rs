//! What a fake provider received, and how each exchange ended.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

/// How an exchange ended, as seen by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Still being answered.
    Pending,
    /// The whole scripted response was sent.
    Completed,
    /// The client went away (closed the connection) before the response was complete.
    Disconnected,
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The model the request named (body `model`, or Gemini's path segment).
    pub model: String,
    /// Request path, e.g. `/v1/messages`.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers, lowercase names, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
    pub(crate) outcome: watch::Receiver<Outcome>,
    pub(crate) delta_times: Arc<Mutex<Vec<Instant>>>,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// When each text delta was handed to the connection, in order (for
    /// latency measurements against what the client saw).
    pub fn delta_times(&self) -> Vec<Instant> {
        self.delta_times
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How the exchange has ended so far.
    pub fn outcome(&self) -> Outcome {
        *self.outcome.borrow()
    }

    /// Wait until the exchange is no longer pending, at most `limit`.
    pub async fn finished(&self, limit: Duration) -> Outcome {
        let mut rx = self.outcome.clone();
        let wait = rx.wait_for(|o| *o != Outcome::Pending);
        match tokio::time::timeout(limit, wait).await {
            Ok(Ok(o)) => *o,
            _ => self.outcome(),
        }
    }
}

/// Sets the outcome when dropped, so a handler or stream dropped by the server
/// because the client left is recorded as [`Outcome::Disconnected`].
pub(crate) struct OutcomeGuard {
    tx: watch::Sender<Outcome>,
}

impl OutcomeGuard {
    pub(crate) fn new() -> (Self, watch::Receiver<Outcome>) {
        let (tx, rx) = watch::channel(Outcome::Pending);
        (Self { tx }, rx)
    }

    pub(crate) fn complete(&self) {
        self.tx.send_replace(Outcome::Completed);
    }
}

impl Drop for OutcomeGuard {
    fn drop(&mut self) {
        self.tx.send_if_modified(|o| {
            if *o == Outcome::Pending {
                *o = Outcome::Disconnected;
                true
            } else {
                false
            }
        });
    }
}
