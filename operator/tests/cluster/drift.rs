//! Drift and field managers: a hand edit is put back at once (the owned-object
//! watch, not the resync) and recorded; another applier holding a field is
//! reported, not fought; a controller retaking a field after each correction
//! is given up on after a few rounds, and reported.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Patch, PatchParams};
use openclaw_operator::crd::OpenClaw;
use openclaw_operator::kubernetes::FIGHT_LIMIT;
use serde_json::json;

use crate::support::{Cluster, OPERATOR_USER, TEAM_A, wait_for};

fn replicas(s: Option<&StatefulSet>) -> Option<i32> {
    s.and_then(|s| s.spec.replicas)
}

fn ready_reason(o: Option<&OpenClaw>) -> String {
    o.and_then(|o| o.status.as_ref())
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.reason.clone())
        .unwrap_or_default()
}

async fn edit_replicas(sts: &kube::Api<StatefulSet>, manager: &str, n: i32) {
    let pp = PatchParams {
        field_manager: Some(manager.into()),
        ..Default::default()
    };
    sts.patch("claw", &pp, &Patch::Merge(json!({"spec": {"replicas": n}})))
        .await
        .unwrap();
}

#[tokio::test]
async fn hand_edits_are_healed_appliers_are_reported_fights_are_abandoned() {
    let cluster = Cluster::start(&["team-a"]).await;
    // A 10-minute resync: healing must come from the watch on owned objects.
    let _op = cluster
        .operator(&[TEAM_A, &["--resync", "10m"]].concat(), &[])
        .await;
    let claws = cluster
        .create_claw("team-a", "claw", "{platform: kubernetes}")
        .await;
    let sts = cluster.api::<StatefulSet>("team-a");
    wait_for(&sts, "claw", "creation", |s| replicas(s) == Some(1)).await;

    // By hand: `kubectl scale`-like edit. Healed, recorded, evented.
    let started = std::time::Instant::now();
    edit_replicas(&sts, "kubectl-edit", 3).await;
    wait_for(&sts, "claw", "replicas healed back to 1", |s| {
        replicas(s) == Some(1)
    })
    .await;
    let healed_in = started.elapsed();
    let o = wait_for(&claws, "claw", "a recorded correction", |o| {
        o.and_then(|o| o.status.as_ref())
            .is_some_and(|s| !s.last_drift_corrections.is_empty())
    })
    .await
    .unwrap();
    let d = &o.status.unwrap().last_drift_corrections[0];
    assert_eq!(d.field, "StatefulSet/claw.spec.replicas");
    assert_eq!(
        (d.from.as_str(), d.to.as_str()),
        ("3 (set by kubectl-edit)", "1")
    );
    let events = cluster
        .api::<Event>("team-a")
        .list(&Default::default())
        .await
        .unwrap();
    let drift = events
        .items
        .iter()
        .find(|e| e.reason.as_deref() == Some("DriftCorrected"))
        .expect("a DriftCorrected event");
    assert!(
        drift
            .note
            .as_deref()
            .unwrap()
            .contains("changed by kubectl-edit"),
        "{:?}",
        drift.note
    );
    assert!(
        healed_in < std::time::Duration::from_secs(5),
        "healed in {healed_in:?}"
    );

    // A controller that keeps taking the field back: corrected FIGHT_LIMIT
    // times, then left alone and reported.
    for round in 0..FIGHT_LIMIT {
        edit_replicas(&sts, "autoscaler", 4).await;
        wait_for(&sts, "claw", &format!("correction {round}"), |s| {
            replicas(s) == Some(1)
        })
        .await;
    }
    edit_replicas(&sts, "autoscaler", 4).await;
    let o = wait_for(&claws, "claw", "FieldManagerConflict", |o| {
        ready_reason(o) == "FieldManagerConflict"
    })
    .await
    .unwrap();
    let message = o.status.unwrap().message.unwrap();
    assert!(
        message.contains("StatefulSet/claw .spec.replicas (held by \"autoscaler\")"),
        "{message}"
    );
    assert!(message.contains("stopped correcting"), "{message}");
    assert_eq!(
        replicas(Some(&sts.get("claw").await.unwrap())),
        Some(4),
        "left as the other manager set it"
    );

    // Another applier (a GitOps tool applying the same field): reported, never forced.
    sts.patch(
        "claw",
        &PatchParams::apply("argocd-controller").force(),
        &Patch::Apply(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "claw"}, "spec": {"replicas": 2}})),
    )
    .await
    .unwrap();
    let before = cluster.operator_requests().len();
    // Any change to the resource makes the operator look again.
    claws
        .patch(
            "claw",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"poke": "1"}}})),
        )
        .await
        .unwrap();
    cluster
        .wait_request(OPERATOR_USER, "another apply attempt", |r| {
            r.resource == "statefulsets" && r.verb == "patch" && r.code == 409
        })
        .await;
    let o = wait_for(&claws, "claw", "a conflict naming the applier", |o| {
        o.and_then(|o| o.status.as_ref())
            .and_then(|s| s.message.as_deref())
            .is_some_and(|m| {
                m.contains("argocd-controller") && m.contains("another tool applies them")
            })
    })
    .await
    .unwrap();
    assert_eq!(ready_reason(Some(&o)), "FieldManagerConflict");
    let forced: Vec<_> = cluster.operator_requests()[before..]
        .iter()
        .filter(|r| r.resource == "statefulsets" && r.verb == "patch" && r.code < 300)
        .cloned()
        .collect();
    assert!(
        forced.is_empty(),
        "the operator fought the other applier: {forced:#?}"
    );
    assert_eq!(replicas(Some(&sts.get("claw").await.unwrap())), Some(2));
}
