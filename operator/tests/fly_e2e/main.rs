//! End-to-end: the operator binary against fly-local over HTTP, with real
//! gateway processes as machines (see `support`).

mod drift;
mod lifecycle;
mod official_cli;
#[path = "../support/output.rs"]
mod output;
mod prune;
mod recovery;
mod support;
mod ws;
