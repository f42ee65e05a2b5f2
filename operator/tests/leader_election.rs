//! Two electors on one Lease, against the API-server stand-in: exactly one
//! leads; the other takes over only once the leader stops renewing, or at
//! once when it releases; a lost term stops the work.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, Patch, PatchParams};
use kube_stand_in::StandIn;
use openclaw_operator::cluster::leader::{Elector, LeaseConfig, TermEnd, lead};
use tokio::sync::watch;

fn config(identity: &str) -> LeaseConfig {
    LeaseConfig {
        name: "openclaw-operator".into(),
        identity: identity.into(),
        lease_duration: Duration::from_secs(2),
        renew_deadline: Duration::from_millis(1500),
        retry_period: Duration::from_millis(200),
    }
}

fn elector(s: &StandIn, identity: &str) -> Elector {
    Elector::new(Api::namespaced(s.client(), "default"), config(identity))
}

async fn holder(s: &StandIn) -> Option<String> {
    let api: Api<Lease> = Api::namespaced(s.client(), "default");
    api.get_opt("openclaw-operator")
        .await
        .unwrap()
        .and_then(|l| l.spec)
        .and_then(|s| s.holder_identity)
}

#[tokio::test]
async fn one_leads_the_other_waits_for_expiry() {
    let s = StandIn::new();
    let (mut a, mut b) = (elector(&s, "a"), elector(&s, "b"));
    assert!(
        a.try_acquire_or_renew().await.unwrap(),
        "a creates the Lease"
    );
    assert!(
        !b.try_acquire_or_renew().await.unwrap(),
        "b sees a fresh holder"
    );
    assert!(a.try_acquire_or_renew().await.unwrap(), "a renews");
    assert!(!b.try_acquire_or_renew().await.unwrap());
    // a stops renewing: b takes over once it has seen the record unchanged
    // for a lease duration (by its own clock).
    let started = tokio::time::Instant::now();
    loop {
        if b.try_acquire_or_renew().await.unwrap() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "b never took over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not before expiry"
    );
    assert_eq!(holder(&s).await.as_deref(), Some("b"));
    let api: Api<Lease> = Api::namespaced(s.client(), "default");
    let lease = api.get("openclaw-operator").await.unwrap().spec.unwrap();
    assert_eq!(lease.lease_transitions, Some(1));
    // a comes back: it is not the holder any more.
    assert!(!a.try_acquire_or_renew().await.unwrap());
}

#[tokio::test]
async fn a_concurrent_takeover_has_one_winner() {
    let s = StandIn::new();
    // Both saw the same stale record; only one write can carry its resourceVersion.
    let (mut a, mut b) = (elector(&s, "a"), elector(&s, "b"));
    let (ra, rb) = tokio::join!(a.try_acquire_or_renew(), b.try_acquire_or_renew());
    assert!(ra.unwrap() ^ rb.unwrap(), "exactly one wins the create");
}

#[tokio::test]
async fn release_hands_over_at_once_and_a_lost_term_stops_the_work() {
    let s = StandIn::new();
    let (stop_a_tx, stop_a) = watch::channel(false);
    let terms = Arc::new(std::sync::Mutex::new(Vec::new()));
    let working = Arc::new(AtomicUsize::new(0));
    let (t, w) = (terms.clone(), working.clone());
    let a = tokio::spawn(lead(
        elector(&s, "a"),
        stop_a,
        move |mut stop| {
            let w = w.clone();
            async move {
                struct Working(Arc<AtomicUsize>);
                impl Drop for Working {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                w.fetch_add(1, Ordering::SeqCst);
                let _guard = Working(w);
                let _ = stop.wait_for(|s| *s).await;
            }
        },
        move |end| t.lock().unwrap().push(end),
    ));
    let wait_for_holder = |who: &'static str| {
        let s = s.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(10), async {
                while holder(&s).await.as_deref() != Some(who) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await
            .unwrap_or_else(|_| panic!("{who} never held the Lease"))
        }
    };
    wait_for_holder("a").await;
    // Someone else takes the Lease behind a's back: a must step down.
    let api: Api<Lease> = Api::namespaced(s.client(), "default");
    api.patch(
        "openclaw-operator",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"holderIdentity": "intruder"}})),
    )
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !terms.lock().unwrap().contains(&TermEnd::Lost) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a noticed the loss");
    assert_eq!(
        working.load(Ordering::SeqCst),
        0,
        "the work stopped with the term"
    );
    // Give the Lease back to a (release by the intruder), then shut a down: it releases.
    api.patch(
        "openclaw-operator",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"spec": {"holderIdentity": null}})),
    )
    .await
    .unwrap();
    wait_for_holder("a").await;
    stop_a_tx.send(true).unwrap();
    a.await.unwrap();
    assert_eq!(holder(&s).await, None, "released on shutdown");
    let mut b = elector(&s, "b");
    assert!(
        b.try_acquire_or_renew().await.unwrap(),
        "b takes a released Lease at once"
    );
}
