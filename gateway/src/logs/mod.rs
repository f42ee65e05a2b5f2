//! The gateway's file log and `logs.tail`, which the official CLI (`openclaw logs`)
//! and the Control UI's Logs view read.

pub mod file;
pub mod tail;

use serde::Deserialize;

use crate::state::GatewayBuilder;
use crate::ws::errors::{ErrorCode, ErrorShape};
use crate::ws::registry::Call;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    builder
        .methods
        .register("logs.tail", Scope::Read, |call: Call| async move {
            let p: TailParams = crate::system::parse(&call, "logs.tail")?;
            let path = file::current_file();
            tokio::task::spawn_blocking(move || {
                tail::read(
                    &path,
                    p.cursor,
                    p.limit.unwrap_or(tail::DEFAULT_LIMIT),
                    p.max_bytes.unwrap_or(tail::DEFAULT_MAX_BYTES),
                )
            })
            .await
            .map_err(|e| ErrorShape::new(ErrorCode::Unavailable, format!("log read failed: {e}")))?
            .map_err(|e| ErrorShape::new(ErrorCode::Unavailable, format!("log read failed: {e}")))
        });
}

/// The target for `logging.file` (a path), else the original's dated file.
pub fn target(logging: Option<&serde_json::Value>) -> file::Target {
    match logging.and_then(|l| l.get("file")).and_then(|f| f.as_str()) {
        Some(path) if !path.trim().is_empty() => file::Target::Fixed(path.trim().into()),
        _ => file::Target::default_rolling(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct TailParams {
    cursor: Option<u64>,
    limit: Option<u64>,
    max_bytes: Option<u64>,
}
