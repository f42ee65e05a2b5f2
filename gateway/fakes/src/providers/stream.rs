//! Delivers a scripted answer as a server-sent-event body, at the scripted pace.
//!
//! The body is fed by a task through a channel: when the client goes away, the
//! server drops the body, the channel closes and the task records the exchange
//! as disconnected. That is how tests prove a client really cancelled.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::record::OutcomeGuard;
use super::script::Answer;
use super::wire::{Exchange, Flavor};

/// Counts requests being answered, and the most seen at once.
#[derive(Default)]
pub(crate) struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlight {
    pub(crate) fn enter(self: &Arc<Self>) -> InFlightGuard {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(Arc::clone(self))
    }

    pub(crate) fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }

    pub(crate) fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

/// One request in flight; leaves when dropped.
pub(crate) struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The response body for `answer`, produced by a background task.
pub(crate) fn body(
    flavor: Flavor,
    ex: Exchange,
    answer: Answer,
    outcome: OutcomeGuard,
    in_flight: InFlightGuard,
    delta_times: Arc<Mutex<Vec<Instant>>>,
) -> Body {
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        let _in_flight = in_flight;
        if deliver(&tx, flavor, &ex, &answer, &delta_times).await {
            outcome.complete();
        }
        // Dropping `outcome` un-completed records a disconnect.
    });
    Body::from_stream(futures::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|frame| frame.map(Ok::<_, Infallible>))
    }))
}

/// Sends the whole answer; `false` when the client left first.
async fn deliver(
    tx: &mpsc::Sender<Bytes>,
    flavor: Flavor,
    ex: &Exchange,
    answer: &Answer,
    delta_times: &Mutex<Vec<Instant>>,
) -> bool {
    for frame in flavor.open(ex) {
        if tx.send(frame).await.is_err() {
            return false;
        }
    }
    let chunks = answer.chunks();
    for i in 0..=chunks.len() {
        if answer.stall_after == Some(i) {
            // Silence with the connection open, until the client gives up.
            tx.closed().await;
            return false;
        }
        if let Some((after, failure)) = &answer.fail_after
            && *after == i
        {
            return tx.send(flavor.stream_error(failure)).await.is_ok();
        }
        let Some(chunk) = chunks.get(i) else { break };
        if !answer.delay.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(answer.delay) => {}
                () = tx.closed() => return false,
            }
        }
        if tx.send(flavor.delta(ex, chunk)).await.is_err() {
            return false;
        }
        delta_times
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Instant::now());
    }
    for frame in flavor.close(ex, chunks.len()) {
        if tx.send(frame).await.is_err() {
            return false;
        }
    }
    true
}
