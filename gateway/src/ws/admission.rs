//! Who gets in, with which scopes: the decision at the heart of `connect`.
//!
//! Mirrors the original (2026.9.6):
//! 1. the protocol range must contain 4 (probes may use 3) — else close 1002;
//! 2. browsers must come from an allowed origin ([`super::origin`]);
//! 3. the shared secret (token or password, accepted in either field) or a paired
//!    device's token must match; with neither, a device identity is required;
//! 4. a device must prove its key ([`super::device`]);
//! 5. scopes: a device gets what it asked for once paired (a new device presenting the
//!    shared secret is paired on the spot and receives a device token); a device-less
//!    client keeps its scopes only as the CLI (`cli`/`cli`) or a backend
//!    (`gateway-client`/`backend`), anyone else gets none.
//!
//! Divergences, on purpose, both following from one fact — this gateway has no
//! out-of-band approval workflow, so the shared secret is the whole of its trust:
//! - the original pairs a *remote* new device only after an operator approves it; here a
//!   remote device that proves its key *and* presents the shared secret is paired like a
//!   local one. This is what lets the Control UI work at `https://APP.fly.dev/` after
//!   pasting the token.
//! - the original gives a device-less CLI or backend its scopes only on a loopback
//!   connection; here the shared secret is enough from anywhere. Refusing the device-less
//!   path would protect nothing (the same secret pairs a device with any scope) and would
//!   break `openclaw gateway call health --url wss://APP.fly.dev --token T`, and the
//!   same call through the local URL `openclaw-operator up` prints, whose connections
//!   arrive through a proxy. Without the shared secret (a device token, `auth.mode
//!   none`) the original's loopback rule still applies.

use serde_json::json;

use super::connect::ConnectParams;
use super::device::{self, VerifiedDevice};
use super::errors::{ErrorCode, ErrorShape, close};
use super::origin::{self, Peer};
use super::pairing::Issued;
use super::scopes::ScopeSet;
use crate::config::AuthMode;
use crate::state::Gateway;
use crate::version::{MIN_PROBE_PROTOCOL, PROTOCOL_VERSION};

/// A client let in.
#[derive(Debug)]
pub struct Admission {
    pub role: String,
    pub scopes: ScopeSet,
    /// `hello-ok.auth.method`.
    pub method: &'static str,
    pub device: Option<VerifiedDevice>,
    /// A device token issued by this connect (new pairing).
    pub issued: Option<Issued>,
}

/// A client turned away: the error response, then a close frame with this code.
#[derive(Debug)]
pub struct Rejection {
    pub error: ErrorShape,
    pub close_code: u16,
}

impl From<ErrorShape> for Rejection {
    fn from(error: ErrorShape) -> Self {
        Self {
            error,
            close_code: close::POLICY,
        }
    }
}

/// Client ids of browser UIs, which must pass the origin check and prove a device.
fn is_browser_ui(params: &ConnectParams) -> bool {
    matches!(
        params.client.id.as_str(),
        "openclaw-control-ui" | "webchat-ui" | "webchat"
    )
}

/// Decides a `connect`.
pub fn admit(
    gateway: &Gateway,
    params: &ConnectParams,
    peer: &Peer,
    nonce: &str,
    now_ms: u64,
) -> Result<Admission, Rejection> {
    check_protocol(params)?;
    let role = params.role().to_owned();
    if role != "operator" {
        return Err(ErrorShape::invalid_request(format!(
            "role \"{role}\" is not supported by this gateway (operator clients only)"
        ))
        .into());
    }
    let browser_ui = is_browser_ui(params);
    origin::check(peer, browser_ui, &gateway.settings.control_ui)?;
    let credential = authenticate(gateway, params, peer)?;
    if browser_ui && params.device.is_none() {
        return Err(ErrorShape::invalid_request(
            "control ui requires device identity (use HTTPS or localhost secure context)",
        )
        .with_details(json!({ "code": "CONTROL_UI_DEVICE_IDENTITY_REQUIRED" }))
        .into());
    }
    let device =
        device::verify(params, nonce, now_ms).map_err(|e| Rejection::from(e.to_error()))?;
    let requested = ScopeSet::from_requested(params.scopes.iter().flatten().map(String::as_str));
    match (credential, device) {
        (Credential::DeviceToken(paired), device) => {
            if device.as_ref().is_some_and(|d| d.id != paired.device_id) {
                return Err(device::ProofError::IdMismatch.to_error().into());
            }
            let allowed = ScopeSet::from_requested(paired.scopes.iter().map(String::as_str));
            let scopes = ScopeSet::from_requested(requested.names().into_iter().filter(|s| {
                super::scopes::Scope::parse(s).is_some_and(|scope| allowed.allows(scope))
            }));
            Ok(Admission {
                role,
                scopes,
                method: "device-token",
                device,
                issued: None,
            })
        }
        (credential, Some(device)) => {
            let method = credential.method();
            let known = gateway
                .devices
                .get(&device.id)
                .is_some_and(|p| p.public_key == device.public_key);
            if known {
                return Ok(Admission {
                    role,
                    scopes: requested,
                    method,
                    device: Some(device),
                    issued: None,
                });
            }
            if credential == Credential::None && !peer.is_local {
                return Err(ErrorShape::new(ErrorCode::NotPaired, "pairing required: device is not approved yet")
                    .with_details(json!({ "code": "PAIRING_REQUIRED", "reason": "not-paired", "deviceId": device.id }))
                    .into());
            }
            let issued = gateway.devices.pair(
                &device.id,
                &device.public_key,
                &role,
                &requested.names(),
                &params.client.id,
                now_ms,
            );
            tracing::info!(target: "gateway", "device pairing auto-approved device={} role={role}", device.id);
            Ok(Admission {
                role,
                scopes: requested,
                method,
                device: Some(device),
                issued: Some(issued),
            })
        }
        (credential, None) => {
            let trusted = peer.is_local || matches!(credential, Credential::SharedSecret(_));
            let keeps_scopes = trusted
                && matches!(
                    (params.client.id.as_str(), params.client.mode.as_str()),
                    ("cli", "cli") | ("gateway-client", "backend")
                );
            let scopes = if keeps_scopes {
                requested
            } else {
                ScopeSet::empty()
            };
            Ok(Admission {
                role,
                scopes,
                method: credential.method(),
                device: None,
                issued: None,
            })
        }
    }
}

fn check_protocol(params: &ConnectParams) -> Result<(), Rejection> {
    let (min, max) = (params.min_protocol, params.max_protocol);
    let wanted = u64::from(PROTOCOL_VERSION);
    let probe_ok = params.client.mode == "probe"
        && min <= u64::from(MIN_PROBE_PROTOCOL)
        && u64::from(MIN_PROBE_PROTOCOL) <= max;
    if (min <= wanted && wanted <= max) || probe_ok {
        return Ok(());
    }
    Err(Rejection {
        error: ErrorShape::invalid_request("protocol mismatch").with_details(json!({
            "code": "PROTOCOL_MISMATCH",
            "clientMinProtocol": min,
            "clientMaxProtocol": max,
            "expectedProtocol": PROTOCOL_VERSION,
            "minimumProbeProtocol": MIN_PROBE_PROTOCOL,
        })),
        close_code: close::PROTOCOL_ERROR,
    })
}

/// Which credential let the client in.
#[derive(Debug, PartialEq)]
enum Credential {
    /// `auth.mode = none`, or token mode with no token configured (loopback only).
    None,
    SharedSecret(AuthMode),
    DeviceToken(super::pairing::PairedDevice),
}

impl Credential {
    fn method(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::SharedSecret(AuthMode::Password) => "password",
            Self::SharedSecret(_) => "token",
            Self::DeviceToken(_) => "device-token",
        }
    }
}

fn authenticate(
    gateway: &Gateway,
    params: &ConnectParams,
    peer: &Peer,
) -> Result<Credential, Rejection> {
    let auth = &params.auth;
    let non_empty = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let offered: Vec<String> = [non_empty(&auth.token), non_empty(&auth.password)]
        .into_iter()
        .flatten()
        .collect();
    let settings = &gateway.settings.auth;
    if let Some(secret) = &settings.shared_secret
        && offered.iter().any(|o| secret.matches(o))
    {
        return Ok(Credential::SharedSecret(settings.mode));
    }
    let device_token = non_empty(&auth.device_token).or_else(|| non_empty(&auth.token));
    if let Some(paired) = device_token.and_then(|t| gateway.devices.find_by_token(&t)) {
        return Ok(Credential::DeviceToken(paired));
    }
    let Some(_) = &settings.shared_secret else {
        // Nothing to check against: a device identity is the only way in.
        return if params.device.is_some() {
            Ok(Credential::None)
        } else {
            Err(identity_required())
        };
    };
    let password_mode = settings.mode == AuthMode::Password;
    let hint = hint(params, peer.is_local, password_mode);
    let (what, code, reason) = if password_mode {
        ("password", "AUTH_PASSWORD", "password")
    } else {
        ("token", "AUTH_TOKEN", "token")
    };
    if !offered.is_empty() {
        tracing::warn!(
            target: "ws",
            "unauthorized connect: gateway {what} mismatch client={} mode={} peer={}",
            params.client.id,
            params.client.mode,
            peer.addr
        );
        return Err(ErrorShape::invalid_request(format!(
            "unauthorized: gateway {what} mismatch ({hint})"
        ))
        .with_details(json!({
            "code": format!("{code}_MISMATCH"),
            "authReason": format!("{reason}_mismatch"),
            "canRetryWithDeviceToken": false,
            "recommendedNextStep": "update_auth_credentials",
        }))
        .into());
    }
    if params.device.is_none() {
        return Err(identity_required());
    }
    Err(
        ErrorShape::invalid_request(format!("unauthorized: gateway {what} missing ({hint})"))
            .with_details(json!({
                "code": format!("{code}_MISSING"),
                "authReason": format!("{reason}_missing"),
                "canRetryWithDeviceToken": false,
                "recommendedNextStep": "update_auth_configuration",
            }))
            .into(),
    )
}

fn identity_required() -> Rejection {
    ErrorShape::new(ErrorCode::NotPaired, "device identity required")
        .with_details(json!({ "code": "DEVICE_IDENTITY_REQUIRED" }))
        .into()
}

/// The original's remedy hint, by kind of client.
fn hint(params: &ConnectParams, is_local: bool, password: bool) -> &'static str {
    let cli = params.client.id == "cli" || params.client.mode == "cli";
    match (cli, is_browser_ui(params), is_local, password) {
        (true, _, true, false) => "use this gateway's gateway.auth.token or pair the device",
        (true, _, true, true) => "use this gateway's gateway.auth.password",
        (true, _, false, false) => "set gateway.remote.token to match gateway.auth.token",
        (true, _, false, true) => "set gateway.remote.password to match gateway.auth.password",
        (false, true, _, false) => "paste the gateway token in Control UI settings",
        (false, true, _, true) => "enter the password in Control UI settings",
        (false, false, _, false) => "provide gateway auth token",
        (false, false, _, true) => "provide gateway auth password",
    }
}
