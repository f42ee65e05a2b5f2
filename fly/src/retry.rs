//! Retry policy: bounded, jittered exponential backoff (via `backon`) that
//! honours the API's `Retry-After`. Which calls are retried at all is decided
//! per route; see [`crate::route`].

use std::time::Duration;

use backon::ExponentialBuilder;

use crate::error::Error;
use crate::route::Retry;

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: usize,
    /// First backoff delay; doubles each retry, with jitter.
    pub min_delay: Duration,
    /// Cap of one backoff delay.
    pub max_delay: Duration,
    /// Longest `Retry-After` this client waits out by itself. A 429 asking
    /// for longer is returned to the caller (who may requeue) instead of
    /// blocking the call.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, 100 ms doubling to at most 2 s, `Retry-After` up to 30 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
    }

    /// Whether `error` of a call of class `class` is worth another attempt.
    pub(crate) fn should_retry(class: Retry, error: &Error) -> bool {
        match class {
            Retry::Safe => error.is_transient(),
            Retry::Never => error.was_not_applied(),
        }
    }

    /// The delay before the next attempt: the backoff's, stretched to the
    /// API's `Retry-After`; `None` (give up) when the backoff is exhausted or
    /// `Retry-After` exceeds [`Self::max_retry_after`].
    pub(crate) fn delay(&self, error: &Error, backoff: Option<Duration>) -> Option<Duration> {
        let backoff = backoff?;
        match error.retry_after() {
            Some(after) if after > self.max_retry_after => None,
            Some(after) => Some(after.max(backoff)),
            None => Some(backoff),
        }
    }
}
