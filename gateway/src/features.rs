//! Every subsystem that contributes WebSocket methods, events, status parts or readiness
//! checks, installed in order. Agents and channels add their `install` call here.

use crate::state::GatewayBuilder;

pub fn install(builder: &mut GatewayBuilder) {
    crate::ws::methods::install(builder);
    crate::config::methods::install(builder);
    crate::logs::install(builder);
    crate::devices::install(builder);
    let engine = crate::agents::install(builder);
    crate::system::install(builder, engine.clone());
    crate::absent::install(builder);
    crate::channels::install(builder, engine);
}
