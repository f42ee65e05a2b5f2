//! Machine calls of one app: list/get/create/update/destroy and the
//! lifecycle (start, stop, restart, suspend, signal, cordon), exec, events
//! and versions. Leases, waits and metadata live in their own modules but are
//! methods of the same [`Machines`] handle.
//!
//! Calls that change a machine take the [`Lease`] held on it: the lease names
//! the machine, and its nonce goes in `fly-machine-lease-nonce`.

use std::borrow::Borrow;
use std::time::Duration;

use serde::Serialize;

use crate::client::{Client, Request};
use crate::error::{Error, optional};
use crate::route::Route;
use crate::types::{
    CreateMachine, ExecRequest, ExecResponse, Lease, LeaseInfo, ListMachines, Machine,
    MachineEvent, MachineVersion, RestartMachine, Signal, StartResponse, StopMachine,
    UpdateMachine,
};

/// Slack added to the request timeout of calls that run for a requested
/// time on the server (exec, wait).
pub(crate) const SERVER_TIME_SLACK: Duration = Duration::from_secs(15);

/// Machine calls of one app, from [`Client::machines`].
#[derive(Debug, Clone)]
pub struct Machines {
    pub(crate) client: Client,
    pub(crate) app: String,
}

impl Machines {
    pub(crate) fn new(client: Client, app: String) -> Self {
        Self { client, app }
    }

    /// The app these calls address.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// Machines of the app matching `filter` (all but destroyed ones with
    /// the default filter). The API does not paginate this list.
    pub async fn list(&self, filter: &ListMachines) -> Result<Vec<Machine>, Error> {
        let request = Request::new(Route::MACHINES_LIST, &[&self.app]).queries(filter.query());
        self.client.json(request).await
    }

    /// Machine `id`.
    pub async fn get(&self, id: &str) -> Result<Machine, Error> {
        self.client
            .json(Request::new(Route::MACHINE_GET, &[&self.app, id]))
            .await
    }

    /// Machine `id`, or `None` when it does not exist.
    pub async fn find(&self, id: &str) -> Result<Option<Machine>, Error> {
        optional(self.get(id).await)
    }

    /// Creates a machine (initial state usually `created`, then `started`
    /// unless `skip_launch`). Never retried after it may have been applied:
    /// on an error other than 429, list by metadata before creating again.
    pub async fn create(&self, request: &CreateMachine) -> Result<Machine, Error> {
        let body = CreateBody {
            request,
            lease_ttl: None,
        };
        self.client
            .json(Request::new(Route::MACHINES_CREATE, &[&self.app]).json(&body)?)
            .await
    }

    /// Creates a machine already leased for `ttl`, so no other writer can
    /// touch it before this caller has finished setting it up.
    pub async fn create_leased(
        &self,
        request: &CreateMachine,
        ttl: Duration,
    ) -> Result<(Machine, Lease), Error> {
        let body = CreateBody {
            request,
            lease_ttl: Some(ttl_secs(ttl)),
        };
        let machine: Machine = self
            .client
            .json(Request::new(Route::MACHINES_CREATE, &[&self.app]).json(&body)?)
            .await?;
        let nonce = machine
            .nonce
            .clone()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| Error::Decode {
                route: Route::MACHINES_CREATE.label,
                status: 200,
                message: format!(
                    "machine {} was created with lease_ttl but the answer carries no nonce",
                    machine.id
                ),
                request_id: None,
            })?;
        let info = LeaseInfo {
            nonce,
            expires_at: None,
            owner: String::new(),
            description: String::new(),
            version: Some(machine.instance_id.clone()),
            extra: Default::default(),
        };
        let lease = Lease::new(&self.app, &machine.id, info);
        Ok((machine, lease))
    }

    /// Replaces the config of the leased machine; a running machine reboots
    /// with it, a stopped one starts unless `skip_launch`. Returns the
    /// machine at its new version. Not retried (see [`crate::route`]).
    pub async fn update(&self, lease: &Lease, request: &UpdateMachine) -> Result<Machine, Error> {
        let id = self.leased(lease)?;
        let request = Request::new(Route::MACHINE_UPDATE, &[&self.app, id])
            .json(request)?
            .nonce(lease.nonce());
        self.client.json(request).await
    }

    /// Destroys the leased machine; the lease ends with it (releasing it
    /// afterwards is harmless). Without `force` the API refuses a running
    /// machine: pass `&lease` to keep holding the lease in that case, or the
    /// lease itself to give it up whatever happens.
    pub async fn destroy(&self, lease: impl Borrow<Lease>, force: bool) -> Result<(), Error> {
        let lease = lease.borrow();
        let id = self.leased(lease)?;
        let mut request = Request::new(Route::MACHINE_DESTROY, &[&self.app, id])
            .nonce(lease.nonce())
            .gone_is_done();
        if force {
            request = request.query("force", "true");
        }
        self.client.unit(request).await
    }

    /// Starts the leased machine (from `stopped`, `suspended` or `created`).
    pub async fn start(&self, lease: &Lease) -> Result<StartResponse, Error> {
        let id = self.leased(lease)?;
        let response = self
            .client
            .send(Request::new(Route::MACHINE_START, &[&self.app, id]).nonce(lease.nonce()))
            .await?;
        if response.is_empty() {
            Ok(StartResponse::default())
        } else {
            response.json()
        }
    }

    /// Stops the leased machine, optionally with another signal or grace period.
    pub async fn stop(&self, lease: &Lease, request: &StopMachine) -> Result<(), Error> {
        let id = self.leased(lease)?;
        let request = Request::new(Route::MACHINE_STOP, &[&self.app, id])
            .json(request)?
            .nonce(lease.nonce());
        self.client.unit(request).await
    }

    /// Restarts the leased machine.
    pub async fn restart(&self, lease: &Lease, options: &RestartMachine) -> Result<(), Error> {
        let id = self.leased(lease)?;
        let mut request =
            Request::new(Route::MACHINE_RESTART, &[&self.app, id]).nonce(lease.nonce());
        if let Some(timeout) = options.timeout {
            request = request.query("timeout", timeout);
        }
        if let Some(signal) = &options.signal {
            request = request.query("signal", signal);
        }
        if options.force_stop {
            request = request.query("force_stop", "true");
        }
        self.client.unit(request).await
    }

    /// Suspends the leased machine (the next start resumes from a snapshot).
    pub async fn suspend(&self, lease: &Lease) -> Result<(), Error> {
        self.leased_call(Route::MACHINE_SUSPEND, lease).await
    }

    /// Stops the proxy from routing to the leased machine.
    pub async fn cordon(&self, lease: &Lease) -> Result<(), Error> {
        self.leased_call(Route::MACHINE_CORDON, lease).await
    }

    /// Lets the proxy route to the leased machine again.
    pub async fn uncordon(&self, lease: &Lease) -> Result<(), Error> {
        self.leased_call(Route::MACHINE_UNCORDON, lease).await
    }

    /// Sends `signal` to the machine's main process (no lease needed: a
    /// signal does not change the machine's config or desired state).
    pub async fn signal(&self, id: &str, signal: Signal) -> Result<(), Error> {
        #[derive(Serialize)]
        struct Body<'a> {
            signal: &'a Signal,
        }
        self.client
            .unit(
                Request::new(Route::MACHINE_SIGNAL, &[&self.app, id])
                    .json(&Body { signal: &signal })?,
            )
            .await
    }

    /// Runs a command in the machine and returns its exit code and output.
    /// Never retried: the command could run twice.
    pub async fn exec(&self, id: &str, request: &ExecRequest) -> Result<ExecResponse, Error> {
        let runtime = Duration::from_secs(request.timeout.unwrap_or(60));
        let request = Request::new(Route::MACHINE_EXEC, &[&self.app, id])
            .json(request)?
            .timeout(runtime + SERVER_TIME_SLACK);
        self.client.json(request).await
    }

    /// The machine's most recent events, newest first (`limit` ≤ 50; the
    /// API's default is 20).
    pub async fn events(&self, id: &str, limit: Option<u32>) -> Result<Vec<MachineEvent>, Error> {
        let mut request = Request::new(Route::MACHINE_EVENTS, &[&self.app, id]);
        if let Some(limit) = limit {
            request = request.query("limit", limit);
        }
        self.client.json(request).await
    }

    /// Every config version of the machine.
    pub async fn versions(&self, id: &str) -> Result<Vec<MachineVersion>, Error> {
        self.client
            .json(Request::new(Route::MACHINE_VERSIONS, &[&self.app, id]))
            .await
    }

    async fn leased_call(&self, route: crate::route::Route, lease: &Lease) -> Result<(), Error> {
        let id = self.leased(lease)?;
        self.client
            .unit(Request::new(route, &[&self.app, id]).nonce(lease.nonce()))
            .await
    }

    /// The id of the machine `lease` is held on, checked to belong to this app.
    pub(crate) fn leased<'l>(&self, lease: &'l Lease) -> Result<&'l str, Error> {
        if lease.app() != self.app {
            return Err(Error::InvalidArgument(format!(
                "the lease on machine {} belongs to app {}, not {}; use client.machines({:?})",
                lease.machine_id(),
                lease.app(),
                self.app,
                lease.app()
            )));
        }
        Ok(lease.machine_id())
    }
}

/// Lease TTLs go over the wire in whole seconds, at least one.
pub(crate) fn ttl_secs(ttl: Duration) -> u64 {
    ttl.as_secs_f64().ceil().max(1.0) as u64
}

#[derive(Serialize)]
struct CreateBody<'a> {
    #[serde(flatten)]
    request: &'a CreateMachine,
    #[serde(skip_serializing_if = "Option::is_none")]
    lease_ttl: Option<u64>,
}
