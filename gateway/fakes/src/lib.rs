//! Local fake servers that speak real wire protocols, for tests and benchmarks.
//!
//! Every fake is a real HTTP server on `127.0.0.1:0`: the code under test talks
//! to it through its ordinary client (reqwest, serenity, teloxide …) aimed at a
//! local base URL, never through a mock of our own traits. The fakes follow the
//! services' documented wire formats (status codes, SSE event names, JSON error
//! bodies, headers), so a client that works against them works against the
//! real service.
//!
//! - [`providers`]: Anthropic Messages, OpenAI Chat Completions and Google
//!   Gemini `streamGenerateContent`, scriptable per test (answer, stream
//!   slowly, fail with 429/529/500, hang) and recording what they received.
//! - [`discord`]: Discord's REST API and gateway WebSocket (serenity's view).
//! - [`telegram`]: the Telegram Bot API, long polling and webhooks (teloxide's view).

pub mod discord;
pub mod providers;
pub mod telegram;
mod wait;
