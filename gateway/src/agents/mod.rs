//! The agent engine: model providers with fallbacks, a run scheduler, and
//! persistent sessions, producing typed run events for the WebSocket layer.

pub mod config;
pub mod endpoints;
pub mod engine;
pub mod events;
pub mod fallback;
pub mod message;
pub mod model_ref;
pub mod providers;
pub mod scheduler;
pub mod secret;
pub mod sessions;

pub use engine::{
    Acceptance, Accepted, Engine, EngineError, EngineOptions, SendError, SendRequest,
};
pub use events::{RunEvent, RunEventKind, RunOutcome, RunRecord};
pub mod protocol;
