//! The API's resources as fly-local stores them, and the rules that belong to
//! the resources themselves (state machine, config validation, leases).

pub mod app;
pub mod config;
pub mod duration;
pub mod event;
pub mod lease;
pub mod machine;
pub mod signal;
pub mod state;
pub mod volume;

pub use app::{App, IpAssignment, Secret};
pub use event::{Event, Source};
pub use lease::Lease;
pub use machine::{CheckStatus, Machine, RenderOptions};
pub use state::{MachineState, WaitTarget};
pub use volume::Volume;
