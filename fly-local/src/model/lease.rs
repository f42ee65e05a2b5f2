//! Machine leases (fly-machines-api.md §7): an exclusive, expiring right to
//! mutate a machine, proven by a nonce.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub nonce: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub owner: String,
    pub description: String,
    /// The machine version the lease was taken on.
    pub version: String,
}

impl Lease {
    pub fn is_live(&self, now_secs: i64) -> bool {
        self.expires_at > now_secs
    }

    /// The lease envelope `{"status":"success","data":{…}}` the API answers with.
    pub fn envelope(&self) -> Value {
        json!({
            "status": "success",
            "data": {
                "nonce": self.nonce,
                "expires_at": self.expires_at,
                "owner": self.owner,
                "description": self.description,
                "version": self.version,
            }
        })
    }

    /// The `lease` field of a machine read with `include_leases` (no nonce).
    pub fn stripped(&self) -> Value {
        json!({
            "description": self.description,
            "expires_at": self.expires_at,
            "owner": self.owner,
        })
    }
}
