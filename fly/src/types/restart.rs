//! Restart policy: what the platform does when a machine's main process exits.

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::wire::Extra;

open_enum! {
    /// Restart policy (`fly.MachineRestart.policy`).
    pub enum RestartPolicy {
        /// Never restart; the machine stops when the process exits.
        No = "no",
        /// Always restart, even after a clean exit.
        Always = "always",
        /// Restart after a non-zero exit, up to `max_retries` times (the default).
        OnFailure = "on-failure",
        /// Spot machines: run only while the spot price allows.
        SpotPrice = "spot-price",
    }
}

/// The restart section of a machine config (`fly.MachineRestart`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MachineRestart {
    /// Policy; the platform default is `on-failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<RestartPolicy>,
    /// Restarts attempted under `on-failure` before the machine stays stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachineRestart {
    /// A restart section with `policy`.
    pub fn policy(policy: RestartPolicy) -> Self {
        Self {
            policy: Some(policy),
            ..Self::default()
        }
    }
}
