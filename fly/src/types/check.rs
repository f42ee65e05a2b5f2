//! Health checks, both the top-level `checks` map and a service's `checks`.

use serde::{Deserialize, Serialize};

use super::duration::FlyDuration;
use super::open_enum::open_enum;
use super::wire::{Extra, null_as_default};

open_enum! {
    /// How a check probes the machine.
    pub enum CheckType {
        /// Connect to a TCP port.
        Tcp = "tcp",
        /// Send an HTTP request and expect a 2xx.
        Http = "http",
    }
}

open_enum! {
    /// What a failing top-level check means.
    pub enum CheckKind {
        /// Reported only.
        Informational = "informational",
        /// Gates traffic (and deploys).
        Readiness = "readiness",
    }
}

/// A health check (`fly.MachineCheck` / `fly.MachineServiceCheck`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MachineCheck {
    /// Probe type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CheckType>,
    /// Port probed, usually the service's `internal_port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Time between probes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<FlyDuration>,
    /// Time a probe may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<FlyDuration>,
    /// Time after boot before failures count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_period: Option<FlyDuration>,
    /// HTTP method (http checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// HTTP path (http checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `http` or `https` (http checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Extra request headers (http checks).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub headers: Vec<HttpHeader>,
    /// Informational or readiness (top-level checks only).
    #[serde(rename = "kind", default, skip_serializing_if = "Option::is_none")]
    pub check_kind: Option<CheckKind>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachineCheck {
    /// An HTTP `GET path` check on `port`.
    pub fn http(port: u16, path: impl Into<String>) -> Self {
        Self {
            kind: Some(CheckType::Http),
            port: Some(port),
            method: Some("GET".into()),
            path: Some(path.into()),
            ..Self::default()
        }
    }

    /// A TCP connect check on `port`.
    pub fn tcp(port: u16) -> Self {
        Self {
            kind: Some(CheckType::Tcp),
            port: Some(port),
            ..Self::default()
        }
    }

    /// Sets the probe interval.
    pub fn interval(mut self, interval: impl Into<FlyDuration>) -> Self {
        self.interval = Some(interval.into());
        self
    }

    /// Sets the probe timeout.
    pub fn timeout(mut self, timeout: impl Into<FlyDuration>) -> Self {
        self.timeout = Some(timeout.into());
        self
    }

    /// Sets the grace period after boot.
    pub fn grace_period(mut self, grace: impl Into<FlyDuration>) -> Self {
        self.grace_period = Some(grace.into());
        self
    }
}

/// A header sent by an HTTP check (`fly.MachineHTTPHeader`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeader {
    /// Header name.
    pub name: String,
    /// Header values.
    #[serde(default, deserialize_with = "null_as_default")]
    pub values: Vec<String>,
}
