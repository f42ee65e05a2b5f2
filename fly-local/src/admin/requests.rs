//! The request log: every Machines API call with its route template, status
//! and whether it mutated state, so tests can count what a client did (e.g.
//! prove "0 mutating calls when nothing changed").

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

/// Entries kept (oldest dropped first).
const CAPACITY: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub route: String,
    pub status: u16,
    pub mutating: bool,
    pub at: String,
    pub duration_ms: u64,
    pub fault: Option<String>,
}

#[derive(Default)]
pub struct RequestLog {
    inner: Mutex<(u64, VecDeque<LoggedRequest>)>,
}

impl RequestLog {
    pub fn record(&self, mut entry: LoggedRequest) {
        let mut inner = self.inner.lock().expect("request log");
        inner.0 += 1;
        entry.seq = inner.0;
        if inner.1.len() == CAPACITY {
            inner.1.pop_front();
        }
        inner.1.push_back(entry);
    }

    pub fn since(&self, seq: u64) -> Vec<LoggedRequest> {
        let inner = self.inner.lock().expect("request log");
        inner.1.iter().filter(|e| e.seq > seq).cloned().collect()
    }

    /// Clears entries; sequence numbers keep increasing.
    pub fn clear(&self) {
        self.inner.lock().expect("request log").1.clear();
    }
}

/// Whether a call changes (or would change) state: every non-GET/HEAD call.
pub fn is_mutating(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD")
}
