//! fly-local: a local, faithful Fly Machines API whose machines are real
//! processes.
//!
//! It serves the Machines API paths (`/v1/apps/...`) with the JSON shapes,
//! status codes and state machine of the real API (see
//! `spec/fly-machines-openapi.yml`), persists state in SQLite, runs each
//! machine's image as a local program chosen by an [image table](images),
//! isolated in its own namespaces when running as root, and adds test
//! hooks under `/__fly-local/` (request log, fault injection, kill, logs,
//! service endpoints).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use fly_local::{FlyLocal, ImageSpec};
//! let server = FlyLocal::builder()
//!     .data_dir("/tmp/fly-local")
//!     .token("secret")
//!     .image(ImageSpec::parse_short("registry.fly.io/openclaw-rs:*=/work/target/debug")?)
//!     .start()
//!     .await?;
//! println!("FLY_API_HOSTNAME={} token={}", server.base_url(), server.token());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod api;
pub mod clock;
pub mod context;
pub mod db;
pub mod error;
pub mod ids;
pub mod images;
pub mod model;
pub mod runtime;
pub mod server;
pub mod settings;
pub mod store;

pub use error::ApiError;
pub use images::{ImageSpec, ImageTable};
pub use runtime::egress::Egress;
pub use server::{FlyLocal, FlyLocalBuilder, StartError};
pub use settings::{Delays, EgressSettings, Isolation, Settings};
