//! The machine object as the API returns it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::MachineConfig;
use super::event::MachineEvent;
use super::open_enum::open_enum;
use super::wire::{Extra, lenient_timestamp, null_as_default, unix_seconds};

open_enum! {
    /// Where a machine is in its lifecycle.
    ///
    /// Persistent states are `created`, `started`, `stopped`, `suspended` and
    /// `failed`; `destroyed`, `replaced` and `migrated` are terminal; the
    /// rest are transient (see [`MachineState::is_transient`]).
    pub enum MachineState {
        /// Being created.
        Creating = "creating",
        /// Created, not started yet.
        Created = "created",
        /// Booting.
        Starting = "starting",
        /// Running.
        Started = "started",
        /// Shutting down.
        Stopping = "stopping",
        /// Not running; keeps its config and volume.
        Stopped = "stopped",
        /// Rebooting.
        Restarting = "restarting",
        /// Being snapshotted for suspension.
        Suspending = "suspending",
        /// Suspended; the next start resumes from a snapshot.
        Suspended = "suspended",
        /// Being replaced by a new version (update).
        Replacing = "replacing",
        /// Being updated in place.
        Updating = "updating",
        /// A version superseded by an update.
        Replaced = "replaced",
        /// Moved to another host.
        Migrated = "migrated",
        /// Being destroyed.
        Destroying = "destroying",
        /// Gone.
        Destroyed = "destroyed",
        /// Could not be launched; heads for `destroyed`.
        LaunchFailed = "launch_failed",
        /// Failed; needs intervention.
        Failed = "failed",
    }
}

impl MachineState {
    /// True for states the platform moves out of by itself (`starting`,
    /// `stopping`, `replacing`, …). Unknown states count as transient, so
    /// callers wait rather than act on something they do not understand.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Creating
                | Self::Starting
                | Self::Stopping
                | Self::Restarting
                | Self::Suspending
                | Self::Replacing
                | Self::Updating
                | Self::Destroying
                | Self::LaunchFailed
                | Self::Other(_)
        )
    }

    /// True for `destroyed`, `replaced` and `migrated`: this machine version
    /// will never run again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Destroyed | Self::Replaced | Self::Migrated)
    }
}

open_enum! {
    /// Whether the platform can currently reach the machine's host.
    pub enum HostStatus {
        /// Reachable; `config` is complete.
        Ok = "ok",
        /// Not known; `config` may be missing and `incomplete_config` set.
        Unknown = "unknown",
        /// Unreachable; `config` may be missing and `incomplete_config` set.
        Unreachable = "unreachable",
    }
}

open_enum! {
    /// Result of a health check.
    pub enum CheckState {
        /// Healthy.
        Passing = "passing",
        /// Degraded, or not checked yet.
        Warning = "warning",
        /// Failing.
        Critical = "critical",
    }
}

/// A machine as `GET /v1/apps/{app_name}/machines/{machine_id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// 14 hex characters, e.g. `1857156b526dd8`.
    pub id: String,
    /// Name (generated when not given at create).
    #[serde(default)]
    pub name: String,
    /// Lifecycle state.
    pub state: MachineState,
    /// Region code, e.g. `iad`.
    #[serde(default)]
    pub region: String,
    /// Version of the config (a ULID); changes on every update. Pass it as
    /// `current_version` to make an update conditional.
    #[serde(default)]
    pub instance_id: String,
    /// The 6PN address (`fdaa:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// The config; may be absent when `host_status` is not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<MachineConfig>,
    /// What the platform still knows of the config when the host is unreachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete_config: Option<MachineConfig>,
    /// The resolved image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_ref: Option<ImageRef>,
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
    /// Recent events, newest first.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub events: Vec<MachineEvent>,
    /// Health-check results.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub checks: Vec<CheckStatus>,
    /// Lease nonce; only set by a create that asked for `lease_ttl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The current lease, with `include_leases=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseSummary>,
    /// Whether the platform can reach the machine's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_status: Option<HostStatus>,
    /// Whether the proxy routes to this machine's services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cordoned: Option<bool>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Machine {
    /// The config, or the incomplete config when the host is unreachable.
    pub fn effective_config(&self) -> Option<&MachineConfig> {
        self.config.as_ref().or(self.incomplete_config.as_ref())
    }

    /// A metadata value of the config.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.effective_config()?
            .metadata
            .get(key)
            .map(String::as_str)
    }

    /// The status of the named check.
    pub fn check(&self, name: &str) -> Option<&CheckStatus> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// The resolved image of a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    /// Registry host, e.g. `registry.fly.io`.
    #[serde(default)]
    pub registry: String,
    /// Repository, e.g. `openclaw-rs`.
    #[serde(default)]
    pub repository: String,
    /// Tag, e.g. `latest`.
    #[serde(default)]
    pub tag: String,
    /// Content digest (`sha256:…`).
    #[serde(default)]
    pub digest: String,
    /// OCI labels.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The state of one health check of a machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckStatus {
    /// Check name (the key in `config.checks`, or a generated service-check name).
    #[serde(default)]
    pub name: String,
    /// Result.
    pub status: CheckState,
    /// Output of the last run (response excerpt or error).
    #[serde(default)]
    pub output: String,
    /// Time of the last run.
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

/// The lease shown on a machine with `include_leases=true` (no nonce).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseSummary {
    /// Who holds it (email or `<id>@tokens.fly.io`).
    #[serde(default)]
    pub owner: String,
    /// Why it was taken.
    #[serde(default)]
    pub description: String,
    /// When it lapses.
    #[serde(
        default,
        deserialize_with = "unix_seconds",
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::wire::ser_unix_seconds"
    )]
    pub expires_at: Option<jiff::Timestamp>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
