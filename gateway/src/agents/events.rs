//! Run events: what an agent run reports while it goes, in order.
//!
//! The WebSocket layer maps them onto the original's `chat` events
//! (`state: delta | final | aborted | error`) and `agent` events (`stream:
//! lifecycle | assistant | run_status`). Every event of a run carries the same
//! `run_id`, `session_key` and `agent_id`, and a `seq` counting from 1.

use std::sync::Arc;

use serde::Serialize;

use super::message::{Attempt, TranscriptMessage};
use super::providers::FailureKind;

/// One event of one run. Shared ids are `Arc<str>` because every event of
/// every run is cloned to each subscriber.
#[derive(Clone, Debug)]
pub struct RunEvent {
    pub run_id: Arc<str>,
    pub session_key: Arc<str>,
    pub agent_id: Arc<str>,
    /// Per run, from 1, no gaps.
    pub seq: u64,
    /// Milliseconds since the epoch.
    pub ts: i64,
    pub kind: RunEventKind,
}

/// What happened.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RunEventKind {
    /// Waiting for a free slot (`maxConcurrent` runs are busy, or an earlier
    /// run of the same session is still going).
    Queued { ahead: usize },
    /// The run got its slot and starts (lifecycle `start`).
    Started,
    /// Calling a model (status).
    Attempt { model: String },
    /// A model failed and the next one is tried; any text streamed so far is
    /// discarded and deltas start over (status).
    Fallback {
        from: String,
        to: String,
        reason: FailureKind,
        message: String,
    },
    /// The next piece of the answer.
    Delta { text: String },
    /// The answer, as stored in the session (lifecycle `end`).
    Final { message: TranscriptMessage },
    /// Stopped by an abort; `partial` is the text streamed before it.
    Aborted { partial: String },
    /// Failed; every attempt says why (lifecycle `error`).
    Error {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<FailureKind>,
        attempts: Vec<Attempt>,
    },
}

impl RunEventKind {
    /// Whether this is the last event of its run.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            RunEventKind::Final { .. } | RunEventKind::Aborted { .. } | RunEventKind::Error { .. }
        )
    }
}

/// How a run ended, kept for `agent.wait` and duplicate sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum RunOutcome {
    /// Answered; the message is the stored assistant message.
    Ok {
        message: TranscriptMessage,
    },
    Aborted {
        partial: String,
    },
    Error {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<FailureKind>,
        attempts: Vec<Attempt>,
    },
}

/// A finished run: how it ended and when (ms since the epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRecord {
    pub outcome: RunOutcome,
    pub session_key: String,
    pub agent_id: String,
    /// When the send was accepted.
    pub accepted_at: i64,
    pub ended_at: i64,
}
