//! Services: how the Fly proxy routes public (or flycast) traffic to a
//! machine's `internal_port`, and when it stops and starts the machine.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::check::MachineCheck;
use super::open_enum::open_enum;
use super::wire::{Extra, null_as_default};

open_enum! {
    /// Transport protocol of a service.
    pub enum Protocol {
        /// TCP.
        Tcp = "tcp",
        /// UDP.
        Udp = "udp",
    }
}

open_enum! {
    /// What the proxy does with a connection on a port.
    pub enum Handler {
        /// Terminate HTTP.
        Http = "http",
        /// Terminate TLS.
        Tls = "tls",
        /// Prepend a PROXY protocol header.
        ProxyProto = "proxy_proto",
        /// Postgres-aware TLS.
        PgTls = "pg_tls",
        /// Edge HTTP.
        EdgeHttp = "edge_http",
    }
}

open_enum! {
    /// Unit of a service's concurrency limits.
    pub enum ConcurrencyType {
        /// Open connections.
        Connections = "connections",
        /// In-flight HTTP requests.
        Requests = "requests",
    }
}

/// A service of a machine (`fly.MachineService`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MachineService {
    /// Transport protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Port the process listens on inside the machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_port: Option<u16>,
    /// Public ports and their handlers.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<MachinePort>,
    /// Stop (or suspend) the machine when idle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autostop: Option<Autostop>,
    /// Start the machine on incoming traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autostart: Option<bool>,
    /// Machines autostop keeps running (primary region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_machines_running: Option<u32>,
    /// Load limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<Concurrency>,
    /// Service health checks.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub checks: Vec<MachineCheck>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A public port of a service (`fly.MachinePort`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MachinePort {
    /// Single port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// First port of a range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_port: Option<u16>,
    /// Last port of a range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<u16>,
    /// Handlers, outermost first (e.g. `tls`, `http`).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub handlers: Vec<Handler>,
    /// Redirect plain HTTP to HTTPS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_https: Option<bool>,
    /// Fields this client does not model (`tls_options`, `http_options`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachinePort {
    /// Port `port` with `handlers`.
    pub fn new(port: u16, handlers: impl IntoIterator<Item = Handler>) -> Self {
        Self {
            port: Some(port),
            handlers: handlers.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Redirects plain HTTP on this port to HTTPS.
    pub fn force_https(mut self) -> Self {
        self.force_https = Some(true);
        self
    }
}

/// Load limits of a service (`fly.MachineServiceConcurrency`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Concurrency {
    /// Unit of the limits.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ConcurrencyType>,
    /// Load above which the proxy prefers other machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_limit: Option<u32>,
    /// Load above which the proxy sends no more traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hard_limit: Option<u32>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Whether the proxy stops an idle machine.
///
/// The API accepts `"off"|"stop"|"suspend"` or the legacy booleans, and
/// answers with booleans for off/stop; this type reads all of them and writes
/// what the API writes, so an unchanged config round-trips byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Autostop {
    /// Never stop (`false` / `"off"`).
    Off,
    /// Stop when idle (`true` / `"stop"`).
    Stop,
    /// Suspend when idle, falling back to stop (`"suspend"`).
    Suspend,
    /// A mode this client does not know, kept verbatim.
    Other(String),
}

impl Serialize for Autostop {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Off => serializer.serialize_bool(false),
            Self::Stop => serializer.serialize_bool(true),
            Self::Suspend => serializer.serialize_str("suspend"),
            Self::Other(other) => serializer.serialize_str(other),
        }
    }
}

impl<'de> Deserialize<'de> for Autostop {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AutostopVisitor;

        impl Visitor<'_> for AutostopVisitor {
            type Value = Autostop;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or one of \"off\", \"stop\", \"suspend\"")
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Autostop, E> {
                Ok(if value { Autostop::Stop } else { Autostop::Off })
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Autostop, E> {
                Ok(match value {
                    "off" | "false" => Autostop::Off,
                    "stop" | "true" => Autostop::Stop,
                    "suspend" => Autostop::Suspend,
                    other => Autostop::Other(other.to_owned()),
                })
            }
        }

        deserializer.deserialize_any(AutostopVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autostop_reads_booleans_and_strings() {
        let read = |json: &str| serde_json::from_str::<Autostop>(json).unwrap();
        assert_eq!(read("false"), Autostop::Off);
        assert_eq!(read("true"), Autostop::Stop);
        assert_eq!(read("\"off\""), Autostop::Off);
        assert_eq!(read("\"stop\""), Autostop::Stop);
        assert_eq!(read("\"suspend\""), Autostop::Suspend);
        assert_eq!(read("\"hibernate\""), Autostop::Other("hibernate".into()));
    }

    #[test]
    fn autostop_writes_what_the_api_writes() {
        let write = |a: Autostop| serde_json::to_string(&a).unwrap();
        assert_eq!(write(Autostop::Off), "false");
        assert_eq!(write(Autostop::Stop), "true");
        assert_eq!(write(Autostop::Suspend), "\"suspend\"");
        assert_eq!(write(Autostop::Other("hibernate".into())), "\"hibernate\"");
    }
}
