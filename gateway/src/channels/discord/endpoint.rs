//! Where the Discord API is: the real service, or a base URL from
//! `DISCORD_API_BASE_URL` (a corporate proxy, or a local fake in tests).

use crate::env::Environment;

/// The Discord API the bot talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiTarget {
    /// `https://discord.com` and its gateway, with serenity's rate limiter.
    Discord,
    /// Every REST URL's `https://discord.com` prefix is replaced by `origin`
    /// (serenity's proxy). Serenity's rate limiter cannot work behind it, so the
    /// gateway paces its own sends and honours `429 retry_after`.
    Proxy { origin: String },
}

/// Variables holding the base URL, in order of precedence (the second is the
/// original's name for the same setting).
pub const BASE_URL_VARS: [&str; 2] = ["DISCORD_API_BASE_URL", "DISCORD_API_URL"];

/// Reads the target from the environment. The value may be an origin
/// (`http://127.0.0.1:9000`) or the versioned base (`…/api/v10`). Plain HTTP is
/// accepted only on loopback, so a token never crosses a network in clear text.
pub fn resolve(env: &Environment) -> Result<ApiTarget, String> {
    let Some((var, raw)) = BASE_URL_VARS
        .iter()
        .find_map(|v| env.get_trimmed(v).map(|value| (*v, value)))
    else {
        return Ok(ApiTarget::Discord);
    };
    let url = url::Url::parse(raw).map_err(|e| {
        format!("{var}={raw} is not a URL ({e}); e.g. https://discord-proxy.example.com")
    })?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "{var}={raw}: plain http is only allowed for loopback hosts (the bot token would travel unencrypted); use https"
            ));
        }
        other => {
            return Err(format!(
                "{var}={raw}: unsupported scheme \"{other}\"; use https"
            ));
        }
    }
    let mut origin = raw.trim_end_matches('/').to_owned();
    if let Some(pos) = origin.find("/api/v") {
        origin.truncate(pos);
    }
    if origin == "https://discord.com" {
        return Ok(ApiTarget::Discord);
    }
    Ok(ApiTarget::Proxy { origin })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(pairs: &[(&str, &str)]) -> Result<ApiTarget, String> {
        resolve(&Environment::from_vars(pairs.iter().copied()))
    }

    #[test]
    fn origins_and_versioned_bases_are_accepted() {
        assert_eq!(target(&[]), Ok(ApiTarget::Discord));
        let proxy = |o: &str| Ok(ApiTarget::Proxy { origin: o.into() });
        assert_eq!(
            target(&[("DISCORD_API_BASE_URL", "http://127.0.0.1:9/")]),
            proxy("http://127.0.0.1:9")
        );
        assert_eq!(
            target(&[("DISCORD_API_URL", "https://d.example.com/api/v10")]),
            proxy("https://d.example.com")
        );
        assert_eq!(
            target(&[("DISCORD_API_BASE_URL", "https://discord.com/api/v10")]),
            Ok(ApiTarget::Discord)
        );
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        let e = target(&[("DISCORD_API_BASE_URL", "http://10.0.0.5:8080")]).unwrap_err();
        assert!(e.contains("loopback"), "{e}");
        assert!(target(&[("DISCORD_API_BASE_URL", "not a url")]).is_err());
    }
}
