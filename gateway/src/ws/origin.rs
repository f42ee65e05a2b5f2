//! Browser origin policy and who counts as a local client.
//!
//! A browser (any request with an `Origin` header, and always the Control UI / WebChat
//! clients) may connect if its origin is listed in `gateway.controlUi.allowedOrigins`, or
//! is a loopback origin on a local connection (as the original allows), or is the origin
//! of the page this gateway itself served: the request's `Host`. That last rule is what
//! lets our Control UI work on any bind without configuration, where the original refuses
//! to start on a non-loopback bind until `allowedOrigins` is set. It is safe because a
//! browser still needs the gateway's shared secret (plus its own device key) to get any
//! scope: a foreign page cannot read the token.

use std::net::IpAddr;

use axum::http::HeaderMap;
use serde_json::json;

use super::errors::{ErrorCode, ErrorShape};
use crate::settings::ControlUiSettings;

/// What the server knows about the other end of a WebSocket.
#[derive(Debug, Clone)]
pub struct Peer {
    pub addr: IpAddr,
    pub origin: Option<String>,
    pub host: Option<String>,
    /// Direct connection from this machine, with no proxy in between.
    pub is_local: bool,
    /// The client's address as reported in presence (remote clients only).
    pub client_ip: Option<IpAddr>,
}

impl Peer {
    /// Classifies a connection from `addr` with these request headers.
    pub fn from_request(addr: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let forwarded = header("x-forwarded-for").or_else(|| header("x-real-ip"));
        let has_proxy_headers = forwarded.is_some() || headers.contains_key("forwarded");
        let via_trusted_proxy = trusted_proxies.contains(&canonical(addr));
        let client_ip = if via_trusted_proxy {
            forwarded
                .and_then(|f| {
                    f.split(',')
                        .next_back()
                        .and_then(|ip| ip.trim().parse().ok())
                })
                .unwrap_or(addr)
        } else {
            addr
        };
        let host = header("host");
        let host_is_local = host.as_deref().is_none_or(is_localish_host);
        let is_local = canonical(addr).is_loopback() && !has_proxy_headers && host_is_local;
        Self {
            addr,
            origin: header("origin"),
            host,
            is_local,
            client_ip: (!canonical(client_ip).is_loopback()).then_some(client_ip),
        }
    }
}

/// `::ffff:127.0.0.1` → `127.0.0.1`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn is_localish_host(host: &str) -> bool {
    let name = host
        .rsplit_once(':')
        .filter(|(h, p)| !h.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]" | "::1") || name.ends_with(".localhost")
}

/// Checks a browser origin; `Ok` when the connection may proceed.
pub fn check(
    peer: &Peer,
    is_browser_client: bool,
    policy: &ControlUiSettings,
) -> Result<(), ErrorShape> {
    let reject = |reason: &str| {
        Err(ErrorShape::new(
            ErrorCode::InvalidRequest,
            "origin not allowed (open the Control UI from the gateway host or allow it in gateway.controlUi.allowedOrigins)",
        )
        .with_details(json!({ "code": "CONTROL_UI_ORIGIN_NOT_ALLOWED", "reason": reason })))
    };
    let Some(origin) = peer.origin.as_deref() else {
        return if is_browser_client {
            reject("origin missing or invalid")
        } else {
            Ok(())
        };
    };
    let Some(authority) = origin_authority(origin) else {
        return reject("origin missing or invalid");
    };
    let listed = policy
        .allowed_origins
        .iter()
        .any(|o| o.trim() == "*" || o.trim().trim_end_matches('/').eq_ignore_ascii_case(origin));
    let loopback = peer.is_local && is_localish_host(authority);
    let own_page = peer
        .host
        .as_deref()
        .is_some_and(|h| h.eq_ignore_ascii_case(authority));
    if listed || loopback || own_page {
        Ok(())
    } else {
        reject("origin not allowed")
    }
}

/// `http://host:port` → `host:port`; `None` for opaque origins (`null`) and non-http(s).
fn origin_authority(origin: &str) -> Option<&str> {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))?;
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(addr: &str, headers: &[(&str, &str)]) -> Peer {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Peer::from_request(addr.parse().unwrap(), &map, &[])
    }

    #[test]
    fn locality() {
        assert!(peer("127.0.0.1", &[("host", "127.0.0.1:3000")]).is_local);
        assert!(peer("::ffff:127.0.0.1", &[]).is_local);
        assert!(
            !peer(
                "127.0.0.1",
                &[("host", "127.0.0.1:3000"), ("x-forwarded-for", "1.2.3.4")]
            )
            .is_local
        );
        assert!(!peer("127.0.0.1", &[("host", "app.fly.dev")]).is_local);
        assert!(!peer("10.0.0.2", &[]).is_local);
    }

    #[test]
    fn origins() {
        let policy = ControlUiSettings {
            enabled: true,
            allowed_origins: vec!["https://ops.example.com".into()],
            host_header_fallback: false,
            ..ControlUiSettings::default()
        };
        let ok = |p: &Peer, ui| check(p, ui, &policy).is_ok();
        // The page we served ourselves, on any host.
        assert!(ok(
            &peer(
                "10.0.0.2",
                &[("host", "app.fly.dev"), ("origin", "https://app.fly.dev")]
            ),
            true
        ));
        // Loopback page on a local connection.
        assert!(ok(
            &peer(
                "127.0.0.1",
                &[("host", "127.0.0.1:1"), ("origin", "http://localhost:1")]
            ),
            true
        ));
        // Listed.
        assert!(ok(
            &peer(
                "10.0.0.2",
                &[
                    ("host", "app.fly.dev"),
                    ("origin", "https://ops.example.com")
                ]
            ),
            true
        ));
        // Foreign page, UI client or not.
        let evil = peer(
            "127.0.0.1",
            &[("host", "127.0.0.1:1"), ("origin", "http://evil.example")],
        );
        assert!(!ok(&evil, false));
        let err = check(&evil, true, &policy).unwrap_err();
        assert_eq!(
            err.details.unwrap()["code"],
            "CONTROL_UI_ORIGIN_NOT_ALLOWED"
        );
        // A UI client must send an origin; a CLI need not.
        assert!(!ok(&peer("127.0.0.1", &[]), true));
        assert!(ok(&peer("127.0.0.1", &[]), false));
    }
}
