//! The `openclaw gateway` runtime as a library; `main.rs` is a thin wrapper.

pub mod agents;
