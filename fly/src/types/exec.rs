//! Running a command inside a machine (`POST …/machines/{id}/exec`).

use serde::{Deserialize, Serialize};

use super::wire::Extra;

/// Body of an exec call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecRequest {
    /// argv of the command.
    pub command: Vec<String>,
    /// Seconds the command may run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Standard input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
}

impl ExecRequest {
    /// Runs `command` (argv) with the platform's default timeout.
    pub fn new<I, S>(command: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            command: command.into_iter().map(Into::into).collect(),
            timeout: None,
            stdin: None,
        }
    }

    /// Limits the run to `secs` seconds.
    pub fn timeout_secs(mut self, secs: u64) -> Self {
        self.timeout = Some(secs);
        self
    }
}

/// What the command did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExecResponse {
    /// Exit code (absent when killed by a signal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// Signal that killed the command, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_signal: Option<i32>,
    /// Standard output.
    #[serde(default)]
    pub stdout: String,
    /// Standard error.
    #[serde(default)]
    pub stderr: String,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ExecResponse {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}
