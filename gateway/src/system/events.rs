//! System events (`system-event {text}`): short notes for the main session's next
//! turn, queued in memory as the original queues them and listed in
//! `status.queuedSystemEvents` until consumed.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::{Value, json};

/// Queued events kept per gateway; the oldest is dropped beyond this.
pub const MAX_QUEUED: usize = 20;

#[derive(Debug, Default)]
pub struct SystemEvents {
    queue: Mutex<VecDeque<Value>>,
}

impl SystemEvents {
    pub fn push(&self, text: &str, session_key: &str, ts: u64) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() == MAX_QUEUED {
            q.pop_front();
        }
        q.push_back(json!({"text": text, "sessionKey": session_key, "ts": ts}));
    }

    pub fn list(&self) -> Value {
        let q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        Value::Array(q.iter().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_is_bounded() {
        let e = SystemEvents::default();
        for i in 0..(MAX_QUEUED + 2) {
            e.push(&format!("event {i}"), "agent:main:main", i as u64);
        }
        let list = e.list();
        assert_eq!(list.as_array().unwrap().len(), MAX_QUEUED);
        assert_eq!(list[0]["text"], "event 2");
    }
}
