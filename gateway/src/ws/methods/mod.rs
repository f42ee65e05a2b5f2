//! The core's WebSocket methods. Other subsystems register theirs the same way.

mod health;
mod status;
mod system_presence;

use crate::state::GatewayBuilder;

/// Registers the core methods and the events the core emits.
pub fn install(builder: &mut GatewayBuilder) {
    health::install(builder);
    status::install(builder);
    system_presence::install(builder);
    for event in [
        "connect.challenge",
        "tick",
        "presence",
        "health",
        "shutdown",
    ] {
        builder.methods.register_event(event);
    }
}
