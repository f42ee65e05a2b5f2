//! Whether the Discord bot answers a message: the original's DM policy, guild
//! allowlist, channel map, user/role lists and mention gating, as a pure function
//! of the config and what the message says about itself.

use std::fmt;

use crate::channels::config::{
    AllowBots, DiscordAccess, DmPolicy, GroupPolicy, Guild, GuildChannel,
};

/// A guild channel as far as access needs it.
#[derive(Debug, Clone, Default)]
pub struct ChannelRef {
    pub id: String,
    /// Known only when the guild's channel map lists names (looked up lazily).
    pub name: Option<String>,
    /// For threads: the channel they belong to.
    pub parent_id: Option<String>,
    pub parent_name: Option<String>,
}

/// What access decisions need to know about a message.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub bot_id: String,
    pub author_id: String,
    pub author_name: String,
    pub author_is_bot: bool,
    pub guild_id: Option<String>,
    pub guild_name: Option<String>,
    pub channel: ChannelRef,
    pub roles: Vec<String>,
    pub mentions_bot: bool,
    /// Mentions someone else (users or roles; not @everyone).
    pub mentions_others: bool,
}

/// Why a message is not answered (logged at debug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    OwnMessage,
    FromBot,
    DmsDisabled,
    DmPolicyDisabled,
    DmNotAllowed(DmPolicy),
    GroupPolicyDisabled,
    GuildNotAllowed,
    ChannelNotAllowed,
    ChannelDisabled,
    SenderNotAllowed,
    NoMention,
    MentionsSomeoneElse,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OwnMessage => "the bot's own message",
            Self::FromBot => "written by a bot (allowBots is off)",
            Self::DmsDisabled => "direct messages are disabled (dm.enabled=false)",
            Self::DmPolicyDisabled => "direct messages are disabled (dmPolicy=disabled)",
            Self::DmNotAllowed(DmPolicy::Open) => {
                "sender is not in allowFrom (dmPolicy=open without \"*\")"
            }
            Self::DmNotAllowed(_) => "sender is not in allowFrom (dmPolicy=allowlist)",
            Self::GroupPolicyDisabled => "guild messages are disabled (groupPolicy=disabled)",
            Self::GuildNotAllowed => {
                "guild is not in channels.discord.guilds (groupPolicy=allowlist)"
            }
            Self::ChannelNotAllowed => "channel is not in the guild's channels allowlist",
            Self::ChannelDisabled => "channel is disabled (enabled=false)",
            Self::SenderNotAllowed => "sender is not in the guild/channel users or roles",
            Self::NoMention => "the bot was not mentioned (requireMention)",
            Self::MentionsSomeoneElse => "addressed to someone else (ignoreOtherMentions)",
        })
    }
}

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Answer,
    /// A DM from an unknown sender under `dmPolicy: "pairing"`: send a code.
    Pair,
    Ignore(Ignored),
}

/// Decides for `f`; `approved` are the senders approved by pairing.
pub fn decide(access: &DiscordAccess, approved: &[String], f: &Facts) -> Decision {
    if f.author_id == f.bot_id {
        return Decision::Ignore(Ignored::OwnMessage);
    }
    if f.author_is_bot {
        match access.allow_bots {
            AllowBots::No => return Decision::Ignore(Ignored::FromBot),
            AllowBots::Mentions if !f.mentions_bot => return Decision::Ignore(Ignored::FromBot),
            _ => {}
        }
    }
    match &f.guild_id {
        None => direct(access, approved, f),
        Some(guild_id) => guild(access, guild_id, f),
    }
}

fn direct(access: &DiscordAccess, approved: &[String], f: &Facts) -> Decision {
    if !access.dm_enabled {
        return Decision::Ignore(Ignored::DmsDisabled);
    }
    let allowed =
        access
            .allow_from
            .allows(&f.author_id, Some(&f.author_name), access.name_matching)
            || (access.dm_policy == DmPolicy::Pairing && approved.contains(&f.author_id));
    match access.dm_policy {
        DmPolicy::Disabled => Decision::Ignore(Ignored::DmPolicyDisabled),
        _ if allowed => Decision::Answer,
        DmPolicy::Pairing => Decision::Pair,
        other => Decision::Ignore(Ignored::DmNotAllowed(other)),
    }
}

fn guild(access: &DiscordAccess, guild_id: &str, f: &Facts) -> Decision {
    if access.group_policy == GroupPolicy::Disabled {
        return Decision::Ignore(Ignored::GroupPolicyDisabled);
    }
    let default = Guild::default();
    let entry = match guild_entry(access, guild_id, f.guild_name.as_deref()) {
        Some(entry) => entry,
        None if access.group_policy == GroupPolicy::Open => &default,
        None => return Decision::Ignore(Ignored::GuildNotAllowed),
    };
    let channel = match &entry.channels {
        None => None,
        Some(map) => match channel_entry(map, &f.channel) {
            Some(c) if c.enabled == Some(false) => {
                return Decision::Ignore(Ignored::ChannelDisabled);
            }
            Some(c) => Some(c),
            None => return Decision::Ignore(Ignored::ChannelNotAllowed),
        },
    };
    let users = channel
        .and_then(|c| c.users.as_ref())
        .or(entry.users.as_ref());
    let roles = channel
        .and_then(|c| c.roles.as_ref())
        .or(entry.roles.as_ref());
    if users.is_some() || roles.is_some() {
        let by_user = users
            .is_some_and(|u| u.allows(&f.author_id, Some(&f.author_name), access.name_matching));
        let by_role = roles.is_some_and(|r| r.iter().any(|role| f.roles.contains(role)));
        if !by_user && !by_role {
            return Decision::Ignore(Ignored::SenderNotAllowed);
        }
    }
    let require_mention = channel
        .and_then(|c| c.require_mention)
        .or(entry.require_mention)
        .unwrap_or(true);
    if require_mention && !f.mentions_bot {
        return Decision::Ignore(Ignored::NoMention);
    }
    let ignore_others = channel
        .and_then(|c| c.ignore_other_mentions)
        .or(entry.ignore_other_mentions)
        .unwrap_or(false);
    if ignore_others && f.mentions_others && !f.mentions_bot {
        return Decision::Ignore(Ignored::MentionsSomeoneElse);
    }
    Decision::Answer
}

/// The guild's entry: by id, by slug (its `slug` or the slug of its name), or `"*"`.
fn guild_entry<'a>(access: &'a DiscordAccess, id: &str, name: Option<&str>) -> Option<&'a Guild> {
    if let Some(g) = access.guilds.get(id) {
        return Some(g);
    }
    if let Some(slug) = name.map(slug) {
        let by_slug = access.guilds.iter().find(|(key, g)| {
            g.slug.as_deref().is_some_and(|s| self::slug(s) == slug) || **key == slug
        });
        if let Some((_, g)) = by_slug {
            return Some(g);
        }
    }
    access.guilds.get("*")
}

/// Whether deciding for this guild channel needs its name (the guild's channel map
/// has entries that are not ids, and the id itself is not listed).
pub fn needs_channel_name(access: &DiscordAccess, guild_id: &str, channel_id: &str) -> bool {
    let Some(map) = access
        .guilds
        .get(guild_id)
        .or_else(|| access.guilds.get("*"))
        .and_then(|g| g.channels.as_ref())
    else {
        return false;
    };
    !map.contains_key(channel_id)
        && map
            .keys()
            .any(|k| k != "*" && !k.bytes().all(|b| b.is_ascii_digit()))
}

/// The channel's entry: by id, name or slug; a thread falls back to its parent's
/// entry; then `"*"`.
fn channel_entry<'a>(
    map: &'a std::collections::BTreeMap<String, GuildChannel>,
    c: &ChannelRef,
) -> Option<&'a GuildChannel> {
    let lookup = |id: &str, name: Option<&str>| -> Option<&'a GuildChannel> {
        map.get(id).or_else(|| {
            let name = name?;
            map.get(name)
                .or_else(|| map.get(&format!("#{name}")))
                .or_else(|| {
                    map.iter()
                        .find(|(k, _)| slug(k) == slug(name))
                        .map(|(_, v)| v)
                })
        })
    };
    lookup(&c.id, c.name.as_deref())
        .or_else(|| {
            c.parent_id
                .as_deref()
                .and_then(|p| lookup(p, c.parent_name.as_deref()))
        })
        .or_else(|| map.get("*"))
}

/// Discord-style slug: lowercase, `#` dropped, runs of other characters become `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().trim_start_matches('#').chars() {
        if c.is_alphanumeric() || c == '_' {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::channels::config;

    fn access(discord: serde_json::Value) -> DiscordAccess {
        config::parse(Some(&json!({ "discord": discord })))
            .unwrap_or_else(|e| panic!("{e}"))
            .config
            .discord
            .unwrap()
            .accounts[0]
            .access
            .clone()
    }

    fn guild_msg(channel: &str, mentions_bot: bool) -> Facts {
        Facts {
            bot_id: "9".into(),
            author_id: "7".into(),
            author_name: "alice".into(),
            guild_id: Some("100".into()),
            channel: ChannelRef {
                id: channel.into(),
                ..Default::default()
            },
            mentions_bot,
            ..Default::default()
        }
    }

    fn dm(author: &str) -> Facts {
        Facts {
            bot_id: "9".into(),
            author_id: author.into(),
            author_name: "bob".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_guides_config_answers_general_without_a_mention() {
        let a = access(json!({"groupPolicy": "allowlist", "guilds": {"100": {
            "channels": {"general": {"allow": true}}, "requireMention": false}}}));
        let mut m = guild_msg("200", false);
        m.channel.name = Some("general".into());
        assert!(needs_channel_name(&a, "100", "200"));
        assert_eq!(decide(&a, &[], &m), Decision::Answer);
        m.channel.name = Some("random".into());
        assert_eq!(
            decide(&a, &[], &m),
            Decision::Ignore(Ignored::ChannelNotAllowed)
        );
        let mut other = guild_msg("200", true);
        other.guild_id = Some("101".into());
        assert_eq!(
            decide(&a, &[], &other),
            Decision::Ignore(Ignored::GuildNotAllowed)
        );
    }

    #[test]
    fn guild_messages_are_mention_gated_by_default() {
        let a = access(json!({"guilds": {"100": {}}}));
        assert_eq!(
            decide(&a, &[], &guild_msg("200", false)),
            Decision::Ignore(Ignored::NoMention)
        );
        assert_eq!(decide(&a, &[], &guild_msg("200", true)), Decision::Answer);
        let a = access(json!({"groupPolicy": "open"}));
        assert_eq!(decide(&a, &[], &guild_msg("200", true)), Decision::Answer);
        let a = access(json!({"groupPolicy": "disabled", "guilds": {"100": {}}}));
        assert_eq!(
            decide(&a, &[], &guild_msg("200", true)),
            Decision::Ignore(Ignored::GroupPolicyDisabled)
        );
    }

    #[test]
    fn channel_entries_override_the_guild() {
        let a = access(
            json!({"guilds": {"100": {"requireMention": true, "users": ["1"],
            "channels": {"200": {"requireMention": false, "users": ["*"]},
                         "201": {"enabled": false}, "*": {}}}}}),
        );
        assert_eq!(decide(&a, &[], &guild_msg("200", false)), Decision::Answer);
        assert_eq!(
            decide(&a, &[], &guild_msg("201", true)),
            Decision::Ignore(Ignored::ChannelDisabled)
        );
        assert_eq!(
            decide(&a, &[], &guild_msg("202", true)),
            Decision::Ignore(Ignored::SenderNotAllowed)
        );
        let mut thread = guild_msg("300", false);
        thread.channel.parent_id = Some("200".into());
        assert_eq!(decide(&a, &[], &thread), Decision::Answer);
    }

    #[test]
    fn users_or_roles_admit_a_sender() {
        let a = access(json!({"guilds": {"100": {"users": ["5"], "roles": ["77"]}}}));
        let mut m = guild_msg("200", true);
        assert_eq!(
            decide(&a, &[], &m),
            Decision::Ignore(Ignored::SenderNotAllowed)
        );
        m.roles = vec!["77".into()];
        assert_eq!(decide(&a, &[], &m), Decision::Answer);
    }

    #[test]
    fn dm_policies() {
        let pairing = access(json!({}));
        assert_eq!(decide(&pairing, &[], &dm("7")), Decision::Pair);
        assert_eq!(decide(&pairing, &["7".into()], &dm("7")), Decision::Answer);
        let allowlist = access(json!({"dmPolicy": "allowlist", "allowFrom": ["8"]}));
        assert_eq!(
            decide(&allowlist, &["7".into()], &dm("7")),
            Decision::Ignore(Ignored::DmNotAllowed(DmPolicy::Allowlist))
        );
        assert_eq!(decide(&allowlist, &[], &dm("8")), Decision::Answer);
        let open = access(json!({"dmPolicy": "open", "allowFrom": ["*"]}));
        assert_eq!(decide(&open, &[], &dm("123")), Decision::Answer);
        let off = access(json!({"dmPolicy": "disabled"}));
        assert_eq!(
            decide(&off, &[], &dm("8")),
            Decision::Ignore(Ignored::DmPolicyDisabled)
        );
        let no_dms =
            access(json!({"dmPolicy": "open", "allowFrom": ["*"], "dm": {"enabled": false}}));
        assert_eq!(
            decide(&no_dms, &[], &dm("8")),
            Decision::Ignore(Ignored::DmsDisabled)
        );
    }

    #[test]
    fn bots_and_itself_are_never_answered_by_default() {
        let a = access(json!({"groupPolicy": "open"}));
        let mut own = guild_msg("200", true);
        own.author_id = "9".into();
        assert_eq!(decide(&a, &[], &own), Decision::Ignore(Ignored::OwnMessage));
        let mut bot = guild_msg("200", true);
        bot.author_is_bot = true;
        assert_eq!(decide(&a, &[], &bot), Decision::Ignore(Ignored::FromBot));
        let a = access(json!({"groupPolicy": "open", "allowBots": "mentions"}));
        assert_eq!(decide(&a, &[], &bot), Decision::Answer);
        bot.mentions_bot = false;
        assert_eq!(decide(&a, &[], &bot), Decision::Ignore(Ignored::FromBot));
    }

    #[test]
    fn slugs_match_names_loosely() {
        assert_eq!(slug("#General Chat!"), "general-chat");
        let a = access(json!({"guilds": {"my-server": {"requireMention": false}}}));
        let mut m = guild_msg("200", false);
        m.guild_name = Some("My Server".into());
        assert_eq!(decide(&a, &[], &m), Decision::Answer);
    }
}
