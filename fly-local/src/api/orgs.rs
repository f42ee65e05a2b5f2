//! Org-wide, cursor-paged lists: `/v1/orgs/{org}/machines` and `/volumes`,
//! ordered by `updated_at` (then id).

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::extract::Params;
use crate::clock::rfc3339;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::model::MachineState;

const MAX_LIMIT: usize = 1000;

pub async fn machines(
    State(ctx): State<Ctx>,
    Path(org): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let q = PageQuery::parse(&params)?;
    let states = params.all("state");
    let db = ctx.shared.read();
    let mut items: Vec<_> = db
        .machines
        .values()
        .filter(|m| db.apps.get(&m.app).is_some_and(|a| a.org_slug == org))
        .filter(|m| q.include_deleted || m.state != MachineState::Destroyed)
        .filter(|m| q.region.as_deref().is_none_or(|r| m.region == r))
        .filter(|m| states.is_empty() || states.iter().any(|s| s == m.state.as_str()))
        .map(|m| (m.updated_at, m.id.clone(), m))
        .collect();
    items.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let page = q.page(
        items
            .iter()
            .map(|(t, id, m)| (*t, id.as_str(), *m))
            .collect(),
    );
    Ok(Json(json!({
        "machines": page.items.iter().map(|m| m.to_org_json(q.summary)).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
        "last_machine_id": page.last_id,
        "last_updated_at": page.last_updated_at,
    })))
}

pub async fn volumes(
    State(ctx): State<Ctx>,
    Path(org): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let q = PageQuery::parse(&params)?;
    let states = params.all("state");
    let now = ctx.clock.now();
    let db = ctx.shared.read();
    let mut items: Vec<_> = db
        .volumes
        .values()
        .filter(|v| db.apps.get(&v.app).is_some_and(|a| a.org_slug == org))
        .filter(|v| q.include_deleted || !v.is_destroyed())
        .filter(|v| q.region.as_deref().is_none_or(|r| v.region == r))
        .filter(|v| states.is_empty() || states.contains(&v.state))
        .map(|v| (v.updated_at, v.id.clone(), v))
        .collect();
    items.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let page = q.page(
        items
            .iter()
            .map(|(t, id, v)| (*t, id.as_str(), *v))
            .collect(),
    );
    Ok(Json(json!({
        "volumes": page.items.iter().map(|v| v.to_json(now, Some(&v.app))).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
        "last_volume_id": page.last_id,
        "last_updated_at": page.last_updated_at,
    })))
}

struct PageQuery {
    include_deleted: bool,
    region: Option<String>,
    summary: bool,
    after: Option<(Timestamp, String)>,
    limit: usize,
}

struct Page<T> {
    items: Vec<T>,
    next_cursor: String,
    last_id: String,
    last_updated_at: String,
}

impl PageQuery {
    fn parse(params: &Params) -> ApiResult<Self> {
        let after = match params.get("cursor").filter(|c| !c.is_empty()) {
            Some(c) => Some(decode_cursor(c)?),
            None => params
                .get("updated_after")
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<Timestamp>()
                        .map(|t| (t, String::new()))
                        .map_err(|_| {
                            ApiError::bad_request(format!(
                                "query parameter updated_after: {s:?} is not an RFC 3339 time"
                            ))
                        })
                })
                .transpose()?,
        };
        let limit = match params.int("limit")? {
            Some(l) if l <= 0 => MAX_LIMIT,
            Some(l) => (l as usize).min(MAX_LIMIT),
            None => MAX_LIMIT,
        };
        Ok(Self {
            include_deleted: params.flag("include_deleted")?,
            region: params.get("region").map(str::to_owned),
            summary: params.flag("summary")?,
            after,
            limit,
        })
    }

    /// Selects the page after the cursor (items are rendered by the caller).
    fn page<T>(&self, sorted: Vec<(Timestamp, &str, T)>) -> Page<T> {
        let rest: Vec<_> = sorted
            .into_iter()
            .filter(|(t, id, _)| match &self.after {
                Some((at, after_id)) => (*t, *id) > (*at, after_id.as_str()),
                None => true,
            })
            .collect();
        let more = rest.len() > self.limit;
        let taken: Vec<_> = rest.into_iter().take(self.limit).collect();
        let (last_id, last_at) = taken
            .last()
            .map(|(t, id, _)| (id.to_string(), *t))
            .unwrap_or_default();
        Page {
            next_cursor: if more {
                encode_cursor(last_at, &last_id)
            } else {
                String::new()
            },
            last_updated_at: if last_id.is_empty() {
                String::new()
            } else {
                rfc3339(last_at)
            },
            last_id,
            items: taken.into_iter().map(|(_, _, v)| v).collect(),
        }
    }
}

fn encode_cursor(at: Timestamp, id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}|{id}", at.as_nanosecond()))
}

fn decode_cursor(cursor: &str) -> ApiResult<(Timestamp, String)> {
    use base64::Engine;
    let bad = || ApiError::bad_request("query parameter cursor: not a cursor returned by this API");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (nanos, id) = text.split_once('|').ok_or_else(bad)?;
    let nanos: i128 = nanos.parse().map_err(|_| bad())?;
    Ok((
        Timestamp::from_nanosecond(nanos).map_err(|_| bad())?,
        id.to_owned(),
    ))
}
