//! `openclaw gateway` in Rust: a drop-in for the Node OpenClaw gateway (same flags, env
//! vars, files, HTTP endpoints and WebSocket protocol v4) that runs in a few MB.
//!
//! The binary is a thin wrapper around [`cli::run`], so other binaries (the operator's
//! multi-call binary) can embed the gateway unchanged.

pub mod absent;
pub mod agents;
pub mod channels;
pub mod cli;
pub mod config;
pub mod devices;
pub mod env;
pub mod features;
pub mod http;
pub mod lock;
pub mod logging;
pub mod logs;
pub mod net;
pub mod secret;
pub mod server;
pub mod settings;
pub mod startup;
pub mod state;
pub mod system;
pub mod version;
pub mod ws;
