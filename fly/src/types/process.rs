//! What runs in a machine: `init` overrides and `processes`.
//!
//! Docker semantics: `exec` replaces entrypoint and command; `entrypoint` and
//! `cmd` replace the image's own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::wire::{Extra, null_as_default};

/// Overrides of the image's command (`fly.MachineInit`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MachineInit {
    /// Replaces entrypoint and command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<Vec<String>>,
    /// Replaces the image's entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Replaces the image's command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Allocate a TTY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
    /// Swap size in MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_size_mb: Option<u64>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One process of a machine (`fly.MachineProcess`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MachineProcess {
    /// Replaces entrypoint and command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<Vec<String>>,
    /// Replaces the image's entrypoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Replaces the image's command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Extra environment for this process.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env: BTreeMap<String, String>,
    /// User to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Secrets to expose to this process.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<MachineSecret>,
    /// Use only `secrets`, not every app secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_app_secrets: Option<bool>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An app secret exposed as an environment variable (`fly.MachineSecret`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineSecret {
    /// Variable name in the process environment.
    pub env_var: String,
    /// Secret name, when it differs from `env_var`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}
