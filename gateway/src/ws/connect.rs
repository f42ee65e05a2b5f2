//! `connect` params: schema (closed, as the original's) and the typed view of them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::schema::{self, NON_EMPTY, STRING, Schema, opt, req};

/// `client.id` values the original accepts.
pub const CLIENT_IDS: &[&str] = &[
    "cli",
    "gateway-client",
    "openclaw-control-ui",
    "webchat-ui",
    "webchat",
    "openclaw-tui",
    "openclaw-browser-copilot",
    "openclaw-macos",
    "openclaw-linux",
    "openclaw-ios",
    "openclaw-watchos",
    "openclaw-android",
    "node-host",
    "openclaw-worker",
    "test",
    "fingerprint",
    "openclaw-probe",
];

/// `client.mode` values the original accepts.
pub const CLIENT_MODES: &[&str] = &[
    "cli", "backend", "ui", "webchat", "node", "worker", "probe", "test",
];

const CLIENT: Schema = Schema::Object(&[
    req("id", Schema::Enum(CLIENT_IDS)),
    opt("displayName", NON_EMPTY),
    req("version", NON_EMPTY),
    opt(
        "buildId",
        Schema::String {
            min_len: 1,
            max_len: Some(96),
        },
    ),
    req("platform", NON_EMPTY),
    opt("deviceFamily", NON_EMPTY),
    opt("modelIdentifier", NON_EMPTY),
    opt(
        "timeZone",
        Schema::String {
            min_len: 1,
            max_len: Some(64),
        },
    ),
    req("mode", Schema::Enum(CLIENT_MODES)),
    opt("instanceId", NON_EMPTY),
]);

const DEVICE: Schema = Schema::Object(&[
    req("id", NON_EMPTY),
    req("publicKey", NON_EMPTY),
    req("signature", NON_EMPTY),
    req("signedAt", Schema::Integer { min: 0 }),
    req("nonce", NON_EMPTY),
]);

const AUTH: Schema = Schema::Object(&[
    opt("token", STRING),
    opt("bootstrapToken", STRING),
    opt("deviceToken", STRING),
    opt("password", STRING),
    opt("approvalRuntimeToken", STRING),
    opt("agentRuntimeIdentityToken", STRING),
]);

const CONNECT: Schema = Schema::Object(&[
    req("minProtocol", Schema::Integer { min: 1 }),
    req("maxProtocol", Schema::Integer { min: 1 }),
    req("client", CLIENT),
    opt("caps", Schema::Array(&NON_EMPTY)),
    opt("commands", Schema::Array(&NON_EMPTY)),
    opt("computerUse", Schema::Any),
    opt("workerRuns", Schema::Any),
    opt("permissions", Schema::Record(&Schema::Boolean)),
    opt("pathEnv", STRING),
    opt("role", NON_EMPTY),
    opt("scopes", Schema::Array(&NON_EMPTY)),
    opt("modelCatalog", Schema::Any),
    opt("device", DEVICE),
    opt("auth", AUTH),
    opt("locale", STRING),
    opt("userAgent", STRING),
]);

/// The client's self-description.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    pub id: String,
    pub display_name: Option<String>,
    pub version: String,
    pub build_id: Option<String>,
    pub platform: String,
    pub device_family: Option<String>,
    pub model_identifier: Option<String>,
    pub time_zone: Option<String>,
    pub mode: String,
    pub instance_id: Option<String>,
}

/// A device's proof of key possession.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceProof {
    pub id: String,
    pub public_key: String,
    pub signature: String,
    pub signed_at: u64,
    pub nonce: String,
}

/// Credentials offered by the client. Debug never shows them.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectAuth {
    pub token: Option<String>,
    pub bootstrap_token: Option<String>,
    pub device_token: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for ConnectAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: &Option<String>| {
            if v.as_deref().is_some_and(|s| !s.is_empty()) {
                "***"
            } else {
                "-"
            }
        };
        f.debug_struct("ConnectAuth")
            .field("token", &set(&self.token))
            .field("deviceToken", &set(&self.device_token))
            .field("bootstrapToken", &set(&self.bootstrap_token))
            .field("password", &set(&self.password))
            .finish()
    }
}

/// Validated `connect` params.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectParams {
    pub min_protocol: u64,
    pub max_protocol: u64,
    pub client: ClientInfo,
    #[serde(default)]
    pub caps: Vec<String>,
    pub role: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub device: Option<DeviceProof>,
    #[serde(default)]
    pub auth: ConnectAuth,
    #[serde(default)]
    pub permissions: BTreeMap<String, bool>,
    pub locale: Option<String>,
}

impl ConnectParams {
    /// Validates against the closed schema; the error is the text after
    /// `invalid connect params: `.
    pub fn parse(params: Option<&Value>) -> Result<Self, String> {
        let value = params.unwrap_or(&Value::Null);
        schema::validate(&CONNECT, value)?;
        serde_json::from_value(value.clone()).map_err(|e| e.to_string())
    }

    /// `operator` unless the client says otherwise.
    pub fn role(&self) -> &str {
        self.role.as_deref().unwrap_or("operator")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_what_the_official_cli_sends() {
        let p = ConnectParams::parse(Some(&json!({
            "minProtocol": 4, "maxProtocol": 4,
            "client": {"id": "cli", "mode": "cli", "version": "2026.9.6", "platform": "linux", "deviceFamily": "Linux", "instanceId": "i"},
            "role": "operator", "caps": [], "scopes": ["operator.read"], "auth": {"token": "t"}
        })))
        .unwrap();
        assert_eq!(
            (p.client.id.as_str(), p.role(), p.auth.token.as_deref()),
            ("cli", "operator", Some("t"))
        );
        assert!(!format!("{p:?}").contains("\"t\""));
    }

    #[test]
    fn rejects_like_the_original() {
        assert_eq!(ConnectParams::parse(None).unwrap_err(), "must be object");
        let bad_id = json!({"minProtocol": 4, "maxProtocol": 4, "client": {"id": "bogus", "version": "1", "platform": "l", "mode": "cli"}});
        assert_eq!(
            ConnectParams::parse(Some(&bad_id)).unwrap_err(),
            "at /client/id: must be equal to one of the allowed values"
        );
    }
}
