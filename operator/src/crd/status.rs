//! What the operator observed: `OpenClaw.status`.
//!
//! Status holds facts and digests, never secret values, so it can be shown,
//! logged and stored anywhere.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Observed state of an `OpenClaw`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenClawStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// One-word summary.
    #[serde(default)]
    pub phase: Phase,
    /// One line for humans: what is happening, or what to fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `Ready`, `VolumeReady`, `SecretsSynced`, `NetworkReady`, `GatewayHealthy`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// What exists on Fly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fly: Option<FlyStatus>,
    /// What exists in the cluster (platform `kubernetes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesStatus>,
    /// Where clients connect, e.g. `wss://my-openclaw.fly.dev`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The most recent drift corrections, newest last (bounded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub last_drift_corrections: Vec<DriftCorrection>,
}

/// One-word summary of an `OpenClaw`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Phase {
    /// Seen, not reconciled yet.
    #[default]
    Pending,
    /// Creating or updating what the spec asks for.
    Provisioning,
    /// The gateway answers its health check at the endpoint.
    Ready,
    /// Everything exists but the gateway is not healthy (being healed).
    Degraded,
    /// Stopped on request (`spec.suspend`), data kept.
    Suspended,
    /// The spec cannot be applied as written, or the platform refuses it.
    Failed,
    /// Deletion in progress.
    Deleting,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Phase::Pending => "Pending",
            Phase::Provisioning => "Provisioning",
            Phase::Ready => "Ready",
            Phase::Degraded => "Degraded",
            Phase::Suspended => "Suspended",
            Phase::Failed => "Failed",
            Phase::Deleting => "Deleting",
        };
        f.write_str(s)
    }
}

/// What the operator manages on Fly for this resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlyStatus {
    /// Fly app name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The gateway machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    /// Last observed machine state (`started`, `stopped`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_state: Option<String>,
    /// The `/data` volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_id: Option<String>,
    /// Allocated IP addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    /// `APP.fly.dev` (public) or `APP.flycast` (private).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Digest of the desired machine config last applied (no secret values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// Volume size when it exceeds the spec (volumes never shrink).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_size_gb: Option<u32>,
}

/// One field put back to its desired value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftCorrection {
    /// RFC 3339 time of the correction.
    pub at: String,
    /// What drifted, e.g. `machine.config.guest.memory_mb`.
    pub field: String,
    /// The live value found.
    pub from: String,
    /// The desired value restored.
    pub to: String,
}

/// What the operator manages in the cluster for this resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesStatus {
    /// The gateway's StatefulSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stateful_set: Option<String>,
    /// The gateway pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Pods passing their readiness probe (`/readyz`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// The in-cluster Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The Secret holding the gateway's environment (token, provider keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Digest of the rendered `openclaw.json` and secrets the pod template
    /// carries (a change rolls the pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_hash: Option<String>,
}
