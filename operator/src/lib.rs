//! `openclaw-operator`: reconciles `OpenClaw` resources into healthy, hardened
//! OpenClaw gateways on Fly.io Machines (or the embedded fly-local).
//!
//! The reconcile is a pipeline of named stages, each in its own module:
//! dereference (resolve secrets) → validate → build (pure) → diff → apply
//! (the only side effects) → status. Front ends (`up`, `plan`, and later the
//! cluster `run`) feed resources in; backends turn them into platform objects.

pub mod access;
pub mod applied;
pub mod board;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod connect;
pub mod controller;
pub mod crd;
pub mod dereference;
pub mod embedded;
pub mod fly;
pub mod kubernetes;
pub mod metrics;
pub mod private_file;
pub mod reconcile;
pub mod report;
pub mod resource;
pub mod running;
pub mod secrets;
pub mod server;
pub mod source;
pub mod status;
pub mod table;
pub mod telemetry;
pub mod tui;
pub mod validate;
