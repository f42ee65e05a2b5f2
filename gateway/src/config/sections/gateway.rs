//! The `gateway` section: how the server listens and who may talk to it.
//!
//! Closed like the original's schema: an unknown key is an error naming its path. Keys the
//! original knows but this gateway does not implement are accepted and listed by
//! [`GatewayConfig::unimplemented_keys`] so start-up can warn about them once.

use std::num::NonZeroU16;

use serde::Deserialize;
use serde_json::Value;

use crate::config::secret_input::{self, SecretInput};

/// `gateway.mode`: a `remote` config belongs to a client and must not start a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayMode {
    Local,
    Remote,
}

/// `gateway.bind` / `--bind`: which interface the server listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BindMode {
    /// 127.0.0.1 (and ::1).
    Loopback,
    /// 0.0.0.0: every interface.
    Lan,
    /// 0.0.0.0 in a container, 127.0.0.1 elsewhere.
    Auto,
    /// `gateway.customBindHost`.
    Custom,
    /// The Tailscale address (not supported by this gateway: a clear error at start).
    Tailnet,
}

impl BindMode {
    /// Parses a `--bind` value; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "loopback" => Self::Loopback,
            "lan" => Self::Lan,
            "auto" => Self::Auto,
            "custom" => Self::Custom,
            "tailnet" => Self::Tailnet,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Loopback => "loopback",
            Self::Lan => "lan",
            Self::Auto => "auto",
            Self::Custom => "custom",
            Self::Tailnet => "tailnet",
        }
    }
}

/// `gateway.auth.mode` / `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    None,
    Token,
    Password,
    TrustedProxy,
}

impl AuthMode {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Self::None,
            "token" => Self::Token,
            "password" => Self::Password,
            "trusted-proxy" => Self::TrustedProxy,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Token => "token",
            Self::Password => "password",
            Self::TrustedProxy => "trusted-proxy",
        }
    }
}

/// The `gateway` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewayConfig {
    pub mode: Option<GatewayMode>,
    pub port: Option<NonZeroU16>,
    pub bind: Option<BindMode>,
    pub custom_bind_host: Option<String>,
    pub auth: Option<GatewayAuthConfig>,
    pub control_ui: Option<ControlUiConfig>,
    /// Reverse proxies whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Option<Vec<String>>,
    /// Client-side settings (`gateway call` defaults); a server has no use for them.
    pub remote: Option<Value>,
    // Known to the original, not implemented here.
    pub public_origin: Option<Value>,
    pub portals: Option<Value>,
    pub cli_agents: Option<Value>,
    pub terminal: Option<Value>,
    pub roles: Option<Value>,
    pub allow_real_ip_fallback: Option<Value>,
    pub tools: Option<Value>,
    pub tailscale: Option<Value>,
    pub reload: Option<Value>,
    pub tls: Option<Value>,
    pub http: Option<Value>,
    pub push: Option<Value>,
    pub nodes: Option<Value>,
}

/// `gateway.auth`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewayAuthConfig {
    pub mode: Option<AuthMode>,
    #[serde(default, deserialize_with = "secret_input::optional")]
    pub token: Option<SecretInput>,
    #[serde(default, deserialize_with = "secret_input::optional")]
    pub password: Option<SecretInput>,
    // Known to the original, not implemented here.
    pub allow_tailscale: Option<Value>,
    pub identity_scopes: Option<Value>,
    pub rate_limit: Option<Value>,
    pub trusted_proxy: Option<Value>,
}

/// `gateway.controlUi`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ControlUiConfig {
    /// `false`: do not serve the Control UI page.
    pub enabled: Option<bool>,
    /// Browser origins allowed to open a WebSocket, besides the gateway's own.
    pub allowed_origins: Option<Vec<String>>,
    /// Accept a browser whose `Origin` matches the request's `Host` header.
    pub dangerously_allow_host_header_origin_fallback: Option<bool>,
    /// URL prefix the Control UI is served under (`/openclaw`).
    pub base_path: Option<Value>,
    /// A directory holding an official Control UI build to serve.
    pub root: Option<Value>,
    // Known to the original, not implemented here.
    pub dangerously_disable_device_auth: Option<Value>,
    pub experimental: Option<Value>,
    pub environment: Option<Value>,
    pub community_invite: Option<Value>,
    pub github: Option<Value>,
    pub session_observer: Option<Value>,
    pub embed_sandbox: Option<Value>,
    pub allow_external_embed_urls: Option<Value>,
    pub automatically_fetch_favicons: Option<Value>,
}

impl GatewayConfig {
    /// Dotted paths of keys set in the file that this gateway accepts but ignores.
    pub fn unimplemented_keys(&self) -> Vec<String> {
        let mut keys = present(
            "gateway",
            &[
                ("publicOrigin", &self.public_origin),
                ("portals", &self.portals),
                ("cliAgents", &self.cli_agents),
                ("terminal", &self.terminal),
                ("roles", &self.roles),
                ("allowRealIpFallback", &self.allow_real_ip_fallback),
                ("tools", &self.tools),
                ("tailscale", &self.tailscale),
                ("reload", &self.reload),
                ("tls", &self.tls),
                ("http", &self.http),
                ("push", &self.push),
                ("nodes", &self.nodes),
            ],
        );
        if let Some(auth) = &self.auth {
            keys.extend(present(
                "gateway.auth",
                &[
                    ("allowTailscale", &auth.allow_tailscale),
                    ("identityScopes", &auth.identity_scopes),
                    ("rateLimit", &auth.rate_limit),
                    ("trustedProxy", &auth.trusted_proxy),
                ],
            ));
        }
        if let Some(ui) = &self.control_ui {
            keys.extend(present(
                "gateway.controlUi",
                &[
                    (
                        "dangerouslyDisableDeviceAuth",
                        &ui.dangerously_disable_device_auth,
                    ),
                    ("experimental", &ui.experimental),
                    ("environment", &ui.environment),
                    ("communityInvite", &ui.community_invite),
                    ("github", &ui.github),
                    ("sessionObserver", &ui.session_observer),
                    ("embedSandbox", &ui.embed_sandbox),
                    ("allowExternalEmbedUrls", &ui.allow_external_embed_urls),
                    (
                        "automaticallyFetchFavicons",
                        &ui.automatically_fetch_favicons,
                    ),
                ],
            ));
        }
        keys
    }
}

fn present(prefix: &str, fields: &[(&str, &Option<Value>)]) -> Vec<String> {
    fields
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| format!("{prefix}.{k}"))
        .collect()
}
