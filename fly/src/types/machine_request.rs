//! Request bodies and options of the machine calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::MachineConfig;
use super::machine::MachineState;
use super::wire::{Extra, is_false};

/// Body of `POST /v1/apps/{app_name}/machines`.
///
/// Creates are never retried by this client (the API takes no idempotency
/// key, so a retry after a lost response makes a second machine); give
/// machines deterministic names and metadata and look them up before
/// creating.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CreateMachine {
    /// The config; only `image` is required.
    pub config: MachineConfig,
    /// Name (generated when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Region (nearest when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Create without starting.
    #[serde(skip_serializing_if = "is_false")]
    pub skip_launch: bool,
    /// Create cordoned: the proxy does not route to it.
    #[serde(skip_serializing_if = "is_false")]
    pub skip_service_registration: bool,
    /// Boot without app secrets.
    #[serde(skip_serializing_if = "is_false")]
    pub skip_secrets: bool,
    /// Boot with at least this app secrets version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_secrets_version: Option<u64>,
}

impl CreateMachine {
    /// A machine running `config`.
    pub fn new(config: MachineConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Names the machine.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Places the machine in `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Creates the machine without starting it.
    pub fn skip_launch(mut self) -> Self {
        self.skip_launch = true;
        self
    }

    /// Requires at least app secrets version `version` at boot.
    pub fn min_secrets_version(mut self, version: u64) -> Self {
        self.min_secrets_version = Some(version);
        self
    }
}

/// Body of `POST /v1/apps/{app_name}/machines/{machine_id}` (update).
///
/// The update replaces the whole config: start from the config read from
/// the API (its unknown fields are kept) and change what you own.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct UpdateMachine {
    /// The complete new config.
    pub config: MachineConfig,
    /// Expected current `instance_id`; the API answers 409 when it moved on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    /// Do not start a stopped machine.
    #[serde(skip_serializing_if = "is_false")]
    pub skip_launch: bool,
    /// Boot without app secrets.
    #[serde(skip_serializing_if = "is_false")]
    pub skip_secrets: bool,
    /// Boot with at least this app secrets version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_secrets_version: Option<u64>,
}

impl UpdateMachine {
    /// Replace the config with `config`.
    pub fn new(config: MachineConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Only apply if the machine is still at version `instance_id`.
    pub fn current_version(mut self, instance_id: impl Into<String>) -> Self {
        self.current_version = Some(instance_id.into());
        self
    }

    /// Requires at least app secrets version `version` at boot.
    pub fn min_secrets_version(mut self, version: u64) -> Self {
        self.min_secrets_version = Some(version);
        self
    }
}

/// Filters of `GET /v1/apps/{app_name}/machines`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListMachines {
    /// Include destroyed machines.
    pub include_deleted: bool,
    /// Include each machine's lease.
    pub include_leases: bool,
    /// Omit config, checks and events.
    pub summary: bool,
    /// Only this region.
    pub region: Option<String>,
    /// Only these states.
    pub states: Vec<MachineState>,
    /// Only machines whose config metadata has all these key/values
    /// (`metadata.<key>=<value>`).
    pub metadata: BTreeMap<String, String>,
}

impl ListMachines {
    /// Only machines with metadata `key` = `value`.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Only machines in `state` (repeatable).
    pub fn state(mut self, state: MachineState) -> Self {
        self.states.push(state);
        self
    }

    /// Only machines in `region`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Include destroyed machines.
    pub fn include_deleted(mut self) -> Self {
        self.include_deleted = true;
        self
    }

    /// Include leases.
    pub fn include_leases(mut self) -> Self {
        self.include_leases = true;
        self
    }

    /// Summary only.
    pub fn summary(mut self) -> Self {
        self.summary = true;
        self
    }

    pub(crate) fn query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        let mut flag = |name: &str, on: bool| {
            if on {
                query.push((name.to_owned(), "true".to_owned()));
            }
        };
        flag("include_deleted", self.include_deleted);
        flag("include_leases", self.include_leases);
        flag("summary", self.summary);
        if let Some(region) = &self.region {
            query.push(("region".into(), region.clone()));
        }
        if !self.states.is_empty() {
            let states: Vec<&str> = self.states.iter().map(MachineState::as_str).collect();
            query.push(("state".into(), states.join(",")));
        }
        for (key, value) in &self.metadata {
            query.push((format!("metadata.{key}"), value.clone()));
        }
        query
    }
}

/// Response of `POST …/machines/{id}/start`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StartResponse {
    /// State before the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_state: Option<MachineState>,
    /// Whether the machine moved to another host.
    #[serde(default)]
    pub migrated: bool,
    /// The new host, when migrated.
    #[serde(default)]
    pub new_host: String,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of `GET …/machines/{id}/versions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineVersion {
    /// The version (an `instance_id`).
    pub version: String,
    /// The config of that version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_config: Option<MachineConfig>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
