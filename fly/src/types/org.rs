//! Organisation-wide listings: every machine of an org in a few paged calls,
//! instead of one list per app.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::guest::MachineGuest;
use super::machine::MachineState;
use super::wire::{Extra, lenient_timestamp, null_as_default};

/// A machine in an org-wide listing (a summary: image, guest and metadata
/// only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgMachine {
    /// Machine id.
    pub id: String,
    /// App the machine belongs to.
    #[serde(default)]
    pub app_name: String,
    /// Machine name.
    #[serde(default)]
    pub name: String,
    /// Lifecycle state.
    pub state: MachineState,
    /// Region code.
    #[serde(default)]
    pub region: String,
    /// Current version (`instance_id`).
    #[serde(default)]
    pub version: String,
    /// The 6PN address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// Summary of the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<OrgMachineConfig>,
    /// Creation time.
    #[serde(
        default,
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// Time of the last change (listings are roughly in this order).
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

/// The config summary of an [`OrgMachine`] (`MachineOverviewConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct OrgMachineConfig {
    /// Image reference.
    #[serde(default)]
    pub image: String,
    /// CPU and memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<MachineGuest>,
    /// Metadata labels.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub metadata: BTreeMap<String, String>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Filters of `GET /v1/orgs/{org_slug}/machines`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListOrgMachines {
    /// Include destroyed machines.
    pub include_deleted: bool,
    /// Only this region.
    pub region: Option<String>,
    /// Only these states.
    pub states: Vec<MachineState>,
    /// Omit the config summary.
    pub summary: bool,
    /// Only machines updated after this time (offset it: late writes arrive late).
    pub updated_after: Option<jiff::Timestamp>,
    /// Page size hint (≤ 1000; advisory).
    pub page_size: Option<u32>,
}

impl ListOrgMachines {
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if self.include_deleted {
            query.push(("include_deleted".into(), "true".into()));
        }
        if self.summary {
            query.push(("summary".into(), "true".into()));
        }
        if let Some(region) = &self.region {
            query.push(("region".into(), region.clone()));
        }
        if !self.states.is_empty() {
            let states: Vec<&str> = self.states.iter().map(MachineState::as_str).collect();
            query.push(("state".into(), states.join(",")));
        }
        if let Some(after) = self.updated_after {
            query.push(("updated_after".into(), after.to_string()));
        }
        if let Some(limit) = self.page_size {
            query.push(("limit".into(), limit.to_string()));
        }
        query
    }
}

/// One page of `GET /v1/orgs/{org_slug}/machines`.
#[derive(Deserialize)]
pub(crate) struct OrgMachinesPage {
    #[serde(default, deserialize_with = "null_as_default")]
    pub machines: Vec<OrgMachine>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}
