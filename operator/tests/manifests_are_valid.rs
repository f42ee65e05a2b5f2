//! Every manifest the operator produces — the CRD, the examples, and the
//! Kubernetes backend's objects in each variant — passes the real
//! Kubernetes schemas (kubernetes-validate, strict); and the CRD's schema
//! rejects what the API server would (unknown fields, invalid enums).

mod support;

use openclaw_operator::crd::{OpenClawSpec, Platform, SecretSource};
use openclaw_operator::dereference::dereference;
use openclaw_operator::kubernetes::{Owner, build};
use openclaw_operator::resource::ResourceKey;
use openclaw_operator::source::DirectorySource;
use openclaw_operator::validate::{Target, validate};
use serde_json::{Value, json};

fn backend_manifests(yaml: &str) -> Vec<Value> {
    let key = ResourceKey::new("team-a", "claw");
    let mut spec: OpenClawSpec = serde_saphyr::from_str(yaml).unwrap();
    spec.platform = Platform::Kubernetes;
    spec.gateway.auth.token = Some(SecretSource::Env("T".into()));
    let deref = dereference(&key, &spec, &support::Placeholder, None);
    let valid = validate(&key, &spec, deref).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    let Target::Kubernetes(t) = &valid.target else {
        panic!()
    };
    let owner = Owner {
        name: "claw".into(),
        uid: "6a1f2c1e-9d0b-4a53-8a55-7b3b1e0f0c11".into(),
    };
    build(&valid, t, &owner)
        .manifests
        .into_iter()
        .map(|m| m.body)
        .collect()
}

#[test]
fn backend_objects_pass_the_kubernetes_schemas() {
    let mut docs = Vec::new();
    for yaml in [
        "{}",
        "image: ghcr.io/openclaw/openclaw:2026.9.6\nconfig: {agents: {defaults: {maxConcurrent: 2}}}\nkubernetes: {exposure: ingress, ingress: {host: claw.example.com, className: nginx, tlsSecretName: tls, annotations: {x: y}}}",
        "suspend: true\ndeletionPolicy: Orphan\nkubernetes: {exposure: loadBalancer, storageGb: 5, storageClassName: fast, serviceAnnotations: {a: b}}",
        "kubernetes: {allowFrom: [{namespaceSelector: {matchLabels: {team: a}}}], resources: {limits: {memory: 512Mi, cpu: '1'}, requests: {memory: 128Mi}}}\nsecrets: [{name: ANTHROPIC_API_KEY, env: A}]",
    ] {
        docs.extend(backend_manifests(yaml));
    }
    let kinds: std::collections::BTreeSet<_> = docs
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "ConfigMap",
            "Ingress",
            "NetworkPolicy",
            "Secret",
            "Service",
            "StatefulSet"
        ]
    );
    let problems = support::schema_problems(&[], &docs);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_crd_and_the_examples_pass_their_schemas() {
    let crd = support::crd();
    assert!(support::schema_problems(&[], std::slice::from_ref(&crd)).is_empty());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    let mut docs = Vec::new();
    for path in openclaw_operator::source::scan(&[dir.into()]) {
        let text = std::fs::read_to_string(&path).unwrap();
        let values: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        docs.extend(values.into_iter().filter(|d| d["kind"] == "OpenClaw"));
    }
    assert!(docs.len() >= 4, "examples found: {}", docs.len());
    let problems = support::schema_problems(&[crd], &docs);
    assert!(problems.is_empty(), "{problems:#?}");
    // The examples also load through the directory source without errors.
    let (snap, _) = DirectorySource::new(vec![dir.into()]).refresh();
    assert!(snap.file_errors.is_empty(), "{:?}", snap.file_errors);
}

#[test]
fn the_crd_schema_rejects_unknown_fields_and_invalid_enums() {
    let crd = support::crd();
    let bad = [
        json!({"apiVersion": "openclaw.ai/v1alpha1", "kind": "OpenClaw", "metadata": {"name": "a"},
               "spec": {"platform": "aws"}}),
        json!({"apiVersion": "openclaw.ai/v1alpha1", "kind": "OpenClaw", "metadata": {"name": "b"},
               "spec": {"gateway": {"prot": 3000}}}),
        json!({"apiVersion": "openclaw.ai/v1alpha1", "kind": "OpenClaw", "metadata": {"name": "c"},
               "spec": {"kubernetes": {"exposure": "public"}}}),
        json!({"apiVersion": "openclaw.ai/v1alpha1", "kind": "OpenClaw", "metadata": {"name": "d"},
               "spec": {"secrets": [{"name": "A", "env": "A", "file": "/f"}]}}),
    ];
    let good = json!({"apiVersion": "openclaw.ai/v1alpha1", "kind": "OpenClaw", "metadata": {"name": "ok"},
        "spec": {"platform": "kubernetes", "config": {"anything": {"goes": true}}}});
    let mut docs = bad.to_vec();
    docs.push(good);
    let problems = support::schema_problems(&[crd], &docs);
    let by_name: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["error"].as_str().unwrap()))
        .collect();
    assert_eq!(by_name.len(), 4, "{by_name:#?}");
    assert!(
        by_name[0].1.contains("spec.platform") && by_name[0].1.contains("'aws' is not one of"),
        "{by_name:?}"
    );
    assert!(
        by_name[1].1.contains("'prot' was unexpected"),
        "{by_name:?}"
    );
    assert!(
        by_name[2].1.contains("'public' is not one of"),
        "{by_name:?}"
    );
    assert!(by_name[3].1.contains("spec.secrets.0"), "{by_name:?}");
}
