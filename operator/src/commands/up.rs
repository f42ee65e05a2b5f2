//! `up -f FILE|DIR…`: reconcile resources from files, re-reading them on
//! change, with a live status table; Ctrl-C leaves machines declared unless
//! `--down`.
//!
//! Start-up checks everything that can fail before anything is started (the
//! metrics address, the image table file, the record of applied resources),
//! so a failed start leaves nothing behind; what it does start (the embedded
//! fly-local, the advert files) is stopped and removed on every way out.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::FutureExt;
use tokio::sync::watch;

use crate::access::StableAccess;
use crate::applied::{AppliedEntry, AppliedStore, RecordError, SourceSet, api_identity};
use crate::board::Board;
use crate::cli::UpArgs;
use crate::connect;
use crate::controller::Controller;
use crate::crd::DeletionPolicy;
use crate::embedded::{Embedded, EmbeddedOptions, LocalAdmin};
use crate::fly::FlyOptions;
use crate::metrics::Metrics;
use crate::reconcile::Context;
use crate::resource::ResourceKey;
use crate::running::{Advert, AdvertGuard, ControlState, FlyLocalAdvert};
use crate::secrets::LocalSecretResolver;
use crate::source::DirectorySource;
use crate::{server, table, telemetry, tui};

/// Runs until Ctrl-C (or SIGTERM).
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let state = telemetry::state_dir();
    let table_mode = !args.no_table && std::io::stdout().is_terminal();
    let log_path = state.join("operator.log");
    if table_mode {
        telemetry::to_file(&log_path);
    } else {
        telemetry::to_stderr();
    }
    if DirectorySource::reads_stdin(&args.source.paths) {
        anyhow::bail!(
            "-f -: `up` watches files and keeps a record per set of paths, which standard input \
             cannot give; save it to a file (or use `plan -f -` to see what it would do)"
        );
    }
    // Everything that can fail without side effects, first.
    let listener = bind_metrics(args.metrics_addr, &state)?;
    let user_images = image_entries(&args)?;
    let applied = open_record(&args, &state)?;
    let metrics = Arc::new(Metrics::new());
    let embedded = match connect::from_args(&args.fly, metrics.clone())? {
        Some(c) => {
            if !user_images.is_empty() {
                eprintln!(
                    "openclaw-operator: warning: --image/--images map images of the embedded \
                     fly-local; with FLY_API_TOKEN set, Fly pulls images itself (ignored)"
                );
            }
            Upstream::Api(c)
        }
        None => {
            let data = args
                .fly
                .fly_local_data
                .clone()
                .unwrap_or_else(|| state.join("fly-local"));
            let options = EmbeddedOptions {
                simulate: args.simulate,
                host_loopback: args.host_loopback,
                images: user_images,
            };
            Upstream::Embedded(Embedded::start(&data, &state, options).await?)
        }
    };
    let result = run(
        &args, &state, listener, applied, metrics, &embedded, table_mode,
    )
    .await;
    if let Upstream::Embedded(e) = embedded {
        let machines = e.data_dir().display().to_string();
        eprintln!(
            "openclaw-operator: stopping the embedded fly-local: each gateway gets SIGTERM and \
             time to exit cleanly (state stays in {machines})…"
        );
        e.shutdown().await;
        if result.is_ok() {
            eprintln!(
                "openclaw-operator: stopped; the gateways stay declared and start again with the \
                 next `up` (--down deletes them)"
            );
        }
    }
    result
}

/// The Machines API `up` talks to.
enum Upstream {
    Api(connect::Connection),
    Embedded(Embedded),
}

/// Binds the metrics address before anything starts: a busy port is the
/// usual sign of another `up`, and the error says which and how to run a second.
fn bind_metrics(addr: SocketAddr, state: &Path) -> anyhow::Result<std::net::TcpListener> {
    match std::net::TcpListener::bind(addr) {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let other = crate::running::advert::list(state)
                .into_iter()
                .find(|a| crate::access::authority(&a.url).as_deref() == Some(&addr.to_string()));
            let who = match other {
                Some(a) => format!(
                    "another `openclaw-operator up` is running there (pid {}, for {})",
                    a.pid,
                    a.sources
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => "another `openclaw-operator up` is probably running (`openclaw-operator status` \
                         lists them)"
                    .to_owned(),
            };
            anyhow::bail!(
                "--metrics-addr {addr} is already in use: {who}; stop it, or give this one its own \
                 port: --metrics-addr 127.0.0.1:0 picks a free one"
            )
        }
        Err(e) => Err(e).with_context(|| format!("--metrics-addr {addr}")),
    }
}

/// `--image` entries, then those of `--images FILE` (read now, so a bad file
/// stops the start before anything runs).
fn image_entries(args: &UpArgs) -> anyhow::Result<Vec<fly_local::ImageSpec>> {
    let mut images = args.images.clone();
    if let Some(file) = &args.images_file {
        let table = fly_local::ImageTable::from_file(file)
            .map_err(|e| anyhow::anyhow!("--images {}: {e}", file.display()))?;
        images.extend(table.images);
    }
    Ok(images)
}

/// Everything after the Machines API is there; the caller stops the
/// embedded fly-local however this ends.
async fn run(
    args: &UpArgs,
    state: &Path,
    listener: std::net::TcpListener,
    applied: Option<Arc<AppliedStore>>,
    metrics: Arc<Metrics>,
    upstream: &Upstream,
    table_mode: bool,
) -> anyhow::Result<()> {
    let board = Arc::new(Board::default());
    let (client, description, local, local_images, fly_local) = match upstream {
        Upstream::Api(c) => {
            // A fly-local started separately (`fly-local serve`) gets local URLs too.
            let local = match args.fly.fly_api_token.as_deref() {
                Some(token) => LocalAdmin::detect(&args.fly.fly_api_url, token).await,
                None => None,
            };
            let images = match &local {
                Some(admin) => admin.images().await,
                None => None,
            };
            (c.client.clone(), c.description.clone(), local, images, None)
        }
        Upstream::Embedded(e) => (
            connect::client(&e.base_url(), e.token(), metrics.clone())?,
            format!(
                "embedded fly-local at {} (state in {}; no FLY_API_TOKEN)",
                e.base_url(),
                e.data_dir().display()
            ),
            Some(e.admin.clone()),
            Some(e.images().clone()),
            Some(FlyLocalAdvert {
                base_url: e.base_url(),
                token: e.token().to_owned(),
                data_dir: e.data_dir().to_path_buf(),
            }),
        ),
    };
    if local.is_some() {
        board.use_stable_access(Arc::new(StableAccess::open(state, args.ports.clone())));
    } else if !args.ports.is_empty() {
        eprintln!(
            "openclaw-operator: warning: --port gives stable local ports on a fly-local; on Fly \
             use `openclaw-operator proxy NAME PORT` (ignored)"
        );
    }
    let secrets_dir = state.join("secrets");
    let resolver = LocalSecretResolver {
        policy: args.secrets.policy(),
        ..LocalSecretResolver::with_generated_dir(&secrets_dir)
    };
    let ctx = Arc::new(Context {
        fly: Some(client),
        kubernetes: None,
        fly_options: FlyOptions {
            check_interval: args.check_interval.unwrap_or(if fly_local.is_some() {
                Duration::from_secs(2)
            } else {
                crate::fly::build::DEFAULT_CHECK_INTERVAL
            }),
            lease_holder: applied.as_ref().map(|s| s.lease_holder()),
            ..FlyOptions::default()
        },
        resolver: Arc::new(resolver.clone()),
        reporter: board.clone(),
        metrics: metrics.clone(),
        resync: args.resync,
        generated_dir: Some(secrets_dir.clone()),
        local,
        applied: applied.clone(),
        local_images,
    });
    let snapshots = DirectorySource::new(args.source.paths.clone())
        .watch()
        .context("watching the resource files")?;
    let control = ControlState {
        token: hex::encode(rand::random::<[u8; 16]>()).into(),
        declared: snapshots.clone(),
        resolver: Arc::new(LocalSecretResolver {
            read_only: true,
            ..resolver
        }),
    };
    let app = server::router(metrics, board.clone())
        .merge(crate::running::control::router(control.clone()));
    let addr = server::serve_on(listener, app).context("serving metrics and /status")?;
    let _advert = AdvertGuard::write(
        state,
        &Advert {
            pid: std::process::id(),
            url: format!("http://{addr}"),
            token: control.token.to_string(),
            sources: args
                .source
                .paths
                .iter()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
                .collect(),
            api: description.clone(),
            fly_local: fly_local.clone(),
            started_at: jiff::Timestamp::now().to_string(),
        },
    )
    .context("advertising this `up` for `status`, `logs`, `token` and `proxy`")?;
    let say = |text: String| say(table_mode, &text);
    if let Some(store) = &applied {
        say(format!(
            "openclaw-operator: {} resource(s) applied from these files before (record {})",
            store.entries().len(),
            store.path().display()
        ));
    }
    tracing::info!(api = %description, metrics = %addr, "openclaw-operator up");
    say(format!(
        "openclaw-operator: reconciling against the {description}; metrics and /status on http://{addr}"
    ));
    if let Upstream::Embedded(e) = upstream {
        say(format!("openclaw-operator: {}", e.network_summary()));
        let mut images: Vec<&str> = Vec::new();
        for i in &e.images().table.images {
            if !images.contains(&i.pattern.as_str()) {
                images.push(&i.pattern);
            }
        }
        say(format!(
            "openclaw-operator: images it runs: {}",
            images.join(", ")
        ));
    }
    if table_mode {
        say(format!("logs: {}", log_path(state).display()));
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    let controller = Controller::new(ctx, board.clone(), args.concurrency);
    let running = tokio::spawn(controller.run(snapshots, stop_rx));
    let drawing = tokio::spawn(if table_mode {
        draw(board.clone()).boxed()
    } else {
        announce(board.clone()).boxed()
    });
    shutdown_signal().await;
    // The controller only stops looking at new snapshots; a closed channel is fine.
    let _ = stop_tx.send(true);
    drawing.abort();
    // The drawing task ends mid-frame at worst; the next line starts clean.
    let _ = drawing.await;
    let controller = running.await.context("controller task")?;
    if args.down {
        down(controller, &board, applied.as_deref()).await;
    } else {
        controller.stop();
        if fly_local.is_none() {
            eprintln!("openclaw-operator: stopped; gateways keep running (--down deletes them)");
        }
    }
    Ok(())
}

/// A start-up line on stderr; above the live table, broken at spaces to
/// the terminal's width so it never wraps mid-word.
fn say(table_mode: bool, text: &str) {
    if table_mode && std::io::stderr().is_terminal() {
        for line in table::wrap(text, tui::size().0, "    ") {
            eprintln!("{line}");
        }
    } else {
        eprintln!("{text}");
    }
}

fn log_path(state: &Path) -> std::path::PathBuf {
    state.join("operator.log")
}

/// `--down`: deletes every resource, then says what was deleted, what was
/// orphaned (deletionPolicy: Orphan) and what could not be deleted. A second
/// Ctrl-C stops waiting.
async fn down(controller: Controller, board: &Board, store: Option<&AppliedStore>) {
    let before: BTreeMap<ResourceKey, Option<AppliedEntry>> = {
        let mut keys: BTreeMap<ResourceKey, Option<AppliedEntry>> =
            board.snapshot().into_keys().map(|k| (k, None)).collect();
        if let Some(store) = store {
            keys.extend(store.entries().into_iter().map(|(k, e)| (k, Some(e))));
        }
        keys
    };
    eprintln!(
        "openclaw-operator: --down: deleting {} resource(s), each per its deletionPolicy \
         (Ctrl-C again stops waiting)…",
        before.len()
    );
    let interrupted = tokio::select! {
        _ = controller.down() => false,
        _ = shutdown_signal() => true,
    };
    let outcome: Vec<(ResourceKey, DownOutcome)> = before
        .into_iter()
        .map(|(key, entry)| {
            let still = store.map_or_else(|| board.get(&key).is_some(), |s| s.get(&key).is_some());
            let outcome = if still {
                DownOutcome::Left(
                    board
                        .get(&key)
                        .and_then(|e| e.events.back().map(|ev| ev.event.message.clone()))
                        .unwrap_or_else(|| "not deleted yet".into()),
                )
            } else {
                DownOutcome::Done(entry)
            };
            (key, outcome)
        })
        .collect();
    for line in down_report(&outcome, interrupted) {
        eprintln!("{line}");
    }
}

/// What `--down` did to one resource.
#[derive(Debug, Clone, PartialEq)]
pub enum DownOutcome {
    /// Gone from the record (deleted or orphaned per the entry's policy).
    Done(Option<AppliedEntry>),
    /// Still there, with the last thing said about it.
    Left(String),
}

/// The lines `--down` ends with.
pub fn down_report(outcome: &[(ResourceKey, DownOutcome)], interrupted: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for (key, o) in outcome {
        lines.push(match o {
            DownOutcome::Done(Some(e)) if e.deletion_policy == DeletionPolicy::Orphan => format!(
                "  orphaned {key}: app {} with its machine, volume and data left in place \
                 (deletionPolicy: Orphan); the operator no longer manages it",
                e.app
            ),
            DownOutcome::Done(Some(e)) => {
                format!(
                    "  deleted  {key}: app {} with its machine, volume and IPs",
                    e.app
                )
            }
            DownOutcome::Done(None) => format!("  removed  {key}: nothing of it had been applied"),
            DownOutcome::Left(why) => format!("  NOT deleted {key}: {why}"),
        });
    }
    let left = outcome
        .iter()
        .filter(|(_, o)| matches!(o, DownOutcome::Left(_)))
        .count();
    lines.push(match (left, interrupted) {
        (0, _) => format!("openclaw-operator: --down: done ({} resource(s))", outcome.len()),
        (n, true) => format!(
            "openclaw-operator: --down interrupted: {n} resource(s) not deleted; `up --down` again finishes"
        ),
        (n, false) => format!("openclaw-operator: --down: {n} resource(s) could not be deleted"),
    });
    lines
}

/// Opens this source set's record of applied resources (see [`crate::applied`]).
/// Another `up` on the same files is an error; a state directory that cannot
/// hold a record only disables pruning across restarts, with a warning.
fn open_record(args: &UpArgs, state: &Path) -> anyhow::Result<Option<Arc<AppliedStore>>> {
    let set = SourceSet::new(&args.source.paths, api_identity(&args.fly, state));
    match AppliedStore::open(state, set) {
        Ok(opened) => {
            if let Some((aside, why)) = &opened.set_aside {
                let msg = format!(
                    "the record of applied resources {} could not be used ({why}); it was moved to {} \
                     and nothing is pruned: resources removed from these files while the operator \
                     was stopped are left in place (the moved record lists them)",
                    opened.store.path().display(),
                    aside.display()
                );
                tracing::warn!("{msg}");
                eprintln!("openclaw-operator: warning: {msg}");
            }
            Ok(Some(Arc::new(opened.store)))
        }
        Err(e @ RecordError::Busy { .. }) => Err(e.into()),
        Err(e) => {
            let msg = format!(
                "{e}; continuing without a record: resources removed from these files while the \
                 operator is stopped will not be deleted"
            );
            tracing::warn!("{msg}");
            eprintln!("openclaw-operator: warning: {msg}");
            Ok(None)
        }
    }
}

/// The live table, redrawn in place (see [`crate::tui`]).
async fn draw(board: Arc<Board>) {
    let mut screen = tui::InPlace::default();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tick.tick().await;
        let (width, height) = tui::size();
        let mut lines = table::render(&board, width);
        lines.push(String::new());
        lines.push(table::ellipsize(
            "Ctrl-C stops the operator and leaves every gateway declared (--down deletes them).",
            width,
        ));
        let text = screen.frame(&lines, width, height);
        let mut out = std::io::stdout().lock();
        // A terminal that went away: nothing to draw on, nothing to report.
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// Without the table (output piped, `--no-table`): prints each gateway's local URL and
/// token hint to stdout once it is known and again whenever it changes, so a log still
/// says where to open the Control UI.
async fn announce(board: Arc<Board>) {
    let mut shown: HashMap<ResourceKey, String> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        for (key, entry) in board.snapshot() {
            let Some(text) = table::access_entry(&key, &entry) else {
                continue;
            };
            if shown.get(&key) != Some(&text) {
                let mut out = std::io::stdout().lock();
                // A closed pipe: nobody reads the announcements any more.
                let _ = write!(out, "{text}");
                let _ = out.flush();
                shown.insert(key, text);
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let term = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_metrics_port_names_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = bind_metrics(taken.local_addr().unwrap(), dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("already in use"), "{err}");
        assert!(
            err.contains("another `openclaw-operator up` is probably running"),
            "{err}"
        );
        assert!(err.contains("--metrics-addr 127.0.0.1:0"), "{err}");
    }

    #[test]
    fn the_down_report_says_what_was_deleted_and_what_was_orphaned() {
        let entry = |app: &str, policy| {
            Some(AppliedEntry {
                app: app.into(),
                deletion_policy: policy,
                origin: "x.yaml".into(),
            })
        };
        let outcome = vec![
            (
                ResourceKey::new("default", "a"),
                DownOutcome::Done(entry("a", DeletionPolicy::Delete)),
            ),
            (
                ResourceKey::new("default", "k"),
                DownOutcome::Done(entry("k", DeletionPolicy::Orphan)),
            ),
            (
                ResourceKey::new("default", "x"),
                DownOutcome::Left("503 from the API".into()),
            ),
        ];
        let lines = down_report(&outcome, true).join("\n");
        assert!(
            lines.contains("deleted  default/a: app a with its machine, volume and IPs"),
            "{lines}"
        );
        assert!(lines.contains("orphaned default/k: app k"), "{lines}");
        assert!(
            lines.contains("NOT deleted default/x: 503 from the API"),
            "{lines}"
        );
        assert!(
            lines.contains("interrupted: 1 resource(s) not deleted"),
            "{lines}"
        );
    }
}
