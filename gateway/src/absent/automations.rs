//! Automations (cron) and background tasks: no scheduler runs here, so there are
//! no jobs, runs, tasks or task suggestions.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{answer, int_param};
use crate::state::GatewayBuilder;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    answer(builder, "cron.list", Scope::Read, |call| {
        let limit = int_param(call, "cron.list", "limit", 50, 1, 200)?;
        Ok(cron_page(limit))
    });
    // The original with `cron.enabled: false`, less the store it names (none here).
    answer(builder, "cron.status", Scope::Read, |_| {
        Ok(json!({"enabled": false, "triggersEnabled": false, "jobs": 0, "nextWakeAtMs": null}))
    });
    answer(builder, "cron.runs", Scope::Read, |call| {
        let limit = int_param(call, "cron.runs", "limit", 50, 1, 200)?;
        // With no entries the offset clamps to 0, as the original's pager does.
        Ok(
            json!({"entries": [], "total": 0, "offset": 0, "limit": limit,
                  "hasMore": false, "nextOffset": null}),
        )
    });
    answer(builder, "tasks.list", Scope::Read, |_| {
        Ok(json!({"tasks": []}))
    });
    answer(builder, "taskSuggestions.list", Scope::Read, |_| {
        Ok(json!({"suggestions": []}))
    });
}

/// The original's empty page: its revision is the hash of the (empty) job list.
fn cron_page(limit: i64) -> Value {
    let revision = format!("sha256:{}", URL_SAFE_NO_PAD.encode(Sha256::digest(b"[]")));
    json!({"jobs": [], "snapshotRevision": revision, "total": 0, "offset": 0, "limit": limit,
           "hasMore": false, "nextOffset": null})
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_empty_cron_page() {
        let p = super::cron_page(50);
        assert_eq!(p["total"], 0);
        assert!(
            p["snapshotRevision"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
    }
}
