//! The agent engine: model providers with fallbacks, a run scheduler, and
//! persistent sessions, producing typed run events — and its wiring into the
//! gateway's WebSocket protocol ([`protocol`], [`install`]).
//!
//! ```text
//! config ─► Engine::send ─► scheduler ─► fallback chain ─► providers (HTTP/SSE)
//!                 │                                  │
//!                 └──────── sessions (JSONL) ◄───────┘──► RunEvents ─► chat/agent events
//! ```

pub mod config;
pub mod endpoints;
pub mod engine;
pub mod events;
pub mod fallback;
pub mod install;
pub mod message;
pub mod model_ref;
pub mod protocol;
pub mod providers;
pub mod scheduler;
pub mod secret;
pub mod sessions;

pub use engine::{
    Acceptance, Accepted, Engine, EngineError, EngineOptions, EventSink, SendError, SendRequest,
};
pub use events::{RunEvent, RunEventKind, RunOutcome, RunRecord};
pub use install::install;
