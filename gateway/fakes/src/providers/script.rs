//! What a fake provider answers: scripted per model, per test.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// What a fake provider does with one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Stream an answer as server-sent events.
    Answer(Answer),
    /// Refuse the request with an HTTP error status and the provider's real error body.
    Fail(Failure),
    /// Accept the request and never send response headers (a first-byte timeout).
    Hang,
}

/// A streamed answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The full text of the answer.
    pub text: String,
    /// How many text deltas the text is split into (at least 1).
    pub deltas: usize,
    /// Pause before each delta (a slow stream).
    pub delay: Duration,
    /// Stop sending after this many deltas, keeping the connection open (an idle timeout).
    pub stall_after: Option<usize>,
    /// After this many deltas, send the provider's in-stream error and end the stream.
    pub fail_after: Option<(usize, Failure)>,
}

impl Answer {
    /// An answer of `text` in one delta, sent at once.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            deltas: 1,
            delay: Duration::ZERO,
            stall_after: None,
            fail_after: None,
        }
    }

    /// Split the text into `n` deltas (as evenly as character boundaries allow).
    pub fn deltas(mut self, n: usize) -> Self {
        self.deltas = n.max(1);
        self
    }

    /// Wait `delay` before each delta.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Go silent after `n` deltas without closing the connection.
    pub fn stall_after(mut self, n: usize) -> Self {
        self.stall_after = Some(n);
        self
    }

    /// Send the provider's in-stream error event after `n` deltas.
    pub fn fail_after(mut self, n: usize, failure: Failure) -> Self {
        self.fail_after = Some((n, failure));
        self
    }

    /// The text split into its deltas.
    pub fn chunks(&self) -> Vec<String> {
        let chars: Vec<char> = self.text.chars().collect();
        let n = self.deltas.max(1);
        let per = chars.len().div_ceil(n).max(1);
        let mut out: Vec<String> = chars.chunks(per).map(|c| c.iter().collect()).collect();
        while out.len() < n {
            out.push(String::new());
        }
        out
    }
}

/// A failure, rendered with the status code and JSON body the real provider uses for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Rate limited (429), with an optional `retry-after` in seconds.
    RateLimited { retry_after: Option<u64> },
    /// Overloaded: Anthropic 529 `overloaded_error`, OpenAI and Gemini 503.
    Overloaded,
    /// Internal server error (500).
    ServerError,
    /// The API key is missing or invalid (Anthropic/OpenAI 401, Gemini 400 `API_KEY_INVALID`).
    Unauthorized,
    /// The request is invalid (400).
    BadRequest,
    /// The model does not exist (404).
    ModelNotFound,
}

impl Failure {
    /// Rate limited with `retry-after: 1`.
    pub fn rate_limited() -> Self {
        Self::RateLimited {
            retry_after: Some(1),
        }
    }
}

/// The replies queued for each model, then each model's standing reply, then one for all.
#[derive(Default)]
pub(crate) struct Script {
    queued: HashMap<String, VecDeque<Reply>>,
    standing: HashMap<String, Reply>,
    all: Option<Reply>,
}

impl Script {
    pub(crate) fn push(&mut self, model: &str, reply: Reply) {
        self.queued
            .entry(model.to_owned())
            .or_default()
            .push_back(reply);
    }

    pub(crate) fn set_standing(&mut self, model: &str, reply: Reply) {
        self.standing.insert(model.to_owned(), reply);
    }

    pub(crate) fn set_all(&mut self, reply: Reply) {
        self.all = Some(reply);
    }

    /// The reply for the next request to `model`; `None` means "echo the prompt".
    pub(crate) fn next(&mut self, model: &str) -> Option<Reply> {
        if let Some(reply) = self.queued.get_mut(model).and_then(VecDeque::pop_front) {
            return Some(reply);
        }
        self.standing.get(model).or(self.all.as_ref()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_text_in_order() {
        let a = Answer::text("héllo world").deltas(4);
        let chunks = a.chunks();
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks.concat(), "héllo world");
    }

    #[test]
    fn queued_replies_come_before_standing_ones() {
        let mut s = Script::default();
        s.set_standing("m", Reply::Hang);
        s.push("m", Reply::Fail(Failure::ServerError));
        assert!(matches!(
            s.next("m"),
            Some(Reply::Fail(Failure::ServerError))
        ));
        assert!(matches!(s.next("m"), Some(Reply::Hang)));
        assert!(s.next("other").is_none());
    }
}
