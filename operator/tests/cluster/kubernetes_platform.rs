//! `platform: kubernetes` end to end: objects and fields, generated token
//! kept stable, config and secret changes rolling the pod, status from the
//! pod's readiness, a missing Secret reported then picked up, deletion.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use openclaw_operator::crd::OpenClaw;
use serde_json::json;

use crate::support::{Cluster, TEAM_A, wait_for};

fn ready_condition(o: &OpenClaw, kind: &str) -> Option<(String, String, String)> {
    o.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == kind)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

fn phase(o: Option<&OpenClaw>) -> String {
    o.and_then(|o| o.status.as_ref())
        .map(|s| s.phase.to_string())
        .unwrap_or_default()
}

fn secret_value(s: &Secret, key: &str) -> String {
    String::from_utf8(s.data.as_ref().unwrap()[key].0.clone()).unwrap()
}

fn template_annotation(s: &StatefulSet, key: &str) -> String {
    s.spec
        .template
        .metadata
        .as_ref()
        .unwrap()
        .annotations
        .as_ref()
        .unwrap()[key]
        .clone()
}

#[tokio::test]
async fn a_gateway_in_the_cluster_from_apply_to_delete() {
    let cluster = Cluster::start(&["team-a"]).await;
    let op = cluster.operator(TEAM_A, &[]).await;
    let secrets = cluster.api::<Secret>("team-a");
    // base64("sk-ant-1"): a real server turns stringData into data; the stand-in does not.
    let _: Secret = cluster
        .create("team-a", json!({"metadata": {"name": "providers"}, "data": {"ANTHROPIC_API_KEY": "c2stYW50LTE="}}))
        .await;
    let claws = cluster
        .create_claw(
            "team-a",
            "claw",
            "{platform: kubernetes, \
             secrets: [{name: ANTHROPIC_API_KEY, secretKeyRef: {name: providers, key: ANTHROPIC_API_KEY}}], \
             config: {agents: {defaults: {maxConcurrent: 2}}}}",
        )
        .await;

    // Objects appear, owned by the resource, with the fields the issue lists.
    let sts_api = cluster.api::<StatefulSet>("team-a");
    let sts = wait_for(&sts_api, "claw", "creation", |s| s.is_some())
        .await
        .unwrap();
    let owner = &sts.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("OpenClaw", "claw", Some(true))
    );
    assert_eq!(sts.spec.replicas, Some(1));
    let pod = sts.spec.template.spec.as_ref().unwrap();
    let c = &pod.containers[0];
    assert_eq!(
        c.command.as_ref().unwrap()[..3],
        ["openclaw", "gateway", "--allow-unconfigured"]
    );
    assert!(
        c.command
            .as_ref()
            .unwrap()
            .windows(2)
            .any(|w| w == ["--bind", "lan"])
    );
    assert_eq!(
        c.startup_probe
            .as_ref()
            .unwrap()
            .http_get
            .as_ref()
            .unwrap()
            .path
            .as_deref(),
        Some("/startupz")
    );
    assert_eq!(
        c.security_context
            .as_ref()
            .unwrap()
            .read_only_root_filesystem,
        Some(true)
    );
    assert_eq!(
        sts.spec.volume_claim_templates.as_ref().unwrap()[0]
            .metadata
            .name
            .as_deref(),
        Some("data")
    );
    let hash_before = template_annotation(&sts, "openclaw.ai/config-hash");
    let secrets_hash_before = template_annotation(&sts, "openclaw.ai/secrets-hash");
    let svc = cluster.api::<Service>("team-a").get("claw").await.unwrap();
    assert_eq!(svc.spec.unwrap().type_.as_deref(), Some("ClusterIP"));
    assert!(
        cluster
            .api::<NetworkPolicy>("team-a")
            .get("claw")
            .await
            .is_ok(),
        "private by default"
    );

    // No token given: one is generated, kept in NAME-generated, handed to the gateway.
    let generated = secrets.get("claw-generated").await.unwrap();
    let token = secret_value(&generated, "OPENCLAW_GATEWAY_TOKEN");
    assert_eq!(token.len(), 64);
    let env = secrets.get("claw-gateway").await.unwrap();
    assert_eq!(secret_value(&env, "OPENCLAW_GATEWAY_TOKEN"), token);
    assert_eq!(secret_value(&env, "ANTHROPIC_API_KEY"), "sk-ant-1");

    // Status: provisioning until the pod is ready (no kubelet here: we play it).
    let o = wait_for(&claws, "claw", "Provisioning", |o| {
        phase(o) == "Provisioning"
    })
    .await
    .unwrap();
    assert!(
        o.metadata
            .finalizers
            .as_ref()
            .unwrap()
            .contains(&"openclaw.ai/cleanup".to_owned())
    );
    let (_, _, why) = ready_condition(&o, "GatewayHealthy").unwrap();
    assert_eq!(why, "pod claw-0 not created yet");
    // The claim first: the pod's readiness is what wakes the operator (the claim is not watched).
    let claim: PersistentVolumeClaim =
        serde_json::from_value(json!({"metadata": {"name": "data-claw-0"}, "spec": {}})).unwrap();
    let claims = cluster.api::<PersistentVolumeClaim>("team-a");
    claims.create(&PostParams::default(), &claim).await.unwrap();
    claims
        .patch_status(
            "data-claw-0",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "Bound"}})),
        )
        .await
        .unwrap();
    sts_api
        .patch_status(
            "claw",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"replicas": 1, "readyReplicas": 1}})),
        )
        .await
        .unwrap();
    let o = wait_for(&claws, "claw", "Ready", |o| phase(o) == "Ready")
        .await
        .unwrap();
    let status = o.status.as_ref().unwrap();
    assert_eq!(
        status.endpoint.as_deref(),
        Some("ws://claw.team-a.svc:3000")
    );
    assert_eq!(status.kubernetes.as_ref().unwrap().ready_replicas, Some(1));
    for kind in [
        "Ready",
        "VolumeReady",
        "SecretsSynced",
        "NetworkReady",
        "GatewayHealthy",
    ] {
        assert_eq!(
            ready_condition(&o, kind).unwrap().0,
            "True",
            "{kind}: {:?}",
            ready_condition(&o, kind)
        );
    }

    // A config change rolls the pod (new hash); the token stays.
    claws
        .patch(
            "claw",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"config": {"agents": {"defaults": {"maxConcurrent": 3}}}}}),
            ),
        )
        .await
        .unwrap();
    let sts = wait_for(&sts_api, "claw", "a new config hash", |s| {
        s.is_some_and(|s| template_annotation(s, "openclaw.ai/config-hash") != hash_before)
    })
    .await
    .unwrap();
    assert_eq!(
        template_annotation(&sts, "openclaw.ai/secrets-hash"),
        secrets_hash_before,
        "secrets unchanged"
    );
    assert_eq!(
        secret_value(
            &secrets.get("claw-gateway").await.unwrap(),
            "OPENCLAW_GATEWAY_TOKEN"
        ),
        token,
        "token stable"
    );

    // Rotating a referenced Secret reaches the gateway's Secret (the watch, not a resync).
    secrets
        .patch(
            "providers",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"ANTHROPIC_API_KEY": "c2stYW50LTI="}})),
        )
        .await
        .unwrap();
    wait_for(&secrets, "claw-gateway", "the rotated key", |s| {
        s.is_some_and(|s| secret_value(s, "ANTHROPIC_API_KEY") == "sk-ant-2")
    })
    .await;
    wait_for(
        &sts_api,
        "claw",
        "the pod template rolling for the new secret",
        |s| {
            s.is_some_and(|s| {
                template_annotation(s, "openclaw.ai/secrets-hash") != secrets_hash_before
            })
        },
    )
    .await;

    // Delete: the finalizer runs, then everything owned is garbage-collected.
    claws
        .delete("claw", &DeleteParams::default())
        .await
        .unwrap();
    wait_for(&claws, "claw", "deletion", |o| o.is_none()).await;
    for name in ["claw-gateway", "claw-generated"] {
        assert!(
            secrets.get_opt(name).await.unwrap().is_none(),
            "{name} collected"
        );
    }
    assert!(sts_api.get_opt("claw").await.unwrap().is_none());
    assert!(
        cluster
            .api::<Service>("team-a")
            .get_opt("claw")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        secrets.get_opt("providers").await.unwrap().is_some(),
        "the user's Secret is not ours"
    );
    let out = op.terminate().await;
    assert!(
        !out.contains("sk-ant-"),
        "a secret value leaked into the logs:\n{out}"
    );
    assert!(!out.contains(&token), "the token leaked into the logs");
}

#[tokio::test]
async fn a_missing_secret_is_reported_nothing_is_applied_and_it_is_picked_up() {
    let cluster = Cluster::start(&["team-a"]).await;
    // A long resync: only the Secret watch can make this fast.
    let _op = cluster
        .operator(&[TEAM_A, &["--resync", "10m"]].concat(), &[])
        .await;
    let claws = cluster
        .create_claw("team-a", "claw", "{platform: kubernetes, gateway: {auth: {token: {secretKeyRef: {name: gw, key: token}}}}}")
        .await;
    let o = wait_for(&claws, "claw", "SecretsSynced=False", |o| {
        o.and_then(|o| ready_condition(o, "SecretsSynced"))
            .is_some_and(|c| c.0 == "False")
    })
    .await
    .unwrap();
    let (_, reason, message) = ready_condition(&o, "SecretsSynced").unwrap();
    assert_eq!(reason, "SecretNotFound");
    assert!(
        message.contains("Secret team-a/gw not found (wanted key token)"),
        "{message}"
    );
    let writes: Vec<_> = cluster
        .operator_requests()
        .into_iter()
        .filter(|r| !matches!(r.verb.as_str(), "get" | "list" | "watch"))
        .filter(|r| !(r.resource == "openclaws" || r.resource == "events"))
        .collect();
    assert!(
        writes.is_empty(),
        "nothing may be applied for a resource that cannot be read: {writes:#?}"
    );
    let secret: Secret =
        serde_json::from_value(json!({"metadata": {"name": "gw"}, "data": {"token": "czNjcmV0"}}))
            .unwrap();
    cluster
        .api::<Secret>("team-a")
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    wait_for(
        &cluster.api::<StatefulSet>("team-a"),
        "claw",
        "creation once the Secret exists",
        |s| s.is_some(),
    )
    .await;
    let o = wait_for(&claws, "claw", "SecretsSynced=True", |o| {
        o.and_then(|o| ready_condition(o, "SecretsSynced"))
            .is_some_and(|c| c.0 == "True")
    })
    .await
    .unwrap();
    assert_eq!(phase(Some(&o)), "Provisioning");
}
