//! The one path from an admitted message to its answer, shared by every channel:
//! route it, run it through the agent engine (the same runs, sessions and events
//! as `chat.send`), show "typing…" while it runs, and post the answer split into
//! messages the platform accepts.

use std::future::Future;
use std::time::Duration;

use super::chunk::{self, Limits};
use super::inbound::Inbound;
use super::route::route;
use crate::agents::{Acceptance, Engine, RunOutcome, SendError, SendRequest};

/// What the agent's "nothing to say" answer looks like (the original's silent token).
const SILENT_REPLY: &str = "NO_REPLY";

/// Posted when a run fails; the details go to the gateway log, not to the chat.
pub const FAILED_NOTICE: &str =
    "⚠️ Sorry, I could not answer that: the model request failed. The gateway log has the details.";
/// Posted when the engine's queue is full.
pub const BUSY_NOTICE: &str =
    "⚠️ I am busy with other conversations right now; please try again in a moment.";

/// The conversation a message came from, as the dispatcher needs it.
pub trait Conversation: Send + Sync {
    /// How often "typing…" must be sent again while the agent runs (the platform
    /// shows it for a few seconds only).
    const TYPING_EVERY: Duration;

    /// Shows "typing…".
    fn typing(&self) -> impl Future<Output = Result<(), String>> + Send;

    /// Posts one message (already within the platform's limits).
    fn send(&self, text: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// How the reply is shaped for the platform.
#[derive(Debug, Clone)]
pub struct ReplyStyle {
    pub limits: Limits,
    /// `responsePrefix`: put in front of every answer.
    pub prefix: Option<String>,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The answer went out in this many messages.
    Answered(usize),
    /// This message was already run (a replay); nothing was sent again.
    Duplicate,
    /// The agent chose not to answer, or the run was aborted.
    Silent,
    /// Something failed; the reason is for the log.
    Failed(String),
}

/// A run the engine accepted for a message.
#[derive(Debug, Clone)]
pub struct Started {
    pub run_id: String,
    pub session_key: String,
}

/// Why a message was not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotStarted {
    /// Already run (a replay).
    Duplicate,
    /// The engine's queue is full.
    Busy(String),
    /// The engine refused it (empty text …).
    Refused(String),
}

/// Routes `m` and starts its run. Synchronous, so a channel that receives messages
/// in order (Telegram polling) also starts their runs in order.
pub fn start(engine: &Engine, m: &Inbound) -> Result<Started, NotStarted> {
    let config = engine.config();
    let target = route(&config, m);
    let accepted = engine
        .send(SendRequest {
            session_key: target.session_key.clone(),
            agent_id: Some(target.agent_id.clone()),
            message: m.agent_text(),
            idempotency_key: Some(m.idempotency_key()),
            timeout: None,
        })
        .map_err(|e| match e {
            SendError::QueueFull(full) => NotStarted::Busy(full.to_string()),
            other => NotStarted::Refused(other.to_string()),
        })?;
    if accepted.acceptance != Acceptance::Started {
        return Err(NotStarted::Duplicate);
    }
    Ok(Started {
        run_id: accepted.run_id,
        session_key: target.session_key,
    })
}

/// Runs `m` through the engine and posts the answer to `conv`.
pub async fn answer<C: Conversation>(
    engine: &Engine,
    m: &Inbound,
    conv: &C,
    style: &ReplyStyle,
) -> Outcome {
    match start(engine, m) {
        Ok(started) => deliver(engine, &started, conv, style).await,
        Err(not) => refused(not, conv).await,
    }
}

/// The outcome of a message that was not run (telling the sender when the
/// gateway is too busy).
pub async fn refused<C: Conversation>(not: NotStarted, conv: &C) -> Outcome {
    match not {
        NotStarted::Duplicate => Outcome::Duplicate,
        NotStarted::Busy(reason) => {
            let _ = conv.send(BUSY_NOTICE).await;
            Outcome::Failed(reason)
        }
        NotStarted::Refused(reason) => Outcome::Failed(reason),
    }
}

/// Shows "typing…" until the run ends, then posts its answer.
pub async fn deliver<C: Conversation>(
    engine: &Engine,
    started: &Started,
    conv: &C,
    style: &ReplyStyle,
) -> Outcome {
    let done = wait(engine, &started.run_id);
    tokio::pin!(done);
    let mut typing = tokio::time::interval(C::TYPING_EVERY);
    typing.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let outcome = loop {
        tokio::select! {
            outcome = &mut done => break outcome,
            _ = typing.tick() => {
                if let Err(e) = conv.typing().await {
                    tracing::debug!(target: "channels", "typing indicator failed: {e}");
                }
            }
        }
    };
    let Some(outcome) = outcome else {
        return Outcome::Failed(format!("run {} vanished from the engine", started.run_id));
    };
    match outcome {
        RunOutcome::Ok { message } => {
            let text = message.text();
            if text.trim().is_empty() || text.trim() == SILENT_REPLY {
                return Outcome::Silent;
            }
            let text = match &style.prefix {
                Some(prefix) => format!("{prefix} {text}"),
                None => text,
            };
            let chunks = chunk::split(&text, style.limits);
            for (i, c) in chunks.iter().enumerate() {
                if let Err(e) = conv.send(c).await {
                    return Outcome::Failed(format!(
                        "sending part {} of {} failed: {e}",
                        i + 1,
                        chunks.len()
                    ));
                }
            }
            Outcome::Answered(chunks.len())
        }
        RunOutcome::Aborted { .. } => Outcome::Silent,
        RunOutcome::Error { message, .. } => {
            let _ = conv.send(FAILED_NOTICE).await;
            Outcome::Failed(format!(
                "the run for {} failed: {message}",
                started.session_key
            ))
        }
    }
}

/// The run's end, however long it takes (the engine enforces run timeouts);
/// `None` if the engine no longer knows the run.
async fn wait(engine: &Engine, run_id: &str) -> Option<RunOutcome> {
    loop {
        if let Some(record) = engine.wait(run_id, Duration::from_secs(60)).await {
            return Some(record.outcome);
        }
        if !engine.knows_run(run_id) {
            return None;
        }
    }
}
