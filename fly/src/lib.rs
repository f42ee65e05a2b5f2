//! Typed async client for the [Fly Machines API](https://fly.io/docs/machines/api/).
//!
//! It speaks to the public API or to `fly-local` (the same paths and
//! shapes), and is built for a reconciler: typed errors that say what to do
//! next, retries only where a second attempt cannot double-apply, leases as
//! values the mutating calls require, waits that outlast the API's 60-second
//! ceiling, and configs that survive get → modify → update without losing
//! fields this crate does not model.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fly_machines::Error> {
//! use std::time::Duration;
//! use fly_machines::*;
//!
//! let fly = Client::from_env()?; // FLY_API_TOKEN, FLY_FLAPS_BASE_URL
//! let machines = fly.machines("my-openclaw");
//! let mine = machines.list(&ListMachines::default().metadata("openclaw.ai/owner", "default/my-openclaw")).await?;
//! if let Some(machine) = mine.first() {
//!     let lease = machines.acquire_lease(&machine.id, Duration::from_secs(30), Some("reconcile")).await?;
//!     let mut config = machine.config.clone().unwrap_or_default();
//!     config.guest = Some(MachineGuest::shared(1, 256));
//!     let updated = machines.update(&lease, &UpdateMachine::new(config).current_version(&machine.instance_id)).await?;
//!     machines.wait(&updated.id, &WaitFor::state(WaitState::Started, Duration::from_secs(120)).version(&updated.instance_id)).await?;
//!     machines.release_lease(lease).await?;
//! }
//! # Ok(()) }
//! ```

mod apps;
mod auth;
mod client;
mod error;
mod ips;
mod leases;
mod logs;
mod machines;
mod metadata;
mod observe;
mod orgs;
mod retry;
pub mod route;
mod secrets;
mod types;
mod volumes;
mod wait;

pub use apps::Apps;
pub use auth::{Scheme, TOKEN_ENV, Token};
pub use client::{
    BASE_URL_ENV, Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_REQUEST_TIMEOUT, NONCE_HEADER,
    REQUEST_ID_HEADER, user_agent,
};
pub use error::{ApiError, Error};
pub use ips::Ips;
pub use logs::{DEFAULT_LOGS_URL, LogEntry, LogsClient};
pub use machines::Machines;
pub use observe::{CallRecord, Observer};
pub use orgs::Org;
pub use retry::RetryPolicy;
pub use route::Route;
pub use secrets::Secrets;
pub use types::*;
pub use volumes::Volumes;
pub use wait::MAX_WAIT_PER_REQUEST;
