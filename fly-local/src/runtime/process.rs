//! A machine's main process as the supervisor sees it: something that exits
//! and can be signalled. Real processes and simulated ones (no process, for
//! scale tests) behave the same towards the state machine.

use nix::sys::signal::Signal;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::sandbox::RealProcess;

/// How a main process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInfo {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub oom_killed: bool,
}

impl ExitInfo {
    pub fn code(code: i32) -> Self {
        Self {
            code: Some(code),
            signal: None,
            oom_killed: false,
        }
    }

    pub fn signal(signal: Signal) -> Self {
        Self {
            code: None,
            signal: Some(signal as i32),
            oom_killed: false,
        }
    }

    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The exit code as Fly reports it (128 + signal for a signal death).
    pub fn exit_code(&self) -> i32 {
        self.code.unwrap_or_else(|| 128 + self.signal.unwrap_or(0))
    }

    /// The `exit_event` object of an `exit` machine event.
    pub fn event_json(&self, requested_stop: bool, restarting: bool, at: &str) -> Value {
        json!({
            "requested_stop": requested_stop,
            "restarting": restarting,
            "guest_exit_code": self.exit_code(),
            "guest_signal": self.signal.unwrap_or(-1),
            "guest_error": "",
            "exit_code": self.exit_code(),
            "signal": self.signal.unwrap_or(-1),
            "error": "",
            "oom_killed": self.oom_killed,
            "exited_at": at,
        })
    }

    /// The line Fly's init logs when the main process ends.
    pub fn log_line(&self) -> String {
        let oom = if self.oom_killed {
            " ERROR Out of memory: the main process was killed by the OOM killer (see guest.memory_mb)\n"
        } else {
            ""
        };
        let exit = match self.signal {
            Some(sig) => format!(
                " INFO Main child exited with signal (with signal '{}', core dumped? false)",
                Signal::try_from(sig)
                    .map(|s| s.as_str())
                    .unwrap_or("unknown")
            ),
            None => format!(
                " INFO Main child exited normally with code: {}",
                self.exit_code()
            ),
        };
        format!("{oom}{exit}")
    }
}

/// A running main process.
pub enum Proc {
    Simulated(Simulated),
    Real(Box<RealProcess>),
}

impl Proc {
    /// Resolves when the process exits. Cancel-safe.
    pub async fn wait(&mut self) -> ExitInfo {
        match self {
            Proc::Simulated(s) => s.wait().await,
            Proc::Real(r) => r.wait().await,
        }
    }

    pub fn signal(&self, signal: Signal) {
        match self {
            Proc::Simulated(s) => s.signal(signal),
            Proc::Real(r) => r.signal(signal),
        }
    }

    /// Freezes the process (suspend); `resume` thaws it.
    pub fn freeze(&self) {
        if let Proc::Real(r) = self {
            r.freeze();
        }
    }

    pub fn resume(&self) {
        if let Proc::Real(r) = self {
            r.resume();
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self, Proc::Simulated(_))
    }
}

/// A process that does not exist. It behaves like a well-mannered server:
/// it exits on the stop signals (SIGINT, SIGTERM, SIGQUIT, SIGHUP) and
/// SIGKILL, and handles (ignores) the others.
pub struct Simulated {
    tx: mpsc::UnboundedSender<ExitInfo>,
    rx: mpsc::UnboundedReceiver<ExitInfo>,
}

impl Default for Simulated {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self { tx, rx }
    }
}

impl Simulated {
    async fn wait(&mut self) -> ExitInfo {
        match self.rx.recv().await {
            Some(exit) => exit,
            None => std::future::pending().await,
        }
    }

    fn signal(&self, signal: Signal) {
        let terminates = matches!(
            signal,
            Signal::SIGINT | Signal::SIGTERM | Signal::SIGQUIT | Signal::SIGHUP | Signal::SIGKILL
        );
        if terminates {
            let _ = self.tx.send(ExitInfo::signal(signal));
        }
    }
}
