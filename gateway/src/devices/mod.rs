//! Device pairing over the control plane: `device.pair.list` (paired devices and
//! their connection state) and `device.pair.approve|reject`.
//!
//! This gateway pairs a device when it proves its key and presents the shared
//! secret (or connects locally) and refuses any other device outright, so no
//! request ever waits for an operator: the pending list is empty, and approving or
//! rejecting a request id answers as the original does for an unknown one.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::GatewayBuilder;
use crate::ws::errors::ErrorShape;
use crate::ws::pairing::PairedDevice;
use crate::ws::registry::Call;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    builder.methods.register(
        "device.pair.list",
        Scope::Pairing,
        |call: Call| async move {
            crate::system::parse::<Empty>(&call, "device.pair.list")?;
            let connected: HashSet<String> = call
                .gateway
                .presence
                .list()
                .iter()
                .filter_map(|p| p.get("deviceId").and_then(Value::as_str).map(str::to_owned))
                .collect();
            let paired: Vec<Value> = call
                .gateway
                .devices
                .list()
                .iter()
                .map(|d| paired_row(d, connected.contains(&d.device_id)))
                .collect();
            Ok(json!({"pending": [], "paired": paired}))
        },
    );
    for name in ["device.pair.approve", "device.pair.reject"] {
        builder.methods.register(name, Scope::Pairing, move |call: Call| async move {
            let p: Decision = crate::system::parse(&call, name)?;
            tracing::info!(target: "gateway", "{name}: no pending pairing request {} (devices pair on connect here)", p.request_id);
            Err(ErrorShape::invalid_request("unknown requestId"))
        });
    }
}

/// One paired device as the original lists it.
pub fn paired_row(d: &PairedDevice, connected: bool) -> Value {
    json!({
        "deviceId": d.device_id, "publicKey": d.public_key, "clientId": d.client_id,
        "role": d.role, "roles": [d.role], "scopes": d.scopes, "approvedVia": "silent",
        "createdAtMs": d.paired_at_ms, "approvedAtMs": d.paired_at_ms, "connected": connected,
        "tokens": [{"role": d.role, "scopes": d.scopes, "createdAtMs": d.paired_at_ms}],
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Decision {
    request_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paired_row() {
        let d = PairedDevice {
            device_id: "abc".into(),
            public_key: "pk".into(),
            role: "operator".into(),
            scopes: vec!["operator.read".into()],
            client_id: "openclaw-control-ui".into(),
            token_sha256: "h".into(),
            paired_at_ms: 5,
        };
        let row = paired_row(&d, true);
        assert_eq!(row["connected"], true);
        assert_eq!(row["roles"], json!(["operator"]));
        assert!(row.get("tokenSha256").is_none(), "never the token's hash");
    }
}
