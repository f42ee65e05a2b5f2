//! `plan -f …`: the API calls `up` would make, as a readable diff; no writes.

use std::fmt::Write;
use std::sync::Arc;

use crate::applied::{AppliedEntry, AppliedStore, SourceSet, api_identity, record_path};
use crate::cli::PlanArgs;
use crate::connect;
use crate::fly::{self, FlyOptions, FlyRun};
use crate::metrics::Metrics;
use crate::reconcile::prepare;
use crate::resource::ResourceKey;
use crate::secrets::LocalSecretResolver;
use crate::source::DirectorySource;
use crate::telemetry;
use crate::validate::Target;

/// Prints the plan; returns the process exit code (1 when something is invalid).
pub async fn plan(args: PlanArgs) -> anyhow::Result<u8> {
    let metrics = Arc::new(Metrics::new());
    let (conn, offline) = match connect::from_args(&args.fly, metrics.clone())? {
        Some(c) => (c, false),
        None => match connect::running_embedded(&telemetry::state_dir(), metrics.clone()).await {
            Some(c) => (c, false),
            None => (connect::offline(metrics)?, true),
        },
    };
    let resolver = LocalSecretResolver {
        read_only: true,
        policy: args.secrets.policy(),
        ..LocalSecretResolver::with_generated_dir(telemetry::state_dir().join("secrets"))
    };
    let (snap, _) = DirectorySource::new(args.source.paths.clone()).refresh();
    let mut out = String::new();
    let mut code = 0;
    let _ = writeln!(out, "Plan against {}:\n", conn.description);
    for (path, e) in &snap.file_errors {
        code = 1;
        let _ = writeln!(out, "! {}: {e}\n", path.display());
    }
    // Not errors (a GitOps directory may hold other manifests), but never silent.
    for (path, docs) in &snap.skipped {
        for d in docs {
            let _ = writeln!(out, "~ {}: {d}", path.display());
        }
        out.push('\n');
    }
    let opts = FlyOptions::default();
    for (key, declared) in &snap.resources {
        let valid = match prepare(key, &declared.object, &resolver, Some(&declared.origin)) {
            Ok(v) => v,
            Err(e) => {
                code = 1;
                let _ = writeln!(out, "{key}: not applicable ({})", e.reason());
                for line in e.to_string().split(" | ") {
                    let _ = writeln!(out, "  ✗ {line}");
                }
                out.push('\n');
                continue;
            }
        };
        let Target::Fly(target) = &valid.target else {
            let _ = writeln!(
                out,
                "{key}: platform kubernetes (reconciled by `run`, not planned here)\n"
            );
            continue;
        };
        let desired = fly::build(&valid, target, opts.check_interval);
        let run = if offline {
            FlyRun::offline_plan(&conn.client, &opts)
        } else {
            FlyRun::new(&conn.client, &opts, true)
        };
        match run.reconcile(&desired).await {
            Ok(outcome) if outcome.calls.is_empty() => {
                let _ = writeln!(out, "{key}: up to date (0 writes)\n");
            }
            Ok(outcome) => {
                let _ = writeln!(out, "{key}: {} write(s)", outcome.calls.len());
                for c in &outcome.calls {
                    let _ = writeln!(out, "  ~ {:<52} {}", c.route, c.summary);
                }
                out.push('\n');
            }
            Err(e) => {
                code = 1;
                let _ = writeln!(out, "{key}: cannot read the current state: {e}\n");
            }
        }
    }
    let state = telemetry::state_dir();
    let set = SourceSet::new(&args.source.paths, api_identity(&args.fly, &state));
    let (recorded, problem) = AppliedStore::peek(&state, &set);
    if let Some(why) = problem {
        code = 1;
        let _ = writeln!(
            out,
            "! {}: {why}; `up` will move it aside and prune nothing\n",
            record_path(&state, &set).display()
        );
    }
    let undeclared: Vec<_> = recorded
        .into_iter()
        .filter(|(key, _)| !snap.resources.contains_key(key))
        .collect();
    if !undeclared.is_empty() && !snap.file_errors.is_empty() {
        let _ = writeln!(
            out,
            "{} resource(s) applied from these files are no longer declared; they are not \
             deleted while a file cannot be read\n",
            undeclared.len()
        );
    } else {
        for (key, entry) in &undeclared {
            if let Err(e) = plan_prune(&mut out, &conn.client, offline, key, entry).await {
                code = 1;
                let _ = writeln!(out, "{key}: cannot read the current state: {e}\n");
            }
        }
    }
    print!("{out}");
    Ok(code)
}

/// The deletion `up` will make for a resource removed from the files since
/// it was applied (see [`crate::applied`]).
async fn plan_prune(
    out: &mut String,
    client: &fly_machines::Client,
    offline: bool,
    key: &ResourceKey,
    entry: &AppliedEntry,
) -> Result<(), fly::FlyError> {
    let _ = writeln!(
        out,
        "{key}: removed from {} since it was applied; `up` prunes it (deletionPolicy: {:?})",
        entry.origin.display(),
        entry.deletion_policy
    );
    if offline {
        let _ = writeln!(out, "  (no API to read: the calls cannot be listed)\n");
        return Ok(());
    }
    let (calls, _) = fly::delete(
        client,
        &entry.app,
        &key.to_string(),
        entry.deletion_policy,
        &FlyOptions::default(),
        true,
    )
    .await?;
    if calls.is_empty() {
        let _ = writeln!(out, "  app {} is already gone (0 writes)", entry.app);
    }
    for c in &calls {
        let _ = writeln!(out, "  - {:<52} {}", c.route, c.summary);
    }
    out.push('\n');
    Ok(())
}
