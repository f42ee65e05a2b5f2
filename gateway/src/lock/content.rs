//! The lock file's content, byte-compatible with the Node gateway's.
//!
//! ```text
//! {
//!   "pid": 3845,
//!   "ownerId": "4a56c6f1-aca2-4a0d-a305-0915cf4143e7",
//!   "cronOwnerProjection": "dynamic-default-v1",
//!   "createdAt": "2026-11-26T03:54:43.912Z",
//!   "configPath": "/data/openclaw.json",
//!   "stateDir": "/data",
//!   "port": 18789,
//!   "startTime": 21039,
//!   "bootId": "5b0c1d8e-…"
//! }
//! <8 TABs><128 TAB/SPACE chars>
//! ```
//!
//! 2-space-indented JSON, a newline, an ownership-token line, a newline. The token line
//! encodes 16 random bytes most-significant bit first as TAB = 1, SPACE = 0. `startTime`
//! is field 22 of `/proc/<pid>/stat`; `bootId` (ours only) is
//! `/proc/sys/kernel/random/boot_id`. Readers must tolerate the token line and missing
//! fields (the Node gateway writes no `bootId`).

use serde::{Deserialize, Serialize};

/// The JSON part of a lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default)]
    pub owner_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_owner_projection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
}

/// The Node gateway's cron ownership marker, kept so its tooling reads our locks unchanged.
pub const CRON_OWNER_PROJECTION: &str = "dynamic-default-v1";

/// Renders the file: pretty JSON, newline, token line, newline.
pub fn render(content: &LockContent, token: &[u8; 16]) -> String {
    let json = serde_json::to_string_pretty(content).expect("lock content serialises");
    format!("{json}\n{}\n", token_line(token))
}

/// Parses the JSON part, ignoring the token line; `None` if it is not a lock.
pub fn parse(text: &str) -> Option<LockContent> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<LockContent>();
    values.next()?.ok()
}

/// Eight TABs, then 128 TAB/SPACE characters: one per bit of `token`, MSB first.
pub fn token_line(token: &[u8; 16]) -> String {
    let mut line = "\t".repeat(8);
    for byte in token {
        for bit in (0..8).rev() {
            line.push(if byte >> bit & 1 == 1 { '\t' } else { ' ' });
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_node_gateway_lock() {
        let node = "{\n  \"pid\": 19095,\n  \"ownerId\": \"7ba7056c-5764-49e8-9077-9b21cbe8bb4b\",\n  \"cronOwnerProjection\": \"dynamic-default-v1\",\n  \"createdAt\": \"2026-11-26T05:21:45.883Z\",\n  \"configPath\": \"/tmp/probe1/state/openclaw.json\",\n  \"stateDir\": \"/tmp/probe1/state\",\n  \"port\": 28789,\n  \"startTime\": 118028\n}\n\t\t\t\t\t\t\t\t \t   \t \t\n";
        let c = parse(node).unwrap();
        assert_eq!(
            (c.pid, c.port, c.start_time, c.boot_id),
            (Some(19095), Some(28789), Some(118028), None)
        );
    }

    #[test]
    fn renders_the_original_layout() {
        let c = LockContent {
            pid: Some(7),
            owner_id: "o".into(),
            cron_owner_projection: Some(CRON_OWNER_PROJECTION.into()),
            created_at: Some("2026-01-01T00:00:00.000Z".into()),
            config_path: Some("/data/openclaw.json".into()),
            state_dir: Some("/data".into()),
            port: Some(3000),
            start_time: Some(42),
            boot_id: Some("b".into()),
        };
        let text = render(&c, &[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        let (json, token) = text.trim_end_matches('\n').rsplit_once('\n').unwrap();
        assert!(
            json.starts_with("{\n  \"pid\": 7,\n  \"ownerId\": \"o\",\n  \"cronOwnerProjection\""),
            "{json}"
        );
        assert!(
            json.ends_with("\"startTime\": 42,\n  \"bootId\": \"b\"\n}"),
            "{json}"
        );
        assert_eq!(token.len(), 8 + 128);
        assert!(token.starts_with(&"\t".repeat(9)) && token[9..].starts_with(' '));
        assert!(token.ends_with(" \t"));
        assert_eq!(parse(&text).unwrap(), c);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn garbage_is_not_a_lock() {
        assert!(parse("").is_none());
        assert!(parse("not json").is_none());
    }
}
