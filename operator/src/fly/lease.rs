//! Taking a machine's lease: the exclusive, expiring right to change it.

use fly_machines::{Lease, Machines};

use super::apply::FlyOptions;
use super::error::FlyError;

/// Leases machine `id` for `opts.lease_ttl`, saying `why` in its description.
/// Someone else holding it is [`FlyError::Leased`] (the reconcile requeues).
pub async fn acquire(
    machines: &Machines,
    id: &str,
    opts: &FlyOptions,
    why: &str,
) -> Result<Lease, FlyError> {
    let description = format!("openclaw-operator {why}");
    match machines
        .acquire_lease(id, opts.lease_ttl, Some(&description))
        .await
    {
        Ok(l) => Ok(l),
        Err(fly_machines::Error::Conflict(_)) => Err(FlyError::Leased {
            machine: id.to_owned(),
        }),
        Err(e) => Err(FlyError::api(format!("lease machine {id}"))(e)),
    }
}
