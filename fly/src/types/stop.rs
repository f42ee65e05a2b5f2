//! How a machine is stopped: `stop_config` in the config, and the body of a
//! stop call.

use serde::{Deserialize, Serialize};

use super::duration::FlyDuration;
use super::signal::Signal;
use super::wire::Extra;

/// Signal and grace period used when the machine is stopped (`fly.StopConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StopConfig {
    /// Signal sent first (default `SIGINT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
    /// Time before the process is killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<FlyDuration>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of `POST …/machines/{id}/stop`; both fields optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StopMachine {
    /// Signal to send instead of the configured one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<Signal>,
    /// Grace period before the kill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<FlyDuration>,
}

/// Options of `POST …/machines/{id}/restart` (sent as query parameters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RestartMachine {
    /// Signal used to stop the old process.
    pub signal: Option<Signal>,
    /// Grace period before the kill.
    pub timeout: Option<FlyDuration>,
    /// Kill instead of waiting for a graceful stop.
    pub force_stop: bool,
}
