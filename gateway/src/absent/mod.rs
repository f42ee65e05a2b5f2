//! Features of the original this gateway does not have — automations (cron),
//! background tasks, approvals, questions, nodes and environments, talk, plugins,
//! worktrees, session dashboards, progress cards, companions, discussions, sidebar
//! groups, native session catalogs, projects, user preferences and mentions.
//!
//! The official clients call their read methods on every page; each answers
//! exactly what the original answers with the feature disabled or empty (observed
//! on openclaw 2026.9.6 with `cron.enabled: false` and `plugins.enabled: false`),
//! never made-up items. Methods that would create or change such things are not
//! registered, so they answer `unknown method` as for any name this gateway lacks.

mod approvals;
mod automations;
mod nodes;
mod session_extras;
mod surfaces;

use serde_json::Value;

use crate::state::GatewayBuilder;
use crate::ws::errors::ErrorShape;
use crate::ws::registry::Call;
use crate::ws::scopes::Scope;

pub fn install(builder: &mut GatewayBuilder) {
    approvals::install(builder);
    automations::install(builder);
    nodes::install(builder);
    session_extras::install(builder);
    surfaces::install(builder);
}

/// An answer computed from the call alone (its params, the gateway's identity).
type Answer = fn(&Call) -> Result<Value, ErrorShape>;

fn answer(builder: &mut GatewayBuilder, name: &'static str, scope: Scope, f: Answer) {
    builder
        .methods
        .register(name, scope, move |call: Call| async move { f(&call) });
}

/// The params object (absent = `{}`); a non-object is refused as the original does.
fn object<'a>(
    call: &'a Call,
    method: &str,
) -> Result<Option<&'a serde_json::Map<String, Value>>, ErrorShape> {
    match &call.params {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ErrorShape::invalid_request(format!(
            "invalid {method} params: must be object"
        ))),
    }
}

/// A string param.
fn str_param<'a>(call: &'a Call, method: &str, name: &str) -> Result<Option<&'a str>, ErrorShape> {
    Ok(object(call, method)?
        .and_then(|m| m.get(name))
        .and_then(Value::as_str))
}

/// An integer param clamped to `[min, max]`, or `default`.
fn int_param(
    call: &Call,
    method: &str,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ErrorShape> {
    Ok(object(call, method)?
        .and_then(|m| m.get(name))
        .and_then(Value::as_i64)
        .unwrap_or(default)
        .clamp(min, max))
}
