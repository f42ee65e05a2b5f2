//! Machine leases: an exclusive, expiring lock on changing a machine.
//!
//! While a machine is leased, every state-changing call must carry the lease
//! nonce (`fly-machine-lease-nonce`). [`Lease`] is the proof of holding one:
//! the machine-mutating calls of [`crate::Machines`] take it as an argument,
//! so such a call cannot be written without the nonce.

use serde::{Deserialize, Serialize};

use super::wire::{Extra, ser_unix_seconds, unix_seconds};

/// A lease as the API describes it (`GET …/lease`): whoever holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseInfo {
    /// The lease's nonce.
    #[serde(default)]
    pub nonce: String,
    /// When it lapses unless refreshed.
    #[serde(
        default,
        deserialize_with = "unix_seconds",
        serialize_with = "ser_unix_seconds"
    )]
    pub expires_at: Option<jiff::Timestamp>,
    /// Who holds it (email or `<id>@tokens.fly.io`).
    #[serde(default)]
    pub owner: String,
    /// Why it was taken.
    #[serde(default)]
    pub description: String,
    /// Machine version the lease was taken on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Fields this client does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The lease body in both shapes the API uses: `{"status":"success","data":{…}}`
/// (observed) and the bare object (the spec).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum LeaseEnvelope {
    Wrapped { data: LeaseInfo },
    Bare(LeaseInfo),
}

impl LeaseEnvelope {
    pub(crate) fn into_info(self) -> LeaseInfo {
        match self {
            Self::Wrapped { data } | Self::Bare(data) => data,
        }
    }
}

/// A lease this client holds on one machine.
///
/// Pass it to [`crate::Machines::update`], `start`, `stop`, `restart`,
/// `suspend`, `cordon`, `uncordon` and `destroy`; refresh it with
/// [`crate::Machines::refresh_lease`] and give it back with
/// [`crate::Machines::release_lease`]. A lease that is dropped without being
/// released simply expires at `expires_at`.
#[must_use = "a lease blocks other writers until released or expired"]
#[derive(Debug, PartialEq, Eq)]
pub struct Lease {
    app: String,
    machine_id: String,
    info: LeaseInfo,
}

impl Lease {
    pub(crate) fn new(app: &str, machine_id: &str, info: LeaseInfo) -> Self {
        Self {
            app: app.to_owned(),
            machine_id: machine_id.to_owned(),
            info,
        }
    }

    /// App of the leased machine.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The leased machine.
    pub fn machine_id(&self) -> &str {
        &self.machine_id
    }

    /// The nonce sent in `fly-machine-lease-nonce`.
    pub fn nonce(&self) -> &str {
        &self.info.nonce
    }

    /// When the lease lapses unless refreshed.
    pub fn expires_at(&self) -> Option<jiff::Timestamp> {
        self.info.expires_at
    }

    /// Everything the API said about the lease.
    pub fn info(&self) -> &LeaseInfo {
        &self.info
    }

    pub(crate) fn replace_info(&mut self, info: LeaseInfo) {
        self.info = info;
    }
}

/// What a refresh found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseContinuity {
    /// Same nonce: the lease was held all along.
    Kept,
    /// A different nonce: the old lease had lapsed and the API granted a new
    /// one. Someone else may have changed the machine in between; re-read it.
    Reacquired,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_lease_body_shapes() {
        let wrapped = r#"{"status":"success","data":{"nonce":"abc123","expires_at":1700000000,"owner":"me@example.com","description":"deploy","version":"01H"}}"#;
        let bare = r#"{"nonce":"abc123","expires_at":1700000000,"owner":"me@example.com","description":"deploy","version":"01H"}"#;
        let a = serde_json::from_str::<LeaseEnvelope>(wrapped)
            .unwrap()
            .into_info();
        let b = serde_json::from_str::<LeaseEnvelope>(bare)
            .unwrap()
            .into_info();
        assert_eq!(a.nonce, "abc123");
        assert_eq!(a, b);
        assert_eq!(a.expires_at.unwrap().as_second(), 1_700_000_000);
    }
}
