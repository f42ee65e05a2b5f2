//! The WebSocket control plane, protocol v4.
//!
//! - [`frames`], [`connect`], [`schema`]: the closed frame schemas and their validation;
//! - [`admission`], [`origin`], [`device`], [`pairing`]: who gets in with which scopes;
//! - [`registry`]: methods and events, extended by subsystems; [`methods`]: the core's;
//! - [`connection`]: one socket's life; [`outbox`]: its send side.

pub mod admission;
pub mod connect;
pub mod connection;
pub mod device;
pub mod errors;
pub mod frames;
pub mod hello;
pub mod methods;
pub mod origin;
pub mod outbox;
pub mod pairing;
pub mod registry;
pub mod schema;
pub mod scopes;
