//! The lease rule shared by every machine mutation: while a live lease is
//! held, a call must carry its nonce (fly-machines-api.md §7).

use jiff::Timestamp;

use crate::clock::rfc3339;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::{Lease, Machine};

/// 409 `aborted: … lease currently held by …` unless `nonce` matches the live lease.
pub fn check_lease(machine: &Machine, nonce: Option<&str>, now_secs: i64) -> ApiResult<()> {
    match machine.live_lease(now_secs) {
        Some(lease) if nonce != Some(lease.nonce.as_str()) => Err(ApiError::aborted(format!(
            "machine ID {} lease currently held by {}, expires at {}",
            machine.id,
            lease.owner,
            rfc3339(Timestamp::from_second(lease.expires_at).unwrap_or(Timestamp::UNIX_EPOCH))
        ))),
        _ => Ok(()),
    }
}

/// A new lease for this token's identity.
pub fn new_lease(ctx: &Ctx, ttl_secs: u64, description: &str, version: &str) -> Lease {
    Lease {
        nonce: crate::ids::nonce(),
        expires_at: ctx.clock.unix_secs() + ttl_secs.max(1) as i64,
        owner: ctx.settings.owner.clone(),
        description: description.to_owned(),
        version: version.to_owned(),
    }
}
