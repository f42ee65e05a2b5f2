//! Admission and slots for agent runs: at most `maxConcurrent` runs at once per
//! gateway, runs of one session one after another (a turn needs the previous
//! answer), and a bounded number waiting — beyond it a send is refused.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// The queue is full; nothing was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "agent run queue is full: {running} running (agents.defaults.maxConcurrent = {max_concurrent}) and {queued} waiting (limit {queue_limit}); retry later"
)]
pub struct QueueFull {
    pub running: usize,
    pub queued: usize,
    pub max_concurrent: usize,
    pub queue_limit: usize,
}

/// The gateway-wide run limiter.
pub struct Scheduler {
    permits: Arc<Semaphore>,
    max_concurrent: usize,
    queue_limit: usize,
    /// Admitted runs: waiting plus running.
    admitted: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
    sessions: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// An admitted run that has not started; dropping it leaves the queue.
#[derive(Debug)]
pub struct Ticket {
    admitted: Arc<AtomicUsize>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running run's slot; dropping it frees the slot and the session.
pub struct Slot {
    _ticket: Ticket,
    _session: OwnedMutexGuard<()>,
    _permit: OwnedSemaphorePermit,
    running: Arc<AtomicUsize>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Scheduler {
    pub fn new(max_concurrent: usize, queue_limit: usize) -> Self {
        let max_concurrent = max_concurrent.max(1);
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            queue_limit,
            admitted: Arc::new(AtomicUsize::new(0)),
            running: Arc::new(AtomicUsize::new(0)),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Admits a run if fewer than `maxConcurrent + queue_limit` are admitted.
    pub fn admit(&self) -> Result<Ticket, QueueFull> {
        let limit = self.max_concurrent + self.queue_limit;
        let taken = self
            .admitted
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(Ticket {
                admitted: Arc::clone(&self.admitted),
            }),
            Err(n) => {
                let running = self.running();
                Err(QueueFull {
                    running,
                    queued: n.saturating_sub(running),
                    max_concurrent: self.max_concurrent,
                    queue_limit: self.queue_limit,
                })
            }
        }
    }

    /// Runs that would have to wait before `session` can run now (0 = starts at once).
    pub fn ahead(&self, session: &str) -> usize {
        let busy_session = self
            .sessions()
            .get(session)
            .is_some_and(|m| m.try_lock().is_err());
        let queued = self.queued();
        if busy_session || self.permits.available_permits() == 0 {
            queued.max(1)
        } else {
            0
        }
    }

    /// Waits for `session`'s earlier runs, then for a free slot.
    pub async fn acquire(&self, ticket: Ticket, session: &str) -> Slot {
        let lock = Arc::clone(self.sessions().entry(session.to_owned()).or_default());
        let guard = lock.lock_owned().await;
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the run semaphore is never closed");
        self.running.fetch_add(1, Ordering::SeqCst);
        self.sessions().retain(|_, m| Arc::strong_count(m) > 1);
        Slot {
            _ticket: ticket,
            _session: guard,
            _permit: permit,
            running: Arc::clone(&self.running),
        }
    }

    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Admitted runs not yet running.
    pub fn queued(&self) -> usize {
        self.admitted
            .load(Ordering::SeqCst)
            .saturating_sub(self.running())
    }

    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admits_max_plus_queue_then_refuses() {
        let s = Scheduler::new(2, 1);
        let a = s.admit().unwrap();
        let _b = s.admit().unwrap();
        let _c = s.admit().unwrap();
        let full = s.admit().unwrap_err();
        assert_eq!((full.max_concurrent, full.queue_limit), (2, 1));
        assert!(full.to_string().contains("maxConcurrent = 2"));
        let slot = s.acquire(a, "k").await;
        assert_eq!(s.running(), 1);
        drop(slot);
        assert_eq!(s.running(), 0);
        assert!(s.admit().is_ok(), "a finished run frees its place");
    }

    #[tokio::test]
    async fn one_session_runs_one_at_a_time() {
        let s = Arc::new(Scheduler::new(4, 4));
        let first = s.acquire(s.admit().unwrap(), "k").await;
        assert_eq!(s.ahead("k"), 1);
        assert_eq!(s.ahead("other"), 0);
        let s2 = Arc::clone(&s);
        let second = tokio::spawn(async move { s2.acquire(s2.admit().unwrap(), "k").await });
        tokio::task::yield_now().await;
        assert!(!second.is_finished());
        drop(first);
        let _second = second.await.unwrap();
        assert_eq!(s.running(), 1);
    }
}
