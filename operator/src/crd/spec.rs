//! The desired state a person writes: `OpenClaw.spec`.
//!
//! These are wire types: they accept what a person may write (strings for
//! region and size names, plain integers for ports and memory) so that a
//! mistake becomes a precise error from the `validate` stage — naming the
//! field and the fix — rather than an opaque parse failure. Closed sets
//! (platform, bind, exposure, deletion policy) are enums, so the API server
//! rejects typos before the operator ever sees them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::secret_source::{SecretEnv, SecretSource};
use super::status::OpenClawStatus;

/// The image of the Rust gateway built from this repository.
pub const DEFAULT_IMAGE: &str = "registry.fly.io/openclaw-rs:latest";

/// Desired state of an OpenClaw gateway, reconciled onto Fly.io Machines or Kubernetes.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "openclaw.ai",
    version = "v1alpha1",
    kind = "OpenClaw",
    plural = "openclaws",
    shortname = "claw",
    namespaced,
    status = "OpenClawStatus",
    derive = "PartialEq",
    doc = "An OpenClaw gateway, kept healthy and hardened by openclaw-operator.",
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Endpoint","type":"string","jsonPath":".status.endpoint"}"#,
    printcolumn = r#"{"name":"Machine","type":"string","jsonPath":".status.fly.machineId"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct OpenClawSpec {
    /// Where the gateway runs.
    #[serde(default)]
    pub platform: Platform,

    /// Container image of the gateway. Our Rust gateway by default; the Node
    /// image of the original OpenClaw is supported too (it needs more memory).
    #[serde(default = "default_image")]
    pub image: String,

    /// Which gateway implementation the image contains. Detected from the
    /// image name when omitted (`…/openclaw-rs` is `rust`; anything else is
    /// treated as `node`, the conservative choice: larger memory floor, and the
    /// settings the Node gateway requires).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,

    /// Fly.io settings (used when `platform: fly`).
    #[serde(default)]
    pub fly: FlySpec,

    /// Kubernetes settings (used when `platform: kubernetes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubernetesSpec>,

    /// How the gateway listens and authenticates.
    #[serde(default)]
    pub gateway: GatewaySpec,

    /// Secrets handed to the gateway as environment variables (provider API
    /// keys, channel tokens). Never written into config.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretEnv>,

    /// The gateway's `openclaw.json`, free-form. Delivered to the machine at
    /// its own path (`OPENCLAW_CONFIG_PATH`), so a config a person wrote on
    /// the volume is never overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_object")]
    pub config: Option<serde_json::Value>,

    /// Stop the gateway (keeping app, volume and data) while true.
    #[serde(default)]
    pub suspend: bool,

    /// What happens to the app, volume and data when the resource is deleted.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

fn default_image() -> String {
    DEFAULT_IMAGE.to_owned()
}

/// `x-kubernetes-preserve-unknown-fields`: `openclaw.json` has its own schema,
/// owned by the gateway; the operator validates it, the API server does not.
fn preserve_unknown_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
        "description": "The gateway's openclaw.json (free-form; validated by the operator)."
    })
}

/// Where the gateway runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Platform {
    /// A Fly.io Machine (or the embedded fly-local).
    #[default]
    Fly,
    /// A StatefulSet in the operator's cluster.
    Kubernetes,
}

/// Which gateway implementation an image contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Runtime {
    /// This repository's Rust gateway (`openclaw` binary): 256 MB floor
    /// (see [`Runtime::memory_floor_mb`]).
    Rust,
    /// The original Node gateway: 1024 MB floor, 2048 MB recommended.
    Node,
}

impl Runtime {
    /// The least memory, in MB, a machine or container running this image
    /// may have: the one floor every platform's validation uses (less is
    /// refused before any write).
    ///
    /// Why these numbers: the Rust gateway idles at ~6 MB RSS and serves 100
    /// streaming sessions in ~12 MB (`bench/gateway`, `bench/agents`), so its
    /// floor is just Fly's smallest machine, 256 MB, which leaves the agent's
    /// tools room. The Node gateway idles at ~914 MB RSS (`bench/gateway`):
    /// 1024 MB is the least it starts in, and the deployment guide's OOM kills
    /// at 512 MB are the trap this floor exists to refuse.
    pub const fn memory_floor_mb(self) -> u32 {
        match self {
            Runtime::Rust => 256,
            Runtime::Node => 1024,
        }
    }

    /// What the image is comfortable in under load: the default when a spec
    /// names no size, and the threshold below which Node gets a warning (the
    /// guide's 2 GB advice). Ours needs nothing above its floor.
    pub const fn recommended_memory_mb(self) -> u32 {
        match self {
            Runtime::Rust => self.memory_floor_mb(),
            Runtime::Node => 2048,
        }
    }

    /// How messages name the image: `the Rust gateway image`.
    pub const fn image_label(self) -> &'static str {
        match self {
            Runtime::Rust => "the Rust gateway image",
            Runtime::Node => "the Node gateway image",
        }
    }
}

/// Fly.io placement, size, storage and exposure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlySpec {
    /// Fly app name (global across Fly); defaults to the resource's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Organization slug the app is created in.
    #[serde(default = "default_org")]
    pub org: String,
    /// Region code, e.g. `iad`, `lhr`, `sjc`.
    #[serde(default = "default_region")]
    pub region: String,
    /// Machine size.
    #[serde(default)]
    pub vm: VmSpec,
    /// The persistent volume mounted at `/data`.
    #[serde(default)]
    pub volume: VolumeSpec,
    /// Public (shared IPv4 + IPv6, TLS on 443) or private (Flycast only).
    #[serde(default)]
    pub exposure: Exposure,
}

impl Default for FlySpec {
    fn default() -> Self {
        Self {
            app: None,
            org: default_org(),
            region: default_region(),
            vm: VmSpec::default(),
            volume: VolumeSpec::default(),
            exposure: Exposure::default(),
        }
    }
}

fn default_org() -> String {
    "personal".to_owned()
}

fn default_region() -> String {
    "iad".to_owned()
}

/// Machine size. Omitted fields default from `size`, and `size` defaults
/// from the runtime (`shared-cpu-1x`/256 MB for ours, `shared-cpu-2x`/2048 MB
/// for the Node image).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VmSpec {
    /// A Fly size preset, e.g. `shared-cpu-1x`, `performance-2x`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// `shared` or `performance` (overrides the preset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_kind: Option<CpuKind>,
    /// Number of CPUs (overrides the preset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    /// Memory in MB (overrides the preset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u32>,
}

/// Fly CPU class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum CpuKind {
    /// Shared vCPUs: 256–2048 MB per CPU.
    Shared,
    /// Dedicated vCPUs: 2048–8192 MB per CPU.
    Performance,
}

/// The volume holding the gateway's state (`OPENCLAW_STATE_DIR=/data`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSpec {
    /// Volume name (Fly volume names: lowercase letters, digits, underscores).
    #[serde(default = "default_volume_name")]
    pub name: String,
    /// Size in GB. Volumes grow but never shrink.
    #[serde(default = "default_volume_size")]
    pub size_gb: u32,
}

impl Default for VolumeSpec {
    fn default() -> Self {
        Self {
            name: default_volume_name(),
            size_gb: default_volume_size(),
        }
    }
}

fn default_volume_name() -> String {
    "openclaw_data".to_owned()
}

fn default_volume_size() -> u32 {
    1
}

/// How the gateway is reachable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Exposure {
    /// Shared IPv4 and public IPv6; TLS on 443, HTTP on 80 redirected to HTTPS.
    #[default]
    Public,
    /// A private Flycast IPv6 only; every public IP is released.
    Private,
}

/// Kubernetes placement (used when `platform: kubernetes`): the gateway runs
/// as a one-replica StatefulSet in the resource's namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesSpec {
    /// Storage class of the `/data` volume claim; the cluster default when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    /// Size of the `/data` volume claim in GB (default 1). Claims grow only
    /// where the storage class allows expansion; they never shrink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_gb: Option<u32>,
    /// How the gateway is reached: `private` (a ClusterIP Service and a
    /// NetworkPolicy admitting only `allowFrom`), `loadBalancer` (adds a
    /// LoadBalancer Service) or `ingress` (adds an Ingress for `ingress.host`).
    #[serde(default)]
    pub exposure: KubernetesExposure,
    /// The Ingress, when `exposure: ingress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<IngressSpec>,
    /// Annotations of the LoadBalancer Service (cloud-specific settings),
    /// when `exposure: loadBalancer`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub service_annotations: BTreeMap<String, String>,
    /// Who may connect when `exposure: private` (NetworkPolicy peers); every
    /// pod of the resource's namespace when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_from: Option<Vec<NetworkPolicyPeer>>,
    /// CPU and memory of the gateway container. Defaults: our image requests
    /// 50m/64Mi with a 256Mi limit; the Node image 250m/1Gi with a 2Gi limit.
    /// A memory limit below the image's floor (256Mi ours, 1Gi Node) is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

/// How a gateway on Kubernetes is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum KubernetesExposure {
    /// Inside the cluster only: ClusterIP Service plus a NetworkPolicy.
    #[default]
    Private,
    /// A LoadBalancer Service on port 80 in front of the gateway.
    LoadBalancer,
    /// An Ingress routing `ingress.host` to the gateway.
    Ingress,
}

/// The Ingress of a public gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    /// Public host name, e.g. `claw.example.com`.
    pub host: String,
    /// `ingressClassName`; the cluster default when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// A TLS Secret for `host`; clients then connect with `wss://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_secret_name: Option<String>,
    /// Annotations of the Ingress (controller-specific settings).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// How the gateway listens and authenticates (flags of `openclaw gateway`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    /// Port for WebSocket and HTTP; also the service's `internal_port` and the
    /// health check's port, so they can never disagree.
    #[serde(default = "default_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// Listen address class. `lan` (0.0.0.0) is what Fly's proxy can reach.
    #[serde(default)]
    pub bind: Bind,
    /// Shared secret(s) clients present.
    #[serde(default)]
    pub auth: GatewayAuth,
}

impl Default for GatewaySpec {
    fn default() -> Self {
        Self {
            port: default_port(),
            bind: Bind::default(),
            auth: GatewayAuth::default(),
        }
    }
}

fn default_port() -> i32 {
    3000
}

/// `--bind` of `openclaw gateway`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Bind {
    /// 127.0.0.1: unreachable by Fly's proxy and health checks.
    Loopback,
    /// 0.0.0.0.
    #[default]
    Lan,
    /// 0.0.0.0 in a container, else 127.0.0.1.
    Auto,
    /// The Tailscale address.
    Tailnet,
    /// `gateway.customBindHost` from config.
    Custom,
}

impl Bind {
    /// The flag value, as the gateway spells it.
    pub fn as_flag(self) -> &'static str {
        match self {
            Bind::Loopback => "loopback",
            Bind::Lan => "lan",
            Bind::Auto => "auto",
            Bind::Tailnet => "tailnet",
            Bind::Custom => "custom",
        }
    }
}

/// Gateway authentication: where the shared token or password comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAuth {
    /// Explicit auth mode; inferred from which secret is given when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<AuthMode>,
    /// Source of `OPENCLAW_GATEWAY_TOKEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<SecretSource>,
    /// Source of `OPENCLAW_GATEWAY_PASSWORD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretSource>,
}

/// `--auth` of `openclaw gateway`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// No shared secret (loopback only; devices must pair).
    None,
    /// A shared token.
    Token,
    /// A shared password.
    Password,
    /// Identity asserted by a trusted reverse proxy; excludes a token.
    TrustedProxy,
}

impl AuthMode {
    /// The flag value, as the gateway spells it.
    pub fn as_flag(self) -> &'static str {
        match self {
            AuthMode::None => "none",
            AuthMode::Token => "token",
            AuthMode::Password => "password",
            AuthMode::TrustedProxy => "trusted-proxy",
        }
    }
}

/// What deleting the resource does to what it created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    /// Destroy machine, IPs, volume and app (in that order).
    #[default]
    Delete,
    /// Leave app, volume and data; remove only the operator's ownership marks.
    Orphan,
}
