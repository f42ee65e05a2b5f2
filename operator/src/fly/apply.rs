//! The *diff + apply* stage for Fly, in the order of design.md §4: app →
//! volume → secrets → network → machine → drift → stale lock. Every step
//! reads before it writes and writes only what differs, so a reconcile of a
//! converged resource makes no mutating call, and a reconcile interrupted at
//! any point converges on the next run without duplicates.
//!
//! In plan mode the same code runs, but each write is recorded as a
//! [`PlannedCall`] instead of being sent: `plan` shows exactly what `up` would do.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fly_machines::{
    AllocateIp, App, Client, CreateApp, CreateMachine, CreateVolume, ExecRequest, IpAssignment,
    ListMachines, Machine, MachineState, Machines, RestartMachine, StopMachine, UpdateMachine,
    Volume, WaitFor, WaitState,
};

use crate::crd::Exposure;
use crate::report::Event;

use super::build::{CHECK_NAME, DesiredFly, MACHINE_NAME};
use super::drift::{FieldDiff, diff_owned, merge};
use super::error::FlyError;
use super::labels;
use super::lock_script;

/// A write the reconcile made (or, in plan mode, would make).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCall {
    /// The API route, e.g. `POST /v1/apps/{app_name}/volumes`.
    pub route: &'static str,
    /// What it does, for humans (never a secret value).
    pub summary: String,
}

/// What one reconcile found and did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The app exists.
    pub app_exists: bool,
    /// The `/data` volume.
    pub volume: Option<Volume>,
    /// App secrets match the spec.
    pub secrets_synced: bool,
    /// IPs after the network step.
    pub ips: Vec<IpAssignment>,
    /// The network matches the exposure.
    pub network_ready: bool,
    /// The machine after the machine step.
    pub machine: Option<Machine>,
    /// Owned fields found drifted and put back.
    pub drift: Vec<FieldDiff>,
    /// Lock files removed by the stale-lock step.
    pub stale_locks: Vec<String>,
    /// Events to publish.
    pub events: Vec<Event>,
    /// Writes made (apply) or planned (plan).
    pub calls: Vec<PlannedCall>,
}

/// Tunables of the Fly reconcile.
#[derive(Clone, Debug)]
pub struct FlyOptions {
    /// Lease TTL while updating/starting/stopping a machine.
    pub lease_ttl: Duration,
    /// How long to wait for a machine to reach `started` after a change.
    pub start_wait: Duration,
    /// Interval (and grace period) of the gateway's health check.
    pub check_interval: Duration,
    /// This operator's identity in lease descriptions, when no other live
    /// process can have it (`up`: see [`crate::applied`]); a lease carrying
    /// it is then taken over at once after a crash instead of waited out.
    pub lease_holder: Option<String>,
}

impl Default for FlyOptions {
    fn default() -> Self {
        Self {
            lease_ttl: Duration::from_secs(15),
            start_wait: Duration::from_secs(30),
            check_interval: super::build::DEFAULT_CHECK_INTERVAL,
            lease_holder: None,
        }
    }
}

/// One reconcile of one resource against the Machines API.
pub struct FlyRun<'a> {
    client: &'a Client,
    opts: &'a FlyOptions,
    plan: bool,
    assume_absent: bool,
    /// The app was created by this run (so it holds nothing yet).
    app_created: bool,
    out: Outcome,
}

fn step(s: impl Into<String>) -> impl FnOnce(fly_machines::Error) -> FlyError {
    FlyError::api(s)
}

impl<'a> FlyRun<'a> {
    /// A run that applies (`plan = false`) or only records (`plan = true`).
    pub fn new(client: &'a Client, opts: &'a FlyOptions, plan: bool) -> Self {
        Self {
            client,
            opts,
            plan,
            assume_absent: false,
            app_created: false,
            out: Outcome::default(),
        }
    }

    /// A plan for an org where nothing exists yet, made without any API call
    /// (`plan` with no API to read from).
    pub fn offline_plan(client: &'a Client, opts: &'a FlyOptions) -> Self {
        Self {
            assume_absent: true,
            ..Self::new(client, opts, true)
        }
    }

    fn record(&mut self, route: &'static str, summary: String) {
        tracing::info!(route, plan = self.plan, "{summary}");
        self.out.calls.push(PlannedCall { route, summary });
    }

    /// Brings Fly to `desired`. On error the outcome so far is lost; the
    /// next run starts over from reads, which is what makes it idempotent.
    pub async fn reconcile(mut self, desired: &DesiredFly) -> Result<Outcome, FlyError> {
        let t = &desired.target;
        let app_exists = self.ensure_app(&t.app, &t.org).await?;
        self.out.app_exists = app_exists;
        let machines = self.client.machines(&t.app);
        let owner = &desired.machine.metadata[labels::OWNER];
        let mut owned = if app_exists {
            self.owned_machines(&machines, owner).await?
        } else {
            Vec::new()
        };
        // A machine to adopt can only be in an app that existed before this run.
        if owned.is_empty() && app_exists && !self.app_created {
            owned.extend(self.adopt_orphan(&machines, owner).await?);
        }
        let mut machine = self.dedupe(&machines, owned).await?;
        let volume = self
            .ensure_volume(desired, app_exists, machine.as_ref())
            .await?;
        let secrets_version = self
            .ensure_secrets(desired, app_exists, machine.as_ref())
            .await?;
        self.ensure_network(desired, app_exists).await?;
        machine = self
            .ensure_machine(desired, &machines, machine, &volume, secrets_version)
            .await?;
        if let Some(m) = &machine
            && !self.plan
            && !desired.suspend
        {
            machine = Some(self.clear_stale_lock(&machines, m.clone()).await?);
        }
        self.out.volume = Some(volume);
        self.out.machine = machine;
        Ok(self.out)
    }

    async fn ensure_app(&mut self, app: &str, org: &str) -> Result<bool, FlyError> {
        let apps = self.client.apps();
        let found = if self.assume_absent {
            None
        } else {
            apps.find(app)
                .await
                .map_err(step(format!("get app {app}")))?
        };
        match found {
            Some(found) => {
                check_org(&found, org)?;
                Ok(true)
            }
            None => {
                self.record(
                    fly_machines::Route::APPS_CREATE.label,
                    format!("create app {app} in org {org}"),
                );
                if self.plan {
                    return Ok(false);
                }
                match apps.create(&CreateApp::new(app, org)).await {
                    Ok(_) => self.app_created = true,
                    // A create whose answer was lost, or a race: it exists now.
                    Err(e) if e.is_name_taken() => {
                        let found = apps
                            .find(app)
                            .await
                            .map_err(step(format!("get app {app}")))?
                            .ok_or_else(|| {
                                FlyError::Blocked(format!(
                                    "the app name {app} is taken by another organization; choose another spec.fly.app"
                                ))
                            })?;
                        check_org(&found, org)?;
                    }
                    Err(e) => return Err(step(format!("create app {app}"))(e)),
                }
                self.out.events.push(Event::normal(
                    "AppCreated",
                    format!("created Fly app {app} in {org}"),
                ));
                Ok(true)
            }
        }
    }

    async fn owned_machines(
        &mut self,
        machines: &Machines,
        owner: &str,
    ) -> Result<Vec<Machine>, FlyError> {
        let mut list = machines
            .list(&ListMachines::default().metadata(labels::OWNER, owner))
            .await
            .map_err(step("list machines"))?;
        // Trust only what the machine itself says (a server may ignore the filter).
        list.retain(|m| m.metadata(labels::OWNER) == Some(owner) && !m.state.is_terminal());
        list.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(list)
    }

    /// Takes back a machine of ours that a deletion with `deletionPolicy:
    /// Orphan` let go of: one marked [`labels::ORPHANED_FROM`] this resource,
    /// else any unowned machine the operator made in this app (orphaned by an
    /// older operator, or by a resource since renamed). Its volume comes
    /// with it (the volume step picks the one it mounts). A machine another
    /// resource owns is never taken.
    async fn adopt_orphan(
        &mut self,
        machines: &Machines,
        owner: &str,
    ) -> Result<Option<Machine>, FlyError> {
        let mut candidates: Vec<Machine> = machines
            .list(&ListMachines::default())
            .await
            .map_err(step("list machines"))?
            .into_iter()
            .filter(|m| {
                !m.state.is_terminal()
                    && m.metadata(labels::OWNER).is_none()
                    && m.metadata(labels::MANAGED_BY) == Some(labels::MANAGER)
            })
            .collect();
        candidates.sort_by(|a, b| {
            let mine = |m: &Machine| m.metadata(labels::ORPHANED_FROM) != Some(owner);
            (mine(a), a.created_at, &a.id).cmp(&(mine(b), b.created_at, &b.id))
        });
        let Some(m) = candidates.into_iter().next() else {
            return Ok(None);
        };
        let from = m
            .metadata(labels::ORPHANED_FROM)
            .map_or_else(|| "an earlier resource".to_owned(), str::to_owned);
        let summary = format!(
            "adopt machine {} (orphaned from {from}): set {}={owner}",
            m.id,
            labels::OWNER
        );
        self.record(fly_machines::Route::METADATA_UPDATE.label, summary.clone());
        if self.plan {
            return Ok(Some(m));
        }
        let changes = BTreeMap::from([
            (labels::OWNER.to_owned(), Some(owner.to_owned())),
            (labels::ORPHANED_FROM.to_owned(), None),
        ]);
        machines
            .update_metadata(&m.id, &changes, None)
            .await
            .map_err(step(format!("adopt machine {}", m.id)))?;
        self.out.events.push(Event::normal("Adopted", summary));
        self.refetch(machines, &m.id).await.map(Some)
    }

    /// Keeps the oldest owned machine and destroys any other: duplicates can
    /// only come from a create whose answer was lost.
    async fn dedupe(
        &mut self,
        machines: &Machines,
        mut owned: Vec<Machine>,
    ) -> Result<Option<Machine>, FlyError> {
        if owned.len() > 1 {
            for extra in owned.split_off(1) {
                self.record(
                    fly_machines::Route::MACHINE_DESTROY.label,
                    format!("destroy duplicate machine {}", extra.id),
                );
                if !self.plan {
                    let lease = self.lease(machines, &extra.id).await?;
                    machines
                        .destroy(lease, true)
                        .await
                        .map_err(step(format!("destroy duplicate machine {}", extra.id)))?;
                    self.out.events.push(Event::warning(
                        "DuplicateRemoved",
                        format!("destroyed duplicate machine {}", extra.id),
                    ));
                }
            }
        }
        Ok(owned.pop())
    }

    async fn ensure_volume(
        &mut self,
        desired: &DesiredFly,
        app_exists: bool,
        machine: Option<&Machine>,
    ) -> Result<Volume, FlyError> {
        let t = &desired.target;
        let volumes = self.client.volumes(&t.app);
        let mut candidates: Vec<Volume> = if app_exists {
            volumes.list().await.map_err(step("list volumes"))?
        } else {
            Vec::new()
        };
        candidates.retain(|v| {
            v.name == t.volume_name && v.region == t.region && !v.state.is_being_destroyed()
        });
        candidates.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let mine = machine.map(|m| m.id.as_str());
        let chosen = candidates
            .iter()
            .find(|v| v.attached_machine_id.is_some() && v.attached_machine_id.as_deref() == mine)
            .or_else(|| candidates.iter().find(|v| v.attached_machine_id.is_none()))
            .cloned();
        let volume = match chosen {
            Some(v) => v,
            None => {
                self.record(
                    fly_machines::Route::VOLUMES_CREATE.label,
                    format!(
                        "create volume {} ({} GB) in {}",
                        t.volume_name, t.volume_size_gb, t.region
                    ),
                );
                if self.plan {
                    placeholder_volume(t)
                } else {
                    let v = volumes
                        .create(&CreateVolume::new(
                            &t.volume_name,
                            &t.region,
                            t.volume_size_gb,
                        ))
                        .await
                        .map_err(step(format!("create volume {}", t.volume_name)))?;
                    self.out.events.push(Event::normal(
                        "VolumeCreated",
                        format!("created volume {} ({})", v.name, v.id),
                    ));
                    v
                }
            }
        };
        if volume.size_gb < t.volume_size_gb {
            self.record(
                fly_machines::Route::VOLUME_EXTEND.label,
                format!(
                    "extend volume {} from {} GB to {} GB",
                    volume.id, volume.size_gb, t.volume_size_gb
                ),
            );
            if !self.plan {
                volumes
                    .extend(&volume.id, t.volume_size_gb)
                    .await
                    .map_err(step(format!("extend volume {}", volume.id)))?;
                self.out.events.push(Event::normal(
                    "VolumeExtended",
                    format!("extended volume {} to {} GB", volume.id, t.volume_size_gb),
                ));
            }
        }
        Ok(volume)
    }

    /// Sets the secrets whose digest changed (or that the app lacks) and
    /// unsets those the operator set before but the spec dropped. Returns the
    /// secrets version of the write, if one was made.
    async fn ensure_secrets(
        &mut self,
        desired: &DesiredFly,
        app_exists: bool,
        machine: Option<&Machine>,
    ) -> Result<Option<u64>, FlyError> {
        let app = &desired.target.app;
        let secrets = self.client.secrets(app);
        let present: BTreeSet<String> = if app_exists {
            secrets
                .list()
                .await
                .map_err(step("list secrets"))?
                .into_iter()
                .map(|s| s.name)
                .collect()
        } else {
            BTreeSet::new()
        };
        let applied: BTreeMap<String, String> = machine
            .and_then(|m| m.metadata(labels::SECRET_DIGESTS))
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default();
        let mut changes: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (name, digest) in &desired.secret_digests {
            if applied.get(name) != Some(digest) || !present.contains(name) {
                changes.insert(
                    name.clone(),
                    Some(desired.secrets[name].expose().to_owned()),
                );
            }
        }
        for name in applied.keys() {
            if !desired.secret_digests.contains_key(name) && present.contains(name) {
                changes.insert(name.clone(), None);
            }
        }
        self.out.secrets_synced = true;
        if changes.is_empty() {
            return Ok(None);
        }
        let (set, unset): (Vec<_>, Vec<_>) = changes.iter().partition(|(_, v)| v.is_some());
        let names = |v: &[(&String, &Option<String>)]| {
            v.iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut summary = String::new();
        if !set.is_empty() {
            summary.push_str(&format!("set secrets {} (values not shown)", names(&set)));
        }
        if !unset.is_empty() {
            if !summary.is_empty() {
                summary.push_str("; ");
            }
            summary.push_str(&format!("unset secrets {}", names(&unset)));
        }
        self.record(fly_machines::Route::SECRETS_UPDATE.label, summary.clone());
        if self.plan {
            return Ok(None);
        }
        let written = secrets
            .update(&changes)
            .await
            .map_err(step("update secrets"))?;
        self.out
            .events
            .push(Event::normal("SecretsUpdated", summary));
        Ok(written.version)
    }

    async fn ensure_network(
        &mut self,
        desired: &DesiredFly,
        app_exists: bool,
    ) -> Result<(), FlyError> {
        let t = &desired.target;
        let ips = self.client.ips(&t.app);
        let mut live = if app_exists {
            ips.list().await.map_err(step("list IPs"))?
        } else {
            Vec::new()
        };
        let mut wanted: Vec<(AllocateIp, &str)> = Vec::new();
        match t.exposure {
            Exposure::Public => {
                if !live.iter().any(|i| !i.is_v6() && i.shared) {
                    wanted.push((AllocateIp::SharedV4, "shared IPv4"));
                }
                if !live.iter().any(|i| i.is_v6() && !i.is_private()) {
                    wanted.push((AllocateIp::public_v6(), "public IPv6"));
                }
            }
            Exposure::Private => {
                for ip in live.iter().filter(|i| !i.is_private()) {
                    self.out.calls.push(PlannedCall {
                        route: fly_machines::Route::IP_RELEASE.label,
                        summary: format!("release public IP {} (exposure: private)", ip.ip),
                    });
                    if !self.plan {
                        ips.release(&ip.ip)
                            .await
                            .map_err(step(format!("release IP {}", ip.ip)))?;
                        self.out.events.push(Event::normal(
                            "IpReleased",
                            format!("released public IP {}", ip.ip),
                        ));
                    }
                }
                live.retain(IpAssignment::is_private);
                if live.is_empty() {
                    wanted.push((AllocateIp::private_v6(), "private Flycast IPv6"));
                }
            }
        }
        for (request, what) in wanted {
            self.record(
                fly_machines::Route::IPS_ALLOCATE.label,
                format!("allocate {what}"),
            );
            if !self.plan {
                let ip = ips
                    .allocate(&request)
                    .await
                    .map_err(step(format!("allocate {what}")))?;
                self.out.events.push(Event::normal(
                    "IpAllocated",
                    format!("allocated {what} {}", ip.ip),
                ));
                live.push(ip);
            }
        }
        self.out.network_ready = !self.plan || self.out.calls.is_empty();
        self.out.ips = live;
        Ok(())
    }

    async fn lease(
        &mut self,
        machines: &Machines,
        id: &str,
    ) -> Result<fly_machines::Lease, FlyError> {
        let (lease, note) = super::lease::acquire(machines, id, self.opts, "reconcile").await?;
        self.out.events.extend(note);
        Ok(lease)
    }

    async fn ensure_machine(
        &mut self,
        desired: &DesiredFly,
        machines: &Machines,
        live: Option<Machine>,
        volume: &Volume,
        secrets_version: Option<u64>,
    ) -> Result<Option<Machine>, FlyError> {
        let mut config = desired.machine.clone();
        if let Some(m) = config.mounts.first_mut() {
            m.volume = volume.id.clone();
        }
        let Some(live) = live else {
            self.record(
                fly_machines::Route::MACHINES_CREATE.label,
                format!(
                    "create machine {MACHINE_NAME} ({} MB, {}) in {}{}",
                    desired.target.guest.memory_mb,
                    desired.machine.image,
                    desired.target.region,
                    if desired.suspend {
                        ", not started (suspended)"
                    } else {
                        ""
                    }
                ),
            );
            if self.plan {
                return Ok(None);
            }
            let mut request = CreateMachine::new(config)
                .name(MACHINE_NAME)
                .region(&desired.target.region);
            if let Some(v) = secrets_version {
                request = request.min_secrets_version(v);
            }
            if desired.suspend {
                request = request.skip_launch();
            }
            let created = machines
                .create(&request)
                .await
                .map_err(step("create machine"))?;
            self.out.events.push(Event::normal(
                "MachineCreated",
                format!("created machine {}", created.id),
            ));
            let created = if desired.suspend {
                created
            } else {
                self.wait_started(machines, &created).await?
            };
            return Ok(Some(created));
        };

        let live_config = live.effective_config().cloned().unwrap_or_default();
        let diffs = diff_owned(&config, &live_config);
        let spec_changed =
            live.metadata(labels::CONFIG_DIGEST) != Some(desired.config_digest.as_str());
        let secrets_changed = live.metadata(labels::SECRET_DIGESTS)
            != desired
                .machine
                .metadata
                .get(labels::SECRET_DIGESTS)
                .map(String::as_str)
            || secrets_version.is_some();
        let volume_changed =
            live_config.mounts.first().map(|m| m.volume.as_str()) != Some(volume.id.as_str());
        let mut machine = live;
        if !diffs.is_empty() || spec_changed || secrets_changed || volume_changed {
            let mut why = Vec::new();
            if spec_changed {
                why.push("spec changed".to_owned());
            } else if !diffs.is_empty() {
                why.push(format!(
                    "drift: {}",
                    diffs
                        .iter()
                        .map(|d| format!("{} {} → {}", d.field, d.live, d.desired))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if secrets_changed {
                why.push("secrets changed".into());
            }
            if volume_changed {
                why.push("volume mount".into());
            }
            self.record(
                fly_machines::Route::MACHINE_UPDATE.label,
                format!("update machine {} ({})", machine.id, why.join("; ")),
            );
            if !spec_changed {
                self.out.drift = diffs;
            }
            if self.plan {
                return Ok(Some(machine));
            }
            let lease = self.lease(machines, &machine.id).await?;
            let mut request = UpdateMachine::new(merge(&config, &live_config))
                .current_version(&machine.instance_id);
            if let Some(v) = secrets_version {
                request = request.min_secrets_version(v);
            }
            if desired.suspend {
                request.skip_launch = true;
            }
            let result = machines.update(&lease, &request).await;
            let _ = machines.release_lease(lease).await;
            machine = result.map_err(step(format!("update machine {}", machine.id)))?;
            self.out.events.push(Event::normal(
                "MachineUpdated",
                format!("updated machine {} ({})", machine.id, why.join("; ")),
            ));
            if !desired.suspend {
                machine = self.wait_started(machines, &machine).await?;
            }
        }
        self.ensure_power(desired, machines, machine)
            .await
            .map(Some)
    }

    /// Starts a stopped machine, or stops a running one when suspended.
    async fn ensure_power(
        &mut self,
        desired: &DesiredFly,
        machines: &Machines,
        machine: Machine,
    ) -> Result<Machine, FlyError> {
        let state = machine.state.clone();
        let id = machine.id.clone();
        if desired.suspend {
            if matches!(state, MachineState::Started | MachineState::Starting) {
                self.record(
                    fly_machines::Route::MACHINE_STOP.label,
                    format!("stop machine {id} (suspended)"),
                );
                if !self.plan {
                    let lease = self.lease(machines, &id).await?;
                    let r = machines.stop(&lease, &StopMachine::default()).await;
                    let _ = machines.release_lease(lease).await;
                    r.map_err(step(format!("stop machine {id}")))?;
                    self.out
                        .events
                        .push(Event::normal("Suspended", format!("stopped machine {id}")));
                    return self.refetch(machines, &id).await;
                }
            }
            return Ok(machine);
        }
        if matches!(
            state,
            MachineState::Stopped
                | MachineState::Created
                | MachineState::Suspended
                | MachineState::Failed
        ) {
            self.record(
                fly_machines::Route::MACHINE_START.label,
                format!("start machine {id} (was {state})"),
            );
            if self.plan {
                return Ok(machine);
            }
            let lease = self.lease(machines, &id).await?;
            let r = machines.start(&lease).await;
            let _ = machines.release_lease(lease).await;
            r.map_err(step(format!("start machine {id}")))?;
            self.out.events.push(Event::normal(
                "MachineStarted",
                format!("started machine {id} (was {state})"),
            ));
            return self.wait_started(machines, &machine).await;
        }
        Ok(machine)
    }

    async fn wait_started(
        &mut self,
        machines: &Machines,
        m: &Machine,
    ) -> Result<Machine, FlyError> {
        let wait = WaitFor::state(WaitState::Started, self.opts.start_wait);
        match machines.wait(&m.id, &wait).await {
            Ok(_) | Err(fly_machines::Error::Timeout { .. }) => {}
            Err(e) => return Err(step(format!("wait for machine {}", m.id))(e)),
        }
        self.refetch(machines, &m.id).await
    }

    async fn refetch(&mut self, machines: &Machines, id: &str) -> Result<Machine, FlyError> {
        machines
            .get(id)
            .await
            .map_err(step(format!("get machine {id}")))
    }

    /// When the gateway is failing — its check critical while started, or
    /// crash-looping (its latest exit was an error) — removes lock files
    /// naming dead processes (read with `exec`) and restarts the machine.
    async fn clear_stale_lock(
        &mut self,
        machines: &Machines,
        machine: Machine,
    ) -> Result<Machine, FlyError> {
        let check = machine.check(CHECK_NAME).map(|c| c.status.clone());
        let running = matches!(
            machine.state,
            MachineState::Started | MachineState::Starting | MachineState::Restarting
        );
        let crash_looping = machine
            .events
            .iter()
            .find(|e| e.kind == fly_machines::EventType::Exit)
            .and_then(fly_machines::MachineEvent::exit_code)
            .is_some_and(|code| code != 0);
        let failing = check == Some(fly_machines::CheckState::Critical) || crash_looping;
        if !running || !failing || check == Some(fly_machines::CheckState::Passing) {
            return Ok(machine);
        }
        let request = ExecRequest::new(["sh", "-c", lock_script::SCRIPT]).timeout_secs(10);
        let out = match machines.exec(&machine.id, &request).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(machine = %machine.id, error = %e, "cannot inspect lock files");
                return Ok(machine);
            }
        };
        let removed = lock_script::removed(&out.stdout);
        if removed.is_empty() {
            return Ok(machine);
        }
        if machine.state == MachineState::Started {
            self.record(
                fly_machines::Route::MACHINE_RESTART.label,
                format!("restart machine {} after removing stale locks", machine.id),
            );
            let lease = self.lease(machines, &machine.id).await?;
            let r = machines.restart(&lease, &RestartMachine::default()).await;
            let _ = machines.release_lease(lease).await;
            r.map_err(step(format!("restart machine {}", machine.id)))?;
        }
        // Otherwise the machine is between crash-loop attempts: its restart
        // policy relaunches it, now without the lock.
        self.out.events.push(Event::normal(
            "StaleLockCleared",
            format!(
                "removed {} (owner process gone) and restarted machine {}",
                removed.join(", "),
                machine.id
            ),
        ));
        self.out.stale_locks = removed;
        self.wait_started(machines, &machine).await
    }
}

fn check_org(app: &App, org: &str) -> Result<(), FlyError> {
    match &app.organization {
        Some(o) if o.slug != org => Err(FlyError::Blocked(format!(
            "app {} belongs to org {}, not {org}; fix spec.fly.org or choose another spec.fly.app",
            app.name, o.slug
        ))),
        _ => Ok(()),
    }
}

fn placeholder_volume(t: &crate::validate::FlyTarget) -> Volume {
    serde_json::from_value(serde_json::json!({
        "id": "<new volume>", "name": t.volume_name, "state": "created",
        "size_gb": t.volume_size_gb, "region": t.region
    }))
    .expect("placeholder volume")
}
