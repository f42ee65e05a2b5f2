//! Paired devices and their device tokens, persisted in `$STATE_DIR/devices/paired.json`.
//!
//! Only a SHA-256 of each device token is stored, so the file never holds a usable
//! credential. The file is written atomically (temp file + rename, mode 0600) and read
//! lazily on first use, keeping start-up free of disk work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::Secret;

/// A device allowed to connect with its device token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairedDevice {
    pub device_id: String,
    pub public_key: String,
    pub role: String,
    pub scopes: Vec<String>,
    pub client_id: String,
    pub token_sha256: String,
    pub paired_at_ms: u64,
}

/// The store of paired devices.
#[derive(Debug)]
pub struct DeviceStore {
    path: PathBuf,
    devices: Mutex<Option<BTreeMap<String, PairedDevice>>>,
}

/// A freshly issued device token (returned once in `hello-ok.auth.deviceToken`).
#[derive(Debug)]
pub struct Issued {
    pub token: Secret,
    pub issued_at_ms: u64,
}

impl DeviceStore {
    pub fn open(state_dir: &Path) -> Self {
        Self {
            path: state_dir.join("devices").join("paired.json"),
            devices: Mutex::new(None),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut BTreeMap<String, PairedDevice>) -> R) -> R {
        let mut guard = self.devices.lock().expect("device store lock");
        let devices = guard.get_or_insert_with(|| match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(target: "gateway", "ignoring unreadable {}: {e}", self.path.display());
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        });
        f(devices)
    }

    /// Every paired device, by id.
    pub fn list(&self) -> Vec<PairedDevice> {
        self.with(|d| d.values().cloned().collect())
    }

    pub fn get(&self, device_id: &str) -> Option<PairedDevice> {
        self.with(|d| d.get(device_id).cloned())
    }

    /// The paired device owning `token`, if any.
    pub fn find_by_token(&self, token: &str) -> Option<PairedDevice> {
        let digest = hash(token);
        self.with(|d| {
            d.values()
                .find(|p| bool::from(p.token_sha256.as_bytes().ct_eq(digest.as_bytes())))
                .cloned()
        })
    }

    /// Pairs (or re-pairs) a device and issues a new device token.
    pub fn pair(
        &self,
        device_id: &str,
        public_key: &str,
        role: &str,
        scopes: &[&str],
        client_id: &str,
        now_ms: u64,
    ) -> Issued {
        let raw: [u8; 32] = rand::random();
        let token = URL_SAFE_NO_PAD.encode(raw);
        let entry = PairedDevice {
            device_id: device_id.to_owned(),
            public_key: public_key.to_owned(),
            role: role.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            client_id: client_id.to_owned(),
            token_sha256: hash(&token),
            paired_at_ms: now_ms,
        };
        let snapshot = self.with(|d| {
            d.insert(device_id.to_owned(), entry);
            d.clone()
        });
        if let Err(e) = self.persist(&snapshot) {
            tracing::warn!(target: "gateway", "could not save paired devices to {}: {e} (pairing kept in memory)", self.path.display());
        }
        Issued {
            token: Secret::new(token).expect("non-empty"),
            issued_at_ms: now_ms,
        }
    }

    fn persist(&self, devices: &BTreeMap<String, PairedDevice>) -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let dir = self.path.parent().expect("store path has a parent");
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".paired.json.{}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(
            serde_json::to_string_pretty(devices)
                .expect("serialises")
                .as_bytes(),
        )?;
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_survive_a_reload_and_are_stored_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let store = DeviceStore::open(dir.path());
        let issued = store.pair("dev1", "pk", "operator", &["operator.read"], "test", 5);
        assert_eq!(issued.token.expose().len(), 43);
        let text = std::fs::read_to_string(dir.path().join("devices/paired.json")).unwrap();
        assert!(!text.contains(issued.token.expose()));
        let reopened = DeviceStore::open(dir.path());
        assert_eq!(
            reopened
                .find_by_token(issued.token.expose())
                .unwrap()
                .device_id,
            "dev1"
        );
        assert!(reopened.find_by_token("nope").is_none());
    }
}
