//! The Kubernetes backend (`platform: kubernetes`): build (pure manifests) →
//! diff → apply (server-side apply, the only side effects) → status, in the
//! same pipeline and with the same status types as the Fly backend.

mod apply;
pub mod build;
mod delete;
pub mod diff;
mod error;
pub mod names;
mod status;

pub use apply::{Applied, Correction, FIGHT_LIMIT, FIGHT_WINDOW, KubernetesBackend};
pub use build::{DesiredKubernetes, Manifest, Owner, build};
pub use delete::delete;
pub use error::{FieldConflict, KubeError};
pub use status::{Observed, status};

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::Api;

use crate::crd::{OpenClaw, OpenClawStatus};
use crate::metrics::Metrics;
use crate::report::{Event, Reporter};
use crate::resource::ResourceKey;
use crate::validate::{KubernetesTarget, ValidOpenClaw};

/// Reconciles one validated resource onto the cluster: applies the desired
/// objects, publishes what changed as events, and returns the new status.
#[allow(clippy::too_many_arguments)]
pub async fn reconcile(
    backend: &KubernetesBackend,
    key: &ResourceKey,
    object: &OpenClaw,
    valid: &ValidOpenClaw,
    target: &KubernetesTarget,
    previous: &OpenClawStatus,
    reporter: &dyn Reporter,
    metrics: &Metrics,
) -> Result<OpenClawStatus, KubeError> {
    let owner = Owner {
        name: key.name.clone(),
        uid: object.metadata.uid.clone().unwrap_or_default(),
    };
    let desired = build(valid, target, &owner);
    let applied = backend.apply(key, &desired, &owner).await?;
    if !applied.created.is_empty() {
        reporter
            .event(
                key,
                Event::normal("Created", format!("created {}", applied.created.join(", "))),
            )
            .await;
    }
    for c in &applied.corrections {
        metrics.drift_corrected(&format!(
            "{}{}",
            c.object.split('/').next().unwrap_or(""),
            c.difference.path
        ));
        let by = c
            .manager
            .as_deref()
            .map(|m| format!(" (changed by {m})"))
            .unwrap_or_default();
        reporter
            .event(
                key,
                Event::normal(
                    "DriftCorrected",
                    format!(
                        "{}{}: {} → {}{by}",
                        c.object, c.difference.path, c.difference.live, c.difference.desired
                    ),
                ),
            )
            .await;
    }
    if !applied.deleted.is_empty() {
        reporter
            .event(
                key,
                Event::normal(
                    "Removed",
                    format!(
                        "deleted {} (no longer wanted by the spec)",
                        applied.deleted.join(", ")
                    ),
                ),
            )
            .await;
    }
    let names = &desired.names;
    let claims: Api<PersistentVolumeClaim> =
        Api::namespaced(backend.client().clone(), &key.namespace);
    let pods: Api<Pod> = Api::namespaced(backend.client().clone(), &key.namespace);
    let observed = Observed {
        claim: claims
            .get_opt(&names.data_claim())
            .await
            .map_err(KubeError::api(format!(
                "read PersistentVolumeClaim/{}",
                names.data_claim()
            )))?
            .map(|c| serde_json::to_value(c).expect("serialises")),
        pod: pods
            .get_opt(&names.pod())
            .await
            .map_err(KubeError::api(format!("read Pod/{}", names.pod())))?
            .map(|p| serde_json::to_value(p).expect("serialises")),
    };
    Ok(status(
        &desired,
        &applied,
        &observed,
        previous,
        object.metadata.generation,
    ))
}
