//! The cluster controller: kube-runtime's `Controller` over `OpenClaw`,
//! in the shape of kube-rs's `controller-rs` — a shared [`Shared`] context,
//! a `reconcile` per object behind the finalizer helper, an `error_policy`
//! with backoff. Owned objects (by label) and referenced Secrets trigger
//! reconciles; every reconcile runs the shared pipeline
//! (`crate::reconcile::reconcile`), so validation, status and events are
//! the same as in every other front end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::Api;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::finalizer::{Event as Finalized, finalizer};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use crate::crd::{OpenClaw, OpenClawSpec, Phase, Platform, SecretSource};
use crate::fly::{self, FlyOptions};
use crate::kubernetes::names::{FINALIZER, MANAGED_SELECTOR};
use crate::kubernetes::{self, KubeError, KubernetesBackend};
use crate::metrics::Metrics;
use crate::reconcile::{self, Context, ReconcileError};
use crate::report::{Event, Reporter};
use crate::resource::ResourceKey;

use super::reporter::ClusterReporter;
use super::secrets::{ClusterSecrets, referenced};

/// How often a Kubernetes-platform resource that is not ready yet is looked
/// at again (its StatefulSet's changes wake the controller sooner).
const CONVERGING_POLL: Duration = Duration::from_secs(15);

/// Why a cluster reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The pipeline failed (already reported in status and events).
    #[error(transparent)]
    Reconcile(ReconcileError),
    /// Referenced Secrets could not be read.
    #[error("reading the referenced Secrets: {0}")]
    Secrets(#[source] kube::Error),
    /// A generated value could not be stored.
    #[error("storing generated secrets: {0}")]
    Generated(#[source] kube::Error),
    /// Deleting what the resource owns failed (the finalizer stays).
    #[error("cleanup: {0}")]
    Cleanup(String),
    /// Adding or removing the finalizer failed.
    #[error("finalizer: {0}")]
    Finalizer(String),
}

/// What every reconcile of one controller shares.
pub struct Shared {
    /// The cluster.
    pub client: kube::Client,
    /// Fly, when configured.
    pub fly: Option<fly_machines::Client>,
    /// Fly tunables.
    pub fly_options: FlyOptions,
    /// The Kubernetes backend.
    pub kubernetes: Arc<KubernetesBackend>,
    /// Events and status.
    pub reporter: Arc<ClusterReporter>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Periodic resync.
    pub resync: Duration,
    /// The controller's cache of `OpenClaw` objects.
    pub store: Store<OpenClaw>,
    failures: Mutex<HashMap<ResourceKey, u32>>,
}

impl Shared {
    /// A context; `store` must be the controller's own.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: kube::Client,
        fly: Option<fly_machines::Client>,
        kubernetes: Arc<KubernetesBackend>,
        reporter: Arc<ClusterReporter>,
        metrics: Arc<Metrics>,
        resync: Duration,
        store: Store<OpenClaw>,
    ) -> Self {
        Self {
            client,
            fly,
            fly_options: FlyOptions::default(),
            kubernetes,
            reporter,
            metrics,
            resync,
            store,
            failures: Mutex::new(HashMap::new()),
        }
    }
}

fn key_of(o: &OpenClaw) -> ResourceKey {
    ResourceKey::new(o.namespace().unwrap_or_default(), o.name_any())
}

/// In a cluster, a gateway without any token or password source gets a
/// generated token (kept in `NAME-generated`), as the Kubernetes peers do.
fn default_auth(spec: &mut OpenClawSpec) {
    let auth = &mut spec.gateway.auth;
    if auth.token.is_none() && auth.password.is_none() && auth.mode.is_none() {
        auth.token = Some(SecretSource::Generate(Default::default()));
    }
}

/// The controller over `api`: owned objects by label, referenced Secrets by
/// a mapper over the controller's own cache.
pub fn controller(
    api: Api<OpenClaw>,
    client: &kube::Client,
    namespace: Option<&str>,
) -> Controller<OpenClaw> {
    fn scoped<K>(client: &kube::Client, ns: Option<&str>) -> Api<K>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
    {
        match ns {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        }
    }
    let owned = watcher::Config::default().labels(MANAGED_SELECTOR);
    let c = Controller::new(api, watcher::Config::default().any_semantic())
        .owns(scoped::<StatefulSet>(client, namespace), owned.clone())
        .owns(scoped::<Service>(client, namespace), owned.clone())
        .owns(scoped::<ConfigMap>(client, namespace), owned.clone())
        .owns(scoped::<Secret>(client, namespace), owned.clone())
        .owns(scoped::<NetworkPolicy>(client, namespace), owned.clone())
        .owns(scoped::<Ingress>(client, namespace), owned);
    let store = c.store();
    c.watches(
        scoped::<Secret>(client, namespace),
        watcher::Config::default(),
        move |secret: Secret| {
            let (ns, name) = (secret.namespace(), secret.name_any());
            store
                .state()
                .into_iter()
                .filter(|o| o.namespace() == ns && referenced(&o.spec).contains(&name))
                .map(|o| ObjectRef::from_obj(&*o))
                .collect::<Vec<_>>()
        },
    )
}

/// Runs `controller` until `stop` fires, finishing in-flight reconciles.
pub async fn run(
    controller: Controller<OpenClaw>,
    shared: Arc<Shared>,
    concurrency: u16,
    stop: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    controller
        .with_config(ControllerConfig::default().concurrency(concurrency))
        .graceful_shutdown_on(stop)
        .run(reconcile_one, error_policy, shared)
        .for_each(|r| async move {
            if let Err(e) = r {
                tracing::debug!(error = %e, "reconcile failed");
            }
        })
        .await;
}

async fn reconcile_one(obj: Arc<OpenClaw>, ctx: Arc<Shared>) -> Result<Action, ClusterError> {
    let ns = obj.namespace().unwrap_or_default();
    let api: Api<OpenClaw> = Api::namespaced(ctx.client.clone(), &ns);
    ctx.metrics.resources.set(ctx.store.len() as i64);
    finalizer(&api, FINALIZER, obj, |event| async {
        match event {
            Finalized::Apply(o) => apply(o, &ctx).await,
            Finalized::Cleanup(o) => cleanup(o, &ctx).await,
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => ClusterError::Finalizer(other.to_string()),
    })
}

async fn apply(o: Arc<OpenClaw>, ctx: &Shared) -> Result<Action, ClusterError> {
    let key = key_of(&o);
    let mut obj = (*o).clone();
    default_auth(&mut obj.spec);
    let secrets = ClusterSecrets::fetch(&ctx.client, &key.namespace, &key.name, &obj.spec)
        .await
        .map_err(ClusterError::Secrets)?;
    let object = Ok(obj);
    // A generated value is stored before anything uses it — and only for a
    // spec that is otherwise valid, so an invalid resource writes nothing.
    if reconcile::prepare(&key, &object, &secrets, None).is_ok()
        && let Ok(obj) = &object
    {
        secrets
            .store_generated(&ctx.client, obj)
            .await
            .map_err(ClusterError::Generated)?;
    }
    let rctx = Context {
        fly: ctx.fly.clone(),
        kubernetes: Some(ctx.kubernetes.clone()),
        fly_options: ctx.fly_options.clone(),
        resolver: Arc::new(secrets),
        reporter: ctx.reporter.clone(),
        metrics: ctx.metrics.clone(),
        resync: ctx.resync,
        generated_dir: None,
        local: None,
        // The cluster's finalizers remember deleted resources.
        applied: None,
        local_images: None,
    };
    let previous = ctx.reporter.previous(&key, &o);
    let r = reconcile::reconcile(&key, &object, None, &previous, &rctx).await;
    let mut action = reconcile::next_action(&r, 0, ctx.resync);
    // In the cluster, what a converging gateway waits for (its pod becoming
    // ready, a rollout) changes the StatefulSet, whose watch wakes us: no
    // need to poll every few seconds, which costs a lot at a thousand resources.
    if o.spec.platform == Platform::Kubernetes
        && let reconcile::Action::Requeue(d) = action
    {
        action = reconcile::Action::Requeue(d.max(CONVERGING_POLL).min(ctx.resync));
    }
    match r.error {
        Some(e) => Err(ClusterError::Reconcile(e)),
        None => {
            ctx.failures.lock().expect("failures lock").remove(&key);
            Ok(to_action(action))
        }
    }
}

fn to_action(a: reconcile::Action) -> Action {
    match a {
        reconcile::Action::Requeue(d) => Action::requeue(d),
        reconcile::Action::AwaitChange => Action::await_change(),
    }
}

async fn cleanup(o: Arc<OpenClaw>, ctx: &Shared) -> Result<Action, ClusterError> {
    let key = key_of(&o);
    let mut status = o.status.clone().unwrap_or_default();
    status.phase = Phase::Deleting;
    status.message = Some(format!(
        "deleting (deletionPolicy: {:?})",
        o.spec.deletion_policy
    ));
    ctx.reporter.status(&key, &status).await;
    let events = match o.spec.platform {
        Platform::Fly => {
            // Only what this operator created: a resource that never got as
            // far as Fly (invalid, or no API) has nothing there to delete.
            let Some(app) = o
                .status
                .as_ref()
                .and_then(|s| s.fly.as_ref())
                .and_then(|f| f.app.clone())
            else {
                return Ok(Action::await_change());
            };
            let Some(fly) = &ctx.fly else {
                return Err(ClusterError::Cleanup(format!(
                    "Fly app {app} cannot be deleted: no FLY_API_TOKEN is configured; configure one, \
                     or remove the finalizer {FINALIZER} by hand to leave the app in place"
                )));
            };
            let (_, events) = fly::delete(
                fly,
                &app,
                &key.to_string(),
                o.spec.deletion_policy,
                &ctx.fly_options,
                false,
            )
            .await
            .map_err(|e| ClusterError::Cleanup(e.to_string()))?;
            events
        }
        Platform::Kubernetes => {
            let uid = o.metadata.uid.clone().unwrap_or_default();
            kubernetes::delete(&ctx.client, &key, &uid, o.spec.deletion_policy)
                .await
                .map_err(|e| ClusterError::Cleanup(e.to_string()))?
        }
    };
    for e in events {
        ctx.reporter.event(&key, e).await;
    }
    Ok(Action::await_change())
}

/// Backoff by consecutive failures (the shared pipeline's policy); a field
/// manager conflict waits for the next resync instead of retrying hot.
fn error_policy(obj: Arc<OpenClaw>, err: &ClusterError, ctx: Arc<Shared>) -> Action {
    let key = key_of(&obj);
    let failures = {
        let mut f = ctx.failures.lock().expect("failures lock");
        let n = f.entry(key.clone()).or_insert(0);
        *n += 1;
        *n
    };
    match err {
        ClusterError::Reconcile(ReconcileError::Kubernetes(KubeError::Conflict { .. })) => {
            Action::requeue(ctx.resync)
        }
        ClusterError::Reconcile(e) => to_action(reconcile::error_policy(e, failures - 1)),
        other => {
            tracing::warn!(resource = %key, error = %other, "reconcile failed");
            let reporter = ctx.reporter.clone();
            let message = other.to_string();
            tokio::spawn(async move {
                reporter
                    .event(&key, Event::warning("ReconcileFailed", message))
                    .await;
            });
            let base = Duration::from_secs(1) * 2u32.saturating_pow((failures - 1).min(8));
            Action::requeue(base.min(Duration::from_secs(300)))
        }
    }
}
