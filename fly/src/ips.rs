//! IP assignment calls: public (shared v4, v6) and private flycast (v6)
//! addresses. Allocation is not idempotent: list first and reuse.

use crate::client::{Client, Request};
use crate::error::Error;
use crate::route::Route;
use crate::types::{AllocateIp, IpAssignment, ListIpsResponse};

/// IP assignment calls of one app, from [`Client::ips`].
#[derive(Debug, Clone)]
pub struct Ips {
    client: Client,
    app: String,
}

impl Ips {
    pub(crate) fn new(client: Client, app: String) -> Self {
        Self { client, app }
    }

    /// The app these calls address.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// Every address of the app.
    pub async fn list(&self) -> Result<Vec<IpAssignment>, Error> {
        Ok(self
            .client
            .json::<ListIpsResponse>(Request::new(Route::IPS_LIST, &[&self.app]))
            .await?
            .ips)
    }

    /// Allocates an address. Never retried after it may have been applied.
    pub async fn allocate(&self, request: &AllocateIp) -> Result<IpAssignment, Error> {
        self.client
            .json(Request::new(Route::IPS_ALLOCATE, &[&self.app]).json(&request.body())?)
            .await
    }

    /// Releases address `ip`.
    pub async fn release(&self, ip: &str) -> Result<(), Error> {
        self.client
            .unit(Request::new(Route::IP_RELEASE, &[&self.app, ip]).gone_is_done())
            .await
    }
}
