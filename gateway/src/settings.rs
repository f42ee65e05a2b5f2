//! Everything the server needs, resolved once at start-up from flags, environment and
//! config with the original's precedence:
//!
//! - port: `--port` > `OPENCLAW_GATEWAY_PORT` > `gateway.port` > 18789
//! - bind: `--bind` > `gateway.bind` > `loopback` (`auto` in a container)
//! - token: `--token` > `gateway.auth.token` > `OPENCLAW_GATEWAY_TOKEN`
//! - password: `--password`/`--password-file` > `gateway.auth.password` > `OPENCLAW_GATEWAY_PASSWORD`
//! - auth mode: `--auth` > `gateway.auth.mode` > `password` if a password is set, else `token`

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::{AuthMode, BindMode, Config, Paths};
use crate::env::Environment;
use crate::net::bind::{self, ListenAddrs};
use crate::secret::Secret;

/// Default gateway port of the original.
pub const DEFAULT_PORT: u16 = 18789;

/// Flags of `openclaw gateway [run]` that shape the settings.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub port: Option<u16>,
    pub bind: Option<BindMode>,
    pub token: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<PathBuf>,
    pub auth: Option<AuthMode>,
    pub force: bool,
}

/// Resolved server settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub paths: Paths,
    /// 0 = any free port (an extension for tests and embedding; the start-up line shows the real one).
    pub port: u16,
    pub bind: BindMode,
    /// `auto` chosen because we run in a container and nothing else was asked for.
    pub bind_defaulted_in_container: bool,
    pub listen: ListenAddrs,
    pub auth: AuthSettings,
    pub control_ui: ControlUiSettings,
    pub trusted_proxies: Vec<IpAddr>,
    pub force: bool,
    /// `OPENCLAW_ALLOW_MULTI_GATEWAY=1`: skip the per-config lock, as the original.
    pub skip_lock: bool,
    pub handshake_timeout: Duration,
    pub tick_interval: Duration,
    pub health_refresh_interval: Duration,
    pub in_container: bool,
    /// Non-fatal remarks to log once at start-up.
    pub warnings: Vec<String>,
}

/// Who may connect.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub mode: AuthMode,
    /// The shared secret of `mode` (token or password); clients may send it in either
    /// `auth.token` or `auth.password`, as the original accepts.
    pub shared_secret: Option<Secret>,
}

/// Control UI and browser-origin policy.
#[derive(Debug, Clone, Default)]
pub struct ControlUiSettings {
    pub enabled: bool,
    /// An installed official Control UI to serve instead of the embedded page:
    /// `OPENCLAW_CONTROL_UI_DIR`, else `gateway.controlUi.root` (the original's key).
    pub root: Option<PathBuf>,
    /// `gateway.controlUi.basePath`, normalised as the original does (`""` or `/x`).
    pub base_path: String,
    pub allowed_origins: Vec<String>,
    pub host_header_fallback: bool,
}

/// A start-up refusal: the message for stderr and whether it is a configuration problem
/// (exit 78, restarting will not help) or a runtime failure (exit 1).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct StartupError {
    pub message: String,
    pub exit_code: u8,
}

impl StartupError {
    /// EX_CONFIG: the original's exit code for every refusal.
    pub const CONFIG: u8 = 78;

    pub fn config(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: Self::CONFIG,
        }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: 1,
        }
    }
}

impl Settings {
    /// Resolves settings; refusals are [`StartupError`]s with the original's wording.
    pub fn resolve(
        flags: &Overrides,
        env: &Environment,
        config: &Config,
        paths: Paths,
        in_container: bool,
    ) -> Result<Self, StartupError> {
        let gw = &config.gateway;
        let mut warnings = Vec::new();
        let port = match (flags.port, env.get_trimmed("OPENCLAW_GATEWAY_PORT")) {
            (Some(p), _) => p,
            (None, Some(raw)) => raw.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                StartupError::config(format!(
                    "OPENCLAW_GATEWAY_PORT=\"{raw}\" is not a port number (1-65535)."
                ))
            })?,
            (None, None) => gw.port.map_or(DEFAULT_PORT, |p| p.get()),
        };
        let (bind, bind_defaulted_in_container) = match flags.bind.or(gw.bind) {
            Some(b) => (b, false),
            None if in_container => (BindMode::Auto, true),
            None => (BindMode::Loopback, false),
        };
        let listen = bind::resolve(bind, gw.custom_bind_host.as_deref(), in_container)
            .map_err(|e| StartupError::config(e.to_string()))?;
        let auth = resolve_auth(flags, env, config, &mut warnings)?;
        if !listen.is_loopback() && auth.shared_secret.is_none() {
            let mut message = format!(
                "Refusing to bind gateway to {} without auth.\n",
                bind.as_str()
            );
            if bind_defaulted_in_container {
                message.push_str("Container environment detected — the gateway defaults to bind=auto (0.0.0.0) for port-forwarding compatibility.\n");
            }
            message.push_str("Set OPENCLAW_GATEWAY_TOKEN or OPENCLAW_GATEWAY_PASSWORD, or pass --token/--password to start with auth.");
            return Err(StartupError::config(message));
        }
        let ui = gw.control_ui.clone().unwrap_or_default();
        let root = match env.get_trimmed("OPENCLAW_CONTROL_UI_DIR") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => match &ui.root {
                None => None,
                Some(serde_json::Value::String(dir)) if !dir.trim().is_empty() => {
                    Some(PathBuf::from(dir.trim()))
                }
                Some(other) => {
                    return Err(StartupError::config(format!(
                        "gateway.controlUi.root: expected a directory path, got {other}."
                    )));
                }
            },
        };
        let base_path = match &ui.base_path {
            None => String::new(),
            Some(serde_json::Value::String(path)) => normalize_base_path(path),
            Some(other) => {
                return Err(StartupError::config(format!(
                    "gateway.controlUi.basePath: expected a path such as \"/openclaw\", got {other}."
                )));
            }
        };
        let control_ui = ControlUiSettings {
            enabled: ui.enabled.unwrap_or(true),
            root,
            base_path,
            allowed_origins: ui.allowed_origins.unwrap_or_default(),
            host_header_fallback: ui
                .dangerously_allow_host_header_origin_fallback
                .unwrap_or(false),
        };
        let mut trusted_proxies = Vec::new();
        for (i, raw) in gw.trusted_proxies.iter().flatten().enumerate() {
            let ip = raw.trim().parse().map_err(|_| {
                StartupError::config(format!(
                    "gateway.trustedProxies[{i}]: \"{raw}\" is not an IP address."
                ))
            })?;
            trusted_proxies.push(ip);
        }
        Ok(Self {
            paths,
            port,
            bind,
            bind_defaulted_in_container,
            listen,
            auth,
            control_ui,
            trusted_proxies,
            force: flags.force,
            skip_lock: env.get_trimmed("OPENCLAW_ALLOW_MULTI_GATEWAY") == Some("1"),
            handshake_timeout: millis(env, "OPENCLAW_HANDSHAKE_TIMEOUT_MS", 15_000)?,
            tick_interval: millis(env, "OPENCLAW_TICK_INTERVAL_MS", 30_000)?,
            health_refresh_interval: millis(env, "OPENCLAW_HEALTH_REFRESH_MS", 60_000)?,
            in_container,
            warnings,
        })
    }
}

/// `" openclaw/ "` → `"/openclaw"`, `"/"` or blank → `""` (the original's normalisation).
pub fn normalize_base_path(raw: &str) -> String {
    let value = raw.trim();
    if value.is_empty() || value == "/" {
        return String::new();
    }
    let with_slash = if value.starts_with('/') {
        value.to_owned()
    } else {
        format!("/{value}")
    };
    with_slash
        .strip_suffix('/')
        .map_or(with_slash.clone(), str::to_owned)
}

fn resolve_auth(
    flags: &Overrides,
    env: &Environment,
    config: &Config,
    warnings: &mut Vec<String>,
) -> Result<AuthSettings, StartupError> {
    let section = config.gateway.auth.clone().unwrap_or_default();
    let from_config = |input: &Option<crate::config::secret_input::SecretInput>, key: &str| {
        input
            .as_ref()
            .map(|i| {
                i.resolve(env)
                    .map_err(|e| StartupError::config(format!("gateway.auth.{key}: {e}")))
            })
            .transpose()
            .map(Option::flatten)
    };
    let token = match flags.token.clone().and_then(Secret::new) {
        Some(t) => Some(t),
        None => from_config(&section.token, "token")?
            .or_else(|| env.get("OPENCLAW_GATEWAY_TOKEN").and_then(Secret::new)),
    };
    let password_from_file = match &flags.password_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| {
                    StartupError::config(format!("--password-file {}: {e}", path.display()))
                })?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    if flags.password.is_some() {
        warnings.push("--password may be exposed via process listings. Prefer --password-file or OPENCLAW_GATEWAY_PASSWORD.".into());
    }
    let password = match flags
        .password
        .clone()
        .or(password_from_file)
        .and_then(Secret::new)
    {
        Some(p) => Some(p),
        None => from_config(&section.password, "password")?
            .or_else(|| env.get("OPENCLAW_GATEWAY_PASSWORD").and_then(Secret::new)),
    };
    let explicit = flags.auth.or(section.mode);
    let mode = explicit.unwrap_or(if password.is_some() {
        AuthMode::Password
    } else {
        AuthMode::Token
    });
    if explicit.is_none() && token.is_some() && password.is_some() {
        warnings.push(
            "both a token and a password are configured and gateway.auth.mode is not set: using password mode (set gateway.auth.mode or --auth to choose)".into(),
        );
    }
    let shared_secret = match mode {
        AuthMode::Token => token,
        AuthMode::Password => Some(password.ok_or_else(|| {
            StartupError::config(
                "Gateway auth is set to password, but no password is configured.\nSet OPENCLAW_GATEWAY_PASSWORD, gateway.auth.password, or pass --password-file.",
            )
        })?),
        AuthMode::None => None,
        AuthMode::TrustedProxy => {
            return Err(StartupError::config(
                "gateway.auth.mode \"trusted-proxy\" is not supported by this gateway; use \"token\" or \"password\".",
            ));
        }
    };
    Ok(AuthSettings {
        mode,
        shared_secret,
    })
}

fn millis(env: &Environment, name: &str, default: u64) -> Result<Duration, StartupError> {
    match env.get_trimmed(name) {
        None => Ok(Duration::from_millis(default)),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                StartupError::config(format!(
                    "{name}=\"{raw}\" is not a positive number of milliseconds."
                ))
            }),
    }
}

#[cfg(test)]
mod tests;
