//! Least privilege, proven: the operator runs a scenario that reaches every
//! code path that calls the API (create, config and exposure changes, a hand
//! edit twice, Orphan deletion, leader election), and every request it makes
//! must be granted by the rules the Helm chart renders — and every verb the
//! chart grants must have been used.

use std::collections::BTreeSet;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::{DeleteParams, Patch, PatchParams};
use openclaw_operator::crd::OpenClaw;
use serde_json::{Value, json};

use crate::support::{Cluster, OPERATOR_USER, wait_for};
use crate::tools;

/// `(apiGroup, resource[/subresource], verb)` the chart grants (default values).
fn granted() -> BTreeSet<(String, String, String)> {
    let out = tools::run_python(
        "render_chart.py",
        &json!({"chart": concat!(env!("CARGO_MANIFEST_DIR"), "/../charts/openclaw-operator"), "values": {}}),
    );
    let mut set = BTreeSet::new();
    for doc in out["manifests"].as_array().unwrap() {
        if !matches!(doc["kind"].as_str(), Some("ClusterRole" | "Role")) {
            continue;
        }
        for rule in doc["rules"].as_array().unwrap() {
            let strings = |v: &Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect()
            };
            for g in strings(&rule["apiGroups"]) {
                for r in strings(&rule["resources"]) {
                    for v in strings(&rule["verbs"]) {
                        set.insert((g.clone(), r.clone(), v));
                    }
                }
            }
        }
    }
    set
}

async fn set_spec(claws: &kube::Api<OpenClaw>, spec: Value) {
    claws
        .patch(
            "claw",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": spec})),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn every_request_is_granted_by_the_chart_and_every_grant_is_used() {
    let cluster = Cluster::start(&["team-a", "openclaw-system"]).await;
    let op = cluster
        .operator(
            &[
                "--lease-namespace",
                "openclaw-system",
                "--identity",
                "rbac",
                "--retry-period",
                "200ms",
            ],
            &[],
        )
        .await;
    let _: Secret = cluster
        .create(
            "team-a",
            json!({"metadata": {"name": "providers"}, "data": {"K": "dg=="}}),
        )
        .await;
    let claws = cluster
        .create_claw(
            "team-a",
            "claw",
            "{platform: kubernetes, secrets: [{name: K, secretKeyRef: {name: providers, key: K}}], config: {agents: {}}}",
        )
        .await;
    let sts = cluster.api::<StatefulSet>("team-a");
    wait_for(&sts, "claw", "creation", |s| s.is_some()).await;
    // Two hand edits: two DriftCorrected events (the second patches the series).
    for n in [3, 4] {
        sts.patch(
            "claw",
            &PatchParams {
                field_manager: Some("kubectl-edit".into()),
                ..Default::default()
            },
            &Patch::Merge(json!({"spec": {"replicas": n}})),
        )
        .await
        .unwrap();
        wait_for(&sts, "claw", "healed", |s| {
            s.is_some_and(|s| s.spec.replicas == Some(1))
        })
        .await;
    }
    // Every exposure, then no config: objects of the previous state are deleted.
    set_spec(&claws, json!({"kubernetes": {"exposure": "loadBalancer"}})).await;
    wait_for(
        &cluster.api::<Service>("team-a"),
        "claw-public",
        "the LoadBalancer",
        |s| s.is_some(),
    )
    .await;
    wait_for(
        &cluster.api::<NetworkPolicy>("team-a"),
        "claw",
        "the policy gone",
        |s| s.is_none(),
    )
    .await;
    set_spec(
        &claws,
        json!({"kubernetes": {"exposure": "ingress", "ingress": {"host": "claw.example.com"}}}),
    )
    .await;
    wait_for(
        &cluster.api::<Ingress>("team-a"),
        "claw",
        "the Ingress",
        |s| s.is_some(),
    )
    .await;
    wait_for(
        &cluster.api::<Service>("team-a"),
        "claw-public",
        "the LoadBalancer gone",
        |s| s.is_none(),
    )
    .await;
    set_spec(
        &claws,
        json!({"kubernetes": {"exposure": "private", "ingress": null}, "config": null}),
    )
    .await;
    wait_for(
        &cluster.api::<Ingress>("team-a"),
        "claw",
        "the Ingress gone",
        |s| s.is_none(),
    )
    .await;
    wait_for(
        &cluster.api::<ConfigMap>("team-a"),
        "claw-config",
        "the ConfigMap gone",
        |s| s.is_none(),
    )
    .await;
    // Orphan deletion: the objects stay, without owner references.
    set_spec(&claws, json!({"deletionPolicy": "Orphan"})).await;
    wait_for(&sts, "claw", "the Orphan policy applied", |s| {
        s.is_some_and(|s| {
            s.spec
                .persistent_volume_claim_retention_policy
                .as_ref()
                .and_then(|p| p.when_deleted.as_deref())
                == Some("Retain")
        })
    })
    .await;
    claws
        .delete("claw", &DeleteParams::default())
        .await
        .unwrap();
    wait_for(&claws, "claw", "deletion", |o| o.is_none()).await;
    let kept = sts.get("claw").await.expect("orphaned, not deleted");
    assert!(
        kept.metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );
    op.terminate().await;

    let used: BTreeSet<(String, String, String)> = cluster
        .operator_requests()
        .into_iter()
        .map(|r| {
            let resource = match r.subresource {
                Some(sub) => format!("{}/{sub}", r.resource),
                None => r.resource,
            };
            (r.group, resource, r.verb)
        })
        .collect();
    let granted = granted();
    let denied: Vec<_> = used.difference(&granted).collect();
    assert!(
        denied.is_empty(),
        "the operator called what the chart does not grant: {denied:#?}"
    );
    let unused: Vec<_> = granted.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "the chart grants what the operator never calls: {unused:#?}"
    );
    assert!(
        cluster
            .requests_of(OPERATOR_USER)
            .iter()
            .all(|r| r.code != 403)
    );
}
