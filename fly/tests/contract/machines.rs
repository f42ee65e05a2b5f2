//! Machines against fly-local: create, list by metadata, get → modify →
//! update under a lease, lifecycle with waits, events, versions, metadata,
//! destroy.

use std::collections::BTreeMap;
use std::time::Duration;

use fly_machines::{
    CreateMachine, Error, ListMachines, MachineConfig, MachineGuest, MachineState, RestartMachine,
    StopMachine, UpdateMachine, WaitFor, WaitState,
};
use serde_json::json;

use crate::local::{IMAGE, Local};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn list_filters_by_metadata() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let one = local.machine("oc-a", "one").await;
    local.machine("oc-a", "two").await;
    let machines = local.client().machines("oc-a");

    let all = machines.list(&ListMachines::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let found = machines
        .list(&ListMachines::default().metadata("contract/name", "one"))
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [one.id.as_str()]
    );
    assert!(
        machines
            .list(&ListMachines::default().metadata("contract/name", "three"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn get_modify_update_under_a_lease_keeps_what_the_client_does_not_model() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machines = local.client().machines("oc-a");
    let mut config = MachineConfig::new(IMAGE);
    config
        .extra
        .insert("future_feature".into(), json!({"enabled": true}));
    let request = CreateMachine::new(config).name("gw").region("iad");
    let (created, lease) = machines
        .create_leased(&request, Duration::from_secs(30))
        .await
        .unwrap();
    machines
        .wait(&created.id, &WaitFor::state(WaitState::Started, WAIT))
        .await
        .unwrap();

    let live = machines.get(&created.id).await.unwrap();
    let mut config = live.config.clone().unwrap();
    assert_eq!(
        config.extra["future_feature"],
        json!({"enabled": true}),
        "fly-local echoes unknown fields"
    );
    config.guest = Some(MachineGuest::shared(1, 512));
    config
        .env
        .insert("OPENCLAW_STATE_DIR".into(), "/data".into());
    let updated = machines
        .update(
            &lease,
            &UpdateMachine::new(config).current_version(&live.instance_id),
        )
        .await
        .unwrap();
    assert_ne!(
        updated.instance_id, live.instance_id,
        "an update makes a new version"
    );
    machines
        .wait(
            &created.id,
            &WaitFor::state(WaitState::Started, WAIT).version(&updated.instance_id),
        )
        .await
        .unwrap();

    let after = machines.get(&created.id).await.unwrap();
    let config = after.config.unwrap();
    assert_eq!(config.guest.unwrap().memory_mb, Some(512));
    assert_eq!(config.env["OPENCLAW_STATE_DIR"], "/data");
    assert_eq!(
        config.extra["future_feature"],
        json!({"enabled": true}),
        "kept through the update"
    );
    let versions = machines.versions(&created.id).await.unwrap();
    assert!(versions.len() >= 2, "{versions:?}");

    // The version we updated from is stale now.
    let stale = UpdateMachine::new(MachineConfig::new(IMAGE)).current_version(&live.instance_id);
    let error = machines.update(&lease, &stale).await.unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");
    machines.release_lease(lease).await.unwrap();
}

#[tokio::test]
async fn lifecycle_stop_start_restart_suspend_destroy_with_waits_and_events() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machine = local.machine("oc-a", "gw").await;
    let machines = local.client().machines("oc-a");
    let id = machine.id.as_str();
    machines
        .wait(id, &WaitFor::state(WaitState::Started, WAIT))
        .await
        .unwrap();
    let lease = machines
        .acquire_lease(id, Duration::from_secs(60), Some("contract"))
        .await
        .unwrap();

    machines
        .stop(&lease, &StopMachine::default())
        .await
        .unwrap();
    let stopped = machines
        .wait(
            id,
            &WaitFor::state(WaitState::Stopped, WAIT).version(&machine.instance_id),
        )
        .await
        .unwrap();
    assert_eq!(stopped.state, MachineState::Stopped);

    let started = machines.start(&lease).await.unwrap();
    assert_eq!(started.previous_state, Some(MachineState::Stopped));
    machines
        .wait(id, &WaitFor::state(WaitState::Started, WAIT))
        .await
        .unwrap();

    machines
        .restart(&lease, &RestartMachine::default())
        .await
        .unwrap();
    machines
        .wait(id, &WaitFor::state(WaitState::Started, WAIT))
        .await
        .unwrap();
    assert_eq!(machines.get(id).await.unwrap().state, MachineState::Started);

    machines.suspend(&lease).await.unwrap();
    let suspended = machines
        .wait(id, &WaitFor::state(WaitState::Suspended, WAIT))
        .await
        .unwrap();
    assert_eq!(suspended.state, MachineState::Suspended);
    assert_eq!(
        machines.start(&lease).await.unwrap().previous_state,
        Some(MachineState::Suspended)
    );
    machines
        .wait(id, &WaitFor::state(WaitState::Started, WAIT))
        .await
        .unwrap();

    machines.cordon(&lease).await.unwrap();
    assert_eq!(machines.get(id).await.unwrap().cordoned, Some(true));
    machines.uncordon(&lease).await.unwrap();
    assert_eq!(machines.get(id).await.unwrap().cordoned, Some(false));

    let events = machines.events(id, Some(50)).await.unwrap();
    let kinds: Vec<String> = events.iter().map(|e| e.kind.to_string()).collect();
    for expected in ["launch", "stop", "start", "restart", "suspend"] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "no {expected} event in {kinds:?}"
        );
    }
    assert!(
        events.windows(2).all(|w| w[0].timestamp >= w[1].timestamp),
        "events newest first"
    );

    let error = machines.destroy(&lease, false).await.unwrap_err();
    assert!(
        !error.is_not_found(),
        "a running machine is refused without force: {error:?}"
    );
    machines.destroy(&lease, true).await.unwrap();
    machines
        .release_lease(lease)
        .await
        .expect("releasing the lease of a destroyed machine is harmless");
    let gone = machines
        .wait(id, &WaitFor::state(WaitState::Destroyed, WAIT))
        .await
        .unwrap();
    assert_eq!(gone.state, MachineState::Destroyed);
    assert!(
        machines
            .list(&ListMachines::default())
            .await
            .unwrap()
            .is_empty(),
        "destroyed machines are not listed"
    );
    assert_eq!(
        machines
            .list(&ListMachines::default().include_deleted())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn metadata_calls() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machine = local.machine("oc-a", "gw").await;
    let machines = local.client().machines("oc-a");
    let id = machine.id.as_str();

    machines
        .set_metadata(id, "openclaw.ai/owner", "default/gw")
        .await
        .unwrap();
    assert_eq!(
        machines.metadata(id).await.unwrap()["openclaw.ai/owner"],
        "default/gw"
    );
    let changes = BTreeMap::from([
        ("a".to_owned(), Some("1".to_owned())),
        ("openclaw.ai/owner".to_owned(), None),
    ]);
    machines.update_metadata(id, &changes, None).await.unwrap();
    let metadata = machines.metadata(id).await.unwrap();
    assert_eq!(metadata.get("a").map(String::as_str), Some("1"));
    assert!(!metadata.contains_key("openclaw.ai/owner"));
    machines.delete_metadata(id, "a").await.unwrap();
    assert!(!machines.metadata(id).await.unwrap().contains_key("a"));
    let error = machines
        .update_metadata(id, &changes, Some("01STALEVERSION0000000000000"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::PreconditionFailed(_)), "{error:?}");
}

#[tokio::test]
async fn unknown_machines_are_not_found() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machines = local.client().machines("oc-a");
    assert!(machines.find("0000000000dead").await.unwrap().is_none());
    let error = machines.get("0000000000dead").await.unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(
        !error.api().unwrap().message.is_empty(),
        "fly-local answers with the API's error body"
    );
    let error = local
        .client()
        .machines("no-such-app")
        .list(&ListMachines::default())
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn an_invalid_config_is_refused_naming_the_field() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let error = local
        .client()
        .machines("oc-a")
        .create(&CreateMachine::new(MachineConfig::default()))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)), "{error:?}");
    assert!(error.to_string().contains("image"), "{error}");
}
