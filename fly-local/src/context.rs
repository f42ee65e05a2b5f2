//! What every request handler gets: the state, the runtime, the settings and
//! the admin-side recorders.

use std::sync::Arc;

use crate::admin::faults::Faults;
use crate::admin::requests::RequestLog;
use crate::clock::Clock;
use crate::db::Shared;
use crate::runtime::Runtime;
use crate::settings::Settings;

#[derive(Clone)]
pub struct Ctx(pub Arc<Inner>);

pub struct Inner {
    pub shared: Arc<Shared>,
    pub runtime: Arc<Runtime>,
    pub settings: Arc<Settings>,
    pub clock: Arc<Clock>,
    pub requests: RequestLog,
    pub faults: Faults,
}

impl std::ops::Deref for Ctx {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
