//! The long-polling position, kept across restarts so a restarted gateway neither
//! loses nor re-answers updates: `$OPENCLAW_STATE_DIR/telegram/update-offset-<account>.json`,
//! the file older OpenClaw releases used (`{"version":2,"lastUpdateId":N,"botId":"…"}`).
//! A file written for another bot (a changed token) is ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OffsetFile {
    version: u32,
    last_update_id: Option<u64>,
    #[serde(default)]
    bot_id: Option<String>,
}

/// Where one account's polling position is kept.
#[derive(Debug, Clone)]
pub struct OffsetStore {
    path: PathBuf,
    bot_id: String,
}

impl OffsetStore {
    pub fn new(state_dir: &Path, account: &str, bot_id: &str) -> Self {
        Self {
            path: state_dir
                .join("telegram")
                .join(format!("update-offset-{account}.json")),
            bot_id: bot_id.to_owned(),
        }
    }

    /// The last update id handled by this bot, if recorded.
    pub fn load(&self) -> Option<u64> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let file: OffsetFile = serde_json::from_str(&text).ok()?;
        if file.bot_id.as_deref().is_some_and(|b| b != self.bot_id) {
            return None;
        }
        file.last_update_id
    }

    /// Records `last_update_id` (atomically; errors are logged, polling goes on).
    pub fn save(&self, last_update_id: u64) {
        let file = OffsetFile {
            version: 2,
            last_update_id: Some(last_update_id),
            bot_id: Some(self.bot_id.clone()),
        };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = self.path.with_extension("json.tmp");
            std::fs::write(&tmp, serde_json::to_vec(&file).expect("JSON"))?;
            std::fs::rename(&tmp, &self.path)
        };
        if let Err(e) = write() {
            tracing::warn!(target: "telegram", "cannot save the polling position to {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_belong_to_one_bot() {
        let dir = tempfile::tempdir().unwrap();
        let store = OffsetStore::new(dir.path(), "default", "7");
        assert_eq!(store.load(), None);
        store.save(100_005);
        assert_eq!(store.load(), Some(100_005));
        assert_eq!(OffsetStore::new(dir.path(), "default", "8").load(), None);
        let text = std::fs::read_to_string(dir.path().join("telegram/update-offset-default.json"))
            .unwrap();
        assert!(text.contains("\"lastUpdateId\":100005"), "{text}");
    }
}
