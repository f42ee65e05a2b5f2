//! Listen address, port and authentication: the settings that, when wrong,
//! make the gateway refuse to start or make it unreachable by the platform.

use serde_json::Value;

use crate::crd::{AuthMode, Bind, GatewaySpec};

use super::FieldError;

/// Env var the gateway reads its shared token from.
pub const TOKEN_ENV: &str = "OPENCLAW_GATEWAY_TOKEN";
/// Env var the gateway reads its shared password from.
pub const PASSWORD_ENV: &str = "OPENCLAW_GATEWAY_PASSWORD";

/// Checks `spec.gateway.port`; returns it when valid.
pub fn check_port(spec: &GatewaySpec, errors: &mut Vec<FieldError>) -> Option<u16> {
    match u16::try_from(spec.port) {
        Ok(p) if p > 0 => Some(p),
        _ => {
            errors.push(FieldError::invalid(
                "spec.gateway.port",
                format!("{} is not a TCP port", spec.port),
                "use a port between 1 and 65535 (3000 is the usual choice)",
            ));
            None
        }
    }
}

/// Checks `spec.gateway.bind` against what the platform's proxy can reach.
pub fn check_bind(spec: &GatewaySpec, config: Option<&Value>, errors: &mut Vec<FieldError>) {
    match spec.bind {
        Bind::Loopback => errors.push(FieldError::invalid(
            "spec.gateway.bind",
            "loopback (127.0.0.1) cannot be reached by the platform's proxy or health checks",
            "use bind: lan (choose fly.exposure: private to keep it off the internet)",
        )),
        Bind::Tailnet => errors.push(FieldError::invalid(
            "spec.gateway.bind",
            "tailnet binds the Tailscale address, which the machine does not have, and falls back to 127.0.0.1",
            "use bind: lan (choose fly.exposure: private to keep it off the internet)",
        )),
        Bind::Custom => {
            let host = config
                .and_then(|c| c.pointer("/gateway/customBindHost"))
                .and_then(Value::as_str);
            if host.is_none() {
                errors.push(FieldError::invalid(
                    "spec.gateway.bind",
                    "custom needs spec.config.gateway.customBindHost",
                    "set spec.config.gateway.customBindHost, or use bind: lan",
                ));
            }
        }
        Bind::Lan | Bind::Auto => {}
    }
}

/// Checks that the auth settings are complete and not contradictory, the way
/// the gateway judges them at start-up (it refuses a non-loopback bind without
/// a secret, and a token together with a password without a mode).
pub fn check_auth(spec: &GatewaySpec, config: Option<&Value>, errors: &mut Vec<FieldError>) {
    let auth = &spec.auth;
    let (has_token, has_password) = (auth.token.is_some(), auth.password.is_some());
    let path = "spec.gateway.auth";
    match auth.mode {
        None if has_token && has_password => errors.push(FieldError::invalid(
            path,
            "both token and password are given without a mode; the gateway refuses to start",
            "remove one, or set spec.gateway.auth.mode",
        )),
        None | Some(AuthMode::None) if !has_token && !has_password => {
            errors.push(FieldError::invalid(
                format!("{path}.token"),
                format!(
                    "bind {} listens on every interface and the gateway refuses to start without a token or password",
                    spec.bind.as_flag()
                ),
                format!(
                    "set spec.gateway.auth.token, e.g. {{env: {TOKEN_ENV}}} (directory) or {{secretKeyRef: {{name, key}}}} (cluster)"
                ),
            ))
        }
        Some(AuthMode::None) => errors.push(FieldError::invalid(
            format!("{path}.mode"),
            "mode none with a token or password is contradictory",
            "remove mode, or remove the token/password",
        )),
        Some(AuthMode::Token) if !has_token => errors.push(FieldError::invalid(
            format!("{path}.token"),
            "mode is token but no token is given",
            "set spec.gateway.auth.token",
        )),
        Some(AuthMode::Password) if !has_password => errors.push(FieldError::invalid(
            format!("{path}.password"),
            "mode is password but no password is given",
            "set spec.gateway.auth.password",
        )),
        Some(AuthMode::Token) if has_password => errors.push(FieldError::invalid(
            format!("{path}.password"),
            "mode is token but a password is given too",
            "remove the password, or change the mode",
        )),
        Some(AuthMode::Password) if has_token => errors.push(FieldError::invalid(
            format!("{path}.token"),
            "mode is password but a token is given too",
            "remove the token, or change the mode",
        )),
        Some(AuthMode::TrustedProxy) if has_token => errors.push(FieldError::invalid(
            format!("{path}.token"),
            "trusted-proxy auth and a token are mutually exclusive",
            "remove the token, or use mode: token",
        )),
        _ => {}
    }
    if let (Some(want), Some(cfg_mode)) = (
        auth.mode,
        config
            .and_then(|c| c.pointer("/gateway/auth/mode"))
            .and_then(Value::as_str),
    ) && cfg_mode != want.as_flag()
    {
        errors.push(FieldError::invalid(
            "spec.config.gateway.auth.mode",
            format!(
                "{cfg_mode:?} contradicts spec.gateway.auth.mode ({})",
                want.as_flag()
            ),
            "remove gateway.auth.mode from spec.config; spec.gateway.auth decides",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{GatewayAuth, SecretSource};

    fn errs(spec: GatewaySpec, config: Option<Value>) -> Vec<String> {
        let mut e = vec![];
        check_port(&spec, &mut e);
        check_bind(&spec, config.as_ref(), &mut e);
        check_auth(&spec, config.as_ref(), &mut e);
        e.iter().map(ToString::to_string).collect()
    }

    fn token() -> Option<SecretSource> {
        Some(SecretSource::Env("T".into()))
    }

    #[test]
    fn lan_without_a_secret_is_refused_as_the_gateway_would() {
        let e = errs(GatewaySpec::default(), None);
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("spec.gateway.auth.token: bind lan"),
            "{e:?}"
        );
    }

    #[test]
    fn a_token_is_enough() {
        let spec = GatewaySpec {
            auth: GatewayAuth {
                token: token(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(errs(spec, None).is_empty());
    }

    #[test]
    fn contradictory_auth() {
        let spec = GatewaySpec {
            auth: GatewayAuth {
                mode: Some(AuthMode::TrustedProxy),
                token: token(),
                password: None,
            },
            ..Default::default()
        };
        assert!(errs(spec, None)[0].contains("mutually exclusive"));
        let spec = GatewaySpec {
            auth: GatewayAuth {
                mode: None,
                token: token(),
                password: token(),
            },
            ..Default::default()
        };
        assert!(errs(spec, None)[0].contains("without a mode"));
        let spec = GatewaySpec {
            auth: GatewayAuth {
                mode: Some(AuthMode::Token),
                token: token(),
                password: None,
            },
            ..Default::default()
        };
        let cfg = serde_json::json!({"gateway": {"auth": {"mode": "password"}}});
        assert!(errs(spec, Some(cfg))[0].starts_with("spec.config.gateway.auth.mode"));
    }

    #[test]
    fn bad_ports_and_unreachable_binds() {
        let spec = GatewaySpec {
            port: 70000,
            bind: Bind::Loopback,
            auth: GatewayAuth {
                token: token(),
                ..Default::default()
            },
        };
        let e = errs(spec, None);
        assert!(e[0].starts_with("spec.gateway.port: 70000"), "{e:?}");
        assert!(e[1].starts_with("spec.gateway.bind: loopback"), "{e:?}");
    }
}
