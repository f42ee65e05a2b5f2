//! Volume mounts.

use serde::{Deserialize, Serialize};

use super::wire::Extra;

/// A volume mounted into a machine (`fly.MachineMount`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MachineMount {
    /// Volume id (`vol_…`); same region as the machine, one machine per volume.
    #[serde(default)]
    pub volume: String,
    /// Mount path in the machine, e.g. `/data`.
    #[serde(default)]
    pub path: String,
    /// Volume name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Size in GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_gb: Option<u32>,
    /// Whether the volume is encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Auto-extend once usage passes this percentage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_threshold_percent: Option<u32>,
    /// GB added per auto-extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_size_gb: Option<u32>,
    /// Upper bound for auto-extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_gb_limit: Option<u32>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachineMount {
    /// Mounts volume `volume` at `path`.
    pub fn new(volume: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            volume: volume.into(),
            path: path.into(),
            ..Self::default()
        }
    }
}
