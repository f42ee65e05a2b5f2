//! Errors of the Fly backend, as data: each says which step failed, and
//! maps to a status reason and a requeue delay.

use std::time::Duration;

/// A step of the Fly reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum FlyError {
    /// An API call failed.
    #[error("{step}: {source}")]
    Api {
        /// What the operator was doing, e.g. `create volume openclaw_data`.
        step: String,
        /// The client's error (boxed: it is large and errors are rare).
        #[source]
        source: Box<fly_machines::Error>,
    },
    /// Someone else holds the machine's lease (another operator, a human's
    /// `fly deploy`, or our own previous run whose lease has not expired).
    #[error("machine {machine} is leased by someone else; retrying when the lease expires")]
    Leased {
        /// Machine id.
        machine: String,
    },
    /// The platform state needs a person (e.g. the app belongs to another org).
    #[error("{0}")]
    Blocked(String),
}

impl FlyError {
    /// Wraps a client error with the step it happened in.
    pub fn api(step: impl Into<String>) -> impl FnOnce(fly_machines::Error) -> Self {
        let step = step.into();
        move |source| FlyError::Api {
            step,
            source: Box::new(source),
        }
    }

    /// Status reason for this error.
    pub fn reason(&self) -> &'static str {
        match self {
            FlyError::Api { source, .. } => match source.as_ref() {
                fly_machines::Error::Unauthorized(_) | fly_machines::Error::Forbidden(_) => {
                    "FlyAccessDenied"
                }
                fly_machines::Error::RateLimited { .. } => "FlyRateLimited",
                fly_machines::Error::Invalid(_) => "FlyRejected",
                _ => "FlyApiError",
            },
            FlyError::Leased { .. } => "MachineLeased",
            FlyError::Blocked(_) => "Blocked",
        }
    }

    /// A delay the API asked for (429 `Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FlyError::Api { source, .. } => source.retry_after(),
            _ => None,
        }
    }
}
