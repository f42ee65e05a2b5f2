//! Waiting on a fake's recorded state, woken by its change notifications.

use std::time::Duration;

use tokio::sync::Notify;

/// Waits until `condition` holds (checked after every notification of `changed`),
/// at most `limit`; returns whether it held.
pub(crate) async fn until(changed: &Notify, limit: Duration, condition: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let notified = changed.notified();
        if condition() {
            return true;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return condition();
        }
    }
}
