//! App secrets: values given to machines as environment variables at boot.
//!
//! Every write bumps an app-wide `version`; pass it as `min_secrets_version`
//! when updating machines so they boot with at least that secret set.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::wire::{Extra, lenient_timestamp, null_as_default};

/// One app secret. The value is only present when asked for
/// (`show_secrets`) and is never printed by `Debug`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSecret {
    /// Name (the environment variable).
    pub name: String,
    /// Server-computed digest of the value; changes when the value changes.
    #[serde(default)]
    pub digest: String,
    /// Value, with `show_secrets=true` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Creation time.
    #[serde(
        default,
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// Time of the last change.
    #[serde(
        default,
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<jiff::Timestamp>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSecret")
            .field("name", &self.name)
            .field("digest", &self.digest)
            .field("value", &self.value.as_ref().map(|_| "<redacted>"))
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish_non_exhaustive()
    }
}

/// The result of a secrets write: what was written and the app's new
/// secrets version (absent when the API does not report one).
#[derive(Debug, Clone, PartialEq)]
pub struct SecretsWrite<T> {
    /// What the API returned for the write.
    pub value: T,
    /// The app's secrets version after the write.
    pub version: Option<u64>,
}

/// A `version` that older responses also spell `Version` (deprecated).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct WireVersion {
    #[serde(default)]
    version: Option<u64>,
    #[serde(default, rename = "Version")]
    legacy_version: Option<u64>,
}

impl WireVersion {
    pub(crate) fn get(self) -> Option<u64> {
        self.version.or(self.legacy_version)
    }
}

/// Response of `POST /v1/apps/{app_name}/secrets/{secret_name}`.
#[derive(Deserialize)]
pub(crate) struct SetSecretResponse {
    #[serde(flatten)]
    pub version: WireVersion,
    #[serde(flatten)]
    pub secret: AppSecret,
}

/// Response of `GET /v1/apps/{app_name}/secrets`.
#[derive(Deserialize)]
pub(crate) struct ListSecretsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub secrets: Vec<AppSecret>,
}

/// Response of `POST /v1/apps/{app_name}/secrets` (bulk update).
#[derive(Deserialize)]
pub(crate) struct UpdateSecretsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub secrets: Vec<AppSecret>,
    #[serde(flatten)]
    pub version: WireVersion,
}
