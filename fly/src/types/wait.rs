//! Waiting for a machine to reach a state (`GET …/machines/{id}/wait`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::machine::MachineState;
use super::wire::Extra;

/// A state a wait can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitState {
    /// Running.
    Started,
    /// Stopped.
    Stopped,
    /// Suspended.
    Suspended,
    /// Destroyed (a 404 also counts: the machine is gone).
    Destroyed,
    /// Failed.
    Failed,
    /// Any non-transient state.
    Settled,
}

impl WaitState {
    /// The value as the `state` query parameter spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Stopped => "stopped",
            Self::Suspended => "suspended",
            Self::Destroyed => "destroyed",
            Self::Failed => "failed",
            Self::Settled => "settled",
        }
    }
}

/// What to wait for, and for how long in total.
///
/// The API holds a wait for at most 60 s; [`crate::Machines::wait`] re-waits
/// until `deadline` has passed, so a deadline of minutes is fine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitFor {
    /// Target states (any of them satisfies the wait).
    pub states: Vec<WaitState>,
    /// Only count this machine version (`instance_id`).
    pub version: Option<String>,
    /// Only count events after this one.
    pub from_event_id: Option<String>,
    /// Total time to wait across re-waits.
    pub deadline: Duration,
}

impl WaitFor {
    /// Wait up to `deadline` for `state`.
    pub fn state(state: WaitState, deadline: Duration) -> Self {
        Self {
            states: vec![state],
            version: None,
            from_event_id: None,
            deadline,
        }
    }

    /// Wait up to `deadline` for any of `states`.
    pub fn any_of(states: impl IntoIterator<Item = WaitState>, deadline: Duration) -> Self {
        Self {
            states: states.into_iter().collect(),
            version: None,
            from_event_id: None,
            deadline,
        }
    }

    /// Only count machine version `version` (an `instance_id`).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Only count events after `event_id`.
    pub fn from_event_id(mut self, event_id: impl Into<String>) -> Self {
        self.from_event_id = Some(event_id.into());
        self
    }
}

/// The state a wait observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitResponse {
    /// Always true on success.
    #[serde(default)]
    pub ok: bool,
    /// The state reached.
    pub state: MachineState,
    /// The machine version the state belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The event that satisfied the wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
