//! Method parameters, checked like the original's closed schemas: unknown
//! properties, missing required ones and wrong types are refused with the
//! original's wording (`invalid chat.send params: must have required property
//! 'idempotencyKey'`). Properties the original accepts but this gateway does
//! not act on are allowed and ignored.

use serde_json::{Map, Value};

/// The type a property must have.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// A string of at least one character.
    NonEmpty,
    /// Any string.
    Str,
    /// An integer `>= min`.
    Int {
        min: i64,
    },
    Bool,
    /// Accepted and not checked (known, unused here).
    Any,
}

/// One property of a method's parameters.
#[derive(Clone, Copy, Debug)]
pub struct Prop {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
}

pub const fn req(name: &'static str, ty: Ty) -> Prop {
    Prop {
        name,
        ty,
        required: true,
    }
}

pub const fn opt(name: &'static str, ty: Ty) -> Prop {
    Prop {
        name,
        ty,
        required: false,
    }
}

/// Validated parameters: typed access to the checked object.
#[derive(Debug)]
pub struct Params(Map<String, Value>);

impl Params {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.0.get(name).and_then(Value::as_i64)
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.0.get(name).and_then(Value::as_bool)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}

/// Checks `params` (absent = `{}`) against `props`; the error is the full
/// message, e.g. `invalid chat.send params: at /limit: must be integer`.
pub fn check(method: &str, params: Option<&Value>, props: &[Prop]) -> Result<Params, String> {
    let fail = |detail: String| format!("invalid {method} params: {detail}");
    let map = match params {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(fail("must be object".into())),
    };
    let mut problems = Vec::new();
    for key in map.keys() {
        if !props.iter().any(|p| p.name == key) {
            problems.push(format!("at root: unexpected property '{key}'"));
        }
    }
    for p in props {
        let Some(v) = map.get(p.name) else {
            if p.required {
                problems.push(format!("must have required property '{}'", p.name));
            }
            continue;
        };
        let at = format!("at /{}", p.name);
        let bad = match p.ty {
            Ty::NonEmpty => match v.as_str() {
                None => Some("must be string".to_owned()),
                Some("") => Some("must NOT have fewer than 1 characters".to_owned()),
                Some(_) => None,
            },
            Ty::Str => (!v.is_string()).then(|| "must be string".to_owned()),
            Ty::Int { min } => match v.as_i64() {
                None => Some("must be integer".to_owned()),
                Some(n) if n < min => Some(format!("must be >= {min}")),
                Some(_) => None,
            },
            Ty::Bool => (!v.is_boolean()).then(|| "must be boolean".to_owned()),
            Ty::Any => None,
        };
        if let Some(bad) = bad {
            problems.push(format!("{at}: {bad}"));
        }
    }
    if problems.is_empty() {
        Ok(Params(map))
    } else {
        Err(fail(problems.join("; ")))
    }
}

/// `chat.send` — the properties of the original's closed schema.
pub const CHAT_SEND: &[Prop] = &[
    req("sessionKey", Ty::NonEmpty),
    req("message", Ty::Str),
    req("idempotencyKey", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("timeoutMs", Ty::Int { min: 0 }),
    opt("sessionId", Ty::Any),
    opt("mentions", Ty::Any),
    opt("workContext", Ty::Any),
    opt("intent", Ty::Any),
    opt("thinking", Ty::Any),
    opt("fastMode", Ty::Any),
    opt("fastAutoOnSeconds", Ty::Any),
    opt("queueMode", Ty::Any),
    opt("deliver", Ty::Any),
    opt("originatingChannel", Ty::Any),
    opt("originatingTo", Ty::Any),
    opt("originatingAccountId", Ty::Any),
    opt("originatingThreadId", Ty::Any),
    opt("replyToId", Ty::Any),
    opt("attachments", Ty::Any),
    opt("toolBindings", Ty::Any),
    opt("systemInputProvenance", Ty::Any),
    opt("systemProvenanceReceipt", Ty::Any),
    opt("suppressCommandInterpretation", Ty::Any),
    opt("expectedLeafEntryId", Ty::Any),
    opt("expectedSessionRoutingContract", Ty::Any),
    opt("expectedPermissionMode", Ty::Any),
    opt("expectedToolOverrides", Ty::Any),
];

/// `chat.history`.
pub const CHAT_HISTORY: &[Prop] = &[
    req("sessionKey", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("cursor", Ty::Str),
    opt("limit", Ty::Int { min: 1 }),
    opt("offset", Ty::Int { min: 0 }),
    opt("maxChars", Ty::Int { min: 1 }),
    opt("maxBytes", Ty::Any),
    opt("pendingBefore", Ty::Any),
    opt("inputRunIds", Ty::Any),
    opt("messageId", Ty::Any),
    opt("sessionId", Ty::Any),
];

/// `chat.abort`.
pub const CHAT_ABORT: &[Prop] = &[
    req("sessionKey", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("runId", Ty::NonEmpty),
    opt("preserveSideRuns", Ty::Any),
];

/// `sessions.list`.
pub const SESSIONS_LIST: &[Prop] = &[
    opt("limit", Ty::Int { min: 1 }),
    opt("offset", Ty::Int { min: 0 }),
    opt("activeMinutes", Ty::Int { min: 1 }),
    opt("activeOnly", Ty::Bool),
    opt("agentId", Ty::NonEmpty),
    opt("requireLastInteraction", Ty::Any),
    opt("sortBy", Ty::Any),
    opt("includeGlobal", Ty::Any),
    opt("includeUnknown", Ty::Any),
    opt("excludeSubagents", Ty::Any),
    opt("excludeCron", Ty::Any),
    opt("excludeSystem", Ty::Any),
    opt("configuredAgentsOnly", Ty::Any),
    opt("includeDerivedTitles", Ty::Any),
    opt("includeLastMessage", Ty::Any),
    opt("label", Ty::Any),
    opt("search", Ty::Any),
    opt("spawnedBy", Ty::Any),
    // Filters and facets the official Control UI sends (see `list_filters`).
    opt("includeActivitySummary", Ty::Bool),
    opt("projectId", Ty::NonEmpty),
    opt("workspaceDir", Ty::NonEmpty),
    opt("group", Ty::Str),
    opt("pinned", Ty::Bool),
    opt("boardFace", Ty::Any),
    opt("hasBoard", Ty::Bool),
    opt("creatorId", Ty::NonEmpty),
    opt("ownerId", Ty::NonEmpty),
    opt("ownerFirst", Ty::Bool),
    opt("involvingMe", Ty::Bool),
    opt("profileRelation", Ty::Any),
    opt("involvingProfileId", Ty::NonEmpty),
    opt("includePeople", Ty::Bool),
    opt("archived", Ty::Any),
];

/// `sessions.reset`.
pub const SESSIONS_RESET: &[Prop] = &[
    req("key", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("reason", Ty::Any),
    opt("expectedSessionId", Ty::NonEmpty),
];

/// `sessions.delete`.
pub const SESSIONS_DELETE: &[Prop] = &[
    req("key", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("deleteTranscript", Ty::Bool),
    opt("expectedSessionId", Ty::NonEmpty),
    opt("expectedLifecycleRevision", Ty::Any),
    opt("expectedSessionUpdatedAt", Ty::Any),
    opt("emitLifecycleHooks", Ty::Any),
    opt("archivedOnly", Ty::Any),
];

/// `agent`.
pub const AGENT: &[Prop] = &[
    req("message", Ty::NonEmpty),
    req("idempotencyKey", Ty::NonEmpty),
    opt("agentId", Ty::NonEmpty),
    opt("sessionKey", Ty::Str),
    opt("timeout", Ty::Int { min: 0 }),
    opt("provider", Ty::Any),
    opt("model", Ty::Any),
    opt("to", Ty::Any),
    opt("replyTo", Ty::Any),
    opt("sessionId", Ty::Any),
    opt("expectedExistingSessionId", Ty::Any),
    opt("thinking", Ty::Any),
    opt("deliver", Ty::Any),
    opt("attachments", Ty::Any),
    opt("channel", Ty::Any),
    opt("replyChannel", Ty::Any),
    opt("accountId", Ty::Any),
    opt("replyAccountId", Ty::Any),
    opt("threadId", Ty::Any),
    opt("groupId", Ty::Any),
    opt("groupChannel", Ty::Any),
    opt("groupSpace", Ty::Any),
    opt("bestEffortDeliver", Ty::Any),
    opt("lane", Ty::Any),
    opt("cwd", Ty::Any),
    opt("extraSystemPrompt", Ty::Any),
    opt("promptMode", Ty::Any),
    opt("inputProvenance", Ty::Any),
    opt("label", Ty::Any),
];

/// `agent.wait`.
pub const AGENT_WAIT: &[Prop] = &[
    req("runId", Ty::NonEmpty),
    opt("timeoutMs", Ty::Int { min: 0 }),
];

/// `models.list` (an open schema in the original).
pub const MODELS_LIST: &[Prop] = &[
    opt("agentId", Ty::NonEmpty),
    opt("sessionKey", Ty::NonEmpty),
    opt("authProfileId", Ty::Any),
    opt("provider", Ty::NonEmpty),
    opt("includeDetails", Ty::Any),
    opt("includeProviderCapabilities", Ty::Any),
    opt("includeDefaultModels", Ty::Any),
    opt("preparedOnly", Ty::Any),
    opt("refresh", Ty::Any),
    opt("view", Ty::Any),
];

/// `agents.list`.
pub const AGENTS_LIST: &[Prop] = &[];

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn messages_follow_the_originals_wording() {
        let e = check(
            "chat.send",
            Some(&json!({"sessionKey": "main", "message": ""})),
            CHAT_SEND,
        )
        .unwrap_err();
        assert_eq!(
            e,
            "invalid chat.send params: must have required property 'idempotencyKey'"
        );
        let e = check(
            "chat.history",
            Some(&json!({"sessionKey": "main", "limit": "5", "bogus": 1})),
            CHAT_HISTORY,
        )
        .unwrap_err();
        assert_eq!(
            e,
            "invalid chat.history params: at root: unexpected property 'bogus'; at /limit: must be integer"
        );
        let e = check("agent.wait", Some(&json!({"runId": ""})), AGENT_WAIT).unwrap_err();
        assert_eq!(
            e,
            "invalid agent.wait params: at /runId: must NOT have fewer than 1 characters"
        );
        let ok = check(
            "chat.abort",
            Some(&json!({"sessionKey": "main"})),
            CHAT_ABORT,
        )
        .unwrap();
        assert_eq!(ok.str("sessionKey"), Some("main"));
        assert!(check("agents.list", None, AGENTS_LIST).is_ok());
    }
}
