//! Deletion on Kubernetes (the finalizer's work). With `deletionPolicy:
//! Delete` there is nothing to do: every object carries an owner reference,
//! so the garbage collector removes them, and the StatefulSet's claim
//! retention policy removes the data claim. With `Orphan` the owner
//! references are removed first, so the gateway, its Service, Secret and
//! data stay as they are.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use serde_json::json;

use crate::crd::DeletionPolicy;
use crate::report::Event;
use crate::resource::ResourceKey;

use super::error::KubeError;
use super::names::{FIELD_MANAGER, Names};

/// Every object the backend may have made for `names`.
fn owned_objects(names: &Names) -> Vec<(ApiResource, String)> {
    vec![
        (ApiResource::erase::<StatefulSet>(&()), names.base.clone()),
        (ApiResource::erase::<Service>(&()), names.base.clone()),
        (ApiResource::erase::<Service>(&()), names.public_service()),
        (ApiResource::erase::<Ingress>(&()), names.base.clone()),
        (ApiResource::erase::<NetworkPolicy>(&()), names.base.clone()),
        (ApiResource::erase::<ConfigMap>(&()), names.config_map()),
        (ApiResource::erase::<Secret>(&()), names.secret()),
    ]
}

/// Prepares the deletion of resource `key` (uid `uid`) under `policy`;
/// returns the events to publish.
pub async fn delete(
    client: &kube::Client,
    key: &ResourceKey,
    uid: &str,
    policy: DeletionPolicy,
) -> Result<Vec<Event>, KubeError> {
    if policy == DeletionPolicy::Delete {
        return Ok(vec![Event::normal(
            "Deleted",
            "the StatefulSet, Services, Secret, ConfigMap and data claim are garbage-collected with the resource",
        )]);
    }
    let mut kept = Vec::new();
    for (resource, name) in owned_objects(&Names::new(&key.name)) {
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &key.namespace, &resource);
        let object = format!("{}/{name}", resource.kind);
        let Some(live) = api
            .get_opt(&name)
            .await
            .map_err(KubeError::api(format!("read {object}")))?
        else {
            continue;
        };
        let refs = live.metadata.owner_references.clone().unwrap_or_default();
        if !refs.iter().any(|r| r.uid == uid) {
            continue;
        }
        let remaining: Vec<_> = refs.into_iter().filter(|r| r.uid != uid).collect();
        let patch = json!({"metadata": {
            "resourceVersion": live.metadata.resource_version,
            "ownerReferences": if remaining.is_empty() { serde_json::Value::Null } else { json!(remaining) },
        }});
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        api.patch(&name, &params, &Patch::Merge(&patch))
            .await
            .map_err(KubeError::api(format!("orphan {object}")))?;
        kept.push(object);
    }
    Ok(vec![Event::normal(
        "Orphaned",
        format!(
            "left {} in place (deletionPolicy: Orphan)",
            if kept.is_empty() {
                "nothing".to_owned()
            } else {
                kept.join(", ")
            }
        ),
    )])
}
