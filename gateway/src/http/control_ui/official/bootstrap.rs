//! `control-ui-config.json`: what the official Control UI reads about its gateway
//! before it connects (assistant identity, server version, which features exist).

use serde_json::{Value, json};

use crate::state::Gateway;
use crate::version::COMPAT_VERSION;

/// Whether `path` is the bootstrap document under `base_path`: the canonical
/// `<base>/control-ui-config.json`, the legacy `<base>/__openclaw/…`, and with no
/// base path the `/__openclaw__/…` alias the default entry requests.
pub fn is_bootstrap_path(base_path: &str, path: &str) -> bool {
    const NAME: &str = "/control-ui-config.json";
    path == format!("{base_path}{NAME}")
        || path == format!("{base_path}/__openclaw{NAME}")
        || (base_path.is_empty() && path == format!("/__openclaw__{NAME}"))
}

/// The document. Features this gateway does not have are reported off: no operator
/// terminal, no CLI agents; the assistant is the default agent's configured name.
pub fn document(gateway: &Gateway) -> Value {
    let identity = crate::agents::protocol::identity::resolve(&gateway.config.agents.config, None);
    json!({
        "basePath": gateway.settings.control_ui.base_path,
        "assistantName": identity.name,
        "assistantAvatar": identity.avatar,
        "assistantAvatarSource": null,
        "assistantAvatarStatus": null,
        "assistantAvatarReason": null,
        "assistantAgentId": identity.agent_id,
        "serverVersion": COMPAT_VERSION,
        "embedSandbox": "scripts",
        "allowExternalEmbedUrls": false,
        "automaticallyFetchFavicons": true,
        "communityInvite": true,
        "terminalEnabled": false,
        "cliAgentsEnabled": false,
        "pluginAssetsRequireAuth": gateway.settings.auth.shared_secret.is_some(),
        "pluginFrameGrants": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_paths() {
        assert!(is_bootstrap_path("", "/control-ui-config.json"));
        assert!(is_bootstrap_path(
            "",
            "/__openclaw__/control-ui-config.json"
        ));
        assert!(is_bootstrap_path("", "/__openclaw/control-ui-config.json"));
        assert!(is_bootstrap_path("/oc", "/oc/control-ui-config.json"));
        assert!(!is_bootstrap_path(
            "/oc",
            "/__openclaw__/control-ui-config.json"
        ));
        assert!(!is_bootstrap_path("", "/x/control-ui-config.json"));
    }
}
