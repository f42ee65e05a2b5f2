//! `health` (`operator.read`): the health snapshot. `{probe: true}` (or any params) gets a
//! fresh snapshot, which is also broadcast as a `health` event, as the original does.

use crate::state::GatewayBuilder;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    builder
        .methods
        .register("health", Scope::Read, |call| async move {
            let health = call.gateway.health();
            call.gateway.events.emit_health(&health);
            Ok(health)
        });
}
