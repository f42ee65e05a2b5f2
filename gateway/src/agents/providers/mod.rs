//! Model providers over reqwest with streaming: Anthropic Messages, OpenAI Chat
//! Completions and Google Gemini `streamGenerateContent`, all as server-sent events.
//!
//! A call is [`open`]: it sends the request (first-byte timeout on the response
//! headers), turns an error status into a classified [`ProviderError`], and
//! otherwise yields [`StreamItem`]s decoded from the provider's own event format
//! (idle timeout between events). Dropping the stream drops the HTTP response,
//! which closes the upstream request: that is how a run is aborted.

mod anthropic;
mod error;
mod gemini;
mod keys;
mod openai;
mod stream;

use std::time::Duration;

pub use error::{FailureKind, ProviderError};
pub use keys::{KeySource, env_keys};
pub use stream::{ModelStream, open};

/// The wire protocol a provider speaks (the original's `api` ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `anthropic-messages`: `POST {base}/v1/messages`.
    AnthropicMessages,
    /// `openai-completions`: `POST {base}/chat/completions` (base includes `/v1`).
    OpenAiCompletions,
    /// `google-generative-ai`: `POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`.
    GoogleGenerativeAi,
}

impl Api {
    /// Every API this gateway implements, by the original's id.
    pub const ALL: [Api; 3] = [
        Api::AnthropicMessages,
        Api::OpenAiCompletions,
        Api::GoogleGenerativeAi,
    ];

    /// The API of a config `api` id, if implemented.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.id() == id)
    }

    /// The original's id for this API.
    pub fn id(self) -> &'static str {
        match self {
            Api::AnthropicMessages => "anthropic-messages",
            Api::OpenAiCompletions => "openai-completions",
            Api::GoogleGenerativeAi => "google-generative-ai",
        }
    }
}

/// A built-in provider: its id, API, public base URL and base-URL variable.
#[derive(Clone, Copy, Debug)]
pub struct BuiltIn {
    pub id: &'static str,
    pub api: Api,
    pub base_url: &'static str,
    pub base_url_env: &'static str,
}

/// The providers that need no `models.providers` entry.
pub const BUILT_INS: [BuiltIn; 3] = [
    BuiltIn {
        id: "anthropic",
        api: Api::AnthropicMessages,
        base_url: "https://api.anthropic.com",
        base_url_env: "ANTHROPIC_BASE_URL",
    },
    BuiltIn {
        id: "openai",
        api: Api::OpenAiCompletions,
        base_url: "https://api.openai.com/v1",
        base_url_env: "OPENAI_BASE_URL",
    },
    BuiltIn {
        id: "google",
        api: Api::GoogleGenerativeAi,
        base_url: "https://generativelanguage.googleapis.com",
        base_url_env: "GOOGLE_BASE_URL",
    },
];

/// The built-in provider `id`, if it is one.
pub fn built_in(id: &str) -> Option<&'static BuiltIn> {
    BUILT_INS.iter().find(|b| b.id == id)
}

/// How long to wait for a provider before calling it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// From sending the request to the response headers.
    pub first_byte: Duration,
    /// Between two stream events once streaming.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            first_byte: Duration::from_secs(60),
            idle: Duration::from_secs(120),
        }
    }
}

/// Where and how to reach one provider.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Provider id (`anthropic`, …), for messages.
    pub provider: String,
    pub api: Api,
    /// Base URL as the provider's `*_BASE_URL` variable holds it.
    pub base_url: String,
    /// Extra static headers from `models.providers.<id>.headers`.
    pub headers: Vec<(String, String)>,
    pub timeouts: Timeouts,
}

/// Who said a message in the conversation sent to a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// One message of the conversation sent to a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: Role,
    pub text: String,
}

/// A request for one streamed completion.
#[derive(Clone, Debug)]
pub struct ModelRequest {
    /// Provider-facing model id (the part after `provider/`).
    pub model: String,
    pub system: Option<String>,
    /// The conversation, oldest first, ending with the user's message.
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
}

/// Token counts reported by a provider.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
}

/// What a provider stream yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamItem {
    /// The next piece of the answer's text.
    Text(String),
    /// The call finished: why it stopped (`stop`, `length`, or the provider's
    /// own reason) and its usage. Always the last item of a successful stream.
    Done { stop_reason: String, usage: Usage },
}
