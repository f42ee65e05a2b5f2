//! The API's data types: what the client sends and receives.
//!
//! Every response type keeps unknown fields in `extra`, enums of closed sets
//! keep unknown values in `Other(String)`, and collections read `null` as
//! empty: a newer API never makes this client fail to read a response, and a
//! config read, modified and written back loses nothing.

pub(crate) mod open_enum;
pub(crate) mod wire;

mod app;
mod check;
mod config;
mod duration;
mod event;
mod exec;
mod file;
mod guest;
mod ip;
mod lease;
mod machine;
mod machine_request;
mod mount;
mod org;
mod process;
mod restart;
mod secret;
mod service;
mod signal;
mod stop;
mod volume;
mod wait;

pub(crate) use app::ListAppsResponse;
pub use app::{App, AppStatus, CreateApp, Organization};
pub use check::{CheckKind, CheckType, HttpHeader, MachineCheck};
pub use config::MachineConfig;
pub use duration::{FlyDuration, ParseDurationError};
pub use event::{EventType, MachineEvent};
pub use exec::{ExecRequest, ExecResponse};
pub use file::MachineFile;
pub use guest::{CpuKind, MachineGuest};
pub(crate) use ip::ListIpsResponse;
pub use ip::{AllocateIp, IpAssignment, IpType};
pub(crate) use lease::LeaseEnvelope;
pub use lease::{Lease, LeaseContinuity, LeaseInfo};
pub use machine::{
    CheckState, CheckStatus, HostStatus, ImageRef, LeaseSummary, Machine, MachineState,
};
pub use machine_request::{
    CreateMachine, ListMachines, MachineVersion, StartResponse, UpdateMachine,
};
pub use mount::MachineMount;
pub(crate) use org::OrgMachinesPage;
pub use org::{ListOrgMachines, OrgMachine, OrgMachineConfig};
pub use process::{MachineInit, MachineProcess, MachineSecret};
pub use restart::{MachineRestart, RestartPolicy};
pub use secret::{AppSecret, SecretsWrite};
pub(crate) use secret::{
    ListSecretsResponse, SetSecretResponse, UpdateSecretsResponse, WireVersion,
};
pub use service::{
    Autostop, Concurrency, ConcurrencyType, Handler, MachinePort, MachineService, Protocol,
};
pub use signal::Signal;
pub use stop::{RestartMachine, StopConfig, StopMachine};
pub use volume::{CreateVolume, ExtendedVolume, UpdateVolume, Volume, VolumeState};
pub use wait::{WaitFor, WaitResponse, WaitState};
pub use wire::Extra;
