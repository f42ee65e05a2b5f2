//! Leases: the nonce goes in `fly-machine-lease-nonce` on every call made
//! under the lease, the lease body is read in both shapes, refresh notices a
//! lost lease, release tolerates a lease that is already gone.

use std::time::Duration;

use fly_machines::{
    CreateMachine, Error, LeaseContinuity, MachineConfig, RestartMachine, Signal, StopMachine,
    UpdateMachine,
};
use serde_json::json;

use crate::support::{Reply, Scripted, machine_json};

const ID: &str = "1857156b526dd8";

fn lease_reply(nonce: &str) -> Reply {
    Reply::json(
        201,
        json!({"status": "success", "data": {"nonce": nonce, "expires_at": 1_900_000_000, "owner": "op@example.com", "description": "reconcile", "version": "01HQ"}}),
    )
}

#[tokio::test]
async fn acquire_sends_ttl_and_description_without_a_nonce() {
    let server = Scripted::start([lease_reply("abc123def456")]).await;
    let lease = server
        .client()
        .machines("a")
        .acquire_lease(ID, Duration::from_millis(12_300), Some("reconcile"))
        .await
        .unwrap();
    assert_eq!(lease.nonce(), "abc123def456");
    assert_eq!(lease.machine_id(), ID);
    assert_eq!(lease.app(), "a");
    assert_eq!(lease.expires_at().unwrap().as_second(), 1_900_000_000);
    assert_eq!(lease.info().owner, "op@example.com");
    let seen = server.only();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/v1/apps/a/machines/1857156b526dd8/lease")
    );
    assert_eq!(
        seen.json(),
        json!({"ttl": 13, "description": "reconcile"}),
        "ttl in whole seconds, rounded up"
    );
    assert_eq!(seen.header("fly-machine-lease-nonce"), None);
}

#[tokio::test]
async fn acquire_reads_the_bare_lease_shape_of_the_spec() {
    let server = Scripted::start([Reply::json(
        200,
        json!({"nonce": "n1", "expires_at": 1_900_000_000, "owner": "o"}),
    )])
    .await;
    let lease = server
        .client()
        .machines("a")
        .acquire_lease(ID, Duration::from_secs(10), None)
        .await
        .unwrap();
    assert_eq!(lease.nonce(), "n1");
    assert_eq!(server.only().json(), json!({"ttl": 10}));
}

#[tokio::test]
async fn a_lease_held_by_someone_else_is_a_conflict_and_is_not_retried() {
    let server = Scripted::start([Reply::json(
        409,
        json!({"error": "lease currently held by other@example.com"}),
    )])
    .await;
    let error = server
        .client()
        .machines("a")
        .acquire_lease(ID, Duration::from_secs(10), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn every_call_under_the_lease_sends_its_nonce() {
    let server = Scripted::start([
        lease_reply("nonce-1"),
        Reply::json(200, machine_json(ID, "replacing")),
        Reply::json(
            200,
            json!({"previous_state": "stopped", "migrated": false, "new_host": ""}),
        ),
        Reply::json(200, json!({"ok": true})),
        Reply::json(200, json!({"ok": true})),
        Reply::json(200, json!({"ok": true})),
        Reply::json(200, json!({"ok": true})),
        Reply::json(200, json!({"ok": true})),
        Reply::json(200, json!({"ok": true})),
    ])
    .await;
    let machines = server.client().machines("a");
    let lease = machines
        .acquire_lease(ID, Duration::from_secs(30), None)
        .await
        .unwrap();
    machines
        .update(
            &lease,
            &UpdateMachine::new(MachineConfig::new("img:2")).current_version("01HQ"),
        )
        .await
        .unwrap();
    let started = machines.start(&lease).await.unwrap();
    assert_eq!(
        started.previous_state,
        Some(fly_machines::MachineState::Stopped)
    );
    machines
        .stop(
            &lease,
            &StopMachine {
                signal: Some(Signal::Term),
                timeout: Some(fly_machines::FlyDuration::from_secs(10)),
            },
        )
        .await
        .unwrap();
    machines
        .restart(
            &lease,
            &RestartMachine {
                signal: Some(Signal::Int),
                timeout: Some(fly_machines::FlyDuration::from_secs(5)),
                force_stop: true,
            },
        )
        .await
        .unwrap();
    machines.suspend(&lease).await.unwrap();
    machines.cordon(&lease).await.unwrap();
    machines.uncordon(&lease).await.unwrap();
    machines.destroy(lease, true).await.unwrap();

    let seen = server.seen();
    let calls: Vec<(String, String, Option<String>, Option<String>)> = seen
        .iter()
        .map(|s| {
            (
                s.method.to_string(),
                s.path.clone(),
                s.query.clone(),
                s.header("fly-machine-lease-nonce").map(str::to_owned),
            )
        })
        .collect();
    let base = "/v1/apps/a/machines/1857156b526dd8";
    let nonce = Some("nonce-1".to_owned());
    assert_eq!(
        calls,
        vec![
            ("POST".into(), format!("{base}/lease"), None, None),
            ("POST".into(), base.into(), None, nonce.clone()),
            ("POST".into(), format!("{base}/start"), None, nonce.clone()),
            ("POST".into(), format!("{base}/stop"), None, nonce.clone()),
            (
                "POST".into(),
                format!("{base}/restart"),
                Some("timeout=5s&signal=SIGINT&force_stop=true".into()),
                nonce.clone()
            ),
            (
                "POST".into(),
                format!("{base}/suspend"),
                None,
                nonce.clone()
            ),
            ("POST".into(), format!("{base}/cordon"), None, nonce.clone()),
            (
                "POST".into(),
                format!("{base}/uncordon"),
                None,
                nonce.clone()
            ),
            (
                "DELETE".into(),
                base.into(),
                Some("force=true".into()),
                nonce
            ),
        ]
    );
    assert_eq!(
        seen[1].json(),
        json!({"config": {"image": "img:2"}, "current_version": "01HQ"})
    );
    assert_eq!(
        seen[3].json(),
        json!({"signal": "SIGTERM", "timeout": "10s"})
    );
}

#[tokio::test]
async fn a_lease_of_another_app_is_refused_before_any_request() {
    let server = Scripted::start([lease_reply("n")]).await;
    let client = server.client();
    let lease = client
        .machines("a")
        .acquire_lease(ID, Duration::from_secs(5), None)
        .await
        .unwrap();
    let error = client.machines("b").start(&lease).await.unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(error.to_string().contains("belongs to app a"), "{error}");
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn create_leased_returns_the_nonce_of_the_new_machine() {
    let mut body = machine_json(ID, "created");
    body["nonce"] = json!("create-nonce");
    let server = Scripted::start([Reply::json(200, body)]).await;
    let request = CreateMachine::new(MachineConfig::new("img:1")).name("gw");
    let (machine, lease) = server
        .client()
        .machines("a")
        .create_leased(&request, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(machine.id, ID);
    assert_eq!(lease.nonce(), "create-nonce");
    assert_eq!(lease.machine_id(), ID);
    assert_eq!(
        server.only().json(),
        json!({"config": {"image": "img:1"}, "name": "gw", "lease_ttl": 20})
    );
}

#[tokio::test]
async fn refresh_keeps_the_nonce_or_reports_a_reacquired_lease() {
    let server = Scripted::start([
        lease_reply("n1"),
        lease_reply("n1"),
        lease_reply("n2"),
        Reply::empty(200),
    ])
    .await;
    let machines = server.client().machines("a");
    let mut lease = machines
        .acquire_lease(ID, Duration::from_secs(10), None)
        .await
        .unwrap();
    assert_eq!(
        machines
            .refresh_lease(&mut lease, Duration::from_secs(10))
            .await
            .unwrap(),
        LeaseContinuity::Kept
    );
    assert_eq!(
        machines
            .refresh_lease(&mut lease, Duration::from_secs(10))
            .await
            .unwrap(),
        LeaseContinuity::Reacquired
    );
    assert_eq!(lease.nonce(), "n2");
    let seen = server.seen();
    assert_eq!(seen[1].header("fly-machine-lease-nonce"), Some("n1"));
    assert_eq!(seen[2].header("fly-machine-lease-nonce"), Some("n1"));
    machines.release_lease(lease).await.unwrap();
    assert_eq!(
        server.seen()[3].header("fly-machine-lease-nonce"),
        Some("n2")
    );
}

#[tokio::test]
async fn release_sends_the_nonce_and_tolerates_a_lease_already_gone() {
    let server = Scripted::start([
        lease_reply("n1"),
        Reply::json(200, json!({"status": "success", "data": {"ok": true}})),
        lease_reply("n2"),
        Reply::json(404, json!({"error": "lease not found"})),
        lease_reply("n3"),
        Reply::json(
            409,
            json!({"status": "error", "message": "lease not found"}),
        ),
    ])
    .await;
    let machines = server.client().machines("a");
    for _ in 0..3 {
        let lease = machines
            .acquire_lease(ID, Duration::from_secs(10), None)
            .await
            .unwrap();
        machines.release_lease(lease).await.unwrap();
    }
    let seen = server.seen();
    assert_eq!(seen[1].method, "DELETE");
    assert_eq!(seen[1].header("fly-machine-lease-nonce"), Some("n1"));
    assert_eq!(seen[5].header("fly-machine-lease-nonce"), Some("n3"));
}

#[tokio::test]
async fn get_lease_is_none_when_the_machine_is_not_leased() {
    let server = Scripted::start([
        Reply::json(404, json!({"error": "lease not found"})),
        Reply::json(200, json!({"status": "success", "data": {"nonce": "x", "expires_at": 1_900_000_000, "owner": "o@e"}})),
    ])
    .await;
    let machines = server.client().machines("a");
    assert_eq!(machines.lease(ID).await.unwrap(), None);
    assert_eq!(machines.lease(ID).await.unwrap().unwrap().owner, "o@e");
}
