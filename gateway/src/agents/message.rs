//! Messages as sessions store them and history returns them.

use serde::{Deserialize, Serialize};

use super::providers::{FailureKind, Usage};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    User,
    Assistant,
}

/// A content block; text is the only kind agents produce so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ContentBlock {
    Text { text: String },
}

/// One model tried during a run, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// `provider/model`.
    pub model: String,
    /// `None` when this model answered; otherwise why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<AttemptFailure>,
}

/// Why a model was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptFailure {
    pub reason: FailureKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// The variable the key came from (never the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_source: Option<String>,
}

/// A transcript message (user or assistant), with run metadata on assistant ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptMessage {
    pub role: MessageRole,
    pub content: Vec<ContentBlock>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// `stop`, `length`, `aborted`, `error`, or the provider's own reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Every model tried, in order (fallback record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
}

impl TranscriptMessage {
    /// A user message sent now.
    pub fn user(text: impl Into<String>, run_id: &str) -> Self {
        Self {
            role: MessageRole::User,
            content: vec![ContentBlock::Text { text: text.into() }],
            timestamp: now_ms(),
            run_id: Some(run_id.to_owned()),
            provider: None,
            model: None,
            usage: None,
            stop_reason: None,
            error_message: None,
            attempts: Vec::new(),
        }
    }

    /// An assistant message with `text`, other fields to be filled in.
    pub fn assistant(text: impl Into<String>, run_id: &str) -> Self {
        Self {
            role: MessageRole::Assistant,
            ..Self::user(text, run_id)
        }
    }

    /// All text blocks joined.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .map(|ContentBlock::Text { text }| text.as_str())
            .collect()
    }

    /// Whether this message should be part of the context sent to a model
    /// (failed or aborted answers without text are not).
    pub fn in_context(&self) -> bool {
        !(self.role == MessageRole::Assistant && self.text().is_empty())
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl FailureKind {
    /// The attempt record of a failure.
    pub fn attempt(self, status: Option<u16>, message: &str) -> AttemptFailure {
        AttemptFailure {
            reason: self,
            status,
            message: message.to_owned(),
            retry_after_ms: None,
            key_source: None,
        }
    }
}
