//! The machine record as fly-local stores it, and its rendering as the API's
//! `Machine` object.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Digest;

use super::event::{Event, MAX_EVENTS};
use super::lease::Lease;
use super::state::MachineState;
use crate::clock::rfc3339;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub id: String,
    pub name: String,
    pub app: String,
    pub region: String,
    /// The current version (ULID); rotates on every update.
    pub instance_id: String,
    pub private_ip: String,
    pub state: MachineState,
    /// The config as stored (normalized, unknown fields kept).
    pub config: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Newest first.
    pub events: Vec<Event>,
    /// Every version this machine has had, newest first.
    pub versions: Vec<VersionRecord>,
    pub cordoned: bool,
    pub lease: Option<Lease>,
    /// App secrets as of the last create/update: what the process sees as env.
    pub boot_secrets: BTreeMap<String, String>,
    /// Exits the restart policy has answered since the last user start.
    pub restart_count: u32,
    /// Set when a launch (create without `skip_launch`, or update) is under way
    /// and the machine is not yet `starting`.
    pub launch_pending: bool,
}

/// A past or current version. The current version's config is the
/// machine's `config` (not stored twice: configs dominate memory at scale).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
}

/// A check result as machine GET reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStatus {
    pub name: String,
    pub status: String,
    pub output: String,
    pub updated_at: String,
}

/// Options of machine reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub include_lease: bool,
    pub summary: bool,
}

impl Machine {
    pub fn image(&self) -> &str {
        self.config
            .get("image")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn metadata(&self) -> BTreeMap<String, String> {
        self.config
            .get("metadata")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn push_event(&mut self, event: Event) {
        self.events.insert(0, event);
        self.events.truncate(MAX_EVENTS);
    }

    /// The lease if it has not expired at `now_secs`.
    pub fn live_lease(&self, now_secs: i64) -> Option<&Lease> {
        self.lease.as_ref().filter(|l| l.is_live(now_secs))
    }

    pub fn to_json(&self, checks: &[CheckStatus], opts: RenderOptions, now_secs: i64) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "state": self.state.as_str(),
            "region": self.region,
            "instance_id": self.instance_id,
            "version": self.instance_id,
            "private_ip": self.private_ip,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
            "image_ref": image_ref(self.image()),
        });
        if !opts.summary {
            v["config"] = self.config.clone();
            v["events"] = json!(self.events);
            v["checks"] = json!(checks);
            v["host_status"] = json!("ok");
            v["cordoned"] = json!(self.cordoned);
        }
        if opts.include_lease
            && let Some(lease) = self.live_lease(now_secs)
        {
            v["lease"] = lease.stripped();
        }
        v
    }

    /// The overview form used by the org-wide machine list.
    pub fn to_org_json(&self, summary: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "app_name": self.app,
            "state": self.state.as_str(),
            "region": self.region,
            "private_ip": self.private_ip,
            "version": self.instance_id,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        });
        if !summary {
            let mut config = json!({ "image": self.image() });
            if let Some(guest) = self.config.get("guest") {
                config["guest"] = guest.clone();
            }
            if let Some(metadata) = self.config.get("metadata") {
                config["metadata"] = metadata.clone();
            }
            v["config"] = config;
        }
        v
    }
}

/// Splits an image reference into the API's `image_ref` object. The digest is
/// derived from the reference (there is no registry to ask).
pub fn image_ref(image: &str) -> Value {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, d.to_owned()),
        None => (
            image,
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(image))),
        ),
    };
    let (registry, rest) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_owned(), rest.to_owned())
        }
        _ => ("docker.io".to_owned(), name.to_owned()),
    };
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r.to_owned(), t.to_owned()),
        _ => (rest, "latest".to_owned()),
    };
    json!({
        "registry": registry,
        "repository": repository,
        "tag": tag,
        "digest": digest,
        "labels": {},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs_split_like_docker() {
        let r = image_ref("registry.fly.io/openclaw-rs:1.2.3");
        assert_eq!(r["registry"], "registry.fly.io");
        assert_eq!(r["repository"], "openclaw-rs");
        assert_eq!(r["tag"], "1.2.3");
        let r = image_ref("nginx");
        assert_eq!(r["registry"], "docker.io");
        assert_eq!(r["tag"], "latest");
        assert!(r["digest"].as_str().unwrap().starts_with("sha256:"));
    }
}
