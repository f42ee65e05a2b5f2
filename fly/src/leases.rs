//! Lease calls: acquire, look up, refresh and release the exclusive lock on
//! changing a machine.

use std::time::Duration;

use serde::Serialize;

use crate::client::Request;
use crate::error::{Error, optional};
use crate::machines::{Machines, ttl_secs};
use crate::route::Route;
use crate::types::{Lease, LeaseContinuity, LeaseEnvelope, LeaseInfo};

#[derive(Serialize)]
struct LeaseBody<'a> {
    ttl: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

impl Machines {
    /// Takes a lease on machine `id` for `ttl`. Someone else holding one is
    /// [`Error::Conflict`]; requeue rather than spin. Not retried after it
    /// may have been applied (an unseen nonce would lock us out until the
    /// lease expires).
    pub async fn acquire_lease(
        &self,
        id: &str,
        ttl: Duration,
        description: Option<&str>,
    ) -> Result<Lease, Error> {
        let body = LeaseBody {
            ttl: ttl_secs(ttl),
            description,
        };
        let request = Request::new(Route::LEASE_ACQUIRE, &[&self.app, id]).json(&body)?;
        let info = self
            .client
            .json::<LeaseEnvelope>(request)
            .await?
            .into_info();
        if info.nonce.is_empty() {
            return Err(Error::Decode {
                route: Route::LEASE_ACQUIRE.label,
                status: 200,
                message: format!("the lease granted on machine {id} has no nonce"),
                request_id: None,
            });
        }
        Ok(Lease::new(&self.app, id, info))
    }

    /// The lease currently held on machine `id` by anyone, or `None`.
    pub async fn lease(&self, id: &str) -> Result<Option<LeaseInfo>, Error> {
        let request = Request::new(Route::LEASE_GET, &[&self.app, id]);
        Ok(optional(self.client.json::<LeaseEnvelope>(request).await)?
            .map(LeaseEnvelope::into_info))
    }

    /// A lease this client took in an earlier process that stopped without
    /// releasing it (a crash), recovered from its description as read back
    /// with [`Machines::lease`]: refresh or release it at once instead of
    /// waiting for it to expire. Only for a lease known to be the caller's
    /// own; the API still checks the nonce on every call.
    pub fn recovered_lease(&self, id: &str, info: LeaseInfo) -> Lease {
        Lease::new(&self.app, id, info)
    }

    /// Extends `lease` to `ttl` from now. When the API answers with another
    /// nonce the old lease had lapsed and a new one was granted; `lease` then
    /// holds the new nonce and the result says
    /// [`LeaseContinuity::Reacquired`].
    pub async fn refresh_lease(
        &self,
        lease: &mut Lease,
        ttl: Duration,
    ) -> Result<LeaseContinuity, Error> {
        let id = self.leased(lease)?.to_owned();
        let body = LeaseBody {
            ttl: ttl_secs(ttl),
            description: None,
        };
        let request = Request::new(Route::LEASE_REFRESH, &[&self.app, &id])
            .json(&body)?
            .nonce(lease.nonce());
        let mut info = self
            .client
            .json::<LeaseEnvelope>(request)
            .await?
            .into_info();
        if info.nonce.is_empty() {
            info.nonce = lease.nonce().to_owned();
        }
        let continuity = if info.nonce == lease.nonce() {
            LeaseContinuity::Kept
        } else {
            LeaseContinuity::Reacquired
        };
        lease.replace_info(info);
        Ok(continuity)
    }

    /// Gives `lease` back. A lease that is already gone (expired, or the
    /// machine destroyed) counts as released.
    pub async fn release_lease(&self, lease: Lease) -> Result<(), Error> {
        let id = self.leased(&lease)?;
        let request = Request::new(Route::LEASE_RELEASE, &[&self.app, id]).nonce(lease.nonce());
        match self.client.unit(request).await {
            Err(error)
                if error.is_not_found()
                    || error
                        .api()
                        .is_some_and(|api| api.message.contains("lease not found")) =>
            {
                Ok(())
            }
            other => other,
        }
    }
}
