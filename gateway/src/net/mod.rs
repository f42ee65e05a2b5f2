//! Network plumbing: where to listen, freeing a busy port (`--force`), binding with retries.

pub mod bind;
pub mod force;
pub mod listen;
