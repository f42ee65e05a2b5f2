//! The output of validation: a spec the build stage can turn into platform
//! objects without further checks. Its fields are typed so that what was
//! checked cannot be unchecked (a `u16` port, a resolved [`Guest`], secret
//! values already read).

use std::collections::BTreeMap;

use crate::crd::{AuthMode, Bind, DeletionPolicy, Exposure, Runtime};
use crate::resource::ResourceKey;
use crate::secrets::SecretValue;

use super::fly_machine::Guest;
use super::kubernetes::KubernetesTarget;

/// A validated `OpenClaw`, with its secrets read.
#[derive(Clone, Debug)]
pub struct ValidOpenClaw {
    /// `namespace/name`.
    pub key: ResourceKey,
    /// Image reference.
    pub image: String,
    /// Which gateway the image contains.
    pub runtime: Runtime,
    /// Where it runs, with the platform's settings.
    pub target: Target,
    /// Listen and auth flags.
    pub gateway: GatewayPlan,
    /// Environment secrets by variable name (includes the gateway token or password).
    pub secrets: BTreeMap<String, SecretValue>,
    /// `openclaw.json` as given (an object), if any.
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
    /// Stop the gateway, keep the data.
    pub suspend: bool,
    /// What deletion does.
    pub deletion_policy: DeletionPolicy,
    /// Accepted but risky settings, reported as events.
    pub warnings: Vec<String>,
}

/// Where the gateway runs.
#[derive(Clone, Debug)]
pub enum Target {
    /// On Fly Machines.
    Fly(FlyTarget),
    /// On Kubernetes (reconciled by the cluster front end).
    Kubernetes(KubernetesTarget),
}

/// Validated Fly settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlyTarget {
    /// App name (valid DNS label).
    pub app: String,
    /// Org slug.
    pub org: String,
    /// Region code.
    pub region: String,
    /// Machine guest.
    pub guest: Guest,
    /// Volume name.
    pub volume_name: String,
    /// Volume size in GB (≥ 1).
    pub volume_size_gb: u32,
    /// Public or private.
    pub exposure: Exposure,
}

/// The gateway's listen and auth flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatewayPlan {
    /// `--port`, `internal_port` and the check port.
    pub port: u16,
    /// `--bind`.
    pub bind: Bind,
    /// `--auth`, when the spec sets it explicitly.
    pub auth_mode: Option<AuthMode>,
}
