//! Deletion (the finalizer's work), honouring `deletionPolicy`:
//! `Delete` destroys machine, IPs, volumes and app, in that order;
//! `Orphan` only turns the operator's ownership mark into an
//! [`labels::ORPHANED_FROM`] note (so declaring the resource again adopts).

use std::collections::BTreeMap;

use fly_machines::{Client, ListMachines};

use crate::crd::DeletionPolicy;
use crate::report::Event;

use super::apply::{FlyOptions, PlannedCall};
use super::error::FlyError;
use super::labels;

/// Deletes what the resource owns on Fly. Idempotent: anything already gone
/// is skipped, so an interrupted deletion finishes on the next run.
pub async fn delete(
    client: &Client,
    app: &str,
    owner: &str,
    policy: DeletionPolicy,
    opts: &FlyOptions,
    plan: bool,
) -> Result<(Vec<PlannedCall>, Vec<Event>), FlyError> {
    let mut calls = Vec::new();
    let mut events = Vec::new();
    let mut record = |route: &'static str, summary: String| {
        tracing::info!(route, plan, "{summary}");
        calls.push(PlannedCall { route, summary });
    };
    let apps = client.apps();
    let Some(_) = apps
        .find(app)
        .await
        .map_err(FlyError::api(format!("get app {app}")))?
    else {
        return Ok((calls, events));
    };
    let machines = client.machines(app);
    let owned: Vec<_> = machines
        .list(&ListMachines::default().metadata(labels::OWNER, owner))
        .await
        .map_err(FlyError::api("list machines"))?
        .into_iter()
        .filter(|m| m.metadata(labels::OWNER) == Some(owner) && !m.state.is_terminal())
        .collect();
    match policy {
        DeletionPolicy::Orphan => {
            // One atomic metadata write per machine: ownership becomes a note
            // of who owned it (what re-adoption looks for). The digests go too,
            // so an adopting reconcile re-applies the whole spec once.
            let changes: BTreeMap<String, Option<String>> = [
                (labels::ORPHANED_FROM, Some(owner.to_owned())),
                (labels::OWNER, None),
                (labels::CONFIG_DIGEST, None),
                (labels::SECRET_DIGESTS, None),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            for m in &owned {
                record(
                    fly_machines::Route::METADATA_UPDATE.label,
                    format!(
                        "remove {} from machine {} and mark it {}={owner}",
                        labels::OWNER,
                        m.id,
                        labels::ORPHANED_FROM
                    ),
                );
                if !plan {
                    match machines.update_metadata(&m.id, &changes, None).await {
                        Ok(()) | Err(fly_machines::Error::NotFound(_)) => {}
                        Err(e) => return Err(FlyError::api("orphan machine")(e)),
                    }
                }
            }
            events.push(Event::normal(
                "Orphaned",
                format!("left app {app}, its volume and data in place (deletionPolicy: Orphan)"),
            ));
        }
        DeletionPolicy::Delete => {
            for m in owned {
                record(
                    fly_machines::Route::MACHINE_DESTROY.label,
                    format!("destroy machine {}", m.id),
                );
                if !plan {
                    let (lease, note) =
                        super::lease::acquire(&machines, &m.id, opts, "delete").await?;
                    events.extend(note);
                    match machines.destroy(lease, true).await {
                        Ok(()) | Err(fly_machines::Error::NotFound(_)) => {}
                        Err(e) => {
                            return Err(FlyError::api(format!("destroy machine {}", m.id))(e));
                        }
                    }
                }
            }
            let ips = client.ips(app);
            for ip in ips.list().await.map_err(FlyError::api("list IPs"))? {
                record(
                    fly_machines::Route::IP_RELEASE.label,
                    format!("release IP {}", ip.ip),
                );
                if !plan {
                    match ips.release(&ip.ip).await {
                        Ok(()) | Err(fly_machines::Error::NotFound(_)) => {}
                        Err(e) => return Err(FlyError::api(format!("release IP {}", ip.ip))(e)),
                    }
                }
            }
            let volumes = client.volumes(app);
            for v in volumes
                .list()
                .await
                .map_err(FlyError::api("list volumes"))?
            {
                if v.state.is_being_destroyed() {
                    continue;
                }
                record(
                    fly_machines::Route::VOLUME_DELETE.label,
                    format!("destroy volume {} ({})", v.name, v.id),
                );
                if !plan {
                    match volumes.delete(&v.id).await {
                        Ok(_) | Err(fly_machines::Error::NotFound(_)) => {}
                        // Still bound to the machine just destroyed: retried shortly.
                        Err(e) => return Err(FlyError::api(format!("destroy volume {}", v.id))(e)),
                    }
                }
            }
            record(
                fly_machines::Route::APP_DELETE.label,
                format!("delete app {app}"),
            );
            if !plan {
                match apps.delete(app, false).await {
                    Ok(()) | Err(fly_machines::Error::NotFound(_)) => {}
                    Err(e) => return Err(FlyError::api(format!("delete app {app}"))(e)),
                }
                events.push(Event::normal(
                    "Deleted",
                    format!("destroyed machine, IPs, volume and app {app}"),
                ));
            }
        }
    }
    Ok((calls, events))
}
