//! The parts of `status` and `health` the official CLI's renderers need: sessions
//! per agent with their store path and most recent sessions, each agent's
//! heartbeat (this gateway runs none, so each is reported disabled), and the
//! empty task counters of a gateway with no background tasks.

use serde_json::{Value, json};

use crate::agents::Engine;
use crate::agents::sessions::SessionSummary;
use crate::state::lifecycle::now_ms;

/// Recent sessions listed per agent (the original lists a handful).
const RECENT: usize = 5;

/// `{paths, count, defaults, recent, byAgent}` for `status`, `{path, count, recent}`
/// and `agents[]` for `health`.
pub struct Census {
    per_agent: Vec<AgentSessions>,
    default_agent: String,
    defaults: Value,
}

struct AgentSessions {
    agent_id: String,
    path: String,
    sessions: Vec<SessionSummary>,
}

impl Census {
    pub async fn take(engine: &Engine) -> Self {
        let config = engine.config();
        let all = engine.sessions().await;
        let per_agent = config
            .agents
            .agents
            .iter()
            .map(|a| AgentSessions {
                agent_id: a.id.clone(),
                path: engine.sessions_dir(&a.id).display().to_string(),
                sessions: all.iter().filter(|s| s.agent_id == a.id).cloned().collect(),
            })
            .collect();
        let d = crate::agents::protocol::payloads::defaults(&config, &config.agents.default_agent);
        Self {
            per_agent,
            default_agent: config.agents.default_agent.clone(),
            defaults: json!({"model": d["model"], "contextTokens": d["contextTokens"]}),
        }
    }

    fn recent(sessions: &[SessionSummary]) -> Vec<Value> {
        let now = now_ms() as i64;
        sessions
            .iter()
            .take(RECENT)
            .map(|s| json!({"key": s.key, "updatedAt": s.updated_at, "age": (now - s.updated_at).max(0)}))
            .collect()
    }

    /// The `sessions` object of `status`.
    pub fn status_sessions(&self) -> Value {
        let mut all: Vec<&SessionSummary> =
            self.per_agent.iter().flat_map(|a| &a.sessions).collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
        let recent: Vec<SessionSummary> = all.into_iter().take(RECENT).cloned().collect();
        json!({
            "paths": self.per_agent.iter().map(|a| &a.path).collect::<Vec<_>>(),
            "count": self.per_agent.iter().map(|a| a.sessions.len()).sum::<usize>(),
            "defaults": self.defaults,
            "recent": Self::recent(&recent),
            "byAgent": self.per_agent.iter().map(|a| json!({
                "agentId": a.agent_id, "path": a.path, "count": a.sessions.len(),
                "recent": Self::recent(&a.sessions)})).collect::<Vec<_>>(),
        })
    }

    /// `health.agents`: each agent with its heartbeat and session store.
    pub fn health_agents(&self) -> Value {
        self.per_agent
            .iter()
            .map(|a| {
                json!({"agentId": a.agent_id, "isDefault": a.agent_id == self.default_agent,
                       "heartbeat": heartbeat_off(),
                       "sessions": {"path": a.path, "count": a.sessions.len(),
                                    "recent": Self::recent(&a.sessions)}})
            })
            .collect()
    }

    /// `health.sessions`: the default agent's store.
    pub fn health_sessions(&self) -> Value {
        self.per_agent
            .iter()
            .find(|a| a.agent_id == self.default_agent)
            .map_or(json!({"path": null, "count": 0, "recent": []}), |a| {
                json!({"path": a.path, "count": a.sessions.len(), "recent": Self::recent(&a.sessions)})
            })
    }

    /// `status.heartbeat`.
    pub fn status_heartbeat(&self) -> Value {
        json!({"defaultAgentId": self.default_agent,
               "agents": self.per_agent.iter().map(|a| {
                   let mut h = heartbeat_off();
                   h["agentId"] = json!(a.agent_id);
                   h
               }).collect::<Vec<_>>()})
    }
}

/// A heartbeat that does not run.
fn heartbeat_off() -> Value {
    json!({"enabled": false, "every": "disabled", "everyMs": null})
}

/// `status.tasks` and `status.taskAudit` of a gateway that runs no background tasks.
pub fn no_tasks() -> (Value, Value) {
    (
        json!({"total": 0, "active": 0, "terminal": 0, "failures": 0,
               "byStatus": {"queued": 0, "running": 0, "succeeded": 0, "failed": 0,
                            "timed_out": 0, "cancelled": 0, "lost": 0},
               "byRuntime": {"subagent": 0, "acp": 0, "cli": 0, "cron": 0}}),
        json!({"total": 0, "warnings": 0, "errors": 0,
               "byCode": {"stale_queued": 0, "stale_running": 0, "lost": 0, "delivery_failed": 0,
                          "missing_cleanup": 0, "inconsistent_timestamps": 0}}),
    )
}
