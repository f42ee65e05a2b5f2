//! Files written into a machine before it boots (`config.files`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::wire::Extra;

/// A file written into the machine (`fly.File`): either inline content
/// (`raw_value`, base64) or the content of an app secret (`secret_name`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MachineFile {
    /// Absolute path in the machine.
    pub guest_path: String,
    /// Base64 content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_value: Option<String>,
    /// App secret holding the base64 content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// Permission bits (chmod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachineFile {
    /// A file at `guest_path` with `content` (encoded to base64 here).
    pub fn raw(guest_path: impl Into<String>, content: impl AsRef<[u8]>) -> Self {
        Self {
            guest_path: guest_path.into(),
            raw_value: Some(STANDARD.encode(content)),
            ..Self::default()
        }
    }

    /// A file at `guest_path` filled from app secret `secret_name`.
    pub fn from_secret(guest_path: impl Into<String>, secret_name: impl Into<String>) -> Self {
        Self {
            guest_path: guest_path.into(),
            secret_name: Some(secret_name.into()),
            ..Self::default()
        }
    }

    /// Sets the permission bits.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The decoded inline content, if this is a `raw_value` file with valid base64.
    pub fn content(&self) -> Option<Vec<u8>> {
        STANDARD.decode(self.raw_value.as_deref()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_files_are_base64_on_the_wire() {
        let file = MachineFile::raw("/data/openclaw.json", b"{\"a\":1}").mode(0o600);
        let json = serde_json::to_value(&file).unwrap();
        assert_eq!(json["raw_value"], "eyJhIjoxfQ==");
        assert_eq!(json["mode"], 384);
        assert_eq!(file.content().unwrap(), b"{\"a\":1}");
    }
}
