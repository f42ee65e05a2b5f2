//! Leases against fly-local: exclusive, refreshable, released; mutations
//! with a nonce that no longer holds the lease are refused.

use std::time::Duration;

use fly_machines::{Error, LeaseContinuity, StopMachine};

use crate::local::Local;

#[tokio::test]
async fn a_lease_is_exclusive_refreshable_and_released() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machine = local.machine("oc-a", "gw").await;
    let machines = local.client().machines("oc-a");
    let id = machine.id.as_str();

    assert!(machines.lease(id).await.unwrap().is_none());
    let mut lease = machines
        .acquire_lease(id, Duration::from_secs(30), Some("contract"))
        .await
        .unwrap();
    let held = machines.lease(id).await.unwrap().expect("lease visible");
    assert_eq!(held.nonce, lease.nonce());
    assert_eq!(held.description, "contract");
    assert!(lease.expires_at().is_some());

    let other = local.client().machines("oc-a");
    let error = other
        .acquire_lease(id, Duration::from_secs(30), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");

    let before = lease.expires_at();
    assert_eq!(
        machines
            .refresh_lease(&mut lease, Duration::from_secs(120))
            .await
            .unwrap(),
        LeaseContinuity::Kept
    );
    assert!(lease.expires_at() > before, "refresh extends the lease");

    machines.release_lease(lease).await.unwrap();
    assert!(machines.lease(id).await.unwrap().is_none());
    let again = other
        .acquire_lease(id, Duration::from_secs(30), None)
        .await
        .unwrap();
    other.release_lease(again).await.unwrap();
}

#[tokio::test]
async fn a_lapsed_lease_no_longer_authorises_mutations() {
    let local = Local::start().await;
    local.app("oc-a").await;
    let machine = local.machine("oc-a", "gw").await;
    let machines = local.client().machines("oc-a");
    let id = machine.id.as_str();

    let lapsed = machines
        .acquire_lease(id, Duration::from_secs(1), None)
        .await
        .unwrap();
    // Readiness: the lease is gone once fly-local stops reporting it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while machines.lease(id).await.unwrap().is_some() {
        assert!(std::time::Instant::now() < deadline, "lease did not expire");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let current = machines
        .acquire_lease(id, Duration::from_secs(30), Some("someone else"))
        .await
        .unwrap();
    let error = machines
        .stop(&lapsed, &StopMachine::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Conflict(_)), "{error:?}");
    // Releasing a lease that is already gone is not an error.
    machines.release_lease(lapsed).await.unwrap();
    assert_eq!(
        machines.lease(id).await.unwrap().unwrap().nonce,
        current.nonce(),
        "the other lease is untouched"
    );
    machines.release_lease(current).await.unwrap();
}
