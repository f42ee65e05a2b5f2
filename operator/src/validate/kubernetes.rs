//! Validation of `spec.kubernetes` (platform `kubernetes`): names the
//! StatefulSet and Service can take, storage, exposure and resources — so
//! the API server never rejects half of what the backend applies.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::api::networking::v1::NetworkPolicyPeer;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::crd::{IngressSpec, KubernetesExposure, OpenClawSpec, Runtime};
use crate::resource::ResourceKey;

use super::FieldError;
use super::names::is_app_name;

/// Longest resource name: the StatefulSet's pod `NAME-0` carries a
/// `controller-revision-hash` label `NAME-<10 chars>` that must fit 63.
pub const MAX_NAME: usize = 52;

/// Validated Kubernetes settings.
#[derive(Clone, Debug, PartialEq)]
pub struct KubernetesTarget {
    /// Storage class of the `/data` claim (cluster default when `None`).
    pub storage_class_name: Option<String>,
    /// Size of the `/data` claim in GB (≥ 1).
    pub storage_gb: u32,
    /// How the gateway is reached, with what that needs.
    pub access: Access,
    /// Container resources (defaults filled in).
    pub resources: ResourceRequirements,
    /// The memory limit in MB, if there is one (sizes the Node heap).
    pub memory_limit_mb: Option<u64>,
}

/// How a gateway on Kubernetes is reached.
#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// ClusterIP only, behind a NetworkPolicy admitting these peers (the
    /// resource's namespace when empty).
    Private {
        /// Allowed peers.
        allow_from: Vec<NetworkPolicyPeer>,
    },
    /// Plus a LoadBalancer Service.
    LoadBalancer {
        /// Its annotations.
        annotations: BTreeMap<String, String>,
    },
    /// Plus an Ingress.
    Ingress(IngressSpec),
}

fn quantities(pairs: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Quantity((*v).to_owned())))
        .collect()
}

/// Resources when the spec gives none: what the image needs at rest (ours
/// a few MB; Node its floor), limited at the recommended memory (the floor
/// for ours, the guide's 2 GB for Node).
pub fn default_resources(runtime: Runtime) -> ResourceRequirements {
    let (cpu, at_rest) = match runtime {
        Runtime::Rust => ("50m", "64Mi".to_owned()),
        Runtime::Node => ("250m", format!("{}Mi", runtime.memory_floor_mb())),
    };
    let limit = format!("{}Mi", runtime.recommended_memory_mb());
    let requests = quantities(&[("cpu", cpu), ("memory", &at_rest)]);
    let limits = quantities(&[("memory", &limit)]);
    ResourceRequirements {
        requests: Some(requests),
        limits: Some(limits),
        ..Default::default()
    }
}

/// Bytes in a Kubernetes quantity (`256Mi`, `1G`, `1.5Gi`, `2e9`, `500m`).
pub fn quantity_bytes(q: &str) -> Option<f64> {
    let q = q.trim();
    let suffixes: &[(&str, f64)] = &[
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("m", 1e-3),
    ];
    let (number, factor) = suffixes
        .iter()
        .find_map(|(s, f)| q.strip_suffix(s).map(|n| (n, *f)))
        .unwrap_or((q, 1.0));
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value * factor)
}

fn memory_of(
    map: Option<&BTreeMap<String, Quantity>>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<f64> {
    let q = map?.get("memory")?;
    let bytes = quantity_bytes(&q.0);
    if bytes.is_none() {
        errors.push(FieldError::invalid(
            path,
            format!("{:?} is not a quantity", q.0),
            "write a size such as 512Mi or 2Gi",
        ));
    }
    bytes
}

/// Validates the Kubernetes settings of `spec`.
pub fn kubernetes_target(
    key: &ResourceKey,
    spec: &OpenClawSpec,
    runtime: Runtime,
    errors: &mut Vec<FieldError>,
    warnings: &mut Vec<String>,
) -> Option<KubernetesTarget> {
    let k = spec.kubernetes.clone().unwrap_or_default();
    let before = errors.len();
    if !is_app_name(&key.name) || key.name.len() > MAX_NAME {
        errors.push(FieldError::invalid(
            "metadata.name",
            format!(
                "{:?} cannot name the gateway's StatefulSet and Service",
                key.name
            ),
            format!(
                "use lowercase letters, digits and dashes, starting with a letter, at most {MAX_NAME} characters"
            ),
        ));
    }
    let storage_gb = k.storage_gb.unwrap_or(1);
    if storage_gb == 0 {
        errors.push(FieldError::invalid(
            "spec.kubernetes.storageGb",
            "0 GB cannot hold the gateway's state",
            "use 1 or more",
        ));
    }
    let access = match k.exposure {
        KubernetesExposure::Private => Access::Private {
            allow_from: k.allow_from.clone().unwrap_or_default(),
        },
        KubernetesExposure::LoadBalancer => Access::LoadBalancer {
            annotations: k.service_annotations.clone(),
        },
        KubernetesExposure::Ingress => match &k.ingress {
            Some(i) if is_host(&i.host) => Access::Ingress(i.clone()),
            Some(i) => {
                errors.push(FieldError::invalid(
                    "spec.kubernetes.ingress.host",
                    format!("{:?} is not a host name", i.host),
                    "use a DNS name such as claw.example.com",
                ));
                Access::Private {
                    allow_from: Vec::new(),
                }
            }
            None => {
                errors.push(FieldError::invalid(
                    "spec.kubernetes.ingress",
                    "exposure ingress needs the Ingress's host",
                    "set spec.kubernetes.ingress.host (e.g. claw.example.com)",
                ));
                Access::Private {
                    allow_from: Vec::new(),
                }
            }
        },
    };
    if k.ingress.is_some() && k.exposure != KubernetesExposure::Ingress {
        warnings.push(
            "spec.kubernetes.ingress is ignored: exposure is not ingress (set exposure: ingress to use it)".into(),
        );
    }
    if k.allow_from.is_some() && k.exposure != KubernetesExposure::Private {
        warnings.push(
            "spec.kubernetes.allowFrom is ignored: a public gateway has no NetworkPolicy".into(),
        );
    }
    let resources = k
        .resources
        .clone()
        .unwrap_or_else(|| default_resources(runtime));
    let limit = memory_of(
        resources.limits.as_ref(),
        "spec.kubernetes.resources.limits.memory",
        errors,
    );
    let request = memory_of(
        resources.requests.as_ref(),
        "spec.kubernetes.resources.requests.memory",
        errors,
    );
    let mib = 1024.0 * 1024.0;
    let floor = runtime.memory_floor_mb();
    if let Some(l) = limit
        && l < f64::from(floor) * mib
    {
        errors.push(FieldError::invalid(
            "spec.kubernetes.resources.limits.memory",
            format!(
                "{:.0} MB is below the {floor} MB floor of {} (it would be OOM-killed)",
                l / mib,
                runtime.image_label()
            ),
            format!("set it to {floor}Mi or more"),
        ));
    }
    if let (Some(r), Some(l)) = (request, limit)
        && r > l
    {
        errors.push(FieldError::invalid(
            "spec.kubernetes.resources.requests.memory",
            "the request exceeds the limit",
            "lower the request or raise the limit",
        ));
    }
    (errors.len() == before).then(|| KubernetesTarget {
        storage_class_name: k.storage_class_name.clone(),
        storage_gb,
        access,
        resources,
        memory_limit_mb: limit.map(|l| (l / mib) as u64),
    })
}

fn is_host(h: &str) -> bool {
    let h = h.strip_prefix("*.").unwrap_or(h);
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> OpenClawSpec {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn check(name: &str, yaml: &str, runtime: Runtime) -> (Option<KubernetesTarget>, Vec<String>) {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let t = kubernetes_target(
            &ResourceKey::new("ns", name),
            &spec(yaml),
            runtime,
            &mut errors,
            &mut warnings,
        );
        (t, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity_bytes("256Mi"), Some(268_435_456.0));
        assert_eq!(quantity_bytes("1G"), Some(1e9));
        assert_eq!(quantity_bytes("1.5Gi"), Some(1.5 * 1024f64.powi(3)));
        assert_eq!(quantity_bytes("2e3"), Some(2000.0));
        assert_eq!(quantity_bytes("lots"), None);
    }

    #[test]
    fn defaults_are_private_with_floors_met() {
        let (t, e) = check("claw", "platform: kubernetes", Runtime::Rust);
        assert!(e.is_empty(), "{e:?}");
        let t = t.unwrap();
        assert_eq!(t.storage_gb, 1);
        assert_eq!(t.memory_limit_mb, Some(256));
        assert!(matches!(t.access, Access::Private { ref allow_from } if allow_from.is_empty()));
        let (t, _) = check("claw", "platform: kubernetes", Runtime::Node);
        assert_eq!(t.unwrap().memory_limit_mb, Some(2048));
    }

    #[test]
    fn refuses_what_the_cluster_or_the_gateway_would() {
        let (_, e) = check(
            "claw",
            "kubernetes: {exposure: ingress, resources: {limits: {memory: 128Mi}, requests: {memory: 1Gi}}}",
            Runtime::Rust,
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].starts_with("spec.kubernetes.ingress: exposure ingress"));
        assert!(e[1].starts_with(
            "spec.kubernetes.resources.limits.memory: 128 MB is below the 256 MB floor"
        ));
        assert!(e[2].starts_with("spec.kubernetes.resources.requests.memory"));
        let (_, e) = check(&"a".repeat(53), "{}", Runtime::Rust);
        assert!(e[0].starts_with("metadata.name"), "{e:?}");
        let (_, e) = check(
            "claw",
            "kubernetes: {exposure: ingress, ingress: {host: 'Bad Host'}}",
            Runtime::Rust,
        );
        assert!(e[0].starts_with("spec.kubernetes.ingress.host"), "{e:?}");
    }
}
