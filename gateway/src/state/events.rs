//! Server → client events: one broadcast bus, per-connection `seq`.
//!
//! An event is serialised once and fanned out to every connection; each connection
//! numbers the events it actually sends (`seq` starts at 1; events it missed because it
//! lagged still consume numbers, so gaps are normal, as in the original).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::ws::scopes::Scope;

/// How many undelivered events a slow connection may lag behind before it skips some.
const CAPACITY: usize = 1024;

/// `stateVersion` carried by `presence` and `health` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StateVersion {
    pub presence: u64,
    pub health: u64,
}

/// One event on its way to every connection.
#[derive(Debug)]
pub struct Broadcast {
    /// JSON-encoded event name (with quotes).
    pub event_json: String,
    /// JSON-encoded payload.
    pub payload_json: String,
    pub state_version: Option<StateVersion>,
    /// Connections without this scope do not receive the event.
    pub required_scope: Option<Scope>,
    /// Live progress a connection that is behind may skip (it still uses a `seq`
    /// number): a streamed delta, whose successor carries the whole text so far.
    pub droppable: bool,
}

impl Broadcast {
    /// The frame text for a connection whose next `seq` is `seq`.
    pub fn frame(&self, seq: u64) -> String {
        let mut out = format!(
            "{{\"type\":\"event\",\"event\":{},\"payload\":{},\"seq\":{seq}",
            self.event_json, self.payload_json
        );
        if let Some(v) = self.state_version {
            out.push_str(&format!(
                ",\"stateVersion\":{{\"presence\":{},\"health\":{}}}",
                v.presence, v.health
            ));
        }
        out.push('}');
        out
    }
}

/// The gateway-wide event bus.
#[derive(Debug)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Broadcast>>,
    presence_version: AtomicU64,
    health_version: AtomicU64,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
            presence_version: AtomicU64::new(1),
            health_version: AtomicU64::new(1),
        }
    }
}

impl EventBus {
    /// Sends `event` with `payload` to every connected client (with `operator.read`).
    pub fn emit(&self, event: &str, payload: &impl Serialize) {
        self.send(event, payload, None, Some(Scope::Read));
    }

    /// Like [`EventBus::emit`], for live progress (streamed text) that a connection
    /// with a backlog skips instead of queueing, as the original does for slow
    /// consumers: the next such event supersedes it.
    pub fn emit_droppable(&self, event: &str, payload: &impl Serialize) {
        self.send_with(event, payload, None, Some(Scope::Read), true);
    }

    /// Sends to connections holding `scope` (`None`: to every connection).
    pub fn emit_scoped(&self, event: &str, payload: &impl Serialize, scope: Option<Scope>) {
        self.send(event, payload, None, scope);
    }

    /// A `presence` event: bumps the presence version.
    pub fn emit_presence(&self, presence: &impl Serialize) {
        self.presence_version.fetch_add(1, Ordering::Relaxed);
        self.send(
            "presence",
            &serde_json::json!({ "presence": presence }),
            Some(self.state_version()),
            Some(Scope::Read),
        );
    }

    /// A `health` event: bumps the health version.
    pub fn emit_health(&self, health: &impl Serialize) {
        self.health_version.fetch_add(1, Ordering::Relaxed);
        self.send(
            "health",
            health,
            Some(self.state_version()),
            Some(Scope::Read),
        );
    }

    pub fn state_version(&self) -> StateVersion {
        StateVersion {
            presence: self.presence_version.load(Ordering::Relaxed),
            health: self.health_version.load(Ordering::Relaxed),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Broadcast>> {
        self.tx.subscribe()
    }

    fn send(
        &self,
        event: &str,
        payload: &impl Serialize,
        state_version: Option<StateVersion>,
        required_scope: Option<Scope>,
    ) {
        self.send_with(event, payload, state_version, required_scope, false);
    }

    fn send_with(
        &self,
        event: &str,
        payload: &impl Serialize,
        state_version: Option<StateVersion>,
        required_scope: Option<Scope>,
        droppable: bool,
    ) {
        let Ok(payload_json) = serde_json::to_string(payload) else {
            tracing::error!(target: "gateway", "event {event}: payload is not serialisable; dropped");
            return;
        };
        let event_json = serde_json::to_string(event).expect("strings serialise");
        // No receivers is fine: nobody is connected.
        let _ = self.tx.send(Arc::new(Broadcast {
            event_json,
            payload_json,
            state_version,
            required_scope,
            droppable,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_seq_and_state_version() {
        let bus = EventBus::default();
        let mut rx = bus.subscribe();
        bus.emit("tick", &serde_json::json!({"ts": 5}));
        bus.emit_presence(&Vec::<u8>::new());
        let tick: serde_json::Value =
            serde_json::from_str(&rx.try_recv().unwrap().frame(1)).unwrap();
        assert_eq!(
            tick,
            serde_json::json!({"type":"event","event":"tick","payload":{"ts":5},"seq":1})
        );
        let presence: serde_json::Value =
            serde_json::from_str(&rx.try_recv().unwrap().frame(2)).unwrap();
        assert_eq!(
            presence["stateVersion"],
            serde_json::json!({"presence": 2, "health": 1})
        );
    }
}
