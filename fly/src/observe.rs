//! A hook that sees every HTTP attempt, so the operator can count API calls
//! by route and status for its metrics (and tests can count retries).

use std::time::Duration;

/// One HTTP attempt of an API call (a retried call reports each attempt).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallRecord<'a> {
    /// Method and path template, e.g. `POST /v1/apps/{app_name}/machines`.
    pub route: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// Response status; `None` when no response arrived (connection error,
    /// client-side timeout).
    pub status: Option<u16>,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// Time from sending to the end of the response.
    pub elapsed: Duration,
    /// The `fly-request-id` response header.
    pub request_id: Option<&'a str>,
}

/// Receives a [`CallRecord`] for every attempt. Called inline on the
/// request path: keep it cheap (increment a counter, push to a channel).
pub trait Observer: Send + Sync {
    /// One attempt finished.
    fn on_call(&self, call: &CallRecord<'_>);
}

impl<F> Observer for F
where
    F: Fn(&CallRecord<'_>) + Send + Sync,
{
    fn on_call(&self, call: &CallRecord<'_>) {
        self(call)
    }
}
