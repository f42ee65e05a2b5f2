use super::*;
use std::path::Path;

fn paths() -> Paths {
    Paths::resolve(&Environment::from_vars([("HOME", "/h")]), Path::new("/"))
}

fn resolve(
    flags: Overrides,
    vars: &[(&str, &str)],
    config: &str,
    in_container: bool,
) -> Result<Settings, StartupError> {
    let config = crate::config::validate_str(config).unwrap();
    Settings::resolve(
        &flags,
        &Environment::from_vars(vars.iter().copied()),
        &config,
        paths(),
        in_container,
    )
}

#[test]
fn port_precedence_flag_env_config_default() {
    assert_eq!(
        resolve(Overrides::default(), &[], "{}", false)
            .unwrap()
            .port,
        18789
    );
    assert_eq!(
        resolve(Overrides::default(), &[], "{gateway:{port:3000}}", false)
            .unwrap()
            .port,
        3000
    );
    let env = [("OPENCLAW_GATEWAY_PORT", "4000")];
    assert_eq!(
        resolve(Overrides::default(), &env, "{gateway:{port:3000}}", false)
            .unwrap()
            .port,
        4000
    );
    let flags = Overrides {
        port: Some(5000),
        ..Default::default()
    };
    assert_eq!(
        resolve(flags, &env, "{gateway:{port:3000}}", false)
            .unwrap()
            .port,
        5000
    );
    let err = resolve(
        Overrides::default(),
        &[("OPENCLAW_GATEWAY_PORT", "x")],
        "{}",
        false,
    )
    .unwrap_err();
    assert!(err.message.contains("OPENCLAW_GATEWAY_PORT"), "{err}");
}

#[test]
fn token_precedence_flag_config_env() {
    let secret = |s: Settings| s.auth.shared_secret.unwrap().expose().to_owned();
    let env = [("OPENCLAW_GATEWAY_TOKEN", "from-env")];
    assert_eq!(
        secret(resolve(Overrides::default(), &env, "{}", false).unwrap()),
        "from-env"
    );
    assert_eq!(
        secret(
            resolve(
                Overrides::default(),
                &env,
                "{gateway:{auth:{token:'cfg'}}}",
                false
            )
            .unwrap()
        ),
        "cfg"
    );
    let flags = Overrides {
        token: Some("flag".into()),
        ..Default::default()
    };
    assert_eq!(
        secret(resolve(flags, &env, "{gateway:{auth:{token:'cfg'}}}", false).unwrap()),
        "flag"
    );
}

#[test]
fn non_loopback_without_secret_is_refused_with_exit_78_naming_env_vars_and_flags() {
    let err = resolve(
        Overrides {
            bind: Some(BindMode::Lan),
            ..Default::default()
        },
        &[],
        "{}",
        false,
    )
    .unwrap_err();
    assert_eq!(err.exit_code, 78);
    for needle in [
        "Refusing to bind gateway to lan without auth.",
        "OPENCLAW_GATEWAY_TOKEN",
        "OPENCLAW_GATEWAY_PASSWORD",
        "--token/--password",
    ] {
        assert!(err.message.contains(needle), "{needle}: {err}");
    }
    // In a container the default is auto → 0.0.0.0, and the message says why.
    let err = resolve(Overrides::default(), &[], "{}", true).unwrap_err();
    assert!(
        err.message.contains("Container environment detected"),
        "{err}"
    );
    // With a password it starts.
    let ok = resolve(
        Overrides {
            bind: Some(BindMode::Lan),
            ..Default::default()
        },
        &[("OPENCLAW_GATEWAY_PASSWORD", "p")],
        "{}",
        false,
    )
    .unwrap();
    assert_eq!(ok.auth.mode, AuthMode::Password);
}

#[test]
fn unsupported_auth_and_bind_modes_are_refused() {
    let err = resolve(
        Overrides {
            bind: Some(BindMode::Tailnet),
            ..Default::default()
        },
        &[],
        "{}",
        false,
    )
    .unwrap_err();
    assert!(err.message.contains("tailnet is not supported"), "{err}");
    let err = resolve(
        Overrides::default(),
        &[],
        "{gateway:{auth:{mode:'trusted-proxy'}}}",
        false,
    )
    .unwrap_err();
    assert!(err.message.contains("trusted-proxy"), "{err}");
    let err = resolve(
        Overrides {
            auth: Some(AuthMode::Password),
            ..Default::default()
        },
        &[],
        "{}",
        false,
    )
    .unwrap_err();
    assert!(err.message.contains("no password is configured"), "{err}");
}

#[test]
fn both_secrets_without_mode_use_password_and_warn() {
    let s = resolve(
        Overrides::default(),
        &[
            ("OPENCLAW_GATEWAY_TOKEN", "t"),
            ("OPENCLAW_GATEWAY_PASSWORD", "p"),
        ],
        "{}",
        false,
    )
    .unwrap();
    assert_eq!(s.auth.mode, AuthMode::Password);
    assert_eq!(s.auth.shared_secret.unwrap().expose(), "p");
    assert_eq!(s.warnings.len(), 1);
}

#[test]
fn control_ui_root_and_base_path() {
    let s = resolve(Overrides::default(), &[], "{}", false).unwrap();
    assert_eq!(
        (s.control_ui.root, s.control_ui.base_path.as_str()),
        (None, "")
    );
    let s = resolve(
        Overrides::default(),
        &[],
        "{gateway:{controlUi:{root:'/opt/ui', basePath:' openclaw/ '}}}",
        false,
    )
    .unwrap();
    assert_eq!(s.control_ui.root.as_deref(), Some(Path::new("/opt/ui")));
    assert_eq!(s.control_ui.base_path, "/openclaw");
    // The environment variable wins over the config file.
    let env = [("OPENCLAW_CONTROL_UI_DIR", "/srv/control-ui")];
    let s = resolve(
        Overrides::default(),
        &env,
        "{gateway:{controlUi:{root:'/opt/ui'}}}",
        false,
    )
    .unwrap();
    assert_eq!(
        s.control_ui.root.as_deref(),
        Some(Path::new("/srv/control-ui"))
    );
    let e = resolve(
        Overrides::default(),
        &[],
        "{gateway:{controlUi:{root:3}}}",
        false,
    )
    .unwrap_err();
    assert!(
        e.message.contains("gateway.controlUi.root"),
        "{}",
        e.message
    );
    for (raw, want) in [("/", ""), ("", ""), ("/a/", "/a"), ("a/b", "/a/b")] {
        assert_eq!(normalize_base_path(raw), want, "{raw:?}");
    }
}
