//! Where the gateway is in its life: starting, running, draining. Drives `/startupz`,
//! `/readyz` and the shutdown of every connection.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

/// Phase of the process, as the probes report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Starting,
    Running,
    Draining,
}

/// Start time and phase, shared by everything that reports or waits on them.
#[derive(Debug)]
pub struct Lifecycle {
    started: Instant,
    phase: watch::Sender<Phase>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            phase: watch::channel(Phase::Starting).0,
        }
    }
}

impl Lifecycle {
    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    pub fn set(&self, phase: Phase) {
        self.phase.send_replace(phase);
    }

    /// Milliseconds since the process started serving (for `uptimeMs`).
    pub fn uptime_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Resolves once draining starts; every connection selects on it.
    pub async fn draining(&self) {
        let mut rx = self.phase.subscribe();
        let _ = rx.wait_for(|p| *p == Phase::Draining).await;
    }
}

/// Milliseconds since the Unix epoch (the protocol's `ts`).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
