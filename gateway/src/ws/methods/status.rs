//! `status` (`operator.read`): runtime status, assembled from the core and subsystem parts.

use crate::state::GatewayBuilder;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    builder
        .methods
        .register("status", Scope::Read, |call| async move {
            Ok(call.gateway.status())
        });
}
