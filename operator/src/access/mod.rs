//! Reaching gateways from this host: `up`'s stable local ports on a
//! fly-local ([`stable`]) and `proxy` ([`crate::commands::proxy`]), both a
//! [`forward::Forwarder`] in front of wherever the gateway is right now.

pub mod forward;
pub mod stable;

pub use forward::{Forwarder, Upstream, authority};
pub use stable::StableAccess;
