//! `/v1/apps/{app}/ip_assignments`: shared and dedicated public addresses and
//! private (Flycast) `fdaa:` addresses. Allocation is not idempotent, as on Fly.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::JsonBody;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::IpAssignment;
use crate::settings::is_region;

#[derive(Debug, Deserialize)]
pub struct AssignIp {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    org_slug: Option<String>,
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
}

pub async fn list(State(ctx): State<Ctx>, Path(app): Path<String>) -> ApiResult<Json<Value>> {
    let db = ctx.shared.read();
    let a = db.app(&app)?;
    Ok(Json(
        json!({ "ips": a.ips.iter().map(IpAssignment::to_json).collect::<Vec<_>>() }),
    ))
}

pub async fn assign(
    State(ctx): State<Ctx>,
    Path(app): Path<String>,
    JsonBody(body): JsonBody<AssignIp>,
) -> ApiResult<Json<Value>> {
    let kind = body.kind.filter(|k| !k.is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "type: required (one of \"shared_v4\", \"v4\", \"v6\", \"private_v6\")",
        )
    })?;
    let region = body.region.filter(|r| !r.is_empty());
    match kind.as_str() {
        "shared_v4" | "private_v6" if region.is_some() => {
            return Err(ApiError::bad_request(format!(
                "region: not allowed for type {kind} (only for v4 and v6)"
            )));
        }
        "shared_v4" | "private_v6" | "v4" | "v6" => {}
        "egress_v4" | "egress_v6" | "egress_pair" => {
            return Err(ApiError::unprocessable(format!(
                "type: {kind} addresses are not supported by fly-local"
            )));
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "type: {other:?} is not one of \"shared_v4\", \"v4\", \"v6\", \"private_v6\""
            )));
        }
    }
    if let Some(r) = &region
        && !is_region(r)
    {
        return Err(ApiError::bad_request(format!(
            "region: {r:?} is not a Fly region"
        )));
    }
    let _ = body.org_slug;
    let mut w = ctx.shared.write();
    let a = w.app(&app)?.clone();
    let network = body.network.filter(|n| !n.is_empty());
    let ip = loop {
        let candidate = address(&kind, network.as_deref().unwrap_or(&a.network), a.ips.len());
        if !a.ips.iter().any(|i| i.ip == candidate) {
            break candidate;
        }
    };
    let assignment = IpAssignment {
        ip,
        kind: kind.clone(),
        region: region.unwrap_or_else(|| "global".into()),
        service_name: body.service_name.unwrap_or_default(),
        shared: kind == "shared_v4",
        network,
        created_at: ctx.clock.now(),
    };
    let out = assignment.to_json();
    w.apps.get_mut(&app).expect("checked").ips.push(assignment);
    w.touch_app(&app);
    w.commit()?;
    Ok(Json(out))
}

pub async fn release(
    State(ctx): State<Ctx>,
    Path((app, ip)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let mut w = ctx.shared.write();
    w.app(&app)?;
    let a = w.apps.get_mut(&app).expect("checked");
    let before = a.ips.len();
    a.ips.retain(|i| i.ip != ip);
    if a.ips.len() == before {
        return Err(ApiError::not_found("ip assignment"));
    }
    w.touch_app(&app);
    w.commit()?;
    Ok(StatusCode::NO_CONTENT)
}

/// An address of the right family and range for the type.
fn address(kind: &str, network: &str, n: usize) -> String {
    let mut rng = rand::rng();
    match kind {
        "shared_v4" => format!(
            "66.241.{}.{}",
            rng.random_range(124..126),
            rng.random_range(1..255)
        ),
        "v4" => format!(
            "137.66.{}.{}",
            rng.random_range(0..64),
            rng.random_range(1..255)
        ),
        "v6" => format!(
            "2a09:8280:1::{:x}:{:x}",
            rng.random_range(1..0xffffu32),
            rng.random_range(1..0xffffu32)
        ),
        _ => format!(
            "fdaa:0:{:x}:0:1::{:x}",
            crate::ids::network_group(network),
            n as u32 + rng.random_range(2..0xfff0u32)
        ),
    }
}
