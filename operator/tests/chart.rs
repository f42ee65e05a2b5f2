//! The Helm chart, rendered and linted by the real Helm engine
//! (helm-python-sdk) with default and non-default values; every object it
//! renders passes the Kubernetes schemas; bad values are refused by name; the
//! chart's CRD and the plain manifests in `deploy/` are current.

mod support;

use serde_json::{Value, json};

fn chart_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../charts/openclaw-operator").to_owned()
}

fn render(values: Value) -> Value {
    support::run_python(
        "render_chart.py",
        &json!({"chart": chart_dir(), "values": values, "name": "openclaw-operator", "namespace": "openclaw-system"}),
    )
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

fn kinds(docs: &[Value]) -> Vec<String> {
    let mut k: Vec<String> = docs
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["kind"].as_str().unwrap(),
                d["metadata"]["namespace"].as_str().unwrap_or("-")
            )
        })
        .collect();
    k.sort();
    k
}

/// Lint clean (nothing above "info"), and every object schema-valid.
fn check(out: &Value) -> Vec<Value> {
    assert!(out.get("error").is_none(), "{out}");
    let lint = &out["lint"];
    assert!(lint["errors"].as_array().unwrap().is_empty(), "{lint}");
    let serious: Vec<_> = lint["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["severity"].as_i64().unwrap_or(0) >= 2)
        .collect();
    assert!(serious.is_empty(), "helm lint: {serious:#?}");
    let docs: Vec<Value> = out["manifests"].as_array().unwrap().clone();
    // The ServiceMonitor is a Prometheus Operator CRD: no upstream schema.
    let built_in: Vec<Value> = docs
        .iter()
        .filter(|d| d["kind"] != "ServiceMonitor")
        .cloned()
        .collect();
    let problems = support::schema_problems(&[], &built_in);
    assert!(problems.is_empty(), "{problems:#?}");
    docs
}

fn args(docs: &[Value]) -> Vec<String> {
    let d = find(docs, "Deployment", "openclaw-operator").expect("the Deployment");
    d["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn default_values_watch_everything_with_leader_election() {
    let out = render(json!({}));
    let docs = check(&out);
    assert_eq!(
        kinds(&docs),
        [
            "ClusterRole/-",
            "ClusterRoleBinding/-",
            "Deployment/openclaw-system",
            "Role/openclaw-system",
            "RoleBinding/openclaw-system",
            "Service/openclaw-system",
            "ServiceAccount/openclaw-system",
        ]
    );
    let d = find(&docs, "Deployment", "openclaw-operator").unwrap();
    assert_eq!(d["spec"]["replicas"], 2);
    let pod = &d["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["resources"]["limits"]["memory"], "128Mi");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let a = args(&docs);
    assert!(a.contains(&"--leader-election=true".to_owned()), "{a:?}");
    assert!(!a.iter().any(|x| x.starts_with("--namespace")), "{a:?}");
    let env: Vec<&str> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        env,
        ["POD_NAME", "POD_NAMESPACE", "RUST_LOG"],
        "no Fly token configured"
    );
    let lease = find(&docs, "Role", "openclaw-operator-leader-election").unwrap();
    assert_eq!(
        lease["rules"],
        json!([{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}])
    );
    assert!(out["notes"].as_str().unwrap().contains("every namespace"));
    // The chart installs the CRD the operator speaks.
    assert_eq!(out["crds"][0], support::crd());
}

#[test]
fn non_default_values_scope_rbac_configure_fly_and_monitoring() {
    let out = render(json!({
        "replicaCount": 1,
        "watchNamespaces": ["team-a", "team-b"],
        "leaderElection": {"enabled": false},
        "fly": {"apiToken": {"value": "fo1_secret"}, "apiUrl": "http://fly-local.tools:4280"},
        "metrics": {"serviceMonitor": {"enabled": true, "labels": {"release": "prom"}}},
        "resources": {"limits": {"memory": "256Mi"}},
        "podAnnotations": {"team": "claws"},
    }));
    let docs = check(&out);
    assert_eq!(
        kinds(&docs),
        [
            "Deployment/openclaw-system",
            "Role/team-a",
            "Role/team-b",
            "RoleBinding/team-a",
            "RoleBinding/team-b",
            "Secret/openclaw-system",
            "Service/openclaw-system",
            "ServiceAccount/openclaw-system",
            "ServiceMonitor/openclaw-system",
        ]
    );
    let a = args(&docs);
    for want in [
        "--namespace=team-a",
        "--namespace=team-b",
        "--leader-election=false",
    ] {
        assert!(a.contains(&want.to_owned()), "{want} missing from {a:?}");
    }
    let secret = find(&docs, "Secret", "openclaw-operator-fly").unwrap();
    assert_eq!(secret["data"]["FLY_API_TOKEN"], "Zm8xX3NlY3JldA==");
    let d = find(&docs, "Deployment", "openclaw-operator").unwrap();
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let token = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "FLY_API_TOKEN")
        .unwrap();
    assert_eq!(
        token["valueFrom"]["secretKeyRef"]["name"],
        "openclaw-operator-fly"
    );
    assert!(c["env"].to_string().contains("http://fly-local.tools:4280"));
    assert!(
        !d.to_string().contains("fo1_secret"),
        "the token is only in the Secret"
    );
    let annotations = &d["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["team"], "claws");
    assert!(
        annotations["checksum/fly-token"].is_string(),
        "a token change restarts the operator"
    );
    let sm = find(&docs, "ServiceMonitor", "openclaw-operator").unwrap();
    assert_eq!(sm["metadata"]["labels"]["release"], "prom");
    assert_eq!(sm["spec"]["endpoints"][0]["port"], "metrics");
    assert!(out["notes"].as_str().unwrap().contains("team-a, team-b"));
}

#[test]
fn bad_values_are_refused_by_name() {
    for (values, needle) in [
        (json!({"replica": 3}), "replica"),
        (json!({"image": {"pullPolicy": "Sometimes"}}), "pullPolicy"),
        (json!({"watchNamespaces": ["Team A"]}), "watchNamespaces"),
        (json!({"resync": "often"}), "resync"),
    ] {
        let out = render(values.clone());
        let error = out["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{values} was accepted"));
        assert!(error.contains(needle), "{values}: {error}");
    }
}

#[test]
fn the_chart_crd_and_the_plain_manifests_are_current() {
    let chart_crd =
        std::fs::read_to_string(format!("{}/crds/openclaw.ai_openclaws.yaml", chart_dir()))
            .unwrap();
    assert!(
        chart_crd == openclaw_operator::crd::crd_yaml().unwrap(),
        "charts/openclaw-operator/crds is stale; regenerate it with:\n  \
         cargo run -p openclaw-operator -- crd > charts/openclaw-operator/crds/openclaw.ai_openclaws.yaml"
    );
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("deploy.yaml");
    let status = std::process::Command::new(support::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/render_chart.py"
        ))
        .args(["--deploy", &chart_dir()])
        .arg(&fresh)
        .status()
        .unwrap();
    assert!(status.success());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/openclaw-operator.yaml"
    ))
    .unwrap_or_default();
    assert!(
        committed == std::fs::read_to_string(&fresh).unwrap(),
        "deploy/openclaw-operator.yaml is stale; regenerate it with:\n  \
         $OPENCLAW_PYTHON operator/tests/support/render_chart.py --deploy charts/openclaw-operator deploy/openclaw-operator.yaml"
    );
    let docs: Vec<Value> = serde_saphyr::from_multiple(&committed).unwrap();
    let docs: Vec<Value> = docs.into_iter().filter(|d| !d.is_null()).collect();
    assert_eq!(docs[0]["kind"], "Namespace");
    assert!(support::schema_problems(&[], &docs).is_empty());
}
