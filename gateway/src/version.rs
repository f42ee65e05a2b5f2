//! Version strings this gateway reports to clients.

/// The OpenClaw release whose CLI, files and WebSocket protocol this gateway reproduces.
///
/// Clients (the official CLI, the Control UI) read `server.version` to decide what they can
/// talk about, so we report the release we are compatible with, not our crate version.
pub const COMPAT_VERSION: &str = "2026.9.6";

/// Identifies this implementation in `hello-ok.server.buildId`, lock files and logs.
pub const BUILD_ID: &str = concat!("openclaw-rs-", env!("CARGO_PKG_VERSION"));

/// WebSocket protocol version spoken by this gateway.
pub const PROTOCOL_VERSION: u32 = 4;

/// Oldest protocol accepted from probe clients (`client.mode = "probe"`), as the original.
pub const MIN_PROBE_PROTOCOL: u32 = 3;
