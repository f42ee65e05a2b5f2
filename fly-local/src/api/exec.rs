//! `POST /machines/{id}/exec`: runs a command in the machine's context and
//! returns its exit code and output.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::JsonBody;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::MachineState;

#[derive(Debug, Deserialize)]
pub struct ExecBody {
    #[serde(default)]
    command: Option<Vec<String>>,
    /// Deprecated single-string form, split on whitespace.
    #[serde(default)]
    cmd: Option<String>,
    #[serde(default)]
    timeout: Option<u64>,
}

pub async fn exec(
    State(ctx): State<Ctx>,
    Path((app, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<ExecBody>,
) -> ApiResult<Json<Value>> {
    let argv: Vec<String> = match (body.command, body.cmd) {
        (Some(c), _) if !c.is_empty() => c,
        (_, Some(s)) if !s.trim().is_empty() => s.split_whitespace().map(str::to_owned).collect(),
        _ => {
            return Err(ApiError::bad_request(
                "command: a non-empty array of strings is required",
            ));
        }
    };
    let timeout = Duration::from_secs(body.timeout.filter(|t| *t > 0).unwrap_or(30).min(600));
    let machine = {
        let db = ctx.shared.read();
        db.machine(&app, &id)?.clone()
    };
    if !matches!(
        machine.state,
        MachineState::Started | MachineState::Starting
    ) {
        return Err(ApiError::precondition(format!(
            "machine is not started (state '{}'): exec needs a running machine",
            machine.state
        )));
    }
    let out = ctx.runtime.exec(&machine, argv, timeout).await?;
    let mut v = json!({
        "exit_code": out.exit_code,
        "stdout": String::from_utf8_lossy(&out.stdout),
        "stderr": String::from_utf8_lossy(&out.stderr),
    });
    if let Some(sig) = out.exit_signal {
        v["exit_signal"] = json!(sig);
    }
    Ok(Json(v))
}
