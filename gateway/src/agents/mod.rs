//! The agent engine: model providers with fallbacks, a run scheduler, and
//! persistent sessions, producing typed run events for the WebSocket layer.

pub mod config;
pub mod message;
pub mod model_ref;
pub mod providers;
pub mod secret;
pub mod sessions;
