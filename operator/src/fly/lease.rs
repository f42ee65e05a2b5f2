//! Taking a machine's lease: the exclusive, expiring right to change it.
//!
//! A lease outlives a crash: an operator killed between taking one and
//! releasing it leaves the machine locked for the lease's TTL. When the
//! operator has a [`FlyOptions::lease_holder`] — a description no live
//! process but itself uses (`up` holds an exclusive lock on the record that
//! names it) — a lease found carrying it can only be its dead predecessor's,
//! and is taken over at once. Any other holder (a person's `fly deploy`,
//! another operator, the cluster front end, which has no such identity) is
//! waited out: its lease may guard work still in progress.

use fly_machines::{Lease, LeaseInfo, Machines};

use super::apply::FlyOptions;
use super::error::FlyError;
use crate::report::Event;

/// Leases machine `id` for `opts.lease_ttl`, saying `why` in its description.
/// Someone else holding it is [`FlyError::Leased`] (the reconcile requeues);
/// our crashed predecessor's lease is taken over, with an Event saying so.
pub async fn acquire(
    machines: &Machines,
    id: &str,
    opts: &FlyOptions,
    why: &str,
) -> Result<(Lease, Option<Event>), FlyError> {
    let description = match &opts.lease_holder {
        Some(holder) => format!("{holder} {why}"),
        None => format!("openclaw-operator {why}"),
    };
    match machines
        .acquire_lease(id, opts.lease_ttl, Some(&description))
        .await
    {
        Ok(l) => Ok((l, None)),
        Err(fly_machines::Error::Conflict(_)) => match &opts.lease_holder {
            Some(holder) => take_over(machines, id, opts, holder).await,
            None => Err(leased(id)),
        },
        Err(e) => Err(FlyError::api(format!("lease machine {id}"))(e)),
    }
}

fn leased(id: &str) -> FlyError {
    FlyError::Leased {
        machine: id.to_owned(),
    }
}

/// Whether `info` was written by the operator holding `holder`.
fn is_ours(info: &LeaseInfo, holder: &str) -> bool {
    info.description == holder
        || info
            .description
            .strip_prefix(holder)
            .is_some_and(|rest| rest.starts_with(' '))
}

/// Refreshes the lease on `id` if it is ours (left by a run that died
/// holding it); otherwise it is someone else's: [`FlyError::Leased`].
async fn take_over(
    machines: &Machines,
    id: &str,
    opts: &FlyOptions,
    holder: &str,
) -> Result<(Lease, Option<Event>), FlyError> {
    let info = machines
        .lease(id)
        .await
        .map_err(FlyError::api(format!("read the lease on machine {id}")))?;
    // No nonce in the answer: the API hides it, so it cannot be proven ours.
    let Some(info) = info.filter(|i| is_ours(i, holder) && !i.nonce.is_empty()) else {
        return Err(leased(id));
    };
    let until = info
        .expires_at
        .map_or_else(|| "it expired".to_owned(), |t| t.to_string());
    let mut lease = machines.recovered_lease(id, info);
    match machines.refresh_lease(&mut lease, opts.lease_ttl).await {
        Ok(_) => {
            let event = Event::normal(
                "LeaseReclaimed",
                format!(
                    "took over the lease on machine {id} that a previous run of this operator \
                     left when it stopped (it would have blocked changes until {until})"
                ),
            );
            Ok((lease, Some(event)))
        }
        // Lapsed and taken by someone else meanwhile.
        Err(fly_machines::Error::Conflict(_)) => Err(leased(id)),
        Err(e) => Err(FlyError::api(format!("refresh the lease on machine {id}"))(
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_exact_holder_is_recognised() {
        let info = |d: &str| LeaseInfo {
            nonce: "n".into(),
            expires_at: None,
            owner: String::new(),
            description: d.into(),
            version: None,
            extra: Default::default(),
        };
        let holder = "openclaw-operator up 0123abcd";
        assert!(is_ours(
            &info("openclaw-operator up 0123abcd reconcile"),
            holder
        ));
        assert!(is_ours(&info(holder), holder));
        assert!(!is_ours(
            &info("openclaw-operator up 0123abcdef reconcile"),
            holder
        ));
        assert!(!is_ours(&info("openclaw-operator reconcile"), holder));
        assert!(!is_ours(&info("fly deploy"), holder));
    }
}
