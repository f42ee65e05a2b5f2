//! The *apply* stage for Kubernetes: server-side apply of each desired
//! manifest as field manager `openclaw-operator`, the only side effects.
//!
//! - An object that already matches is not written at all (0 writes at
//!   steady state).
//! - A field someone changed by hand (an `Update`-operation manager: `kubectl
//!   edit`, `kubectl scale`) makes the apply conflict; the operator takes it
//!   back with `force` — only those fields, which it set in the first place —
//!   and records a drift correction.
//! - A field another *applier* holds, or one a controller keeps taking back
//!   after each correction, is reported (`FieldManagerConflict`) and not
//!   forced: two owners fighting in a loop help nobody.
//! - Objects of a previous exposure or config are deleted, if the resource owns them.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use crate::resource::ResourceKey;

use super::build::{DesiredKubernetes, Manifest, Owner};
use super::diff::{Difference, differences};
use super::error::{FieldConflict, KubeError};
use super::names::FIELD_MANAGER;

/// A drift put back: which object, which field, from what to what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// `Kind/name`.
    pub object: String,
    /// The field and values.
    pub difference: Difference,
    /// Who had changed it, when the API server said.
    pub manager: Option<String>,
}

/// What one apply found and did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Live objects after the apply, by `Kind/name`.
    pub objects: HashMap<String, Value>,
    /// Objects created.
    pub created: Vec<String>,
    /// Fields put back.
    pub corrections: Vec<Correction>,
    /// Objects deleted because the spec no longer wants them.
    pub deleted: Vec<String>,
    /// API writes made.
    pub writes: usize,
}

/// How many forced corrections of one field against one manager, within
/// [`FIGHT_WINDOW`], make it a fight the operator stops.
pub const FIGHT_LIMIT: usize = 3;
/// See [`FIGHT_LIMIT`].
pub const FIGHT_WINDOW: Duration = Duration::from_secs(600);

/// The backend: a client, and the memory of recent forced corrections that
/// tells a hand edit (put back) from a controller fighting us (reported).
pub struct KubernetesBackend {
    client: kube::Client,
    forced: Mutex<HashMap<(String, String, String), VecDeque<Instant>>>,
}

fn object_name(m: &Manifest) -> String {
    format!("{}/{}", m.resource.kind, m.name)
}

fn is_conflict(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 409 && s.reason == "Conflict")
}

/// Parses the conflicting `(manager, field)` pairs of a 409 apply answer.
fn conflicts_of(e: &kube::Error) -> Vec<(String, String)> {
    let kube::Error::Api(status) = e else {
        return Vec::new();
    };
    let causes: Vec<(String, String)> = status
        .details
        .iter()
        .flat_map(|d| d.causes.iter())
        .filter(|c| c.reason == "FieldManagerConflict")
        .filter_map(|c| {
            let manager = c
                .message
                .strip_prefix("conflict with \"")?
                .split('"')
                .next()?;
            Some((manager.to_owned(), c.field.clone()))
        })
        .collect();
    if !causes.is_empty() {
        return causes;
    }
    // "Apply failed with N conflict(s): conflict with "M" using V: FIELD" (one per line).
    status
        .message
        .split("conflict with \"")
        .skip(1)
        .filter_map(|part| {
            let (manager, rest) = part.split_once('"')?;
            let field = rest.split_once(": ").map(|(_, f)| f)?;
            let field = field.lines().next()?.trim().trim_end_matches(',');
            Some((manager.to_owned(), field.to_owned()))
        })
        .collect()
}

/// The operation (`Apply` or `Update`) through which `manager` holds fields.
fn operation_of(live: &Value, manager: &str) -> Option<String> {
    live["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["subresource"].is_null())
        .and_then(|e| e["operation"].as_str().map(str::to_owned))
}

fn applied_before(live: &Value) -> bool {
    operation_of(live, FIELD_MANAGER).as_deref() == Some("Apply")
}

impl KubernetesBackend {
    /// A backend over `client`.
    pub fn new(client: kube::Client) -> Self {
        Self {
            client,
            forced: Mutex::new(HashMap::new()),
        }
    }

    /// The client (for the status stage's reads).
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    fn api(&self, m: &Manifest, ns: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), ns, &m.resource)
    }

    /// Applies every manifest of `desired`, then deletes what must be absent.
    pub async fn apply(
        &self,
        key: &ResourceKey,
        desired: &DesiredKubernetes,
        owner: &Owner,
    ) -> Result<Applied, KubeError> {
        let mut out = Applied::default();
        for m in &desired.manifests {
            self.apply_one(key, m, &mut out).await?;
        }
        for (resource, name) in &desired.absent {
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), &key.namespace, resource);
            let object = format!("{}/{name}", resource.kind);
            let live = api
                .get_opt(name)
                .await
                .map_err(KubeError::api(format!("read {object}")))?;
            let ours = live.as_ref().is_some_and(|o| {
                o.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|r| r.uid == owner.uid)
            });
            if ours {
                match api.delete(name, &DeleteParams::background()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(KubeError::api(format!("delete {object}"))(e)),
                }
                out.writes += 1;
                out.deleted.push(object);
            }
        }
        Ok(out)
    }

    async fn apply_one(
        &self,
        key: &ResourceKey,
        m: &Manifest,
        out: &mut Applied,
    ) -> Result<(), KubeError> {
        let object = object_name(m);
        let api = self.api(m, &key.namespace);
        let live = api
            .get_opt(&m.name)
            .await
            .map_err(KubeError::api(format!("read {object}")))?
            .map(|o| serde_json::to_value(o).expect("objects serialise"));
        let diffs = live
            .as_ref()
            .map(|l| differences(&m.body, l))
            .unwrap_or_default();
        if let Some(l) = &live
            && diffs.is_empty()
        {
            out.objects.insert(object, l.clone());
            return Ok(());
        }
        let params = PatchParams::apply(FIELD_MANAGER);
        let result = match api.patch(&m.name, &params, &Patch::Apply(&m.body)).await {
            Ok(o) => o,
            Err(e) if is_conflict(&e) => {
                let live = live.clone().unwrap_or_default();
                self.resolve_conflict(key, m, &object, &live, &e).await?;
                let forced = api
                    .patch(&m.name, &params.clone().force(), &Patch::Apply(&m.body))
                    .await
                    .map_err(KubeError::api(format!("apply {object} (force)")))?;
                let conflicted = conflicts_of(&e);
                for d in &diffs {
                    let manager = conflicted
                        .iter()
                        .find(|(_, f)| same_field(f, &d.path))
                        .map(|(m, _)| m.clone());
                    out.corrections.push(Correction {
                        object: object.clone(),
                        difference: d.clone(),
                        manager,
                    });
                }
                out.writes += 1;
                out.objects
                    .insert(object, serde_json::to_value(forced).expect("serialises"));
                return Ok(());
            }
            Err(e) => return Err(KubeError::api(format!("apply {object}"))(e)),
        };
        out.writes += 1;
        let result = serde_json::to_value(result).expect("objects serialise");
        match &live {
            None => out.created.push(object.clone()),
            // A write that changed a resource we had applied: someone had
            // removed or changed our fields without taking them.
            Some(l)
                if applied_before(l)
                    && l["metadata"]["resourceVersion"]
                        != result["metadata"]["resourceVersion"] =>
            {
                out.corrections
                    .extend(diffs.into_iter().map(|difference| Correction {
                        object: object.clone(),
                        difference,
                        manager: None,
                    }));
            }
            Some(_) => {}
        }
        out.objects.insert(object, result);
        Ok(())
    }

    /// Decides whether the conflicting fields may be taken back: yes when a
    /// hand edit (`Update`) holds them; no when another applier holds them,
    /// or when the same manager has retaken the same field [`FIGHT_LIMIT`]
    /// times within [`FIGHT_WINDOW`].
    async fn resolve_conflict(
        &self,
        key: &ResourceKey,
        m: &Manifest,
        object: &str,
        live: &Value,
        err: &kube::Error,
    ) -> Result<(), KubeError> {
        let conflicts: Vec<FieldConflict> = conflicts_of(err)
            .into_iter()
            .map(|(manager, field)| FieldConflict {
                object: object.to_owned(),
                field,
                manager,
            })
            .collect();
        // The conflict names managers as of the apply; re-read if ours is stale.
        let live = if conflicts
            .iter()
            .all(|c| operation_of(live, &c.manager).is_some())
        {
            live.clone()
        } else {
            self.api(m, &key.namespace)
                .get(&m.name)
                .await
                .map(|o| serde_json::to_value(o).expect("serialises"))
                .map_err(KubeError::api(format!("read {object}")))?
        };
        let appliers = conflicts
            .iter()
            .any(|c| operation_of(&live, &c.manager).as_deref() == Some("Apply"));
        if appliers {
            return Err(KubeError::Conflict {
                conflicts,
                fighting: false,
            });
        }
        let now = Instant::now();
        let mut forced = self.forced.lock().expect("forced lock");
        let mut fighting = false;
        for c in &conflicts {
            let history = forced
                .entry((
                    format!("{key}/{object}"),
                    c.field.clone(),
                    c.manager.clone(),
                ))
                .or_default();
            history.retain(|t| now.duration_since(*t) < FIGHT_WINDOW);
            fighting |= history.len() >= FIGHT_LIMIT;
        }
        if fighting {
            return Err(KubeError::Conflict {
                conflicts,
                fighting: true,
            });
        }
        for c in &conflicts {
            if let Some(h) = forced.get_mut(&(
                format!("{key}/{object}"),
                c.field.clone(),
                c.manager.clone(),
            )) {
                h.push_back(now);
            }
        }
        Ok(())
    }
}

/// Whether the API server's field path (`.spec.template.spec.containers[name="gateway"].image`)
/// and ours (`.spec.template.spec.containers[name=gateway].image`) name the same field.
fn same_field(server: &str, ours: &str) -> bool {
    server.replace('"', "") == ours || ours.starts_with(&format!("{}.", server.replace('"', "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_messages_parse_into_managers_and_fields() {
        let status = kube::core::Status::failure(
            "Apply failed with 2 conflicts: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas\nconflict with \"hpa\" using apps/v1: .spec.template.spec.containers[name=\"gateway\"].image",
            "Conflict",
        )
        .with_code(409);
        let e = kube::Error::Api(Box::new(status));
        assert_eq!(
            conflicts_of(&e),
            [
                ("kubectl-edit".to_owned(), ".spec.replicas".to_owned()),
                (
                    "hpa".to_owned(),
                    ".spec.template.spec.containers[name=\"gateway\"].image".to_owned()
                ),
            ]
        );
        assert!(same_field(
            ".spec.template.spec.containers[name=\"gateway\"].image",
            ".spec.template.spec.containers[name=gateway].image"
        ));
    }
}
