//! What runs alongside a booted machine: its health checks. (Its service
//! proxies outlive a boot and are kept by the runtime.)

use std::sync::Arc;

use super::Runtime;
use super::checks::CheckTasks;
use crate::model::Machine;

pub struct Services {
    _checks: CheckTasks,
}

impl Services {
    pub fn start(rt: &Arc<Runtime>, machine: &Machine, simulated: bool) -> Self {
        Self {
            _checks: CheckTasks::start(rt, machine, simulated),
        }
    }

    /// Stops the checks (dropping them aborts their tasks).
    pub fn stop(self) {}
}
