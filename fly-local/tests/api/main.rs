//! fly-local over HTTP, exactly as clients talk to Fly: every exchange is
//! validated against the Machines OpenAPI spec by the support client.

mod support;

mod admin;
mod apps;
mod bad_input;
mod egress;
mod gateway;
mod leases;
mod logs;
mod machines;
mod networking;
mod persistence;
mod processes;
mod volumes;
mod wait;
