//! DM pairing: under `dmPolicy: "pairing"` an unknown sender gets a one-time code
//! and is ignored until an operator approves it (`channels.pairing.approve`, or the
//! Control UI). Approved senders may DM the bot from then on.
//!
//! State lives in `$OPENCLAW_STATE_DIR/credentials/` in the files older OpenClaw
//! releases used (`<channel>-pairing.json`, `<channel>[-<account>]-allowFrom.json`),
//! which the original's `openclaw doctor --fix` imports: switching implementations
//! keeps every approval. Codes are 8 characters without look-alikes, expire after an
//! hour, and at most 3 requests per account are pending; a sender with a pending
//! request gets no second code (so the bot cannot be used to spam).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Pending requests per account.
pub const MAX_PENDING: usize = 3;
/// How long a code stays valid.
pub const TTL_MS: i64 = 60 * 60 * 1000;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_LENGTH: usize = 8;

/// What the pairing reply says, as the original words it.
pub fn reply_text(channel: &str, id_line: &str, code: &str) -> String {
    [
        "OpenClaw: access not configured.",
        "",
        id_line,
        "Pairing code:",
        "```",
        code,
        "```",
        "",
        "Ask the bot owner to approve with:",
        "```",
        &format!("openclaw pairing approve {channel} {code}"),
        "```",
    ]
    .join("\n")
}

/// Sent to a sender whose request was approved with `notify: true`.
pub const APPROVED_TEXT: &str = "✅ OpenClaw access approved. Send a message to start chatting.";

/// One pending request, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The sender id.
    pub id: String,
    pub code: String,
    pub created_at: String,
    pub last_seen_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Map<String, Value>>,
}

impl Request {
    pub fn account_id(&self) -> &str {
        self.meta
            .as_ref()
            .and_then(|m| m.get("accountId"))
            .and_then(Value::as_str)
            .unwrap_or(super::config::DEFAULT_ACCOUNT)
    }

    /// The stable id the WebSocket methods use (the original's derivation).
    pub fn request_id(&self, channel: &str) -> String {
        let digest = Sha256::digest(format!(
            "{channel}\0{}\0{}\0{}",
            self.account_id(),
            self.id,
            self.created_at
        ));
        let mut id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        id.truncate(32);
        id
    }

    fn expired(&self, now: jiff::Timestamp) -> bool {
        self.created_at
            .parse::<jiff::Timestamp>()
            .map_or(true, |t| now.as_millisecond() - t.as_millisecond() > TTL_MS)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct PairingFile {
    #[serde(default = "one")]
    version: u32,
    #[serde(default)]
    requests: Vec<Request>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllowFromFile {
    #[serde(default = "one")]
    version: u32,
    #[serde(default)]
    allow_from: Vec<String>,
}

fn one() -> u32 {
    1
}

impl Default for PairingFile {
    fn default() -> Self {
        Self {
            version: 1,
            requests: Vec::new(),
        }
    }
}

impl Default for AllowFromFile {
    fn default() -> Self {
        Self {
            version: 1,
            allow_from: Vec::new(),
        }
    }
}

/// What a DM from an unknown sender led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// A new request: send the code.
    Created { code: String },
    /// A request is already pending for this sender: stay quiet.
    Pending,
    /// Too many pending requests on this account: stay quiet.
    Full,
}

/// A problem reading or writing the pairing files.
#[derive(Debug, thiserror::Error)]
#[error("pairing store {path}: {source}")]
pub struct StoreError {
    path: PathBuf,
    source: std::io::Error,
}

/// The pairing files of one state dir.
#[derive(Debug)]
pub struct PairingStore {
    dir: PathBuf,
    lock: Mutex<()>,
}

impl PairingStore {
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("credentials"),
            lock: Mutex::new(()),
        }
    }

    fn pairing_path(&self, channel: &str) -> PathBuf {
        self.dir.join(format!("{channel}-pairing.json"))
    }

    fn allow_path(&self, channel: &str, account: &str) -> PathBuf {
        if account == super::config::DEFAULT_ACCOUNT {
            self.dir.join(format!("{channel}-allowFrom.json"))
        } else {
            self.dir.join(format!("{channel}-{account}-allowFrom.json"))
        }
    }

    /// Senders approved for `account` of `channel`.
    pub fn approved(&self, channel: &str, account: &str) -> Vec<String> {
        read::<AllowFromFile>(&self.allow_path(channel, account))
            .map(|f| f.allow_from)
            .unwrap_or_default()
    }

    /// Records a DM from `sender` who is not allowed yet.
    pub fn challenge(
        &self,
        channel: &str,
        account: &str,
        sender: &str,
        mut meta: serde_json::Map<String, Value>,
    ) -> Result<Challenge, StoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.pairing_path(channel);
        let mut file = read::<PairingFile>(&path).unwrap_or_default();
        let now = jiff::Timestamp::now();
        file.requests.retain(|r| !r.expired(now));
        let now_text = now.to_string();
        if let Some(existing) = file
            .requests
            .iter_mut()
            .find(|r| r.id == sender && r.account_id() == account)
        {
            existing.last_seen_at = now_text;
            self.write(&path, &file)?;
            return Ok(Challenge::Pending);
        }
        if file
            .requests
            .iter()
            .filter(|r| r.account_id() == account)
            .count()
            >= MAX_PENDING
        {
            self.write(&path, &file)?;
            return Ok(Challenge::Full);
        }
        let code = loop {
            let code = random_code();
            if !file.requests.iter().any(|r| r.code == code) {
                break code;
            }
        };
        meta.insert("accountId".into(), Value::String(account.to_owned()));
        file.requests.push(Request {
            id: sender.to_owned(),
            code: code.clone(),
            created_at: now_text.clone(),
            last_seen_at: now_text,
            meta: Some(meta),
        });
        self.write(&path, &file)?;
        Ok(Challenge::Created { code })
    }

    /// Pending, unexpired requests (all accounts when `account` is `None`).
    pub fn pending(&self, channel: &str, account: Option<&str>) -> Vec<Request> {
        let now = jiff::Timestamp::now();
        read::<PairingFile>(&self.pairing_path(channel))
            .map(|f| f.requests)
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !r.expired(now) && account.is_none_or(|a| r.account_id() == a))
            .collect()
    }

    /// Approves the request named by its request id or its code; the sender joins
    /// the account's approved senders. `None` if no such request is pending.
    pub fn approve(
        &self,
        channel: &str,
        account: &str,
        key: &str,
    ) -> Result<Option<Request>, StoreError> {
        let Some(request) = self.take(channel, account, key)? else {
            return Ok(None);
        };
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.allow_path(channel, account);
        let mut file = read::<AllowFromFile>(&path).unwrap_or_default();
        if !file.allow_from.contains(&request.id) {
            file.allow_from.push(request.id.clone());
        }
        self.write(&path, &file)?;
        Ok(Some(request))
    }

    /// Drops a pending request without approving it (the sender may ask again).
    pub fn dismiss(
        &self,
        channel: &str,
        account: &str,
        key: &str,
    ) -> Result<Option<Request>, StoreError> {
        self.take(channel, account, key)
    }

    fn take(&self, channel: &str, account: &str, key: &str) -> Result<Option<Request>, StoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let path = self.pairing_path(channel);
        let mut file = read::<PairingFile>(&path).unwrap_or_default();
        let now = jiff::Timestamp::now();
        let key = key.trim();
        let found = file.requests.iter().position(|r| {
            !r.expired(now)
                && r.account_id() == account
                && (r.code.eq_ignore_ascii_case(key) || r.request_id(channel) == key)
        });
        let Some(index) = found else {
            return Ok(None);
        };
        let request = file.requests.remove(index);
        self.write(&path, &file)?;
        Ok(Some(request))
    }

    /// Writes `value` atomically, readable by the owner only.
    fn write<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), StoreError> {
        let err = |source| StoreError {
            path: path.to_owned(),
            source,
        };
        create_private_dir(&self.dir).map_err(err)?;
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let mut text = serde_json::to_string_pretty(value).expect("pairing state serializes");
        text.push('\n');
        {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(err)?;
            f.write_all(text.as_bytes()).map_err(err)?;
            f.sync_all().map_err(err)?;
        }
        std::fs::rename(&tmp, path).map_err(err)
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Reads a JSON file; a missing or unreadable one reads as empty (and a corrupt one
/// is reported once, never overwritten silently: the next write replaces only the
/// records this store knows).
fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(target: "channels", "ignoring unreadable pairing file {}: {e}", path.display());
            None
        }
    }
}

fn random_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_gets_one_code_until_approved() {
        let dir = tempfile::tempdir().unwrap();
        let store = PairingStore::new(dir.path());
        let Challenge::Created { code } = store
            .challenge("telegram", "default", "42", Default::default())
            .unwrap()
        else {
            panic!("first DM creates a request")
        };
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_eq!(
            store
                .challenge("telegram", "default", "42", Default::default())
                .unwrap(),
            Challenge::Pending
        );
        let pending = store.pending("telegram", None);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].request_id("telegram").len(), 32);
        let approved = store
            .approve("telegram", "default", &code.to_lowercase())
            .unwrap()
            .unwrap();
        assert_eq!(approved.id, "42");
        assert_eq!(store.approved("telegram", "default"), ["42"]);
        assert!(store.pending("telegram", None).is_empty());
        // The legacy file names, readable by the owner only.
        let path = dir.path().join("credentials/telegram-allowFrom.json");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(file, serde_json::json!({"version": 1, "allowFrom": ["42"]}));
    }

    #[test]
    fn pending_requests_are_capped_per_account_and_dismissable() {
        let dir = tempfile::tempdir().unwrap();
        let store = PairingStore::new(dir.path());
        for sender in ["1", "2", "3"] {
            assert!(matches!(
                store
                    .challenge("discord", "default", sender, Default::default())
                    .unwrap(),
                Challenge::Created { .. }
            ));
        }
        assert_eq!(
            store
                .challenge("discord", "default", "4", Default::default())
                .unwrap(),
            Challenge::Full
        );
        assert!(matches!(
            store
                .challenge("discord", "ops", "4", Default::default())
                .unwrap(),
            Challenge::Created { .. }
        ));
        let id = store.pending("discord", Some("default"))[0].request_id("discord");
        assert!(store.dismiss("discord", "default", &id).unwrap().is_some());
        assert!(store.approved("discord", "default").is_empty());
        assert!(
            store
                .approve("discord", "default", "NOPE2345")
                .unwrap()
                .is_none()
        );
        assert!(dir.path().join("credentials/discord-pairing.json").exists());
    }
}
