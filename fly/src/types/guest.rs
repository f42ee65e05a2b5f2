//! Guest sizing: CPU kind, CPU count, memory.

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::wire::Extra;

open_enum! {
    /// CPU class of a machine.
    pub enum CpuKind {
        /// Shared vCPUs: 256–2048 MB per CPU, memory in multiples of 256 MB.
        Shared = "shared",
        /// Dedicated vCPUs: 2048–8192 MB per CPU, memory in multiples of 2048 MB.
        Performance = "performance",
    }
}

/// CPU and memory of a machine (`fly.MachineGuest`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MachineGuest {
    /// CPU class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_kind: Option<CpuKind>,
    /// Number of vCPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    /// Memory in MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u32>,
    /// GPU model, e.g. `a100-pcie-40gb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_kind: Option<String>,
    /// Number of GPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<u32>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MachineGuest {
    /// `cpus` shared vCPUs with `memory_mb` of memory.
    pub fn shared(cpus: u32, memory_mb: u32) -> Self {
        Self {
            cpu_kind: Some(CpuKind::Shared),
            cpus: Some(cpus),
            memory_mb: Some(memory_mb),
            ..Self::default()
        }
    }

    /// `cpus` dedicated vCPUs with `memory_mb` of memory.
    pub fn performance(cpus: u32, memory_mb: u32) -> Self {
        Self {
            cpu_kind: Some(CpuKind::Performance),
            cpus: Some(cpus),
            memory_mb: Some(memory_mb),
            ..Self::default()
        }
    }
}
