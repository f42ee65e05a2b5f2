//! Apps and what hangs off them directly: app secrets (with the app-wide
//! secrets version) and IP assignments.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Digest;

use crate::clock::rfc3339;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    pub id: String,
    pub name: String,
    pub org_slug: String,
    pub network: String,
    pub created_at: Timestamp,
    #[serde(default)]
    pub secrets: BTreeMap<String, Secret>,
    /// App-wide secrets version; increases on every secrets write.
    #[serde(default)]
    pub secrets_version: u64,
    #[serde(default)]
    pub ips: Vec<IpAssignment>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub name: String,
    pub value: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Secret {
    /// The digest clients compare to decide whether a value changed without
    /// reading it: the first 16 hex characters of its SHA-256.
    pub fn digest(&self) -> String {
        digest(&self.value)
    }

    pub fn to_json(&self, show_value: bool) -> Value {
        let mut v = json!({
            "name": self.name,
            "digest": self.digest(),
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        });
        if show_value {
            v["value"] = Value::String(self.value.clone());
        }
        v
    }
}

pub fn digest(value: &str) -> String {
    hex::encode(&sha2::Sha256::digest(value.as_bytes())[..8])
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IpAssignment {
    pub ip: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub region: String,
    pub service_name: String,
    pub shared: bool,
    pub network: Option<String>,
    pub created_at: Timestamp,
}

impl IpAssignment {
    pub fn to_json(&self) -> Value {
        json!({
            "ip": self.ip,
            "region": self.region,
            "service_name": self.service_name,
            "shared": self.shared,
            "created_at": rfc3339(self.created_at),
        })
    }
}

impl App {
    pub fn to_json(&self, machine_count: usize, volume_count: usize) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "status": if machine_count > 0 { "deployed" } else { "pending" },
            "network": self.network,
            "organization": { "name": self.org_slug, "slug": self.org_slug },
            "machine_count": machine_count,
            "volume_count": volume_count,
        })
    }

    /// Public hostname (`<app>.fly.dev`) and private one (`<app>.flycast`).
    pub fn hostnames(&self) -> (String, String) {
        (
            format!("{}.fly.dev", self.name),
            format!("{}.flycast", self.name),
        )
    }
}
