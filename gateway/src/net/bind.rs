//! `--bind` modes → listen addresses, and container detection for `auto`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::BindMode;
use crate::env::Environment;

/// Where to listen: the primary address (shown in the start-up line) and, for loopback,
/// the IPv6 loopback too when the host has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddrs {
    pub primary: IpAddr,
    pub secondary: Option<IpAddr>,
}

impl ListenAddrs {
    /// Whether only this host can connect.
    pub fn is_loopback(&self) -> bool {
        self.primary.is_loopback()
    }
}

/// A bind mode this gateway cannot honour; a refusal, never a silent fallback.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BindError {
    #[error(
        "--bind tailnet is not supported by this gateway (it has no Tailscale integration). Use --bind loopback behind `tailscale serve`, or --bind lan with a token."
    )]
    TailnetUnsupported,
    #[error(
        "--bind custom needs gateway.customBindHost (an IPv4 address such as \"10.0.0.5\") in openclaw.json"
    )]
    CustomHostMissing,
    #[error(
        "gateway.customBindHost \"{0}\" is not an IPv4 address (the original binds IPv4 only); fix it or use --bind lan"
    )]
    CustomHostInvalid(String),
}

/// Resolves the listen addresses of `mode` (`in_container` decides `auto`).
pub fn resolve(
    mode: BindMode,
    custom_host: Option<&str>,
    in_container: bool,
) -> Result<ListenAddrs, BindError> {
    let loopback = ListenAddrs {
        primary: Ipv4Addr::LOCALHOST.into(),
        secondary: Some(Ipv6Addr::LOCALHOST.into()),
    };
    let all = ListenAddrs {
        primary: Ipv4Addr::UNSPECIFIED.into(),
        secondary: None,
    };
    match mode {
        BindMode::Loopback => Ok(loopback),
        BindMode::Lan => Ok(all),
        BindMode::Auto if in_container => Ok(all),
        BindMode::Auto => Ok(loopback),
        BindMode::Tailnet => Err(BindError::TailnetUnsupported),
        BindMode::Custom => {
            let host = custom_host
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .ok_or(BindError::CustomHostMissing)?;
            let ip: Ipv4Addr = host
                .parse()
                .map_err(|_| BindError::CustomHostInvalid(host.to_owned()))?;
            Ok(ListenAddrs {
                primary: ip.into(),
                secondary: None,
            })
        }
    }
}

/// Whether we run in a container, detected as the original does: Fly machine variables,
/// `/.dockerenv`, `/run/.containerenv`, `/var/run/.containerenv`, or a container runtime
/// named in `/proc/1/cgroup`.
pub fn in_container(env: &Environment) -> bool {
    if env.get_trimmed("FLY_MACHINE_ID").is_some() && env.get_trimmed("FLY_APP_NAME").is_some() {
        return true;
    }
    if [
        "/.dockerenv",
        "/run/.containerenv",
        "/var/run/.containerenv",
    ]
    .iter()
    .any(|p| std::path::Path::new(p).exists())
    {
        return true;
    }
    std::fs::read_to_string("/proc/1/cgroup").is_ok_and(|c| {
        ["docker", "containerd", "kubepods", "lxc"]
            .iter()
            .any(|k| c.contains(k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_resolve_like_the_original() {
        assert_eq!(
            resolve(BindMode::Loopback, None, true)
                .unwrap()
                .primary
                .to_string(),
            "127.0.0.1"
        );
        assert_eq!(
            resolve(BindMode::Lan, None, false)
                .unwrap()
                .primary
                .to_string(),
            "0.0.0.0"
        );
        assert_eq!(
            resolve(BindMode::Auto, None, true)
                .unwrap()
                .primary
                .to_string(),
            "0.0.0.0"
        );
        assert_eq!(
            resolve(BindMode::Auto, None, false)
                .unwrap()
                .primary
                .to_string(),
            "127.0.0.1"
        );
        assert_eq!(
            resolve(BindMode::Custom, Some(" 10.1.2.3 "), false)
                .unwrap()
                .primary
                .to_string(),
            "10.1.2.3"
        );
    }

    #[test]
    fn unsupported_modes_are_clear_errors() {
        assert_eq!(
            resolve(BindMode::Tailnet, None, false),
            Err(BindError::TailnetUnsupported)
        );
        assert_eq!(
            resolve(BindMode::Custom, None, false),
            Err(BindError::CustomHostMissing)
        );
        let err = resolve(BindMode::Custom, Some("::1"), false).unwrap_err();
        assert!(err.to_string().contains("customBindHost \"::1\""), "{err}");
    }

    #[test]
    fn fly_machines_are_containers() {
        let env = Environment::from_vars([("FLY_MACHINE_ID", "m1"), ("FLY_APP_NAME", "a")]);
        assert!(in_container(&env));
    }
}
