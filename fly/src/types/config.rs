//! `MachineConfig`: everything a machine runs with.
//!
//! The API replaces the whole config on update, so a config read from the API
//! must survive being modified and sent back: every struct here keeps the
//! fields it does not model in `extra`, and collections tolerate `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::check::MachineCheck;
use super::file::MachineFile;
use super::guest::MachineGuest;
use super::mount::MachineMount;
use super::process::{MachineInit, MachineProcess};
use super::restart::MachineRestart;
use super::service::MachineService;
use super::stop::StopConfig;
use super::wire::{Extra, null_as_default};

/// A machine's configuration (`fly.MachineConfig`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MachineConfig {
    /// Image reference; the only required field.
    #[serde(default)]
    pub image: String,
    /// Environment variables (app secrets are added by the platform).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env: BTreeMap<String, String>,
    /// Overrides of the image's entrypoint and command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<MachineInit>,
    /// Processes to run (overrides per process).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub processes: Vec<MachineProcess>,
    /// CPU and memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<MachineGuest>,
    /// Volumes; at most one per machine.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub mounts: Vec<MachineMount>,
    /// Services the proxy routes to.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub services: Vec<MachineService>,
    /// Named top-level health checks.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub checks: BTreeMap<String, MachineCheck>,
    /// What happens when the main process exits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<MachineRestart>,
    /// Files written into the machine before boot.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub files: Vec<MachineFile>,
    /// Free-form labels; `fly_*` keys are reserved by the platform. Filter
    /// machine lists on them with [`crate::ListMachines::metadata`].
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub metadata: BTreeMap<String, String>,
    /// Signal and grace period used to stop the machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_config: Option<StopConfig>,
    /// Destroy the machine once its main process exits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_destroy: Option<bool>,
    /// Run on a schedule (`hourly`, `daily`, `weekly`, `monthly`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Machine ids this machine stands by for.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub standbys: Vec<String>,
    /// Fields this client does not model (`dns`, `metrics`, `statics`,
    /// `rootfs`, `containers`, …), sent back unchanged.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachineConfig {
    /// A config running `image` with everything else defaulted.
    pub fn new(image: impl Into<String>) -> Self {
        Self {
            image: image.into(),
            ..Self::default()
        }
    }
}
