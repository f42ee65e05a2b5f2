//! `system-presence`: the gateway itself plus every connected, non-ephemeral client.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Value, json};

use super::lifecycle::now_ms;
use crate::version::COMPAT_VERSION;

/// Facts about this host for the gateway's own presence entry.
#[derive(Debug, Clone)]
pub struct HostInfo {
    pub host: String,
    pub ip: Option<String>,
    pub platform: String,
    pub instance_id: String,
}

impl HostInfo {
    /// Reads hostname, primary IPv4 and kernel release.
    pub fn detect() -> Self {
        let uname = nix::sys::utsname::uname().ok();
        let host = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "localhost".into());
        let release = uname
            .as_ref()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default();
        Self {
            host,
            ip: primary_ipv4(),
            platform: format!("linux {release}"),
            instance_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// The address a default route would use, found without sending anything.
fn primary_ipv4() -> Option<String> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then(|| ip.to_string())
}

/// A connected client as shown in presence.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientPresence {
    pub host: String,
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    pub version: String,
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_family: Option<String>,
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    pub reason: &'static str,
    pub text: String,
    pub ts: u64,
}

/// Presence entries keyed by connection id.
#[derive(Debug)]
pub struct PresenceRegistry {
    host: HostInfo,
    clients: Mutex<HashMap<String, ClientPresence>>,
}

impl PresenceRegistry {
    pub fn new(host: HostInfo) -> Self {
        Self {
            host,
            clients: Mutex::new(HashMap::new()),
        }
    }

    pub fn host(&self) -> &HostInfo {
        &self.host
    }

    pub fn upsert(&self, conn_id: &str, entry: ClientPresence) {
        self.clients
            .lock()
            .expect("presence lock")
            .insert(conn_id.to_owned(), entry);
    }

    /// Removes a connection's entry; `true` if it had one.
    pub fn remove(&self, conn_id: &str) -> bool {
        self.clients
            .lock()
            .expect("presence lock")
            .remove(conn_id)
            .is_some()
    }

    /// All entries, newest first, the gateway's own first (its `ts` is now).
    pub fn list(&self) -> Vec<Value> {
        let h = &self.host;
        let ip_part =
            h.ip.as_ref()
                .map(|ip| format!(" ({ip})"))
                .unwrap_or_default();
        let mut me = json!({
            "host": h.host,
            "version": COMPAT_VERSION,
            "platform": h.platform,
            "deviceFamily": "Linux",
            "mode": "gateway",
            "reason": "self",
            "instanceId": h.instance_id,
            "text": format!("Gateway: {}{ip_part} · app {COMPAT_VERSION} · mode gateway · reason self", h.host),
            "ts": now_ms(),
        });
        if let Some(ip) = &h.ip {
            me["ip"] = json!(ip);
        }
        let mut clients: Vec<ClientPresence> = self
            .clients
            .lock()
            .expect("presence lock")
            .values()
            .cloned()
            .collect();
        clients.sort_by_key(|c| std::cmp::Reverse(c.ts));
        std::iter::once(me)
            .chain(
                clients
                    .into_iter()
                    .map(|c| serde_json::to_value(c).expect("presence serialises")),
            )
            .collect()
    }
}
