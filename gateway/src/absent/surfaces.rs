//! Client surfaces of the original that need its plugin host, voice stack, git
//! worktrees or user profiles: talk, plugins (and their Control UI panels),
//! worktrees, projects, per-user preferences, human mentions.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::answer;
use crate::state::GatewayBuilder;
use crate::ws::errors::{ErrorCode, ErrorShape};
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    // No speech, transcription or realtime voice provider.
    answer(builder, "talk.catalog", Scope::Read, |_| {
        Ok(json!({"modes": [], "transports": [], "brains": [],
                  "speech": {"providers": []},
                  "transcription": {"ready": false, "providers": []},
                  "realtime": {"ready": false, "providers": []}}))
    });
    answer(builder, "talk.config", Scope::Read, |_| {
        Ok(json!({"config": {}}))
    });
    answer(builder, "plugins.list", Scope::Read, |_| {
        Ok(json!({"plugins": [], "diagnostics": [], "mutationAllowed": false, "generation": 0}))
    });
    // The revision is the original's: a hash of the (empty) catalog it describes.
    answer(builder, "plugins.controlUi.list", Scope::Read, |_| {
        Ok(json!({"revision": empty_catalog_revision(), "plugins": [], "diagnostics": []}))
    });
    answer(builder, "worktrees.list", Scope::Read, |_| {
        Ok(json!({"worktrees": []}))
    });
    answer(builder, "projects.list", Scope::Read, |_| {
        Ok(json!({"projects": [], "recents": []}))
    });
    // No user profiles are kept, so no preference is durable: the original's answer
    // to a caller without a durable identity (the UI keeps them in the browser).
    answer(builder, "users.prefs.get", Scope::Read, |_| {
        Ok(json!({"status": "no_durable_identity"}))
    });
    // Mentions need a verified user profile. A device-authenticated browser is the
    // gateway's owner and has none pending; other callers are refused as the
    // original refuses them.
    answer(builder, "mentions.list", Scope::Read, |call| {
        if call.client.device_id.is_none() {
            return Err(ErrorShape::new(
                ErrorCode::Forbidden,
                "Human mentions require a verified user profile. Sign in to use mentions.",
            ));
        }
        Ok(json!({"gatewayInstanceId": call.gateway.boot_id, "revision": 0, "items": []}))
    });
}

/// SHA-256 of the catalog's JSON as the original serialises it (keys in order).
fn empty_catalog_revision() -> String {
    hex::encode(Sha256::digest(br#"{"plugins":[],"diagnostics":[]}"#))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_empty_catalog_revision_is_the_originals() {
        assert_eq!(
            super::empty_catalog_revision(),
            // plugins.controlUi.list on openclaw 2026.9.6 with no plugin UI
            "135d4539612c195c5d51f2f3f944f6bc4d9a7645fb37f24d37c9c9d0eb039f4d"
        );
    }
}
