//! The *validate* stage: a pure function from a spec (and its dereferenced
//! secrets) to a [`ValidOpenClaw`] or every problem found, each naming the
//! field path and the fix. Nothing is written to any platform unless this
//! stage succeeds, so an invalid resource is never half-applied.

mod config;
pub mod fly_machine;
mod gateway;
pub mod kubernetes;
mod names;
mod problem;
mod valid;

use std::collections::BTreeSet;

pub use fly_machine::Guest;
pub use gateway::{PASSWORD_ENV, TOKEN_ENV};
pub use kubernetes::{Access, KubernetesTarget};
pub use problem::{FieldError, ProblemKind, SpecErrors};
pub use valid::{FlyTarget, GatewayPlan, Target, ValidOpenClaw};

use crate::crd::{OpenClawSpec, Platform, Runtime};
use crate::dereference::Dereferenced;
use crate::resource::ResourceKey;

/// Environment variables the operator sets itself (or Fly reserves); a secret
/// may not take their name.
const RESERVED_ENV: &[&str] = &[
    "OPENCLAW_STATE_DIR",
    "OPENCLAW_CONFIG_PATH",
    "OPENCLAW_GATEWAY_PORT",
    "NODE_OPTIONS",
];

/// Which gateway an image contains: ours is published as `…/openclaw-rs`;
/// anything else is treated as the Node original (the conservative choice).
pub fn detect_runtime(image: &str) -> Runtime {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let repo = last.split(':').next().unwrap_or(last);
    if repo == "openclaw-rs" {
        Runtime::Rust
    } else {
        Runtime::Node
    }
}

/// Validates a resource. `deref` carries the secret values read in the
/// dereference stage and the errors met reading them; all problems are
/// reported together.
pub fn validate(
    key: &ResourceKey,
    spec: &OpenClawSpec,
    deref: Dereferenced,
) -> Result<ValidOpenClaw, SpecErrors> {
    let mut errors = deref.errors;
    let mut warnings = Vec::new();

    if spec.image.trim().is_empty() || spec.image.contains(char::is_whitespace) {
        errors.push(FieldError::invalid(
            "spec.image",
            format!("{:?} is not an image reference", spec.image),
            format!(
                "use e.g. {} (or remove spec.image for the default)",
                crate::crd::DEFAULT_IMAGE
            ),
        ));
    }
    let runtime = spec.runtime.unwrap_or_else(|| detect_runtime(&spec.image));

    let target = match spec.platform {
        Platform::Fly => {
            fly_target(key, spec, runtime, &mut errors, &mut warnings).map(Target::Fly)
        }
        Platform::Kubernetes => {
            kubernetes::kubernetes_target(key, spec, runtime, &mut errors, &mut warnings)
                .map(Target::Kubernetes)
        }
    };

    let port = gateway::check_port(&spec.gateway, &mut errors);
    gateway::check_bind(&spec.gateway, spec.config.as_ref(), &mut errors);
    gateway::check_auth(&spec.gateway, spec.config.as_ref(), &mut errors);

    let mut names = BTreeSet::new();
    for (i, s) in spec.secrets.iter().enumerate() {
        let path = format!("spec.secrets[{i}].name");
        if !names::is_env_name(&s.name) {
            errors.push(FieldError::invalid(
                path,
                format!("{:?} is not an environment variable name", s.name),
                "use letters, digits and underscores, not starting with a digit (e.g. ANTHROPIC_API_KEY)",
            ));
        } else if s.name == TOKEN_ENV || s.name == PASSWORD_ENV {
            errors.push(FieldError::invalid(
                path,
                format!("{} is set from spec.gateway.auth", s.name),
                "move this source to spec.gateway.auth.token (or .password)",
            ));
        } else if RESERVED_ENV.contains(&s.name.as_str()) || s.name.starts_with("FLY_") {
            errors.push(FieldError::invalid(
                path,
                format!("{} is set by the operator or by Fly", s.name),
                "choose another name",
            ));
        } else if !names.insert(s.name.clone()) {
            errors.push(FieldError::invalid(
                path,
                format!("{} is listed twice", s.name),
                "keep one entry per variable",
            ));
        }
    }
    if spec.gateway.auth.token.is_some() {
        names.insert(TOKEN_ENV.to_owned());
    }
    if spec.gateway.auth.password.is_some() {
        names.insert(PASSWORD_ENV.to_owned());
    }

    let config = config::check_config(
        spec.config.as_ref(),
        spec.gateway.port,
        spec.gateway.bind,
        &names,
        &mut errors,
    );

    match (target, port) {
        (Some(target), Some(port)) if errors.is_empty() => Ok(ValidOpenClaw {
            key: key.clone(),
            image: spec.image.clone(),
            runtime,
            target,
            gateway: GatewayPlan {
                port,
                bind: spec.gateway.bind,
                auth_mode: spec.gateway.auth.mode,
            },
            secrets: deref.values,
            config,
            suspend: spec.suspend,
            deletion_policy: spec.deletion_policy,
            warnings,
        }),
        _ => Err(SpecErrors(errors)),
    }
}

fn fly_target(
    key: &ResourceKey,
    spec: &OpenClawSpec,
    runtime: Runtime,
    errors: &mut Vec<FieldError>,
    warnings: &mut Vec<String>,
) -> Option<FlyTarget> {
    let fly = &spec.fly;
    let app = fly.app.clone().unwrap_or_else(|| key.name.clone());
    let before = errors.len();
    if !names::is_fly_app_name(&app) {
        let path = if fly.app.is_some() {
            "spec.fly.app"
        } else {
            "metadata.name"
        };
        errors.push(FieldError::invalid(
            path,
            format!("{app:?} is not a valid Fly app name"),
            "use 2 to 63 lowercase letters, digits and dashes, starting with a letter (set spec.fly.app to choose one)",
        ));
    }
    if !names::is_org_slug(&fly.org) {
        errors.push(FieldError::invalid(
            "spec.fly.org",
            format!("{:?} is not an organization slug", fly.org),
            "use the slug shown by `fly orgs list`, e.g. personal",
        ));
    }
    fly_machine::check_region(fly, errors);
    if !names::is_volume_name(&fly.volume.name) {
        errors.push(FieldError::invalid(
            "spec.fly.volume.name",
            format!("{:?} is not a valid Fly volume name", fly.volume.name),
            "use lowercase letters, digits and underscores, at most 30 characters (e.g. openclaw_data)",
        ));
    }
    if !(1..=500).contains(&fly.volume.size_gb) {
        errors.push(FieldError::invalid(
            "spec.fly.volume.sizeGb",
            format!(
                "{} GB is outside Fly's 1–500 GB volume range",
                fly.volume.size_gb
            ),
            "use a size between 1 and 500",
        ));
    }
    let guest = fly_machine::resolve_guest(&fly.vm, runtime, errors, warnings);
    (errors.len() == before).then(|| FlyTarget {
        app,
        org: fly.org.clone(),
        region: fly.region.clone(),
        guest: guest.expect("guest is valid when no error was added"),
        volume_name: fly.volume.name.clone(),
        volume_size_gb: fly.volume.size_gb,
        exposure: fly.exposure,
    })
}

#[cfg(test)]
mod tests;
