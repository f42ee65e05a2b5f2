//! Retry paths against fly-local's fault injection, checked in its request
//! log: what is retried, what is not, and that nothing is ever duplicated.

use std::time::{Duration, Instant};

use fly_machines::{CreateMachine, Error, ListMachines, MachineConfig, RetryPolicy};
use serde_json::json;

use crate::local::{IMAGE, Local};

const GET_MACHINE: &str = "GET /v1/apps/{app_name}/machines/{machine_id}";
const CREATE_MACHINE: &str = "POST /v1/apps/{app_name}/machines";
const START_MACHINE: &str = "POST /v1/apps/{app_name}/machines/{machine_id}/start";
const RELEASE_IP: &str = "DELETE /v1/apps/{app_name}/ip_assignments/{ip}";

fn create_request(name: &str) -> CreateMachine {
    let mut config = MachineConfig::new(IMAGE);
    config.metadata.insert("contract/name".into(), name.into());
    CreateMachine::new(config).name(name).region("iad")
}

#[tokio::test]
async fn a_read_is_retried_through_503s() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machine = local.machine("oc-a", "gw").await;
    local.clear_requests().await;
    local.fail(GET_MACHINE, 503, 2).await;
    let got = local
        .client()
        .machines("oc-a")
        .get(&machine.id)
        .await
        .unwrap();
    assert_eq!(got.id, machine.id);
    let calls = local.calls_of(GET_MACHINE).await;
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[tokio::test]
async fn a_start_is_retried_through_a_502() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machines = local.client().machines("oc-a");
    let (machine, lease) = machines
        .create_leased(&create_request("gw").skip_launch(), Duration::from_secs(30))
        .await
        .unwrap();
    local.fail(START_MACHINE, 502, 1).await;
    machines.start(&lease).await.unwrap();
    local.started("oc-a", &machine.id).await;
    let statuses: Vec<u16> = local
        .calls_of(START_MACHINE)
        .await
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [502, 200]);
    machines.release_lease(lease).await.unwrap();
}

#[tokio::test]
async fn a_create_that_failed_is_not_retried_and_left_nothing() {
    let local = Local::start().await;
    local.app("oc-a").await;
    local.fail(CREATE_MACHINE, 503, 1).await;
    let machines = local.client().machines("oc-a");
    let error = machines.create(&create_request("gw")).await.unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(local.calls_of(CREATE_MACHINE).await.len(), 1);
    assert!(
        machines
            .list(&ListMachines::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_not_duplicated() {
    // "Commit then fail": the machine exists but the client saw a 503.
    let local = Local::start().await;
    local.app("oc-a").await;
    local
        .inject(
            json!({"route": CREATE_MACHINE, "kind": "commit_then_fail", "status": 503, "times": 1}),
        )
        .await;
    let machines = local.client().machines("oc-a");
    let error = machines.create(&create_request("gw")).await.unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(
        local.calls_of(CREATE_MACHINE).await.len(),
        1,
        "no blind retry"
    );
    // The recovery path: look the machine up by its metadata before creating again.
    let found = machines
        .list(&ListMachines::default().metadata("contract/name", "gw"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "exactly one machine, found by metadata");
}

#[tokio::test]
async fn a_create_refused_by_the_rate_limiter_is_retried_after_retry_after() {
    let local = Local::start().await;
    local.app("oc-a").await;
    local
        .inject(json!({"route": CREATE_MACHINE, "kind": "error", "status": 429, "retry_after_secs": 1, "times": 1}))
        .await;
    let machines = local.client().machines("oc-a");
    let started = Instant::now();
    machines.create(&create_request("gw")).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    let statuses: Vec<u16> = local
        .calls_of(CREATE_MACHINE)
        .await
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
    assert_eq!(
        machines.list(&ListMachines::default()).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_release_whose_answer_was_lost_succeeds_on_retry() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let ips = local.client().ips("oc-a");
    let ip = ips
        .allocate(&fly_machines::AllocateIp::SharedV4)
        .await
        .unwrap();
    local
        .inject(json!({"route": RELEASE_IP, "kind": "commit_then_fail", "status": 503, "times": 1}))
        .await;
    ips.release(&ip.ip).await.unwrap();
    let statuses: Vec<u16> = local
        .calls_of(RELEASE_IP)
        .await
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(
        statuses,
        [503, 404],
        "applied, answer lost, retry finds it gone"
    );
    assert!(ips.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn added_latency_beyond_the_request_timeout_is_a_timeout() {
    let local = Local::start().await;
    local.app("oc-a").await;
    local.inject(json!({"route": "GET /v1/apps/{app_name}", "kind": "latency", "latency_ms": 2000, "times": 1})).await;
    let client = local
        .builder()
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client.apps().get("oc-a").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                route: "GET /v1/apps/{app_name}",
                ..
            }
        ),
        "{error:?}"
    );
}
