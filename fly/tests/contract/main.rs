//! Contract tests: the client's whole surface against an embedded fly-local,
//! over HTTP exactly as it talks to Fly. fly-local is an independent
//! implementation of the API's wire contract (it does not use this crate),
//! so a passing run means both sides agree on paths, shapes and status codes.
//! Error kinds and retry paths are driven with fly-local's fault injection
//! and checked against its request log.

mod local;

mod apps;
mod errors;
mod ips;
mod leases;
mod machines;
mod processes;
mod retries;
mod routes;
mod secrets;
mod volumes;
