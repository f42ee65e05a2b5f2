//! The `bindings` section: which agent answers which channel conversation.
//!
//! Routing precedence, as the original: a binding matching the peer, then the
//! guild with one of the sender's roles (Discord), then the guild, then the team,
//! then the exact account, then an account wildcard `"*"`, then the default agent;
//! the first match in each tier wins. Every field a binding sets must match.

use serde::Deserialize;
use serde_json::Value;

use super::agents::{AgentsSection, normalize_agent_id};
use super::closed::{Checker, Shape, kind};

/// The kind of conversation a peer match names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeerKind {
    Direct,
    Group,
    Channel,
}

/// A specific conversation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    pub kind: PeerKind,
    pub id: String,
}

/// `bindings[].match`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BindingMatch {
    pub channel: String,
    /// Omitted: the channel's default account only; `"*"`: every account.
    pub account_id: Option<String>,
    pub peer: Option<Peer>,
    pub guild_id: Option<String>,
    pub team_id: Option<String>,
    pub roles: Option<Vec<String>>,
}

/// One route binding: conversations matching `match` go to `agent_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub agent_id: String,
    pub matcher: BindingMatch,
    pub comment: Option<String>,
}

/// An incoming conversation to route.
#[derive(Clone, Debug, Default)]
pub struct RouteQuery<'a> {
    pub channel: &'a str,
    /// `None` is the channel's default account.
    pub account_id: Option<&'a str>,
    pub peer: Option<(PeerKind, &'a str)>,
    pub guild_id: Option<&'a str>,
    pub team_id: Option<&'a str>,
    /// The sender's role ids in the guild (Discord).
    pub roles: &'a [String],
}

/// The resolved `bindings` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings(pub Vec<Binding>);

impl Bindings {
    /// The agent for a conversation, or `default_agent` when nothing matches.
    pub fn route<'a>(&'a self, q: &RouteQuery<'_>, default_agent: &'a str) -> &'a str {
        let account = q.account_id.unwrap_or("default");
        let on_channel = || {
            self.0.iter().filter(|b| {
                b.matcher.channel.eq_ignore_ascii_case(q.channel)
                    && match b.matcher.account_id.as_deref() {
                        None | Some("") => account == "default",
                        Some("*") => true,
                        Some(id) => id == account,
                    }
            })
        };
        let guild = |b: &Binding| {
            b.matcher.peer.is_none()
                && b.matcher.guild_id.is_some()
                && b.matcher.guild_id.as_deref() == q.guild_id
        };
        let roles = |b: &Binding| match &b.matcher.roles {
            None => true,
            Some(wanted) => wanted.iter().any(|r| q.roles.contains(r)),
        };
        let tiers: [&dyn Fn(&Binding) -> bool; 6] = [
            &|b| {
                matches!((&b.matcher.peer, q.peer), (Some(p), Some((k, id))) if p.kind == k && p.id == id)
                    && b.matcher
                        .guild_id
                        .as_deref()
                        .is_none_or(|g| Some(g) == q.guild_id)
                    && roles(b)
            },
            &|b| guild(b) && b.matcher.roles.is_some() && roles(b),
            &|b| guild(b) && b.matcher.roles.is_none(),
            &|b| {
                b.matcher.peer.is_none()
                    && b.matcher.team_id.is_some()
                    && b.matcher.team_id.as_deref() == q.team_id
            },
            &|b| {
                plain(b)
                    && b.matcher
                        .account_id
                        .as_deref()
                        .is_some_and(|a| a != "*" && !a.is_empty())
            },
            &|b| plain(b),
        ];
        tiers
            .iter()
            .find_map(|tier| on_channel().find(|b| tier(b)))
            .map_or(default_agent, |b| b.agent_id.as_str())
    }
}

fn plain(b: &Binding) -> bool {
    b.matcher.peer.is_none()
        && b.matcher.guild_id.is_none()
        && b.matcher.team_id.is_none()
        && b.matcher.roles.is_none()
}

const BINDING: Shape = Shape {
    implemented: &["type", "agentId", "comment", "match"],
    unimplemented: &["session", "acp"],
};

const MATCH: Shape = Shape {
    implemented: &["channel", "accountId", "peer", "guildId", "teamId", "roles"],
    unimplemented: &[],
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawBinding {
    #[serde(rename = "type")]
    kind: Option<String>,
    agent_id: String,
    comment: Option<String>,
    #[serde(rename = "match")]
    matcher: BindingMatch,
}

pub(super) fn parse(
    raw: Option<&Value>,
    agents: &AgentsSection,
    c: &mut Checker,
) -> Option<Bindings> {
    let Some(raw) = raw else {
        return Some(Bindings::default());
    };
    let Value::Array(items) = raw else {
        c.issue("bindings", format!("expected an array, got {}", kind(raw)));
        return None;
    };
    let before = c.issues.len();
    let mut out = Vec::new();
    let mut acp = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("bindings[{i}]");
        let mut item = item.clone();
        let Some(map) = c.closed(&mut item, &path, &BINDING) else {
            continue;
        };
        if let Some(m) = map.get_mut("match") {
            c.closed(m, &format!("{path}.match"), &MATCH);
        }
        let Some(b) = c.typed::<RawBinding>(item, &path) else {
            continue;
        };
        match b.kind.as_deref() {
            None | Some("route") => {}
            Some("acp") => {
                acp.push(path);
                continue;
            }
            Some(other) => {
                c.issue(
                    format!("{path}.type"),
                    format!("must be \"route\" or \"acp\", got \"{other}\""),
                );
                continue;
            }
        }
        if agents.agent(&b.agent_id).is_none() {
            let ids: Vec<&str> = agents.agents.iter().map(|a| a.id.as_str()).collect();
            c.issue(
                format!("{path}.agentId"),
                format!(
                    "unknown agent \"{}\" (configured: {})",
                    b.agent_id,
                    ids.join(", ")
                ),
            );
            continue;
        }
        out.push(Binding {
            agent_id: normalize_agent_id(&b.agent_id),
            matcher: b.matcher,
            comment: b.comment,
        });
    }
    if !acp.is_empty() {
        c.warnings.push(format!(
            "ACP bindings ({}) are not implemented by this gateway; ignored",
            acp.join(", ")
        ));
    }
    (c.issues.len() == before).then_some(Bindings(out))
}
