//! The client's route labels are the ones fly-local logs (both are the
//! spec's path templates), so the operator's metrics by route line up with
//! the server's view; and reads never mutate.

use std::time::Duration;

use fly_machines::{AllocateIp, CreateVolume, ListMachines, StopMachine, WaitFor, WaitState};

use crate::local::{Attempts, Local};

#[tokio::test]
async fn observed_routes_and_statuses_match_fly_locals_request_log() {
    let local = Local::start().await;
    let attempts = Attempts::default();
    let client = local
        .builder()
        .observer(attempts.observer())
        .build()
        .unwrap();
    client
        .apps()
        .create(&fly_machines::CreateApp::new("oc-a", "personal"))
        .await
        .unwrap();
    let machine = local.machine("oc-a", "gw").await; // not observed: another client
    let machines = client.machines("oc-a");
    machines
        .list(&ListMachines::default().metadata("contract/name", "gw"))
        .await
        .unwrap();
    let started = WaitFor::state(WaitState::Started, Duration::from_secs(30));
    machines.wait(&machine.id, &started).await.unwrap(); // observed, unlike local.started
    let lease = machines
        .acquire_lease(&machine.id, Duration::from_secs(30), None)
        .await
        .unwrap();
    machines
        .stop(&lease, &StopMachine::default())
        .await
        .unwrap();
    machines.release_lease(lease).await.unwrap();
    machines.events(&machine.id, None).await.unwrap();
    client.secrets("oc-a").set("K", "v").await.unwrap();
    client
        .volumes("oc-a")
        .create(&CreateVolume::new("d", "iad", 1))
        .await
        .unwrap();
    client
        .ips("oc-a")
        .allocate(&AllocateIp::SharedV4)
        .await
        .unwrap();

    let logged: Vec<(String, u16)> = local
        .requests()
        .await
        .into_iter()
        .filter(|r| r.path != "/v1/apps/oc-a/machines" || r.method != "POST")
        .map(|r| (r.route, r.status))
        .collect();
    let observed: Vec<(String, u16)> = attempts
        .all()
        .into_iter()
        .map(|(route, status)| (route, status.unwrap()))
        .collect();
    assert_eq!(observed, logged);
}

#[tokio::test]
async fn reads_make_no_mutating_calls() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machine = local.machine("oc-a", "gw").await;
    local.clear_requests().await;
    let client = local.client();
    client.apps().get("oc-a").await.unwrap();
    client
        .machines("oc-a")
        .list(&ListMachines::default())
        .await
        .unwrap();
    client.machines("oc-a").get(&machine.id).await.unwrap();
    client
        .machines("oc-a")
        .wait(
            &machine.id,
            &WaitFor::state(WaitState::Started, Duration::from_secs(30)),
        )
        .await
        .unwrap();
    client.machines("oc-a").lease(&machine.id).await.unwrap();
    client.volumes("oc-a").list().await.unwrap();
    client.secrets("oc-a").list().await.unwrap();
    client.ips("oc-a").list().await.unwrap();
    let log = local.requests().await;
    assert_eq!(log.len(), 8, "{log:#?}");
    assert!(log.iter().all(|r| !r.mutating), "{log:#?}");
}
