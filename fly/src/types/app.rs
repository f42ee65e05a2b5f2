//! Apps: the unit that owns machines, volumes, secrets and IPs.

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::wire::{Extra, null_as_default};

open_enum! {
    /// Lifecycle status of an app.
    pub enum AppStatus {
        /// Created, nothing deployed yet.
        Pending = "pending",
        /// At least one deployment happened.
        Deployed = "deployed",
        /// Suspended by the platform or its owner.
        Suspended = "suspended",
    }
}

/// An app as `GET /v1/apps/{app_name}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    /// Server-assigned id.
    #[serde(default)]
    pub id: String,
    /// The app's globally unique name.
    pub name: String,
    /// Lifecycle status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AppStatus>,
    /// The 6PN network the app lives on (`default` unless created on a custom one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Owning organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    /// Number of machines (not counting destroyed ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_count: Option<u64>,
    /// Number of volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_count: Option<u64>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The organisation an app belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Slug used in API calls (`personal` for the personal org).
    #[serde(default)]
    pub slug: String,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of `POST /v1/apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateApp {
    /// App name; global across all organisations (taken → 422 `name_taken`).
    #[serde(rename = "name")]
    pub name: String,
    /// Organisation slug to create the app in.
    pub org_slug: String,
    /// Custom 6PN network; apps on different networks cannot reach each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

impl CreateApp {
    /// An app `name` in organisation `org_slug` on the default network.
    pub fn new(name: impl Into<String>, org_slug: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            org_slug: org_slug.into(),
            network: None,
        }
    }

    /// Places the app on a custom 6PN network.
    pub fn network(mut self, network: impl Into<String>) -> Self {
        self.network = Some(network.into());
        self
    }
}

/// Response of `GET /v1/apps?org_slug=…`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct ListAppsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub apps: Vec<App>,
}
