//! The manifests, field by field, for the cases that differ: runtime,
//! exposure, config, suspend, deletion policy.

use serde_json::{Value, json};

use super::*;
use crate::crd::{OpenClawSpec, SecretSource};
use crate::dereference::dereference;
use crate::resource::ResourceKey;
use crate::secrets::{ResolveContext, ResolveError, SecretResolver, SecretValue};
use crate::validate::{Target, validate};

struct Fixed;

impl SecretResolver for Fixed {
    fn resolve(
        &self,
        _: &SecretSource,
        ctx: &ResolveContext<'_>,
    ) -> Result<SecretValue, ResolveError> {
        Ok(SecretValue::new(format!("value-of-{}", ctx.env_name)))
    }
}

/// Builds `yaml` (a spec with platform kubernetes and a token) as `ns/claw`.
fn desired(yaml: &str) -> DesiredKubernetes {
    let key = ResourceKey::new("ns", "claw");
    let mut spec: OpenClawSpec = serde_saphyr::from_str(yaml).unwrap();
    spec.platform = crate::crd::Platform::Kubernetes;
    if spec.gateway.auth.token.is_none() {
        spec.gateway.auth.token = Some(SecretSource::Env("T".into()));
    }
    let deref = dereference(&key, &spec, &Fixed, None);
    let valid = validate(&key, &spec, deref).unwrap_or_else(|e| panic!("{e}"));
    let Target::Kubernetes(t) = &valid.target else {
        panic!("kubernetes")
    };
    build(
        &valid,
        t,
        &Owner {
            name: "claw".into(),
            uid: "uid-1".into(),
        },
    )
}

fn find<'a>(d: &'a DesiredKubernetes, kind: &str, name: &str) -> &'a Value {
    &d.manifests
        .iter()
        .find(|m| m.body["kind"] == kind && m.name == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
        .body
}

fn kinds(d: &DesiredKubernetes) -> Vec<String> {
    d.manifests
        .iter()
        .map(|m| format!("{}/{}", m.body["kind"].as_str().unwrap(), m.name))
        .collect()
}

#[test]
fn private_rust_gateway() {
    let d = desired("{}");
    assert_eq!(
        kinds(&d),
        [
            "Secret/claw-gateway",
            "Service/claw",
            "NetworkPolicy/claw",
            "StatefulSet/claw"
        ]
    );
    let absent: Vec<_> = d
        .absent
        .iter()
        .map(|(r, n)| format!("{}/{n}", r.kind))
        .collect();
    assert_eq!(
        absent,
        [
            "ConfigMap/claw-config",
            "Service/claw-public",
            "Ingress/claw"
        ]
    );
    for m in &d.manifests {
        let owner = &m.body["metadata"]["ownerReferences"][0];
        assert_eq!(
            (owner["kind"].as_str(), owner["uid"].as_str()),
            (Some("OpenClaw"), Some("uid-1"))
        );
        assert_eq!(m.body["metadata"]["namespace"], "ns");
        assert_eq!(
            m.body["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "openclaw-operator"
        );
    }
    let secret = find(&d, "Secret", "claw-gateway");
    // base64("value-of-OPENCLAW_GATEWAY_TOKEN")
    assert_eq!(
        secret["data"]["OPENCLAW_GATEWAY_TOKEN"],
        "dmFsdWUtb2YtT1BFTkNMQVdfR0FURVdBWV9UT0tFTg=="
    );
    let sts = find(&d, "StatefulSet", "claw");
    assert_eq!(sts["spec"]["replicas"], 1);
    let c = &sts["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["command"],
        json!([
            "openclaw",
            "gateway",
            "--allow-unconfigured",
            "--port",
            "3000",
            "--bind",
            "lan"
        ])
    );
    assert_eq!(c["startupProbe"]["httpGet"]["path"], "/startupz");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
    let env: Vec<&str> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        env,
        [
            "OPENCLAW_STATE_DIR",
            "OPENCLAW_GATEWAY_PORT",
            "TMPDIR",
            "OPENCLAW_GATEWAY_TOKEN"
        ]
    );
    assert_eq!(
        c["env"][3]["valueFrom"]["secretKeyRef"]["name"],
        "claw-gateway"
    );
    assert!(
        sts["spec"]["template"]["spec"]
            .get("initContainers")
            .is_none(),
        "ours reclaims its own locks"
    );
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "1Gi"
    );
    assert_eq!(
        sts["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"],
        "Delete"
    );
    assert_eq!(
        sts["spec"]["template"]["metadata"]["annotations"]["openclaw.ai/config-hash"],
        "none"
    );
    let np = find(&d, "NetworkPolicy", "claw");
    assert_eq!(
        np["spec"]["ingress"][0]["from"],
        json!([{"podSelector": {}}])
    );
    assert_eq!(d.cluster_endpoint, "ws://claw.ns.svc:3000");
}

#[test]
fn node_image_gets_its_heap_its_lock_cleaner_and_its_config() {
    let d = desired(
        "image: ghcr.io/openclaw/openclaw:2026.9.6\nkubernetes: {exposure: ingress, ingress: {host: claw.example.com, tlsSecretName: tls}}",
    );
    let sts = find(&d, "StatefulSet", "claw");
    let pod = &sts["spec"]["template"]["spec"];
    assert_eq!(pod["initContainers"][0]["name"], "clear-stale-locks");
    let c = &pod["containers"][0];
    assert_eq!(c["command"][0], "node");
    let node_options = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "NODE_OPTIONS")
        .unwrap();
    assert_eq!(node_options["value"], "--max-old-space-size=1536");
    let cm = find(&d, "ConfigMap", "claw-config");
    let config: Value =
        serde_json::from_str(cm["data"]["openclaw.json"].as_str().unwrap()).unwrap();
    assert_eq!(config["gateway"]["mode"], "local");
    assert_eq!(
        config["gateway"]["controlUi"]["allowedOrigins"],
        json!(["https://claw.example.com"])
    );
    assert_ne!(
        sts["spec"]["template"]["metadata"]["annotations"]["openclaw.ai/config-hash"],
        "none"
    );
    let ing = find(&d, "Ingress", "claw");
    assert_eq!(ing["spec"]["tls"][0]["secretName"], "tls");
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
        "claw"
    );
    assert!(
        d.absent
            .iter()
            .any(|(r, n)| r.kind == "NetworkPolicy" && n == "claw")
    );
}

#[test]
fn a_config_change_changes_the_pod_template_hash() {
    let a = desired("config: {agents: {defaults: {maxConcurrent: 1}}}");
    let b = desired("config: {agents: {defaults: {maxConcurrent: 2}}}");
    let hash = |d: &DesiredKubernetes| {
        find(d, "StatefulSet", "claw")["spec"]["template"]["metadata"]["annotations"]["openclaw.ai/config-hash"].clone()
    };
    assert_ne!(hash(&a), hash(&b));
    assert_eq!(
        hash(&a),
        hash(&desired("config: {agents: {defaults: {maxConcurrent: 1}}}")),
        "stable"
    );
    let c = &find(&a, "StatefulSet", "claw")["spec"]["template"]["spec"]["containers"][0];
    assert!(
        c["env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "OPENCLAW_CONFIG_PATH")
    );
}

#[test]
fn suspend_orphan_load_balancer_and_storage() {
    let d = desired(
        "suspend: true\ndeletionPolicy: Orphan\nkubernetes: {exposure: loadBalancer, storageGb: 5, storageClassName: fast, serviceAnnotations: {a: b}}",
    );
    let sts = find(&d, "StatefulSet", "claw");
    assert_eq!(sts["spec"]["replicas"], 0);
    assert_eq!(
        sts["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"],
        "Retain"
    );
    let claim = &sts["spec"]["volumeClaimTemplates"][0]["spec"];
    assert_eq!(
        (
            claim["storageClassName"].as_str(),
            claim["resources"]["requests"]["storage"].as_str()
        ),
        (Some("fast"), Some("5Gi"))
    );
    let lb = find(&d, "Service", "claw-public");
    assert_eq!(lb["spec"]["type"], "LoadBalancer");
    assert_eq!(lb["metadata"]["annotations"]["a"], "b");
    assert!(d.suspend);
}
