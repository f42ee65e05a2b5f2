//! The controller of the directory front end: one worker task per declared
//! resource, fed by source snapshots, reconciling on change and on a periodic
//! resync (drift healing), with bounded concurrency and per-resource backoff.
//! Removing a resource from the source runs its deletion (the finalizer's
//! job) per what the [`AppliedStore`] recorded when it was applied — also for
//! resources removed while the operator was stopped (pruned at the next start).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument;

use crate::applied::{AppliedEntry, AppliedStore};
use crate::board::Board;
use crate::crd::{DeletionPolicy, OpenClawStatus, Phase};
use crate::fly;
use crate::reconcile::{Action, Context, next_action, reconcile};
use crate::report::Event;
use crate::resource::ResourceKey;
use crate::source::{Declared, Snapshot};
use crate::validate::{Target, ValidOpenClaw};

/// What a worker is told: the latest declaration, or that it is gone.
type Desired = Option<Arc<Declared>>;

struct Worker {
    tx: watch::Sender<Desired>,
    digest: String,
    task: JoinHandle<()>,
}

/// Runs workers for the resources of a source.
pub struct Controller {
    ctx: Arc<Context>,
    board: Arc<Board>,
    permits: Arc<Semaphore>,
    workers: HashMap<ResourceKey, Worker>,
    /// Recorded, undeclared resources whose pruning waits for unreadable files.
    held_back: BTreeSet<ResourceKey>,
}

impl Controller {
    /// A controller reconciling at most `concurrency` resources at once.
    pub fn new(ctx: Arc<Context>, board: Arc<Board>, concurrency: usize) -> Self {
        Self {
            ctx,
            board,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            workers: HashMap::new(),
            held_back: BTreeSet::new(),
        }
    }

    /// Applies a snapshot: starts workers for new resources, hands changed
    /// declarations to theirs, and tells removed ones to delete.
    pub fn apply(&mut self, snap: &Snapshot) {
        self.board.set_file_errors(snap.file_errors.clone());
        self.board.set_skipped(snap.skipped.clone());
        self.ctx.metrics.resources.set(snap.resources.len() as i64);
        for (key, declared) in &snap.resources {
            let digest = declared.digest();
            match self.workers.get_mut(key) {
                Some(w) if w.digest == digest && !w.task.is_finished() => {}
                Some(w) if !w.task.is_finished() => {
                    w.digest = digest;
                    let _ = w.tx.send(Some(declared.clone()));
                }
                _ => self.spawn(key, Some(declared.clone()), digest),
            }
        }
        for (key, w) in &self.workers {
            if !snap.resources.contains_key(key) {
                let _ = w.tx.send(None);
            }
        }
        self.workers.retain(|_, w| !w.task.is_finished());
        self.prune_undeclared(snap);
    }

    fn spawn(&mut self, key: &ResourceKey, desired: Desired, digest: String) {
        let (tx, rx) = watch::channel(desired);
        let task = tokio::spawn(
            worker(
                key.clone(),
                rx,
                self.ctx.clone(),
                self.board.clone(),
                self.permits.clone(),
            )
            .instrument(tracing::info_span!("resource", resource = %key)),
        );
        self.workers
            .insert(key.clone(), Worker { tx, digest, task });
    }

    /// Starts deleting recorded resources that the source no longer declares
    /// and no worker handles: removed while the operator was stopped. Held
    /// back while any file is unreadable: what it declares is unknown, and an
    /// unknown declaration is never a reason to delete.
    fn prune_undeclared(&mut self, snap: &Snapshot) {
        let Some(store) = self.ctx.applied.clone() else {
            return;
        };
        for (key, entry) in store.entries() {
            if snap.resources.contains_key(&key) || self.workers.contains_key(&key) {
                self.held_back.remove(&key);
                continue;
            }
            if !snap.file_errors.is_empty() {
                if self.held_back.insert(key.clone()) {
                    tracing::warn!(
                        resource = %key,
                        "not deleted yet: it was applied from {} and is no longer declared, but {} \
                         file(s) cannot be read; fix them and it will be",
                        entry.origin.display(),
                        snap.file_errors.len()
                    );
                }
                continue;
            }
            self.held_back.remove(&key);
            self.spawn(&key, None, String::new());
        }
    }

    /// Follows a source until `snapshots` closes or `shutdown` fires.
    pub async fn run(
        mut self,
        mut snapshots: watch::Receiver<Arc<Snapshot>>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Self {
        loop {
            let snap = snapshots.borrow_and_update().clone();
            self.apply(&snap);
            tokio::select! {
                r = snapshots.changed() => if r.is_err() { break },
                _ = shutdown.wait_for(|s| *s) => break,
            }
        }
        self
    }

    /// Deletes every resource (each per its deletionPolicy) and waits for
    /// the deletions to finish: `up --down`.
    pub async fn down(mut self) {
        for w in self.workers.values() {
            let _ = w.tx.send(None);
        }
        for (_, w) in self.workers.drain() {
            let _ = w.task.await;
        }
    }

    /// Stops every worker without deleting anything (machines keep running).
    pub fn stop(self) {
        for w in self.workers.values() {
            w.task.abort();
        }
    }
}

async fn worker(
    key: ResourceKey,
    mut rx: watch::Receiver<Desired>,
    ctx: Arc<Context>,
    board: Arc<Board>,
    permits: Arc<Semaphore>,
) {
    let mut status = OpenClawStatus::default();
    let mut last_valid: Option<ValidOpenClaw> = None;
    let mut failures = 0u32;
    let mut seen = false;
    let mut declared_here = false;
    let mut declared_origin = std::path::PathBuf::new();
    let mut next: Option<Instant> = Some(Instant::now());
    loop {
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() { return; }
                failures = 0;
            }
            _ = sleep_until(next) => {}
        }
        let declared = rx.borrow_and_update().clone();
        let Some(declared) = declared else {
            ctx.metrics
                .phase_changed(seen.then(|| status.phase.to_string()).as_deref(), None);
            let applied = ctx
                .applied
                .as_ref()
                .and_then(|s| s.get(&key))
                .or_else(|| last_applied(last_valid.as_ref(), Some(&declared_origin)));
            match applied {
                Some(applied) => {
                    let mut deletion = Deletion {
                        key: &key,
                        applied: &applied,
                        declared_here,
                        status: &mut status,
                    };
                    Box::pin(deletion.run(&ctx, &board, &permits, &mut rx)).await;
                }
                // Nothing of it was ever applied.
                None => board.remove(&key),
            }
            if rx.borrow().is_none() {
                return;
            }
            // Declared again while it was being deleted: reconcile it afresh
            // (the controller handed the declaration to this worker).
            seen = false;
            failures = 0;
            next = Some(Instant::now());
            continue;
        };
        declared_here = true;
        declared_origin.clone_from(&declared.origin);
        let permit = permits.acquire().await.expect("semaphore open");
        // Boxed: an idle worker (all but `concurrency` of them) then holds a
        // small future instead of room for the whole reconcile state machine.
        let r = Box::pin(reconcile(
            &key,
            &declared.object,
            Some(&declared.origin),
            &status,
            &ctx,
        ))
        .await;
        drop(permit);
        if let (Some(admin), Some(valid), Some(id)) = (
            &ctx.local,
            &r.valid,
            r.status.fly.as_ref().and_then(|f| f.machine_id.as_deref()),
        ) {
            board.set_local_url(&key, admin.local_url(id, valid.gateway.port).await);
        }
        if let Ok(obj) = &declared.object {
            board.set_token_hint(&key, token_hint(&key, obj, &ctx));
        }
        if r.error.is_some() {
            failures += 1;
        } else {
            failures = 0;
        }
        next = match next_action(&r, failures.saturating_sub(1), ctx.resync) {
            Action::Requeue(d) => Some(Instant::now() + d),
            Action::AwaitChange => None,
        };
        if let Some(v) = r.valid {
            last_valid = Some(v);
        }
        ctx.metrics.phase_changed(
            seen.then(|| status.phase.to_string()).as_deref(),
            Some(&r.status.phase.to_string()),
        );
        seen = true;
        status = r.status;
    }
}

/// How a person gets the gateway token of `obj` (never the value).
fn token_hint(key: &ResourceKey, obj: &crate::crd::OpenClaw, ctx: &Context) -> Option<String> {
    use crate::crd::SecretSource;
    let auth = &obj.spec.gateway.auth;
    let (source, env) = match (&auth.token, &auth.password) {
        (Some(t), _) => (t, crate::validate::TOKEN_ENV),
        (None, Some(p)) => (p, crate::validate::PASSWORD_ENV),
        _ => return None,
    };
    Some(match source {
        SecretSource::Env(var) => format!("echo ${var}"),
        SecretSource::File(path) => format!("cat {path}"),
        SecretSource::SecretKeyRef(r) => format!(
            "kubectl get secret {} -o jsonpath='{{.data.{}}}' | base64 -d",
            r.name, r.key
        ),
        SecretSource::Generate(_) => match ctx.generated_dir.as_ref() {
            Some(dir) => format!(
                "cat {}",
                dir.join(&key.namespace).join(&key.name).join(env).display()
            ),
            None => "generated".into(),
        },
    })
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What was applied for `valid` (when no record is kept).
fn last_applied(
    valid: Option<&ValidOpenClaw>,
    origin: Option<&std::path::Path>,
) -> Option<AppliedEntry> {
    let v = valid?;
    let Target::Fly(target) = &v.target else {
        return None;
    };
    Some(AppliedEntry {
        app: target.app.clone(),
        deletion_policy: v.deletion_policy,
        origin: origin.map(std::path::Path::to_path_buf).unwrap_or_default(),
    })
}

/// The deletion of one removed resource.
struct Deletion<'a> {
    key: &'a ResourceKey,
    applied: &'a AppliedEntry,
    /// Whether this run saw it declared (else it was removed while stopped).
    declared_here: bool,
    status: &'a mut OpenClawStatus,
}

impl Deletion<'_> {
    /// Why the resource is being deleted, and what that does.
    fn announcement(&self) -> Event {
        let origin = self.applied.origin.display();
        let (reason, why) = if self.declared_here {
            ("Removed", format!("removed from {origin}"))
        } else {
            (
                "Pruned",
                format!("removed from {origin} while the operator was stopped"),
            )
        };
        let app = &self.applied.app;
        let what = match self.applied.deletion_policy {
            DeletionPolicy::Delete => {
                format!(
                    "deleting app {app} with its machine, IPs and volume (deletionPolicy: Delete)"
                )
            }
            DeletionPolicy::Orphan => {
                format!(
                    "leaving app {app}, its machine and volume in place (deletionPolicy: Orphan)"
                )
            }
        };
        Event::normal(reason, format!("{why}; {what}"))
    }

    /// Runs until it succeeds, or until the resource is declared again
    /// (then the worker's owner restarts it).
    async fn run(
        &mut self,
        ctx: &Context,
        board: &Board,
        permits: &Semaphore,
        rx: &mut watch::Receiver<Desired>,
    ) {
        let key = self.key;
        if !self.declared_here
            && let Some(store) = ctx.applied.as_deref()
            && let Some(sources) = store.claimed_elsewhere(key)
        {
            let sources: Vec<String> = sources.iter().map(|p| p.display().to_string()).collect();
            let message = format!(
                "removed from {} while the operator was stopped, but also applied from {}: \
                 left to those files, not deleted",
                self.applied.origin.display(),
                sources.join(", ")
            );
            ctx.reporter
                .event(key, Event::normal("Released", message))
                .await;
            forget(Some(store), key).await;
            board.remove(key);
            return;
        }
        self.status.phase = Phase::Deleting;
        ctx.reporter.status(key, self.status).await;
        ctx.reporter.event(key, self.announcement()).await;
        let mut failures = 0u32;
        loop {
            let result = {
                let _permit = permits.acquire().await.expect("semaphore open");
                match &ctx.fly {
                    Some(client) => {
                        fly::delete(
                            client,
                            &self.applied.app,
                            &key.to_string(),
                            self.applied.deletion_policy,
                            &ctx.fly_options,
                            false,
                        )
                        .await
                    }
                    None => Err(fly::FlyError::Blocked(
                        "no Fly API is configured to delete from".into(),
                    )),
                }
            };
            match result {
                Ok((_, events)) => {
                    for e in events {
                        ctx.reporter.event(key, e).await;
                    }
                    forget(ctx.applied.as_deref(), key).await;
                    board.remove(key);
                    return;
                }
                Err(e) => {
                    failures += 1;
                    ctx.reporter
                        .event(key, Event::warning(e.reason(), format!("deletion: {e}")))
                        .await;
                    let delay = Duration::from_secs(1) * 2u32.pow(failures.min(6));
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        r = rx.changed() => if r.is_err() || rx.borrow().is_some() { return },
                    }
                }
            }
        }
    }
}

async fn forget(store: Option<&AppliedStore>, key: &ResourceKey) {
    if let Some(store) = store
        && let Err(e) = store.forget(key).await
    {
        tracing::warn!(resource = %key, error = %e, "deleted, but the record still lists it; the next start deletes it again (harmless)");
    }
}
