//! The *build* stage for Kubernetes: pure functions from a validated spec to
//! the manifests the operator applies — Secret, ConfigMap, Service,
//! StatefulSet, and by exposure a NetworkPolicy, a LoadBalancer Service or an
//! Ingress — plus the names of objects that must not exist (a previous
//! exposure's). No I/O, so every manifest is unit-tested and schema-validated.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::ApiResource;
use serde_json::{Value, json};

use crate::crd::{DeletionPolicy, Runtime};
use crate::fly::build::{CONFIG_PATH, STATE_DIR, command, render_config};
use crate::secrets::digest_hex;
use crate::validate::{Access, KubernetesTarget, ValidOpenClaw};

use super::names::{CONFIG_HASH, CONTAINER, DATA_VOLUME, Names, SECRETS_HASH};

/// The `OpenClaw` that owns the objects (for owner references).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.uid`.
    pub uid: String,
}

/// One object to apply.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// Its API resource (group, version, plural).
    pub resource: ApiResource,
    /// `metadata.name`.
    pub name: String,
    /// The full object, `apiVersion` and `kind` included.
    pub body: Value,
}

/// Everything the operator wants in the cluster for one resource.
#[derive(Clone, Debug)]
pub struct DesiredKubernetes {
    /// Object names.
    pub names: Names,
    /// Objects to apply, in order: what the StatefulSet refers to and the
    /// NetworkPolicy first, public entry points last.
    pub manifests: Vec<Manifest>,
    /// Objects that must not exist (another exposure's, a dropped config).
    pub absent: Vec<(ApiResource, String)>,
    /// Digest of the rendered `openclaw.json` (`none` without one).
    pub config_hash: String,
    /// Whether the StatefulSet runs 0 replicas.
    pub suspend: bool,
    /// Where clients connect from inside the cluster.
    pub cluster_endpoint: String,
    /// How the gateway is reached.
    pub access: Access,
    /// Gateway port.
    pub port: u16,
}

fn manifest<K: kube::Resource<DynamicType = ()>>(name: &str, body: Value) -> Manifest {
    Manifest {
        resource: ApiResource::erase::<K>(&()),
        name: name.to_owned(),
        body,
    }
}

/// Builds the desired objects of a validated resource targeting Kubernetes.
pub fn build(valid: &ValidOpenClaw, target: &KubernetesTarget, owner: &Owner) -> DesiredKubernetes {
    let names = Names::new(&valid.key.name);
    let ns = &valid.key.namespace;
    let meta = |name: &str| {
        json!({
            "name": name,
            "namespace": ns,
            "labels": names.labels(),
            "ownerReferences": [{
                "apiVersion": "openclaw.ai/v1alpha1",
                "kind": "OpenClaw",
                "name": owner.name,
                "uid": owner.uid,
                "controller": true,
            }],
        })
    };
    let public_origin = match &target.access {
        Access::Ingress(i) => Some(format!(
            "{}://{}",
            if i.tls_secret_name.is_some() {
                "https"
            } else {
                "http"
            },
            i.host
        )),
        _ => None,
    };
    let config = render_config(valid, public_origin.as_deref())
        .map(|c| serde_json::to_string_pretty(&c).expect("JSON"));
    let config_hash = config
        .as_deref()
        .map_or_else(|| "none".to_owned(), |c| short(&digest_hex(c.as_bytes())));
    let secrets_hash = short(&digest_hex(
        valid
            .secrets
            .iter()
            .map(|(k, v)| format!("{k}={}\n", v.digest()))
            .collect::<String>()
            .as_bytes(),
    ));

    let mut manifests = Vec::new();
    let mut absent = Vec::new();
    // `ByteString` serialises as base64, as `Secret.data` wants.
    let data: BTreeMap<&String, ByteString> = valid
        .secrets
        .iter()
        .map(|(k, v)| (k, ByteString(v.expose().as_bytes().to_vec())))
        .collect();
    manifests.push(manifest::<Secret>(
        &names.secret(),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta(&names.secret()),
               "type": "Opaque", "data": data}),
    ));
    match &config {
        Some(text) => manifests.push(manifest::<ConfigMap>(
            &names.config_map(),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(&names.config_map()),
                   "data": {"openclaw.json": text}}),
        )),
        None => absent.push((ApiResource::erase::<ConfigMap>(&()), names.config_map())),
    }
    let port = valid.gateway.port;
    manifests.push(manifest::<Service>(
        &names.base,
        json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(&names.base),
               "spec": {"type": "ClusterIP", "selector": names.selector(),
                        "ports": [{"name": CONTAINER, "port": port, "targetPort": CONTAINER, "protocol": "TCP"}]}}),
    ));
    let stateful_set = manifest::<StatefulSet>(
        &names.base,
        stateful_set(
            valid,
            target,
            &names,
            meta(&names.base),
            config.is_some(),
            &config_hash,
            &secrets_hash,
        ),
    );
    let np = ApiResource::erase::<NetworkPolicy>(&());
    let ing = ApiResource::erase::<Ingress>(&());
    let svc = ApiResource::erase::<Service>(&());
    match &target.access {
        Access::Private { allow_from } => {
            let from = if allow_from.is_empty() {
                json!([{"podSelector": {}}])
            } else {
                serde_json::to_value(allow_from).expect("peers serialise")
            };
            // Before the StatefulSet: the pod is never reachable unprotected.
            manifests.push(manifest::<NetworkPolicy>(
                &names.base,
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta(&names.base),
                       "spec": {"podSelector": {"matchLabels": names.selector()}, "policyTypes": ["Ingress"],
                                "ingress": [{"from": from, "ports": [{"port": port, "protocol": "TCP"}]}]}}),
            ));
            manifests.push(stateful_set);
            absent.push((svc, names.public_service()));
            absent.push((ing, names.base.clone()));
        }
        Access::LoadBalancer { annotations } => {
            manifests.push(stateful_set);
            let mut m = meta(&names.public_service());
            if !annotations.is_empty() {
                m["annotations"] = json!(annotations);
            }
            manifests.push(manifest::<Service>(
                &names.public_service(),
                json!({"apiVersion": "v1", "kind": "Service", "metadata": m,
                       "spec": {"type": "LoadBalancer", "selector": names.selector(),
                                "ports": [{"name": "http", "port": 80, "targetPort": CONTAINER, "protocol": "TCP"}]}}),
            ));
            absent.push((np, names.base.clone()));
            absent.push((ing, names.base.clone()));
        }
        Access::Ingress(i) => {
            manifests.push(stateful_set);
            let mut m = meta(&names.base);
            if !i.annotations.is_empty() {
                m["annotations"] = json!(i.annotations);
            }
            let mut spec = json!({"rules": [{"host": i.host, "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": names.base, "port": {"name": CONTAINER}}}}]}}]});
            if let Some(class) = &i.class_name {
                spec["ingressClassName"] = json!(class);
            }
            if let Some(tls) = &i.tls_secret_name {
                spec["tls"] = json!([{"hosts": [i.host], "secretName": tls}]);
            }
            manifests.push(manifest::<Ingress>(
                &names.base,
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": m, "spec": spec}),
            ));
            absent.push((np, names.base.clone()));
            absent.push((svc, names.public_service()));
        }
    }
    DesiredKubernetes {
        cluster_endpoint: format!("ws://{}.{ns}.svc:{port}", names.base),
        names,
        manifests,
        absent,
        config_hash,
        suspend: valid.suspend,
        access: target.access.clone(),
        port,
    }
}

fn short(digest: &str) -> String {
    digest
        .trim_start_matches("sha256:")
        .chars()
        .take(16)
        .collect()
}

/// The non-root user the gateway runs as: ours is built for 65532
/// (distroless `nonroot`), the Node image has `node` (1000).
fn user(runtime: Runtime) -> i64 {
    match runtime {
        Runtime::Rust => 65532,
        Runtime::Node => 1000,
    }
}

fn container_security() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "capabilities": {"drop": ["ALL"]},
    })
}

fn stateful_set(
    valid: &ValidOpenClaw,
    target: &KubernetesTarget,
    names: &Names,
    metadata: Value,
    has_config: bool,
    config_hash: &str,
    secrets_hash: &str,
) -> Value {
    let port = valid.gateway.port;
    let mut env = vec![
        json!({"name": "OPENCLAW_STATE_DIR", "value": STATE_DIR}),
        json!({"name": "OPENCLAW_GATEWAY_PORT", "value": port.to_string()}),
        json!({"name": "TMPDIR", "value": "/tmp"}),
    ];
    let mut mounts = vec![
        json!({"name": DATA_VOLUME, "mountPath": STATE_DIR}),
        json!({"name": "tmp", "mountPath": "/tmp"}),
    ];
    let mut volumes = vec![json!({"name": "tmp", "emptyDir": {}})];
    if has_config {
        env.push(json!({"name": "OPENCLAW_CONFIG_PATH", "value": CONFIG_PATH}));
        mounts.push(json!({"name": "config", "mountPath": "/etc/openclaw", "readOnly": true}));
        volumes.push(json!({"name": "config", "configMap": {"name": names.config_map()}}));
    }
    if valid.runtime == Runtime::Node {
        // Three quarters of the limit for the heap (the guide's 1536 MB of 2 GB).
        let heap = target.memory_limit_mb.map_or(1536, |m| m * 3 / 4);
        env.push(json!({"name": "NODE_OPTIONS", "value": format!("--max-old-space-size={heap}")}));
    }
    for name in valid.secrets.keys() {
        env.push(json!({"name": name, "valueFrom": {"secretKeyRef": {"name": names.secret(), "key": name}}}));
    }
    let probe = |path: &str, period: u32, failures: u32| {
        json!({"httpGet": {"path": path, "port": CONTAINER}, "periodSeconds": period,
               "timeoutSeconds": 2, "failureThreshold": failures})
    };
    let startup = match valid.runtime {
        Runtime::Rust => probe("/startupz", 1, 30),
        Runtime::Node => probe("/startupz", 2, 90),
    };
    let mut container = json!({
        "name": CONTAINER,
        "image": valid.image,
        "command": command(valid),
        "ports": [{"name": CONTAINER, "containerPort": port, "protocol": "TCP"}],
        "env": env,
        "resources": serde_json::to_value(&target.resources).expect("resources serialise"),
        "startupProbe": startup,
        "livenessProbe": probe("/healthz", 10, 3),
        "readinessProbe": probe("/readyz", 5, 2),
        "securityContext": container_security(),
        "volumeMounts": mounts,
    });
    if valid.runtime == Runtime::Rust {
        container["imagePullPolicy"] = json!("IfNotPresent");
    }
    let uid = user(valid.runtime);
    let mut pod = json!({
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "securityContext": {"runAsNonRoot": true, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
    });
    if valid.runtime == Runtime::Node {
        // The Node gateway of older releases refuses to start while a lock
        // file from a killed run exists; a new pod means no gateway is alive.
        pod["initContainers"] = json!([{
            "name": "clear-stale-locks",
            "image": valid.image,
            "command": ["sh", "-c", format!("rm -f {STATE_DIR}/gateway.*.lock {STATE_DIR}/tmp/openclaw-*/gateway.*.lock")],
            "securityContext": container_security(),
            "volumeMounts": [{"name": DATA_VOLUME, "mountPath": STATE_DIR}],
        }]);
    }
    let mut claim_spec = json!({"accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": format!("{}Gi", target.storage_gb)}}});
    if let Some(class) = &target.storage_class_name {
        claim_spec["storageClassName"] = json!(class);
    }
    let when_deleted = match valid.deletion_policy {
        DeletionPolicy::Delete => "Delete",
        DeletionPolicy::Orphan => "Retain",
    };
    let mut template_labels = names.labels();
    template_labels.remove("app.kubernetes.io/managed-by");
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata,
        "spec": {
            "replicas": if valid.suspend { 0 } else { 1 },
            "serviceName": names.base,
            "selector": {"matchLabels": names.selector()},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": when_deleted, "whenScaled": "Retain"},
            "template": {
                "metadata": {"labels": template_labels,
                             "annotations": {CONFIG_HASH: config_hash, SECRETS_HASH: secrets_hash}},
                "spec": pod,
            },
            "volumeClaimTemplates": [{"metadata": {"name": DATA_VOLUME}, "spec": claim_spec}],
        }
    })
}

#[cfg(test)]
mod tests;
