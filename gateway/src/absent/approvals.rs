//! Approvals and questions: this gateway runs no host commands, no plugin actions
//! needing consent and asks no questions, so nothing ever waits for an operator.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::answer;
use crate::state::GatewayBuilder;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    for name in [
        "exec.approval.list",
        "plugin.approval.list",
        "openclaw.approval.list",
    ] {
        answer(builder, name, Scope::Approvals, |_| Ok(json!([])));
    }
    answer(builder, "question.list", Scope::Questions, |_| {
        Ok(json!({"questions": []}))
    });
    // The host exec policy: none stored, and host execution is denied outright.
    answer(builder, "exec.approvals.get", Scope::Admin, |call| {
        let file = json!({"version": 1, "defaults": {}, "agents": {}});
        let hash = hex::encode(Sha256::digest(file.to_string().as_bytes()));
        Ok(json!({
            "path": call.gateway.settings.paths.state_dir.join("exec-approvals.json"),
            "exists": false, "file": file, "hash": hash,
            "resolvedDefaults": {"security": "deny", "ask": "off", "askFallback": "deny",
                                 "autoAllowSkills": false},
        }))
    });
}
