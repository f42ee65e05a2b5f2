//! Machine events: what happened to a machine, newest first.

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::wire::Extra;

open_enum! {
    /// What kind of thing happened.
    pub enum EventType {
        /// First boot of a version.
        Launch = "launch",
        /// Start.
        Start = "start",
        /// Stop.
        Stop = "stop",
        /// The main process exited (see [`MachineEvent::exit_code`]).
        Exit = "exit",
        /// Config update.
        Update = "update",
        /// Restart.
        Restart = "restart",
        /// Suspension.
        Suspend = "suspend",
        /// Destruction.
        Destroy = "destroy",
    }
}

/// One machine event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineEvent {
    /// Event id (a ULID); usable as `from_event_id` in a wait.
    #[serde(default)]
    pub id: String,
    /// Kind.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// Outcome, e.g. `created`, `started`, `stopped`, `exited`.
    #[serde(default)]
    pub status: String,
    /// Who caused it: `user` (an API call) or `flyd` (the platform).
    #[serde(default)]
    pub source: String,
    /// Unix time in milliseconds.
    #[serde(default)]
    pub timestamp: i64,
    /// Details; for `exit` events `{"exit_event":{"exit_code":…,"oom_killed":…}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachineEvent {
    /// When it happened, if the timestamp is valid.
    pub fn at(&self) -> Option<jiff::Timestamp> {
        jiff::Timestamp::from_millisecond(self.timestamp).ok()
    }

    /// The exit code of the main process, for `exit` events.
    pub fn exit_code(&self) -> Option<i64> {
        self.exit_event()?.get("exit_code")?.as_i64()
    }

    /// Whether the process was killed for running out of memory, for `exit` events.
    pub fn oom_killed(&self) -> Option<bool> {
        self.exit_event()?.get("oom_killed")?.as_bool()
    }

    fn exit_event(&self) -> Option<&serde_json::Value> {
        self.request.as_ref()?.get("exit_event")
    }
}
