//! The machine lifecycle (fly-machines-api.md §6) as a closed set of states and
//! the rules over them, so that every handler and the supervisor agree on what
//! a state means.

use serde::{Deserialize, Serialize};

/// Where a machine is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MachineState {
    Created,
    Starting,
    Started,
    Stopping,
    Stopped,
    Suspending,
    Suspended,
    Replacing,
    Restarting,
    Destroying,
    Destroyed,
    Failed,
}

impl MachineState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Starting => "starting",
            Self::Started => "started",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::Suspending => "suspending",
            Self::Suspended => "suspended",
            Self::Replacing => "replacing",
            Self::Restarting => "restarting",
            Self::Destroying => "destroying",
            Self::Destroyed => "destroyed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }

    /// Persistent (non-transient) states: what `wait?state=settled` waits for.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            Self::Created
                | Self::Started
                | Self::Stopped
                | Self::Suspended
                | Self::Failed
                | Self::Destroyed
        )
    }

    /// States in which the machine's main process is (or is about to be) running.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Starting
                | Self::Started
                | Self::Restarting
                | Self::Replacing
                | Self::Stopping
                | Self::Suspending
        )
    }
}

impl std::fmt::Display for MachineState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state that `GET /wait` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitTarget {
    State(MachineState),
    Settled,
}

impl WaitTarget {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "settled" => Some(Self::Settled),
            "started" => Some(Self::State(MachineState::Started)),
            "stopped" => Some(Self::State(MachineState::Stopped)),
            "suspended" => Some(Self::State(MachineState::Suspended)),
            "destroyed" => Some(Self::State(MachineState::Destroyed)),
            "failed" => Some(Self::State(MachineState::Failed)),
            _ => None,
        }
    }

    pub fn matches(self, state: MachineState) -> bool {
        match self {
            Self::Settled => state.is_settled(),
            Self::State(s) => s == state,
        }
    }
}
