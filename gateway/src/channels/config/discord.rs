//! `channels.discord`: the bot's token and who it answers, per account.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::accounts::{self, Inherit, inherit_fields};
use super::allow::{AllowList, Platform};
use super::policy::{AllowBots, DmPolicy, GroupPolicy};
use crate::agents::config::closed::{Checker, Shape};
use crate::config::secret_input::{self, SecretInput};

/// Discord's message length limit, in Unicode code points.
pub const DISCORD_TEXT_LIMIT: usize = 2000;
/// The original's default `maxLinesPerMessage`.
pub const DEFAULT_MAX_LINES: usize = 17;

/// The Discord channel: one or more bot accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscordConfig {
    pub accounts: Vec<DiscordAccount>,
    /// The account bindings without `accountId` and status summaries refer to.
    pub default_account: String,
}

/// One bot account, with its policies resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscordAccount {
    pub id: String,
    pub name: Option<String>,
    pub enabled: bool,
    /// `token` from the config (the default account falls back to `DISCORD_BOT_TOKEN`).
    pub token: Option<SecretInput>,
    pub access: DiscordAccess,
    pub text_chunk_limit: usize,
    pub max_lines_per_message: usize,
    pub response_prefix: Option<String>,
}

/// Who may reach one Discord account, and where.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiscordAccess {
    pub dm_policy: DmPolicy,
    pub allow_from: AllowList,
    /// `dm.enabled: false` ignores every DM whatever the policy.
    pub dm_enabled: bool,
    pub group_policy: GroupPolicy,
    /// By guild id, guild slug or `"*"`.
    pub guilds: BTreeMap<String, Guild>,
    pub allow_bots: AllowBots,
    /// `dangerouslyAllowNameMatching`: user entries may be names, not only ids.
    pub name_matching: bool,
}

/// `guilds.<id>`: a guild the bot serves under the allowlist policy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Guild {
    pub slug: Option<String>,
    pub require_mention: Option<bool>,
    pub users: Option<AllowList>,
    pub roles: Option<Vec<String>>,
    pub ignore_other_mentions: Option<bool>,
    /// `None`: every channel of the guild. `Some`: only the listed ones (an allowlist).
    pub channels: Option<BTreeMap<String, GuildChannel>>,
}

/// `guilds.<id>.channels.<id, name or "*">`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuildChannel {
    /// `enabled`, or the legacy `allow`.
    pub enabled: Option<bool>,
    pub require_mention: Option<bool>,
    pub users: Option<AllowList>,
    pub roles: Option<Vec<String>>,
    pub ignore_other_mentions: Option<bool>,
}

pub(super) const ACCOUNT: Shape = Shape {
    implemented: &[
        "name",
        "enabled",
        "token",
        "dmPolicy",
        "allowFrom",
        "dm",
        "groupPolicy",
        "guilds",
        "allowBots",
        "textChunkLimit",
        "maxLinesPerMessage",
        "dangerouslyAllowNameMatching",
        "responsePrefix",
    ],
    unimplemented: &[
        "ackReaction",
        "ackReactionScope",
        "actions",
        "activities",
        "activity",
        "activityType",
        "activityUrl",
        "agentComponents",
        "applicationId",
        "autoPresence",
        "botLoopProtection",
        "capabilities",
        "commands",
        "configWrites",
        "contextVisibility",
        "defaultTo",
        "dmHistoryLimit",
        "dms",
        "execApprovals",
        "healthMonitor",
        "heartbeatVisibility",
        "historyLimit",
        "inboundWorker",
        "intents",
        "joinIntro",
        "markdown",
        "mediaMaxMb",
        "mentionAliases",
        "mentionPatterns",
        "pluralkit",
        "proxy",
        "replyToMode",
        "slashCommand",
        "status",
        "streaming",
        "suppressEmbeds",
        "thread",
        "threadBindings",
        "voice",
    ],
};

const GUILD: Shape = Shape {
    implemented: &[
        "slug",
        "requireMention",
        "users",
        "roles",
        "ignoreOtherMentions",
        "channels",
    ],
    unimplemented: &[
        "presenceEvents",
        "reactionNotifications",
        "tools",
        "toolsBySender",
    ],
};

const CHANNEL: Shape = Shape {
    implemented: &[
        "enabled",
        "allow",
        "requireMention",
        "users",
        "roles",
        "ignoreOtherMentions",
    ],
    unimplemented: &[
        "autoArchiveDuration",
        "autoThread",
        "autoThreadName",
        "includeThreadStarter",
        "skills",
        "systemPrompt",
        "tools",
        "toolsBySender",
    ],
};

const DM: Shape = Shape {
    implemented: &["enabled", "policy", "allowFrom"],
    unimplemented: &["groupEnabled", "groupChannels"],
};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAccount {
    name: Option<String>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "secret_input::optional")]
    token: Option<SecretInput>,
    dm_policy: Option<DmPolicy>,
    allow_from: Option<Vec<String>>,
    dm: Option<RawDm>,
    group_policy: Option<GroupPolicy>,
    guilds: Option<BTreeMap<String, RawGuild>>,
    allow_bots: Option<AllowBots>,
    text_chunk_limit: Option<u32>,
    max_lines_per_message: Option<u32>,
    dangerously_allow_name_matching: Option<bool>,
    response_prefix: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDm {
    enabled: Option<bool>,
    /// Legacy spelling of `dmPolicy`.
    policy: Option<DmPolicy>,
    /// Legacy spelling of `allowFrom`.
    allow_from: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGuild {
    slug: Option<String>,
    require_mention: Option<bool>,
    users: Option<Vec<String>>,
    roles: Option<Vec<String>>,
    ignore_other_mentions: Option<bool>,
    channels: Option<BTreeMap<String, RawChannel>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawChannel {
    enabled: Option<bool>,
    allow: Option<bool>,
    require_mention: Option<bool>,
    users: Option<Vec<String>>,
    roles: Option<Vec<String>>,
    ignore_other_mentions: Option<bool>,
}

impl Inherit for RawAccount {
    fn inherit(mut self, parent: &Self, is_default: bool) -> Self {
        inherit_fields!(self, parent;
            enabled, dm_policy, allow_from, dm, group_policy, guilds, allow_bots,
            text_chunk_limit, max_lines_per_message, dangerously_allow_name_matching,
            response_prefix);
        if is_default {
            inherit_fields!(self, parent; token, name);
        }
        self
    }
}

/// Reads `channels.discord` (an object at `path`).
pub(super) fn parse(
    block: Map<String, Value>,
    path: &str,
    default_group_policy: Option<GroupPolicy>,
    c: &mut Checker,
) -> Option<DiscordConfig> {
    let (accounts, default_account) = accounts::read::<RawAccount, _>(
        block,
        path,
        &ACCOUNT,
        &check_nested,
        c,
        |a, enabled, c| resolve(a, enabled, default_group_policy, c),
    )?;
    Some(DiscordConfig {
        accounts,
        default_account,
    })
}

fn check_nested(c: &mut Checker, account: &mut Map<String, Value>, path: &str) {
    if let Some(dm) = account.get_mut("dm") {
        c.closed(dm, &format!("{path}.dm"), &DM);
    }
    let Some(Value::Object(guilds)) = account.get_mut("guilds") else {
        return;
    };
    for (id, guild) in guilds.iter_mut() {
        let guild_path = format!("{path}.guilds.{id}");
        let Some(guild) = c.closed(guild, &guild_path, &GUILD) else {
            continue;
        };
        if let Some(Value::Object(channels)) = guild.get_mut("channels") {
            for (key, channel) in channels.iter_mut() {
                c.closed(channel, &format!("{guild_path}.channels.{key}"), &CHANNEL);
            }
        }
    }
}

fn resolve(
    a: accounts::RawAccount<RawAccount>,
    channel_enabled: bool,
    default_group_policy: Option<GroupPolicy>,
    c: &mut Checker,
) -> DiscordAccount {
    let raw = a.raw;
    let path = a.path;
    let dm = raw.dm.unwrap_or_default();
    if dm.policy.is_some() || dm.allow_from.is_some() {
        c.warnings.push(format!(
            "{path}.dm.policy / dm.allowFrom are legacy spellings of {path}.dmPolicy / allowFrom; they are still read"
        ));
    }
    let dm_policy = raw.dm_policy.or(dm.policy).unwrap_or_default();
    let allow_from = allow_list(raw.allow_from.or(dm.allow_from));
    if let Some(problem) = dm_policy.check(&allow_from, &path) {
        c.issue(format!("{path}.allowFrom"), problem);
    }
    let mut guilds = BTreeMap::new();
    for (id, g) in raw.guilds.unwrap_or_default() {
        let mut channels = None;
        if let Some(raw_channels) = g.channels {
            let mut map = BTreeMap::new();
            for (key, ch) in raw_channels {
                if ch.allow.is_some() {
                    c.warnings.push(format!(
                        "{path}.guilds.{id}.channels.{key}.allow is the legacy spelling of enabled; it is still read"
                    ));
                }
                map.insert(
                    key,
                    GuildChannel {
                        enabled: ch.enabled.or(ch.allow),
                        require_mention: ch.require_mention,
                        users: ch.users.map(|u| allow_list(Some(u))),
                        roles: ch.roles,
                        ignore_other_mentions: ch.ignore_other_mentions,
                    },
                );
            }
            channels = Some(map);
        }
        guilds.insert(
            id,
            Guild {
                slug: g.slug,
                require_mention: g.require_mention,
                users: g.users.map(|u| allow_list(Some(u))),
                roles: g.roles,
                ignore_other_mentions: g.ignore_other_mentions,
                channels,
            },
        );
    }
    let text_chunk_limit = limit(
        raw.text_chunk_limit,
        DISCORD_TEXT_LIMIT,
        &format!("{path}.textChunkLimit"),
        c,
    );
    DiscordAccount {
        id: a.id,
        name: raw.name,
        enabled: channel_enabled && raw.enabled != Some(false),
        token: raw.token,
        access: DiscordAccess {
            dm_policy,
            allow_from,
            dm_enabled: dm.enabled != Some(false),
            group_policy: raw
                .group_policy
                .or(default_group_policy)
                .unwrap_or_default(),
            guilds,
            allow_bots: raw.allow_bots.unwrap_or_default(),
            name_matching: raw.dangerously_allow_name_matching == Some(true),
        },
        text_chunk_limit,
        max_lines_per_message: raw
            .max_lines_per_message
            .map_or(DEFAULT_MAX_LINES, |n| n.max(1) as usize),
        response_prefix: raw.response_prefix.filter(|p| !p.is_empty()),
    }
}

fn allow_list(entries: Option<Vec<String>>) -> AllowList {
    AllowList::parse(entries.unwrap_or_default(), Platform::Discord).0
}

/// A configured chunk limit, capped at the platform's hard limit.
pub(super) fn limit(raw: Option<u32>, hard: usize, path: &str, c: &mut Checker) -> usize {
    match raw {
        None => hard,
        Some(0) => {
            c.issue(path, "must be greater than 0");
            hard
        }
        Some(n) if n as usize > hard => {
            c.warnings.push(format!(
                "{path} = {n} is above the platform limit; {hard} is used"
            ));
            hard
        }
        Some(n) => n as usize,
    }
}
