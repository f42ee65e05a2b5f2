//! Two replicas of `openclaw-operator run` with leader election: one acts,
//! the other only reads the Lease; when the leader is killed, the other takes
//! over and reconciles.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::coordination::v1::Lease;

use crate::support::{Cluster, wait_for};

const ELECTION: &[&str] = &[
    "--namespace",
    "team-a",
    "--lease-namespace",
    "openclaw-system",
    "--lease-duration",
    "2s",
    "--renew-deadline",
    "1500ms",
    "--retry-period",
    "200ms",
];

fn holder(l: Option<&Lease>) -> Option<String> {
    l.and_then(|l| l.spec.as_ref())
        .and_then(|s| s.holder_identity.clone())
}

#[tokio::test]
async fn only_the_leader_acts_and_a_follower_takes_over() {
    let cluster = Cluster::start(&["team-a", "openclaw-system"]).await;
    let a = cluster
        .operator_as("replica-a", &[ELECTION, &["--identity", "a"]].concat())
        .await;
    let leases = cluster.api::<Lease>("openclaw-system");
    wait_for(&leases, "openclaw-operator", "a holder", |l| {
        holder(l).as_deref() == Some("a")
    })
    .await;
    let b = cluster
        .operator_as("replica-b", &[ELECTION, &["--identity", "b"]].concat())
        .await;
    // b has looked at the Lease at least once.
    cluster
        .wait_request("replica-b", "a look at the Lease", |r| {
            r.resource == "leases"
        })
        .await;
    cluster
        .create_claw("team-a", "first", "{platform: kubernetes}")
        .await;
    let sts = cluster.api::<StatefulSet>("team-a");
    wait_for(&sts, "first", "creation by the leader", |s| s.is_some()).await;
    let by_b: Vec<_> = cluster
        .requests_of("replica-b")
        .into_iter()
        .filter(|r| !(r.resource == "leases" && r.verb == "get"))
        .collect();
    assert!(by_b.is_empty(), "the follower acted: {by_b:#?}");

    let _ = a.kill().await;
    wait_for(&leases, "openclaw-operator", "b taking over", |l| {
        holder(l).as_deref() == Some("b")
    })
    .await;
    cluster
        .create_claw("team-a", "second", "{platform: kubernetes}")
        .await;
    wait_for(&sts, "second", "creation by the new leader", |s| {
        s.is_some()
    })
    .await;
    let lease = leases.get("openclaw-operator").await.unwrap().spec.unwrap();
    assert_eq!(lease.lease_transitions, Some(1));
    // A clean shutdown releases the Lease at once.
    b.terminate().await;
    let lease = leases.get("openclaw-operator").await.unwrap();
    assert_eq!(holder(Some(&lease)), None, "released on SIGTERM");
}
