//! `token NAME`: prints a gateway's token (or password) on stdout and
//! nothing else, for `| pbcopy` or `$(…)`. It comes from the running `up`
//! (which reads it exactly as its reconciles do), or with `-f` from the
//! resource's files and this shell's environment. Never logged.

use std::io::Write;

use anyhow::Context as _;

use crate::cli::TokenArgs;
use crate::running::{self, pick, resolve_token};
use crate::secrets::LocalSecretResolver;
use crate::source::DirectorySource;
use crate::telemetry;

/// Prints the token; returns the exit code.
pub async fn token(args: TokenArgs) -> anyhow::Result<u8> {
    let state = telemetry::state_dir();
    let value = if args.paths.is_empty() {
        let Some(found) = running::find(&state, &args.name).await? else {
            anyhow::bail!(
                "no `up` is running (none is advertised in {}); start one, or read the token from \
                 the resource's files: openclaw-operator token {} -f FILE",
                running::advert::dir(&state).display(),
                args.name
            );
        };
        found.up.token(&found.key).await?
    } else {
        let (snap, _) = DirectorySource::new(args.paths.clone()).refresh();
        let key = pick(&args.name, snap.resources.keys()).map_err(anyhow::Error::msg)?;
        let declared = &snap.resources[&key];
        let obj = declared
            .object
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{key} is invalid: {e}"))?;
        let resolver = LocalSecretResolver {
            read_only: true,
            policy: args.secrets.policy(),
            ..LocalSecretResolver::with_generated_dir(state.join("secrets"))
        };
        resolve_token(&key, &obj.spec, &resolver, declared.origin.parent())
            .with_context(|| format!("reading the token of {key}"))?
            .with_context(|| format!("{key} has no gateway token or password (spec.gateway.auth)"))?
            .expose()
            .to_owned()
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}")?;
    out.flush()?;
    Ok(0)
}
