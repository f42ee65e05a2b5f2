//! Token usage from the transcripts: `sessions.usage` (per session, with totals and
//! aggregates), `usage.cost` (per day) and `usage.status` (provider quota windows).
//!
//! Providers' answers carry token counts but this gateway keeps no price table, so
//! costs are 0 and every assistant message with usage counts as a missing cost
//! entry, as the original reports messages whose model it cannot price. No
//! provider's quota API is queried, so `usage.status` reports each credentialed
//! provider as unsupported, as the original does for a provider without a usage
//! plugin.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde_json::{Value, json};

use super::super::endpoints::resolve;
use super::super::engine::Engine;
use super::super::message::{MessageRole, now_ms};
use super::super::providers::Timeouts;
use super::methods::{MethodError, checked, storage};
use super::params::{Prop, Ty, opt};

const SESSIONS_USAGE: &[Prop] = &[
    opt("key", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("agentScope", Ty::Str),
    opt("creatorKey", Ty::NonEmpty),
    opt("startDate", Ty::Str),
    opt("endDate", Ty::Str),
    opt("mode", Ty::Str),
    opt("range", Ty::Str),
    opt("groupBy", Ty::Str),
    opt("includeHistorical", Ty::Bool),
    opt("utcOffset", Ty::Str),
    opt("timeZone", Ty::Str),
    opt("limit", Ty::Int { min: 1 }),
    opt("includeContextWeight", Ty::Bool),
];

const USAGE_COST: &[Prop] = &[
    opt("agentId", Ty::NonEmpty),
    opt("agentScope", Ty::Str),
    opt("startDate", Ty::Str),
    opt("endDate", Ty::Str),
    opt("mode", Ty::Str),
    opt("range", Ty::Str),
    opt("days", Ty::Int { min: 1 }),
    opt("utcOffset", Ty::Str),
    opt("timeZone", Ty::Str),
];

/// Token counts of some messages (the original's totals shape).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub input: u64,
    pub output: u64,
    pub priced_missing: u64,
}

impl Totals {
    fn add(&mut self, input: u64, output: u64) {
        self.input += input;
        self.output += output;
        self.priced_missing += 1;
    }

    pub fn to_json(self) -> Value {
        json!({"input": self.input, "output": self.output, "cacheRead": 0, "cacheWrite": 0,
               "totalTokens": self.input + self.output, "totalCost": 0, "inputCost": 0,
               "outputCost": 0, "cacheReadCost": 0, "cacheWriteCost": 0,
               "missingCostEntries": self.priced_missing})
    }
}

/// The inclusive UTC day range of a request: `startDate`/`endDate`, else the last
/// `days` (30) days ending today.
pub fn date_range(
    method: &str,
    start: Option<&str>,
    end: Option<&str>,
    days: i64,
    today: Date,
) -> Result<(Date, Date), MethodError> {
    let parse = |field: &str, v: &str| {
        v.parse::<Date>().map_err(|_| {
            MethodError::invalid(format!(
                "invalid {method} params: at /{field}: must match pattern \"^\\d{{4}}-\\d{{2}}-\\d{{2}}$\""
            ))
        })
    };
    let end = match end {
        Some(e) => parse("endDate", e)?,
        None => today,
    };
    let start = match start {
        Some(s) => parse("startDate", s)?,
        None => end
            .checked_sub(jiff::Span::new().days(days - 1))
            .unwrap_or(end),
    };
    if start > end {
        return Err(MethodError::invalid(format!(
            "{method}: startDate {start} is after endDate {end}"
        )));
    }
    Ok((start, end))
}

fn day_of(ms: i64) -> Option<Date> {
    let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
    Some(ts.to_zoned(jiff::tz::TimeZone::UTC).date())
}

fn today() -> Date {
    day_of(now_ms()).unwrap_or_default()
}

/// Per-session counts within the range, read from the transcripts.
struct SessionUsage {
    key: String,
    agent_id: String,
    session_id: String,
    updated_at: i64,
    totals: Totals,
    user: u64,
    assistant: u64,
    errors: u64,
    by_model: BTreeMap<(String, String), Totals>,
    by_day: BTreeMap<Date, Totals>,
}

async fn collect(
    engine: &Engine,
    agent: Option<&str>,
    only_key: Option<&str>,
    (start, end): (Date, Date),
) -> Result<Vec<SessionUsage>, MethodError> {
    let mut out = Vec::new();
    for s in engine.sessions().await {
        if agent.is_some_and(|a| a != s.agent_id) || only_key.is_some_and(|k| k != s.key) {
            continue;
        }
        let key = engine
            .session_key(&s.key, None)
            .map_err(|e| MethodError::invalid(e.to_string()))?;
        let history = engine
            .history(&key, s.message_count.max(1), None)
            .await
            .map_err(storage)?;
        let mut u = SessionUsage {
            key: s.key.clone(),
            agent_id: s.agent_id.clone(),
            session_id: s.session_id.clone(),
            updated_at: s.updated_at,
            totals: Totals::default(),
            user: 0,
            assistant: 0,
            errors: 0,
            by_model: BTreeMap::new(),
            by_day: BTreeMap::new(),
        };
        for m in &history.messages {
            let Some(day) = day_of(m.timestamp).filter(|d| *d >= start && *d <= end) else {
                continue;
            };
            match m.role {
                MessageRole::User => u.user += 1,
                MessageRole::Assistant => {
                    u.assistant += 1;
                    if m.stop_reason.as_deref() == Some("error") {
                        u.errors += 1;
                    }
                }
            }
            if let Some(usage) = m.usage {
                u.totals.add(usage.input, usage.output);
                u.by_day
                    .entry(day)
                    .or_default()
                    .add(usage.input, usage.output);
                let (provider, model) = super::project::split_model(m.model.as_deref());
                u.by_model
                    .entry((
                        provider.unwrap_or_default().to_owned(),
                        model.unwrap_or_default().to_owned(),
                    ))
                    .or_default()
                    .add(usage.input, usage.output);
            }
        }
        out.push(u);
    }
    Ok(out)
}

fn agent_scope(
    p: &super::params::Params,
    engine: &Engine,
    method: &str,
) -> Result<Option<String>, MethodError> {
    match (p.str("agentScope"), p.str("agentId")) {
        (Some("all"), Some(_)) => Err(MethodError::invalid(
            "agentScope=all cannot be combined with agentId",
        )),
        (Some("all"), None) => Ok(None),
        (Some(other), _) => Err(MethodError::invalid(format!(
            "invalid {method} params: at /agentScope: must be equal to constant \"all\" (got {other:?})"
        ))),
        (None, Some(a)) => Ok(Some(super::super::config::normalize_agent_id(a))),
        (None, None) => Ok(Some(engine.config().agents.default_agent.clone())),
    }
}

/// `sessions.usage`.
pub async fn sessions_usage(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("sessions.usage", params, SESSIONS_USAGE)?;
    let agent = agent_scope(&p, engine, "sessions.usage")?;
    let range = date_range(
        "sessions.usage",
        p.str("startDate"),
        p.str("endDate"),
        30,
        today(),
    )?;
    let limit = p.int("limit").unwrap_or(1000).max(1) as usize;
    let rows = collect(engine, agent.as_deref(), p.str("key"), range).await?;
    let mut totals = Totals::default();
    let (mut user, mut assistant, mut errors) = (0, 0, 0);
    let mut by_model: BTreeMap<(String, String), Totals> = BTreeMap::new();
    let mut by_agent: BTreeMap<String, Totals> = BTreeMap::new();
    let mut daily: BTreeMap<Date, Totals> = BTreeMap::new();
    for r in &rows {
        merge(&mut totals, r.totals);
        user += r.user;
        assistant += r.assistant;
        errors += r.errors;
        merge(by_agent.entry(r.agent_id.clone()).or_default(), r.totals);
        for (m, t) in &r.by_model {
            merge(by_model.entry(m.clone()).or_default(), *t);
        }
        for (d, t) in &r.by_day {
            merge(daily.entry(*d).or_default(), *t);
        }
    }
    let active = rows.iter().filter(|r| r.user + r.assistant > 0).count();
    let sessions: Vec<Value> = rows
        .iter()
        .take(limit)
        .map(|r| {
            let label = r.key.splitn(3, ':').nth(2).unwrap_or(&r.key);
            json!({"key": r.key, "label": label, "sessionId": r.session_id, "scope": "instance",
                   "updatedAt": r.updated_at, "agentId": r.agent_id, "creatorKey": "[\"unknown\"]",
                   "usage": if r.user + r.assistant > 0 {
                       let mut u = r.totals.to_json();
                       u["messageCounts"] = json!({"total": r.user + r.assistant, "user": r.user,
                           "assistant": r.assistant, "toolCalls": 0, "toolResults": 0, "errors": r.errors});
                       u
                   } else { Value::Null },
                   "hasContextWeight": false})
        })
        .collect();
    let (start, end) = range;
    Ok(json!({
        "updatedAt": now_ms(), "startDate": start.to_string(), "endDate": end.to_string(),
        "sessions": sessions, "totals": totals.to_json(),
        "aggregates": {
            "sessionCount": active,
            "messages": {"total": user + assistant, "user": user, "assistant": assistant,
                         "toolCalls": 0, "toolResults": 0, "errors": errors},
            "tools": {"totalCalls": 0, "uniqueTools": 0, "tools": []},
            "byModel": by_model.iter().map(|((provider, model), t)| {
                let mut v = t.to_json(); v["provider"] = json!(provider); v["model"] = json!(model); v
            }).collect::<Vec<_>>(),
            "byProvider": by_provider(&by_model),
            "byAgent": by_agent.iter().map(|(a, t)| { let mut v = t.to_json(); v["agentId"] = json!(a); v }).collect::<Vec<_>>(),
            "byChannel": [], "byCreator": [], "costDaily": [], "dailyLatency": [], "modelDaily": [],
            "daily": daily.iter().map(|(d, t)| { let mut v = t.to_json(); v["date"] = json!(d.to_string()); v }).collect::<Vec<_>>(),
        },
        "creatorOptions": [],
    }))
}

fn merge(into: &mut Totals, t: Totals) {
    into.input += t.input;
    into.output += t.output;
    into.priced_missing += t.priced_missing;
}

fn by_provider(by_model: &BTreeMap<(String, String), Totals>) -> Vec<Value> {
    let mut m: BTreeMap<&str, Totals> = BTreeMap::new();
    for ((provider, _), t) in by_model {
        merge(m.entry(provider).or_default(), *t);
    }
    m.into_iter()
        .map(|(p, t)| {
            let mut v = t.to_json();
            v["provider"] = json!(p);
            v
        })
        .collect()
}

/// `usage.cost {days?, startDate?, endDate?, agentId?|agentScope?}` → every day of
/// the range with its counts, and the totals.
pub async fn usage_cost(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    let p = checked("usage.cost", params, USAGE_COST)?;
    let agent = agent_scope(&p, engine, "usage.cost")?;
    let days = p.int("days").unwrap_or(30);
    let (start, end) = date_range(
        "usage.cost",
        p.str("startDate"),
        p.str("endDate"),
        days,
        today(),
    )?;
    let rows = collect(engine, agent.as_deref(), None, (start, end)).await?;
    let mut per_day: BTreeMap<Date, Totals> = BTreeMap::new();
    let mut totals = Totals::default();
    for r in &rows {
        merge(&mut totals, r.totals);
        for (d, t) in &r.by_day {
            merge(per_day.entry(*d).or_default(), *t);
        }
    }
    let mut daily = Vec::new();
    let mut day = start;
    while day <= end {
        let mut v = per_day.get(&day).copied().unwrap_or_default().to_json();
        v["date"] = json!(day.to_string());
        daily.push(v);
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    Ok(
        json!({"updatedAt": now_ms(), "days": daily.len(), "daily": daily, "totals": totals.to_json()}),
    )
}

/// `usage.status` → `{updatedAt, providers}`: each provider the agents can reach,
/// with no quota windows.
pub async fn usage_status(engine: &Engine, params: Option<&Value>) -> Result<Value, MethodError> {
    checked("usage.status", params, &[])?;
    let config = engine.config();
    let providers: Vec<Value> = config
        .models
        .providers
        .keys()
        .filter(|id| {
            resolve(&config, id, engine.env(), Timeouts::default())
                .is_ok_and(|(_, keys)| !keys.is_empty())
        })
        .map(|id| {
            json!({"provider": id, "displayName": super::metadata::display_name(id),
                         "windows": [], "error": "Unsupported provider"})
        })
        .collect();
    Ok(json!({"updatedAt": now_ms(), "providers": providers}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_default_to_the_last_thirty_days() {
        let today: Date = "2026-12-03".parse().unwrap();
        let (s, e) = date_range("usage.cost", None, None, 30, today).unwrap();
        assert_eq!(
            (s.to_string(), e.to_string()),
            ("2026-11-04".into(), "2026-12-03".into())
        );
        let (s, _) = date_range("x", Some("2026-12-01"), Some("2026-12-02"), 30, today).unwrap();
        assert_eq!(s.to_string(), "2026-12-01");
        let e = date_range("sessions.usage", Some("12/01"), None, 30, today).unwrap_err();
        assert!(e.message.contains("at /startDate"), "{}", e.message);
        assert!(date_range("x", Some("2026-12-03"), Some("2026-12-01"), 30, today).is_err());
    }

    #[test]
    fn totals_price_nothing_and_count_what_is_missing() {
        let mut t = Totals::default();
        t.add(10, 5);
        let v = t.to_json();
        assert_eq!(
            (v["totalTokens"].as_u64(), v["missingCostEntries"].as_u64()),
            (Some(15), Some(1))
        );
        assert_eq!(v["totalCost"], 0);
    }
}
