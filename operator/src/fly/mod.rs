//! The Fly backend: build (pure) → diff/apply (the only side effects, in the
//! order of design.md §4) → status.

mod apply;
pub mod build;
mod delete;
pub mod drift;
mod error;
pub mod labels;
mod lease;
mod lock_script;
mod status;

pub use apply::{FlyOptions, FlyRun, Outcome, PlannedCall};
pub use build::{DesiredFly, build};
pub use delete::delete;
pub use error::FlyError;
pub use status::{Starting, gateway_phase, started_for, startup_budget, status};
