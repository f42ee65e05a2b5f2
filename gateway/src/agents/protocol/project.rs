//! Run events as the original's WebSocket events.
//!
//! Observed on the reference gateway (see `tests/agents_fixtures`): each run
//! has one `seq` counter shared by its `agent` and `chat` payloads.
//! - `agent` `{runId, stream, data, sessionKey, agentId, seq, ts, isHeartbeat}`
//!   with streams `run_status` `{phase}`, `lifecycle` `{phase: start | model |
//!   end | error, …}`, `assistant` `{text (so far), delta, itemId}`, `usage`.
//! - `chat` `{runId, sessionKey, agentId, seq, state, …}`: `status` `{phase}`,
//!   `delta` `{deltaText, message}` (message = the text so far), `final`
//!   `{stopReason, message}`, `aborted` `{stopReason: "rpc", message}`,
//!   `error` `{errorMessage, stopReason, errorKind}`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::super::events::{RunEvent, RunEventKind};

/// An event to broadcast: its name and payload.
pub type Frame = (&'static str, Value);

/// Whether a frame is live progress a slow connection may skip: streamed text
/// (`chat` deltas, `agent` assistant events), each of which carries the whole
/// text so far, so the next one makes up for a skipped one.
pub fn is_live(frame: &Frame) -> bool {
    match frame.0 {
        "chat" => frame.1["state"] == "delta",
        "agent" => frame.1["stream"] == "assistant",
        _ => false,
    }
}

#[derive(Default)]
struct RunState {
    seq: u64,
    text: String,
    started_at: Option<i64>,
    item: u32,
}

/// Turns each run's events into `chat`/`agent` event payloads, keeping the
/// per-run state (text so far, start time, counter) the payloads need.
#[derive(Default)]
pub struct Projector {
    runs: HashMap<Arc<str>, RunState>,
}

impl Projector {
    /// Runs being projected (ended runs are forgotten).
    pub fn active(&self) -> usize {
        self.runs.len()
    }

    /// The frames for one run event, in the order to send them.
    pub fn project(&mut self, e: &RunEvent) -> Vec<Frame> {
        let terminal = e.kind.is_terminal();
        let state = self.runs.entry(Arc::clone(&e.run_id)).or_default();
        state.seq += 1;
        let seq = state.seq;
        let agent = |stream: &str, data: Value| -> Frame {
            (
                "agent",
                json!({"runId": &*e.run_id, "stream": stream, "data": data,
                       "sessionKey": &*e.session_key, "agentId": &*e.agent_id,
                       "seq": seq, "ts": e.ts, "isHeartbeat": false}),
            )
        };
        let chat = |fields: Value| -> Frame {
            let mut payload = json!({"runId": &*e.run_id, "sessionKey": &*e.session_key,
                                     "agentId": &*e.agent_id, "seq": seq});
            if let (Value::Object(p), Value::Object(f)) = (&mut payload, fields) {
                p.extend(f);
            }
            ("chat", payload)
        };
        let message = |text: &str| json!({"role": "assistant", "content": [{"type": "text", "text": text}], "timestamp": e.ts});
        let frames = match &e.kind {
            RunEventKind::Queued { ahead } => vec![
                chat(json!({"state": "status", "phase": "queued", "ahead": ahead})),
                agent("run_status", json!({"phase": "queued", "ahead": ahead})),
            ],
            RunEventKind::Started => {
                state.started_at = Some(e.ts);
                vec![
                    chat(json!({"state": "status", "phase": "preparing_context"})),
                    agent("run_status", json!({"phase": "preparing_context"})),
                    agent("lifecycle", json!({"phase": "start", "startedAt": e.ts})),
                ]
            }
            RunEventKind::Attempt { model } => {
                let (provider, id) = model.split_once('/').unwrap_or(("", model));
                vec![
                    chat(json!({"state": "status", "phase": "starting_model"})),
                    agent("run_status", json!({"phase": "starting_model"})),
                    agent(
                        "lifecycle",
                        json!({"phase": "model", "provider": provider, "model": id}),
                    ),
                ]
            }
            RunEventKind::Fallback {
                from,
                to,
                reason,
                message: why,
            } => {
                state.text.clear();
                state.item += 1;
                let data = json!({"phase": "model_fallback", "from": from, "to": to,
                                  "reason": reason, "message": why});
                let mut status = data.clone();
                status["state"] = json!("status");
                vec![chat(status), agent("run_status", data)]
            }
            RunEventKind::Delta { text } => {
                state.text.push_str(text);
                let item = format!("{}:{}", e.run_id, state.item + 1);
                vec![
                    agent(
                        "assistant",
                        json!({"text": state.text, "delta": text, "itemId": item}),
                    ),
                    chat(
                        json!({"state": "delta", "deltaText": text, "message": message(&state.text)}),
                    ),
                ]
            }
            RunEventKind::Final { message: m } => {
                let text = m.text();
                let stop = m.stop_reason.clone().unwrap_or_else(|| "stop".into());
                let (provider, model) = split_model(m.model.as_deref());
                let mut frames = Vec::new();
                if let Some(usage) = m.usage {
                    frames.push(agent(
                        "usage",
                        json!({"inputTokens": usage.input, "outputTokens": usage.output}),
                    ));
                }
                frames.push(agent(
                    "lifecycle",
                    json!({"phase": "end", "stopReason": stop, "aborted": false,
                           "startedAt": state.started_at.unwrap_or(e.ts), "endedAt": e.ts,
                           "terminalReply": {"disposition": "visible", "text": text},
                           "terminalReceipt": {"runId": &*e.run_id,
                               "effective": {"provider": provider, "model": model},
                               "attempts": m.attempts,
                               "rerouted": m.attempts.len() > 1}}),
                ));
                frames.push(chat(
                    json!({"state": "final", "stopReason": stop, "message": message(&text)}),
                ));
                frames
            }
            RunEventKind::Aborted { partial } => vec![
                chat(json!({"state": "aborted", "stopReason": "rpc", "message": message(partial)})),
                agent(
                    "lifecycle",
                    json!({"phase": "end", "status": "cancelled", "aborted": true, "stopReason": "rpc",
                           "startedAt": state.started_at.unwrap_or(e.ts), "endedAt": e.ts}),
                ),
            ],
            RunEventKind::Error {
                message: why,
                reason,
                attempts,
            } => vec![
                agent(
                    "lifecycle",
                    json!({"phase": "error", "error": why, "aborted": false, "stopReason": "error",
                           "startedAt": state.started_at.unwrap_or(e.ts), "endedAt": e.ts,
                           "attempts": attempts}),
                ),
                chat(
                    json!({"state": "error", "errorMessage": why, "stopReason": "error",
                            "errorKind": reason.map(|r| r.as_str())}),
                ),
            ],
        };
        if terminal {
            self.runs.remove(&e.run_id);
        }
        frames
    }
}

/// `anthropic/claude-x` → (`anthropic`, `claude-x`).
pub(crate) fn split_model(model: Option<&str>) -> (Option<&str>, Option<&str>) {
    match model.and_then(|m| m.split_once('/')) {
        Some((p, m)) => (Some(p), Some(m)),
        None => (None, model),
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::message::TranscriptMessage;
    use super::*;

    fn event(seq: u64, kind: RunEventKind) -> RunEvent {
        RunEvent {
            run_id: Arc::from("r1"),
            session_key: Arc::from("agent:main:main"),
            agent_id: Arc::from("main"),
            seq,
            ts: 1000 + seq as i64,
            kind,
        }
    }

    #[test]
    fn deltas_carry_the_piece_and_the_text_so_far_like_the_reference() {
        let mut p = Projector::default();
        p.project(&event(1, RunEventKind::Started));
        let frames = p.project(&event(
            2,
            RunEventKind::Delta {
                text: "Hello f".into(),
            },
        ));
        let frames2 = p.project(&event(3, RunEventKind::Delta { text: "rom".into() }));
        assert_eq!(frames[0].0, "agent");
        assert_eq!(frames[0].1["data"]["delta"], "Hello f");
        let chat = &frames2[1].1;
        assert_eq!(frames2[1].0, "chat");
        assert_eq!(chat["state"], "delta");
        assert_eq!(chat["deltaText"], "rom");
        assert_eq!(chat["message"]["content"][0]["text"], "Hello from");
        assert_eq!(
            chat["seq"], frames2[0].1["seq"],
            "chat and agent share the run's counter"
        );
        let mut m = TranscriptMessage::assistant("Hello from", "r1");
        m.model = Some("anthropic/claude-x".into());
        m.stop_reason = Some("stop".into());
        let end = p.project(&event(4, RunEventKind::Final { message: m }));
        let last = &end.last().unwrap().1;
        assert_eq!(
            (last["state"].as_str(), last["stopReason"].as_str()),
            (Some("final"), Some("stop"))
        );
        assert_eq!(p.active(), 0, "ended runs are forgotten");
    }
}
