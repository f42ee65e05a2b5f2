//! Wire-level tests: the client against small local HTTP servers that answer
//! with the real API's status codes, headers and bodies. They pin down what
//! goes over the wire (paths, query, headers, bodies) and how every answer is
//! read, independently of fly-local.

#[path = "../support/mod.rs"]
mod support;

mod auth;
mod errors;
mod leases;
mod machines;
mod resources;
mod retries;
mod wait;
