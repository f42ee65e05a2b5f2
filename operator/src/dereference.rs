//! The *dereference* stage: read every secret a spec points to.
//!
//! Failures are collected as [`FieldError`]s of kind `SecretUnavailable`
//! (naming the spec field and the source, never a value) and handed to the
//! validate stage, so one status message reports everything that is wrong.

use std::collections::BTreeMap;
use std::path::Path;

use crate::crd::{OpenClawSpec, SecretSource};
use crate::resource::ResourceKey;
use crate::secrets::{ResolveContext, ResolveError, SecretResolver, SecretValue};
use crate::validate::{FieldError, PASSWORD_ENV, ProblemKind, TOKEN_ENV};

/// Secret values by environment variable name, and what could not be read.
#[derive(Debug, Default)]
pub struct Dereferenced {
    /// Values read, keyed by the variable the gateway sees.
    pub values: BTreeMap<String, SecretValue>,
    /// Sources that could not be read.
    pub errors: Vec<FieldError>,
}

/// Reads the gateway token/password and every `spec.secrets` entry.
/// `base_dir` anchors relative `file:` sources (the declaring file's directory).
pub fn dereference(
    key: &ResourceKey,
    spec: &OpenClawSpec,
    resolver: &dyn SecretResolver,
    base_dir: Option<&Path>,
) -> Dereferenced {
    let mut out = Dereferenced::default();
    let auth = &spec.gateway.auth;
    let slots = auth
        .token
        .iter()
        .map(|s| {
            (
                "spec.gateway.auth.token".to_owned(),
                TOKEN_ENV.to_owned(),
                s,
            )
        })
        .chain(auth.password.iter().map(|s| {
            (
                "spec.gateway.auth.password".to_owned(),
                PASSWORD_ENV.to_owned(),
                s,
            )
        }))
        .chain(
            spec.secrets
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("spec.secrets[{i}]"), s.name.clone(), &s.source)),
        );
    for (path, env, source) in slots {
        let ctx = ResolveContext {
            key,
            env_name: &env,
            base_dir,
        };
        match resolver.resolve(source, &ctx) {
            Ok(v) => {
                out.values.insert(env, v);
            }
            // A source the operator's policy forbids is a spec mistake (fix the
            // spec); anything else may appear later (create it), so it is retried.
            Err(ResolveError::Refused(r)) => out.errors.push(FieldError::invalid(
                format!("{path}.{}", source_key(source)),
                r.problem,
                r.fix,
            )),
            Err(e) => out.errors.push(FieldError {
                path: format!("{path}.{}", source_key(source)),
                problem: e.to_string(),
                fix: "the operator retries until it can be read".to_owned(),
                kind: ProblemKind::SecretUnavailable,
            }),
        }
    }
    out
}

fn source_key(s: &SecretSource) -> &'static str {
    match s {
        SecretSource::SecretKeyRef(_) => "secretKeyRef",
        SecretSource::Env(_) => "env",
        SecretSource::File(_) => "file",
        SecretSource::Generate(_) => "generate",
    }
}
