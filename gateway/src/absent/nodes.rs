//! Nodes (paired companion machines and phones) and execution environments: no
//! node ever connects here; the one environment is the gateway itself, which
//! runs agent turns and holds sessions.

use serde_json::json;

use super::answer;
use crate::state::GatewayBuilder;
use crate::state::lifecycle::now_ms;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    answer(builder, "node.list", Scope::Read, |_| {
        Ok(json!({"ts": now_ms(), "nodes": []}))
    });
    answer(builder, "node.pair.list", Scope::Pairing, |_| {
        Ok(json!({"pending": [], "paired": []}))
    });
    answer(builder, "environments.list", Scope::Read, |_| {
        Ok(json!({"environments": [{
            "id": "gateway", "type": "local", "label": "Gateway local", "status": "available",
            "platform": std::env::consts::OS, "sessionHost": true, "trust": "persistent",
            "capabilities": ["agent.run", "sessions"],
        }]}))
    });
}
