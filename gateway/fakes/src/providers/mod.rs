//! Fake model providers: one HTTP server per provider flavour.
//!
//! ```no_run
//! # async fn demo() {
//! use openclaw_fakes::providers::{Answer, FakeProvider, Flavor, Reply};
//! let fake = FakeProvider::start(Flavor::Anthropic).await;
//! fake.push("claude-opus-4-5", Reply::Answer(Answer::text("Hello there").deltas(3)));
//! // aim the client at fake.base_url() (what ANTHROPIC_BASE_URL would hold)
//! # }
//! ```

mod anthropic;
mod gemini;
mod openai;
mod record;
mod script;
mod server;
mod stream;
mod wire;

pub use record::{Outcome, RecordedRequest};
pub use script::{Answer, Failure, Reply};
pub use server::FakeProvider;
pub use wire::Flavor;
