//! `--namespace`: a resource in a namespace the operator does not watch is
//! left exactly as it is — no finalizer, no status, no objects, not a single
//! request into that namespace.

use k8s_openapi::api::apps::v1::StatefulSet;
use openclaw_operator::crd::OpenClaw;

use crate::support::{Cluster, TEAM_A, wait_for};

#[tokio::test]
async fn a_namespace_not_watched_is_left_alone() {
    let cluster = Cluster::start(&["team-a", "team-b"]).await;
    let op = cluster.operator(TEAM_A, &[]).await;
    for ns in ["team-b", "team-a"] {
        cluster
            .create_claw(ns, "claw", "{platform: kubernetes}")
            .await;
    }
    // team-a's was reconciled (created after team-b's, so team-b's had its chance).
    wait_for(
        &cluster.api::<StatefulSet>("team-a"),
        "claw",
        "creation",
        |s| s.is_some(),
    )
    .await;
    wait_for(
        &cluster.api::<OpenClaw>("team-a"),
        "claw",
        "a status",
        |o| o.is_some_and(|o| o.status.is_some()),
    )
    .await;
    let other = cluster.api::<OpenClaw>("team-b").get("claw").await.unwrap();
    assert!(other.metadata.finalizers.is_none(), "{other:?}");
    assert!(other.status.is_none(), "{other:?}");
    assert!(
        cluster
            .api::<StatefulSet>("team-b")
            .get_opt("claw")
            .await
            .unwrap()
            .is_none()
    );
    let touched: Vec<_> = cluster
        .operator_requests()
        .into_iter()
        .filter(|r| r.namespace.as_deref() != Some("team-a"))
        .collect();
    assert!(touched.is_empty(), "requests outside team-a: {touched:#?}");
    let metrics = op.metrics_text().await;
    assert!(
        metrics.contains("openclaw_operator_resources 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("openclaw_operator_reconciles_total{result=\"ok\"}"),
        "{metrics}"
    );
}
