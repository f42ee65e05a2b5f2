//! The `agents` section: defaults (model chain, `maxConcurrent`), the roster in
//! `agents.entries.<id>` (or the legacy `agents.list`, migrated with a warning
//! as the original does), and the original's ownership rules.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::super::model_ref::ModelRef;
use super::closed::{Checker, Shape, kind};
use super::issues::did_you_mean;

/// The agent the original runs when no roster is configured.
pub const DEFAULT_AGENT_ID: &str = "main";

/// The model the original 2026.9.6 uses when none is configured.
pub const DEFAULT_MODEL: &str = "openai/gpt-6-astra";

/// A primary model and the models tried, in order, when it fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelChain {
    pub primary: ModelRef,
    pub fallbacks: Vec<ModelRef>,
}

impl ModelChain {
    /// Primary first, then the fallbacks.
    pub fn candidates(&self) -> impl Iterator<Item = &ModelRef> {
        std::iter::once(&self.primary).chain(&self.fallbacks)
    }
}

/// Display identity of an agent (`agents.entries.<id>.identity`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub name: Option<String>,
    pub theme: Option<String>,
    pub emoji: Option<String>,
    pub avatar: Option<String>,
}

/// One configured agent, with its model chain resolved against the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentConfig {
    pub id: String,
    pub name: Option<String>,
    pub identity: Option<Identity>,
    pub model: ModelChain,
}

/// The resolved `agents` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentsSection {
    /// The roster, by id (never empty).
    pub agents: Vec<AgentConfig>,
    /// The agent that gets sessions and messages with no explicit agent.
    pub default_agent: String,
    /// Agent runs allowed at once per gateway (`agents.defaults.maxConcurrent`).
    pub max_concurrent: usize,
    /// Overall run timeout (`agents.defaults.timeoutSeconds`), if any.
    pub run_timeout: Option<Duration>,
    /// The default model chain (`agents.defaults.model`).
    pub default_model: ModelChain,
}

impl AgentsSection {
    /// The agent `id` (normalized), if configured.
    pub fn agent(&self, id: &str) -> Option<&AgentConfig> {
        let id = normalize_agent_id(id);
        self.agents.iter().find(|a| a.id == id)
    }
}

/// `agents.defaults.maxConcurrent` when unset: `max(8, 4 × CPUs)` as the original.
pub fn default_max_concurrent() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    (4 * cpus).max(8)
}

const AGENTS: Shape = Shape {
    implemented: &["ownership", "defaults", "entries", "list"],
    unimplemented: &[],
};

const DEFAULTS: Shape = Shape {
    implemented: &["model", "maxConcurrent", "timeoutSeconds"],
    unimplemented: &[
        "params",
        "modelSelectionScope",
        "utilityModel",
        "decisionModel",
        "imageModel",
        "mediaModels",
        "voiceModel",
        "pdfModel",
        "pdfMaxMb",
        "pdfMaxPages",
        "models",
        "modelPolicy",
        "workspace",
        "cwd",
        "skills",
        "silentReply",
        "repoRoot",
        "skipBootstrap",
        "skipOptionalBootstrapFiles",
        "contextInjection",
        "bootstrapMaxChars",
        "bootstrapTotalMaxChars",
        "experimental",
        "userTimezone",
        "startupContext",
        "contextPruning",
        "compaction",
        "embeddedAgent",
        "thinkingDefault",
        "fastModeDefault",
        "verboseDefault",
        "toolProgressDetail",
        "reasoningDefault",
        "elevatedDefault",
        "blockStreamingDefault",
        "blockStreamingBreak",
        "mediaMaxMb",
        "imageMaxDimensionPx",
        "imageQuality",
        "typingIntervalSeconds",
        "systemAgent",
        "authInheritance",
        "sessionStore",
        "subagents",
        "contextLimits",
        "blockStreamingChunk",
        "blockStreamingCoalesce",
        "humanDelay",
        "typingMode",
        "heartbeat",
        "sandbox",
    ],
};

const ENTRY: Shape = Shape {
    implemented: &["name", "model", "default", "identity"],
    unimplemented: &[
        "description",
        "workspace",
        "cwd",
        "agentDir",
        "utilityModel",
        "decisionModel",
        "models",
        "modelPolicy",
        "thinkingDefault",
        "verboseDefault",
        "toolProgressDetail",
        "reasoningDefault",
        "fastModeDefault",
        "contextInjection",
        "bootstrapMaxChars",
        "bootstrapTotalMaxChars",
        "experimental",
        "skills",
        "subagents",
        "embeddedAgent",
        "params",
        "runtime",
        "memory",
        "humanDelay",
        "typingMode",
        "tts",
        "skillsLimits",
        "contextLimits",
        "heartbeat",
        "groupChat",
        "sandbox",
        "tools",
    ],
};

const MODEL: Shape = Shape {
    implemented: &["primary", "fallbacks"],
    unimplemented: &[],
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDefaults {
    #[serde(default)]
    model: Value,
    max_concurrent: Option<std::num::NonZeroU32>,
    timeout_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: Option<String>,
    #[serde(default)]
    model: Value,
    default: Option<bool>,
    identity: Option<Identity>,
}

/// A model setting as written: a string (strict) or `{primary?, fallbacks?}`.
struct ModelSpec {
    primary: Option<ModelRef>,
    fallbacks: Option<Vec<ModelRef>>,
}

/// The original's agent id normalization: lowercase, invalid characters as `-`.
pub fn normalize_agent_id(raw: &str) -> String {
    let lowered: String = raw
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = lowered.trim_start_matches('-');
    let id: String = trimmed.chars().take(64).collect();
    if id.is_empty() {
        DEFAULT_AGENT_ID.to_owned()
    } else {
        id
    }
}

fn valid_agent_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && id.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads the `agents` section. `providers` are the provider ids model refs may name.
pub(super) fn parse(
    raw: Option<&Value>,
    providers: &[String],
    c: &mut Checker,
) -> Option<AgentsSection> {
    let mut section = raw
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    let before = c.issues.len();
    let map = c.closed(&mut section, "agents", &AGENTS)?;

    let explicit = match map.remove("ownership") {
        None => false,
        Some(Value::String(s)) if s == "explicit" => true,
        Some(other) => {
            c.issue(
                "agents.ownership",
                format!("must be \"explicit\", got {other}"),
            );
            false
        }
    };

    let defaults = match map.remove("defaults") {
        None => None,
        Some(mut d) => c
            .closed(&mut d, "agents.defaults", &DEFAULTS)
            .is_some()
            .then(|| c.typed::<RawDefaults>(d, "agents.defaults"))
            .flatten(),
    };
    let default_spec = defaults
        .as_ref()
        .and_then(|d| model_spec(&d.model, "agents.defaults.model", providers, c));
    let default_model = ModelChain {
        primary: default_spec
            .as_ref()
            .and_then(|s| s.primary.clone())
            .unwrap_or_else(|| {
                ModelRef::parse(DEFAULT_MODEL).expect("the default model is a valid reference")
            }),
        fallbacks: default_spec.and_then(|s| s.fallbacks).unwrap_or_default(),
    };

    let entries = map.remove("entries");
    let list = map.remove("list");
    let mut roster: Vec<(String, String, RawEntry)> = Vec::new(); // (id, path, entry)
    let mut explicit = explicit;
    match (entries, list) {
        (Some(entries), list) => {
            if list.is_some() {
                c.warnings.push(
                    "agents.list removed because agents.entries is already set (run \"openclaw doctor --fix\" to drop it from the file)".into(),
                );
            }
            read_entries(entries, &mut roster, c);
        }
        (None, Some(list)) => {
            explicit |= read_legacy_list(list, &mut roster, c);
        }
        (None, None) => {}
    }
    if c.issues.len() > before {
        return None;
    }

    // The original's ownership rules.
    let marked: Vec<&str> = roster
        .iter()
        .filter(|(_, _, e)| e.default == Some(true))
        .map(|(id, _, _)| id.as_str())
        .collect();
    if marked.len() > 1 {
        c.issue(
            "agents.entries",
            format!(
                "must contain at most one default=true entry (found {})",
                marked.len()
            ),
        );
    }
    if explicit && !marked.is_empty() {
        c.issue(
            "agents.ownership",
            "agents.ownership=explicit cannot be combined with a legacy default=true marker",
        );
    }
    if roster.len() > 1 && marked.is_empty() && !explicit {
        c.issue(
            "agents.ownership",
            "multi-agent rosters require agents.ownership=\"explicit\" or one legacy default=true marker; add agents.ownership=\"explicit\" or run openclaw doctor",
        );
    }

    let mut agents = Vec::with_capacity(roster.len().max(1));
    for (id, path, entry) in &roster {
        let spec = model_spec(&entry.model, &format!("{path}.model"), providers, c);
        let model = match spec {
            // No model: the defaults, fallbacks included.
            None => default_model.clone(),
            // A string is strict; an object opts into fallbacks only by listing them.
            Some(spec) => ModelChain {
                primary: spec
                    .primary
                    .unwrap_or_else(|| default_model.primary.clone()),
                fallbacks: spec.fallbacks.unwrap_or_default(),
            },
        };
        agents.push(AgentConfig {
            id: id.clone(),
            name: entry.name.clone(),
            identity: entry.identity.clone(),
            model,
        });
    }
    if agents.is_empty() {
        agents.push(AgentConfig {
            id: DEFAULT_AGENT_ID.into(),
            name: None,
            identity: None,
            model: default_model.clone(),
        });
    }
    let default_agent = marked
        .first()
        .map(|s| (*s).to_owned())
        .or_else(|| {
            agents
                .iter()
                .find(|a| a.id == DEFAULT_AGENT_ID)
                .map(|a| a.id.clone())
        })
        .unwrap_or_else(|| agents[0].id.clone());
    if c.issues.len() > before {
        return None;
    }
    Some(AgentsSection {
        agents,
        default_agent,
        max_concurrent: defaults
            .as_ref()
            .and_then(|d| d.max_concurrent)
            .map_or_else(default_max_concurrent, |n| n.get() as usize),
        run_timeout: defaults
            .as_ref()
            .and_then(|d| d.timeout_seconds)
            .filter(|s| *s > 0)
            .map(Duration::from_secs),
        default_model,
    })
}

fn read_entries(mut entries: Value, roster: &mut Vec<(String, String, RawEntry)>, c: &mut Checker) {
    let Value::Object(map) = &mut entries else {
        c.issue(
            "agents.entries",
            format!(
                "expected an object keyed by agent id, got {}",
                kind(&entries)
            ),
        );
        return;
    };
    if map.is_empty() {
        c.issue(
            "agents.entries",
            "must contain at least one configured agent",
        );
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (key, mut value) in std::mem::take(map) {
        let path = format!("agents.entries.{key}");
        if !valid_agent_id(&key) {
            c.issue(
                &path,
                "Invalid agent id (letters, digits, _ and -, at most 64, not starting with -)",
            );
            continue;
        }
        let id = normalize_agent_id(&key);
        if let Some(first) = seen.insert(id.clone(), key.clone()) {
            c.issue(
                &path,
                format!("agents.entries keys \"{first}\" and \"{key}\" resolve to the same agent id \"{id}\"; rename one key so each agent has a unique id"),
            );
            continue;
        }
        if c.closed(&mut value, &path, &ENTRY).is_none() {
            continue;
        }
        if let Some(entry) = c.typed::<RawEntry>(value, &path) {
            roster.push((id, path, entry));
        }
    }
}

/// Migrates the legacy `agents.list: [{id, default?, …}]` as the original's
/// doctor does; returns whether the roster becomes explicitly owned (a
/// markerless multi-agent list is persisted as `ownership: "explicit"`).
fn read_legacy_list(
    list: Value,
    roster: &mut Vec<(String, String, RawEntry)>,
    c: &mut Checker,
) -> bool {
    let Value::Array(items) = list else {
        c.issue(
            "agents.list",
            format!("expected an array of agents, got {}", kind(&list)),
        );
        return false;
    };
    let mut notes = vec!["agents.list moved to keyed agents.entries (run \"openclaw doctor --fix\" to rewrite the file)".to_owned()];
    for (i, mut item) in items.into_iter().enumerate() {
        let path = format!("agents.list[{i}]");
        let Value::Object(map) = &mut item else {
            notes.push(format!("removed malformed {path} entry"));
            continue;
        };
        let raw_id = match map.remove("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            _ => "agent".to_owned(),
        };
        let requested = normalize_agent_id(&raw_id);
        if requested != raw_id {
            notes.push(format!(
                "normalized agents.list id \"{raw_id}\" → agents.entries.{requested}"
            ));
        }
        let mut id = requested.clone();
        let mut suffix = 2;
        while roster.iter().any(|(existing, _, _)| *existing == id) {
            id = format!("{requested}-{suffix}");
            suffix += 1;
        }
        if id != requested {
            notes.push(format!(
                "moved duplicate agents.list id \"{requested}\" to agents.entries.{id}"
            ));
        }
        if c.closed(&mut item, &path, &ENTRY).is_none() {
            continue;
        }
        if let Some(entry) = c.typed::<RawEntry>(item, &path) {
            roster.push((id, path, entry));
        }
    }
    let markerless_multi =
        roster.len() > 1 && !roster.iter().any(|(_, _, e)| e.default == Some(true));
    if markerless_multi {
        notes
            .push("set agents.ownership=\"explicit\" for the markerless multi-agent roster".into());
    }
    c.warnings.push(notes.join("; "));
    markerless_multi
}

fn model_spec(
    value: &Value,
    path: &str,
    providers: &[String],
    c: &mut Checker,
) -> Option<ModelSpec> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(ModelSpec {
            primary: model_ref(s, path, providers, c),
            fallbacks: None,
        }),
        Value::Object(_) => {
            let mut value = value.clone();
            let map = c.closed(&mut value, path, &MODEL)?;
            let primary = match map.get("primary") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => model_ref(s, &format!("{path}.primary"), providers, c),
                Some(other) => {
                    c.issue(
                        format!("{path}.primary"),
                        format!("expected a \"provider/model\" string, got {}", kind(other)),
                    );
                    None
                }
            };
            let fallbacks = match map.get("fallbacks") {
                None | Some(Value::Null) => None,
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, item)| {
                            let at = format!("{path}.fallbacks[{i}]");
                            match item {
                                Value::String(s) => model_ref(s, &at, providers, c),
                                other => {
                                    c.issue(
                                        at,
                                        format!(
                                            "expected a \"provider/model\" string, got {}",
                                            kind(other)
                                        ),
                                    );
                                    None
                                }
                            }
                        })
                        .collect(),
                ),
                Some(other) => {
                    c.issue(
                        format!("{path}.fallbacks"),
                        format!(
                            "expected an array of \"provider/model\" strings, got {}",
                            kind(other)
                        ),
                    );
                    None
                }
            };
            Some(ModelSpec { primary, fallbacks })
        }
        other => {
            c.issue(
                path,
                format!(
                    "expected \"provider/model\" or {{primary, fallbacks}}, got {}",
                    kind(other)
                ),
            );
            None
        }
    }
}

/// Parses a model reference and checks that its provider exists.
pub(super) fn model_ref(
    raw: &str,
    path: &str,
    providers: &[String],
    c: &mut Checker,
) -> Option<ModelRef> {
    let r = match ModelRef::parse(raw) {
        Ok(r) => r,
        Err(e) => {
            c.issue(path, e);
            return None;
        }
    };
    if providers.iter().any(|p| p == r.provider()) {
        return Some(r);
    }
    let hint = did_you_mean(r.provider(), providers.iter().map(String::as_str))
        .map(|p| format!("; did you mean \"{p}\"?"))
        .unwrap_or_default();
    c.issue(
        path,
        format!(
            "unknown provider \"{}\" (known: {}{hint}; other providers need a models.providers.{} entry)",
            r.provider(),
            providers.join(", "),
            r.provider()
        ),
    );
    None
}
