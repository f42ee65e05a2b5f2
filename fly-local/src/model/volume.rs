//! Volumes: directories under the data dir, with Fly's attachment rules and
//! deletion states.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::clock::rfc3339;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub app: String,
    pub name: String,
    pub region: String,
    pub zone: String,
    pub size_gb: u64,
    pub encrypted: bool,
    pub fstype: String,
    pub snapshot_retention: u64,
    pub auto_backup_enabled: bool,
    /// `created`, then `pending_destroy` → `destroyed` once deleted.
    pub state: String,
    pub attached_machine_id: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When a destroyed machine's binding may be released (the lag Fly shows).
    #[serde(default)]
    pub detach_after: Option<Timestamp>,
}

impl Volume {
    pub fn is_destroyed(&self) -> bool {
        self.state == "destroyed"
    }

    pub fn is_deleting(&self) -> bool {
        matches!(
            self.state.as_str(),
            "scheduling_destroy"
                | "fork_cleanup"
                | "waiting_for_detach"
                | "pending_destroy"
                | "destroying"
                | "destroyed"
        )
    }

    /// The machine holding the volume, if the binding is still in force at `now`.
    pub fn holder(&self, now: Timestamp) -> Option<&str> {
        match self.detach_after {
            Some(t) if now >= t => None,
            _ => self.attached_machine_id.as_deref(),
        }
    }

    pub fn to_json(&self, now: Timestamp, org_app: Option<&str>) -> Value {
        let bytes_total = self.size_gb * 1024 * 1024 * 1024;
        let block_size = 4096u64;
        let mut v = json!({
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "size_gb": self.size_gb,
            "region": self.region,
            "zone": self.zone,
            "encrypted": self.encrypted,
            "attached_machine_id": self.holder(now),
            "attached_alloc_id": self.holder(now),
            "created_at": rfc3339(self.created_at),
            "fstype": self.fstype,
            "snapshot_retention": self.snapshot_retention,
            "auto_backup_enabled": self.auto_backup_enabled,
            "host_status": "ok",
            "type": "local",
            "block_size": block_size,
            "blocks": bytes_total / block_size,
            "blocks_free": bytes_total / block_size,
            "blocks_avail": bytes_total / block_size,
            "bytes_total": bytes_total,
            "bytes_used": 0,
        });
        if let Some(app) = org_app {
            v["app_name"] = Value::String(app.to_owned());
            v["updated_at"] = Value::String(rfc3339(self.updated_at));
        }
        v
    }
}
