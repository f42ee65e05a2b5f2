//! `openclaw-operator run` as a process against the API-server stand-in over
//! HTTP (no real cluster can be installed here): the Kubernetes platform,
//! Fly through a fly-local, drift and field-manager conflicts, watched
//! namespaces, leader election, and RBAC checked against what was called.

mod drift;
mod fly;
mod kubernetes_platform;
mod leader;
mod namespaces;
#[path = "../support/output.rs"]
mod output;
mod rbac;
mod support;
#[path = "../support/mod.rs"]
mod tools;
