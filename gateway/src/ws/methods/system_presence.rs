//! `system-presence` (`operator.read`): the gateway and its connected clients.

use serde_json::Value;

use crate::state::GatewayBuilder;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    builder
        .methods
        .register("system-presence", Scope::Read, |call| async move {
            Ok(Value::Array(call.gateway.presence.list()))
        });
}
