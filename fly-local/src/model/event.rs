//! Machine events, recorded newest-first as `GET /machines/{id}` and
//! `/events` return them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One lifecycle event (`launch`, `start`, `stop`, `exit`, `update`, `restart`, `destroy`…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    /// `user` for API calls, `flyd` for what the platform did by itself.
    pub source: String,
    /// Unix milliseconds.
    pub timestamp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    User,
    Flyd,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Flyd => "flyd",
        }
    }
}

impl Event {
    pub fn new(kind: &str, status: &str, source: Source, now_ms: i64) -> Self {
        Self {
            id: crate::ids::ulid(),
            kind: kind.to_owned(),
            status: status.to_owned(),
            source: source.as_str().to_owned(),
            timestamp: now_ms,
            request: None,
        }
    }

    pub fn with_request(mut self, request: Value) -> Self {
        self.request = Some(request);
        self
    }
}

/// At most this many events are kept per machine (the API returns ≤ 50).
pub const MAX_EVENTS: usize = 100;
