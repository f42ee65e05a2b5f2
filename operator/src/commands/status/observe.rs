//! `status -f`: the resources the files declare, each with what exists for
//! it on the platform, read (never written) from the Fly API or a fly-local:
//! its app, its machine (found by the `openclaw.ai/owner` metadata), volume
//! and IPs. The phase is judged as a reconcile would judge it
//! ([`crate::fly::gateway_phase`]); events are not known without a
//! running operator.

use std::path::{Path, PathBuf};

use fly_machines::{ListMachines, MachineState};

use super::View;
use crate::board::Entry;
use crate::connect::Connection;
use crate::crd::{Exposure, FlyStatus, OpenClawStatus, Phase};
use crate::fly::build::CHECK_NAME;
use crate::fly::labels::OWNER;
use crate::reconcile::prepare;
use crate::resource::ResourceKey;
use crate::secrets::LocalSecretResolver;
use crate::source::DirectorySource;
use crate::validate::{FlyTarget, Target};

/// The view of `paths`, with what `conn` has (nothing when `None`).
pub async fn view(paths: &[PathBuf], conn: Option<&Connection>, state: &Path) -> View {
    let (snap, _) = DirectorySource::new(paths.to_vec()).refresh();
    let resolver = LocalSecretResolver {
        read_only: true,
        ..LocalSecretResolver::with_generated_dir(state.join("secrets"))
    };
    let mut view = View {
        file_errors: snap.file_errors.clone(),
        skipped: snap.skipped.clone(),
        source: match conn {
            Some(c) => format!("the files, and {}", c.description),
            None => {
                "the files only: no FLY_API_TOKEN and no running `up` to ask what exists".into()
            }
        },
        ..View::default()
    };
    for (key, declared) in &snap.resources {
        let status = match prepare(key, &declared.object, &resolver, Some(&declared.origin)) {
            Err(e) => OpenClawStatus {
                phase: Phase::Failed,
                message: Some(format!("{}: {e}", e.reason())),
                ..Default::default()
            },
            Ok(valid) => match (&valid.target, conn) {
                (Target::Kubernetes(_), _) => OpenClawStatus {
                    message: Some("platform kubernetes: see `kubectl get claw`".into()),
                    ..Default::default()
                },
                (Target::Fly(t), None) => OpenClawStatus {
                    message: Some(format!(
                        "app {}: nothing to ask (set FLY_API_TOKEN, or start `up`)",
                        t.app
                    )),
                    ..Default::default()
                },
                (Target::Fly(t), Some(c)) => observe(&c.client, key, t).await,
            },
        };
        view.entries.insert(
            key.clone(),
            Entry {
                status,
                ..Entry::default()
            },
        );
    }
    view
}

async fn observe(
    client: &fly_machines::Client,
    key: &ResourceKey,
    t: &FlyTarget,
) -> OpenClawStatus {
    let unreadable = |e: fly_machines::Error| OpenClawStatus {
        message: Some(format!("cannot read app {}: {e}", t.app)),
        ..Default::default()
    };
    match client.apps().find(&t.app).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return OpenClawStatus {
                message: Some(format!("not created yet (no app {})", t.app)),
                ..Default::default()
            };
        }
        Err(e) => return unreadable(e),
    }
    let machines = match client
        .machines(&t.app)
        .list(&ListMachines::default().metadata(OWNER, key.to_string()))
        .await
    {
        Ok(m) => m,
        Err(e) => return unreadable(e),
    };
    let machine = machines
        .into_iter()
        .find(|m| !matches!(m.state, MachineState::Destroyed | MachineState::Destroying));
    let volume = client
        .volumes(&t.app)
        .list()
        .await
        .ok()
        .and_then(|v| v.into_iter().find(|v| v.name == t.volume_name));
    let ips = client.ips(&t.app).list().await.unwrap_or_default();
    let check = machine
        .as_ref()
        .and_then(|m| m.check(CHECK_NAME))
        .map(|c| c.status.clone());
    let state = machine.as_ref().map(|m| m.state.clone());
    // Without the operator's history, judged as a first start with the
    // shorter (Rust) budget: an observer cannot know better.
    let starting = crate::fly::Starting {
        previous: Phase::Pending,
        since_start: machine
            .as_ref()
            .and_then(|m| crate::fly::started_for(m, jiff::Timestamp::now())),
        budget: std::time::Duration::from_secs(30),
    };
    let phase = crate::fly::gateway_phase(state.as_ref(), check.as_ref(), &starting);
    let message = match (&state, &check) {
        (None, _) => "no machine yet".to_owned(),
        (Some(st), Some(ch)) => format!("machine {st}, check {ch}"),
        (Some(st), None) => format!("machine {st}, check not run yet"),
    };
    let hostname = match t.exposure {
        Exposure::Public => format!("{}.fly.dev", t.app),
        Exposure::Private => format!("{}.flycast", t.app),
    };
    OpenClawStatus {
        phase,
        message: Some(message),
        endpoint: Some(match t.exposure {
            Exposure::Public => format!("wss://{hostname}"),
            Exposure::Private => format!("ws://{hostname}"),
        }),
        fly: Some(FlyStatus {
            app: Some(t.app.clone()),
            machine_id: machine.as_ref().map(|m| m.id.clone()),
            machine_state: state.map(|s| s.to_string()),
            volume_id: volume.map(|v| v.id),
            ips: ips.into_iter().map(|i| i.ip).collect(),
            hostname: Some(hostname),
            ..Default::default()
        }),
        ..Default::default()
    }
}
