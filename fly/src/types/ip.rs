//! IP assignments: the public and private (flycast) addresses of an app.

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::wire::{Extra, lenient_timestamp, null_as_default};

open_enum! {
    /// Kind of address, as `POST …/ip_assignments` names it.
    pub enum IpType {
        /// Shared anycast IPv4 (free).
        SharedV4 = "shared_v4",
        /// Dedicated anycast IPv4 (billed).
        V4 = "v4",
        /// Dedicated public IPv6.
        V6 = "v6",
        /// Private IPv6 on the org network (flycast, `fdaa:…`).
        PrivateV6 = "private_v6",
        /// Static egress IPv4.
        EgressV4 = "egress_v4",
        /// Static egress IPv6.
        EgressV6 = "egress_v6",
        /// Static egress IPv4 + IPv6 pair.
        EgressPair = "egress_pair",
    }
}

/// An address assigned to an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpAssignment {
    /// The address.
    pub ip: String,
    /// Region of a regional address; empty for global ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Service it is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// Shared anycast address.
    #[serde(default)]
    pub shared: bool,
    /// Creation time.
    #[serde(
        default,
        deserialize_with = "lenient_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<jiff::Timestamp>,
    /// Fields this client does not model (`egress`, `ip_pair`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

impl IpAssignment {
    /// True for a private flycast address (in Fly's `fdaa::/16` 6PN range).
    pub fn is_private(&self) -> bool {
        self.ip.to_ascii_lowercase().starts_with("fdaa:")
    }

    /// True for an IPv6 address.
    pub fn is_v6(&self) -> bool {
        self.ip.contains(':')
    }
}

/// What address to allocate. Each variant carries exactly the options the
/// API accepts for it: `region` only for dedicated v4/v6 (the API rejects it
/// for shared v4 and private v6), org/network only for private v6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocateIp {
    /// Shared anycast IPv4 (`fly ips allocate-v4 --shared`).
    SharedV4,
    /// Dedicated IPv4, optionally regional (`fly ips allocate-v4`).
    DedicatedV4 {
        /// Region to restrict the address to.
        region: Option<String>,
    },
    /// Public IPv6, optionally regional (`fly ips allocate-v6`).
    PublicV6 {
        /// Region to restrict the address to.
        region: Option<String>,
    },
    /// Private flycast IPv6 (`fly ips allocate-v6 --private`).
    PrivateV6 {
        /// Organisation whose network the address lives on.
        org_slug: Option<String>,
        /// Another network to expose the app on.
        network: Option<String>,
        /// Service to bind the address to.
        service_name: Option<String>,
    },
}

impl AllocateIp {
    /// A private flycast IPv6 on the app's own network.
    pub fn private_v6() -> Self {
        Self::PrivateV6 {
            org_slug: None,
            network: None,
            service_name: None,
        }
    }

    /// A public IPv6 (global).
    pub fn public_v6() -> Self {
        Self::PublicV6 { region: None }
    }

    /// The wire type of this request.
    pub fn ip_type(&self) -> IpType {
        match self {
            Self::SharedV4 => IpType::SharedV4,
            Self::DedicatedV4 { .. } => IpType::V4,
            Self::PublicV6 { .. } => IpType::V6,
            Self::PrivateV6 { .. } => IpType::PrivateV6,
        }
    }

    pub(crate) fn body(&self) -> AllocateIpBody<'_> {
        let mut body = AllocateIpBody {
            kind: self.ip_type(),
            ..AllocateIpBody::default()
        };
        match self {
            Self::SharedV4 => {}
            Self::DedicatedV4 { region } | Self::PublicV6 { region } => {
                body.region = region.as_deref()
            }
            Self::PrivateV6 {
                org_slug,
                network,
                service_name,
            } => {
                body.org_slug = org_slug.as_deref();
                body.network = network.as_deref();
                body.service_name = service_name.as_deref();
            }
        }
        body
    }
}

/// Body of `POST /v1/apps/{app_name}/ip_assignments`.
#[derive(Debug, Serialize)]
pub(crate) struct AllocateIpBody<'a> {
    #[serde(rename = "type")]
    kind: IpType,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org_slug: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_name: Option<&'a str>,
}

impl Default for AllocateIpBody<'_> {
    fn default() -> Self {
        Self {
            kind: IpType::SharedV4,
            region: None,
            org_slug: None,
            network: None,
            service_name: None,
        }
    }
}

/// Response of `GET /v1/apps/{app_name}/ip_assignments`.
#[derive(Deserialize)]
pub(crate) struct ListIpsResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub ips: Vec<IpAssignment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(request: AllocateIp) -> serde_json::Value {
        serde_json::to_value(request.body()).unwrap()
    }

    #[test]
    fn request_bodies_carry_only_the_accepted_options() {
        assert_eq!(
            body(AllocateIp::SharedV4),
            serde_json::json!({"type": "shared_v4"})
        );
        assert_eq!(
            body(AllocateIp::PublicV6 {
                region: Some("iad".into())
            }),
            serde_json::json!({"type": "v6", "region": "iad"})
        );
        assert_eq!(
            body(AllocateIp::PrivateV6 {
                org_slug: Some("personal".into()),
                network: Some("n1".into()),
                service_name: None
            }),
            serde_json::json!({"type": "private_v6", "org_slug": "personal", "network": "n1"})
        );
    }
}
