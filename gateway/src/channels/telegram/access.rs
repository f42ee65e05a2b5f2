//! Whether the Telegram bot answers a message, as the original decides: DM policy
//! with pairing approvals, then for groups the group entry (`enabled`, its own
//! `allowFrom`), the group policy, the chat allowlist (`groups`), the sender
//! allowlist (`groupAllowFrom`, else `allowFrom`), and mention gating.

use std::fmt;

use crate::channels::config::{DmPolicy, GroupPolicy, TelegramAccess, TelegramGroup};

/// What access decisions need to know about a message.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub bot_id: i64,
    pub chat_id: i64,
    pub is_group: bool,
    pub sender_id: Option<i64>,
    pub sender_is_bot: bool,
    /// `@botname`, a reply to the bot, or a command addressed to it.
    pub mentions_bot: bool,
}

/// Why a message is not answered (logged at debug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    OwnMessage,
    FromBot,
    DmPolicyDisabled,
    DmNotAllowed(DmPolicy),
    GroupDisabled,
    GroupOverrideDenied,
    GroupPolicyDisabled,
    GroupNotAllowed,
    NoGroupAllowlist,
    SenderNotAllowed,
    NoSender,
    NoMention,
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OwnMessage => "the bot's own message",
            Self::FromBot => "written by a bot",
            Self::DmPolicyDisabled => "direct messages are disabled (dmPolicy=disabled)",
            Self::DmNotAllowed(DmPolicy::Open) => {
                "sender is not in allowFrom (dmPolicy=open without \"*\")"
            }
            Self::DmNotAllowed(_) => "sender is not in allowFrom (dmPolicy=allowlist)",
            Self::GroupDisabled => "group is disabled (groups.<id>.enabled=false)",
            Self::GroupOverrideDenied => "sender is not in the group's allowFrom",
            Self::GroupPolicyDisabled => "group messages are disabled (groupPolicy=disabled)",
            Self::GroupNotAllowed => {
                "group is not in channels.telegram.groups (groupPolicy=allowlist)"
            }
            Self::NoGroupAllowlist => "groupPolicy=allowlist but no group allowlist entries",
            Self::SenderNotAllowed => {
                "sender is not in groupAllowFrom/allowFrom (groupPolicy=allowlist)"
            }
            Self::NoSender => "no sender id (groupPolicy=allowlist)",
            Self::NoMention => "the bot was not mentioned (requireMention)",
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

/// Decides for `f`; `approved` are the senders approved by pairing (DMs only).
pub fn decide(access: &TelegramAccess, approved: &[String], f: &Facts) -> Decision {
    if f.sender_id == Some(f.bot_id) {
        return Decision::Ignore(Ignored::OwnMessage);
    }
    if f.sender_is_bot {
        return Decision::Ignore(Ignored::FromBot);
    }
    let sender = f.sender_id.map(|id| id.to_string());
    if !f.is_group {
        let sender = sender.unwrap_or_else(|| f.chat_id.to_string());
        let allowed = access.allow_from.allows(&sender, None, false)
            || (access.dm_policy == DmPolicy::Pairing && approved.contains(&sender));
        return match access.dm_policy {
            DmPolicy::Disabled => Decision::Ignore(Ignored::DmPolicyDisabled),
            _ if allowed => Decision::Answer,
            DmPolicy::Pairing => Decision::Pair,
            other => Decision::Ignore(Ignored::DmNotAllowed(other)),
        };
    }
    group(access, f, sender.as_deref())
}

fn group(access: &TelegramAccess, f: &Facts, sender: Option<&str>) -> Decision {
    let chat = f.chat_id.to_string();
    let exact = access.groups.get(&chat);
    let wildcard = access.groups.get("*");
    let entry: Option<&TelegramGroup> = exact.or(wildcard);
    if entry.is_some_and(|g| g.enabled == Some(false)) {
        return Decision::Ignore(Ignored::GroupDisabled);
    }
    let override_list = entry.and_then(|g| g.allow_from.as_ref());
    if let Some(list) = override_list
        && !sender.is_some_and(|s| list.allows(s, None, false))
    {
        return Decision::Ignore(Ignored::GroupOverrideDenied);
    }
    let policy = entry
        .and_then(|g| g.group_policy)
        .unwrap_or(access.group_policy);
    if policy == GroupPolicy::Disabled {
        return Decision::Ignore(Ignored::GroupPolicyDisabled);
    }
    // The chat allowlist follows the account-level policy and the groups map.
    let allowlist_on = access.group_policy == GroupPolicy::Allowlist || !access.groups.is_empty();
    if allowlist_on && exact.is_none() && wildcard.is_none() {
        return Decision::Ignore(Ignored::GroupNotAllowed);
    }
    let chat_listed = allowlist_on && exact.is_some();
    if policy == GroupPolicy::Allowlist {
        let senders = override_list.unwrap_or(&access.group_allow_from);
        let Some(sender) = sender else {
            return Decision::Ignore(Ignored::NoSender);
        };
        if !chat_listed && senders.is_empty() {
            return Decision::Ignore(Ignored::NoGroupAllowlist);
        }
        let matched = (chat_listed && senders.is_empty()) || senders.allows(sender, None, false);
        if !matched {
            return Decision::Ignore(Ignored::SenderNotAllowed);
        }
    }
    let require_mention = exact
        .and_then(|g| g.require_mention)
        .or(wildcard.and_then(|g| g.require_mention))
        .unwrap_or(true);
    if require_mention && !f.mentions_bot {
        return Decision::Ignore(Ignored::NoMention);
    }
    Decision::Answer
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::channels::config;

    fn access(telegram: serde_json::Value) -> TelegramAccess {
        config::parse(Some(&json!({ "telegram": telegram })))
            .unwrap_or_else(|e| panic!("{e}"))
            .config
            .telegram
            .unwrap()
            .accounts[0]
            .access
            .clone()
    }

    fn dm(sender: i64) -> Facts {
        Facts {
            bot_id: 1,
            chat_id: sender,
            sender_id: Some(sender),
            ..Default::default()
        }
    }

    fn group_msg(chat: i64, sender: i64, mentions_bot: bool) -> Facts {
        Facts {
            bot_id: 1,
            chat_id: chat,
            is_group: true,
            sender_id: Some(sender),
            mentions_bot,
            ..Default::default()
        }
    }

    #[test]
    fn dms_follow_the_policy_and_pairing_approvals() {
        let pairing = access(json!({}));
        assert_eq!(decide(&pairing, &[], &dm(42)), Decision::Pair);
        assert_eq!(decide(&pairing, &["42".into()], &dm(42)), Decision::Answer);
        let allow = access(json!({"dmPolicy": "allowlist", "allowFrom": ["tg:42"]}));
        assert_eq!(decide(&allow, &[], &dm(42)), Decision::Answer);
        assert_eq!(
            decide(&allow, &["43".into()], &dm(43)),
            Decision::Ignore(Ignored::DmNotAllowed(DmPolicy::Allowlist))
        );
        let off = access(json!({"dmPolicy": "disabled"}));
        assert_eq!(
            decide(&off, &[], &dm(42)),
            Decision::Ignore(Ignored::DmPolicyDisabled)
        );
    }

    #[test]
    fn groups_are_closed_until_listed() {
        let none = access(json!({}));
        assert_eq!(
            decide(&none, &[], &group_msg(-100, 42, true)),
            Decision::Ignore(Ignored::GroupNotAllowed)
        );
        // A listed group with no sender allowlist admits its members.
        let listed = access(json!({"groups": {"-100": {}}}));
        assert_eq!(
            decide(&listed, &[], &group_msg(-100, 42, true)),
            Decision::Answer
        );
        assert_eq!(
            decide(&listed, &[], &group_msg(-100, 42, false)),
            Decision::Ignore(Ignored::NoMention)
        );
        assert_eq!(
            decide(&listed, &[], &group_msg(-101, 42, true)),
            Decision::Ignore(Ignored::GroupNotAllowed)
        );
        // allowFrom narrows the senders of listed groups (groupAllowFrom falls back to it).
        let owner =
            access(json!({"allowFrom": ["42"], "groups": {"-100": {"requireMention": false}}}));
        assert_eq!(
            decide(&owner, &[], &group_msg(-100, 42, false)),
            Decision::Answer
        );
        assert_eq!(
            decide(&owner, &[], &group_msg(-100, 7, false)),
            Decision::Ignore(Ignored::SenderNotAllowed)
        );
    }

    #[test]
    fn group_entries_can_open_or_close_one_group() {
        let a = access(json!({"allowFrom": ["42"], "groups": {
            "-100": {"groupPolicy": "open", "requireMention": false},
            "-200": {"enabled": false},
            "-300": {"allowFrom": [7]},
            "*": {"requireMention": true}}}));
        assert_eq!(
            decide(&a, &[], &group_msg(-100, 7, false)),
            Decision::Answer
        );
        assert_eq!(
            decide(&a, &[], &group_msg(-200, 42, true)),
            Decision::Ignore(Ignored::GroupDisabled)
        );
        assert_eq!(
            decide(&a, &[], &group_msg(-300, 42, true)),
            Decision::Ignore(Ignored::GroupOverrideDenied)
        );
        assert_eq!(decide(&a, &[], &group_msg(-300, 7, true)), Decision::Answer);
        assert_eq!(
            decide(&a, &[], &group_msg(-400, 42, false)),
            Decision::Ignore(Ignored::NoMention)
        );
        assert_eq!(
            decide(&a, &[], &group_msg(-400, 42, true)),
            Decision::Answer
        );
    }

    #[test]
    fn open_and_disabled_group_policies() {
        let open = access(json!({"groupPolicy": "open"}));
        assert_eq!(
            decide(&open, &[], &group_msg(-5, 9, true)),
            Decision::Answer
        );
        let disabled = access(json!({"groupPolicy": "disabled", "groups": {"*": {}}}));
        assert_eq!(
            decide(&disabled, &[], &group_msg(-5, 9, true)),
            Decision::Ignore(Ignored::GroupPolicyDisabled)
        );
        let mut own = dm(1);
        own.chat_id = 5;
        assert_eq!(
            decide(&open, &[], &own),
            Decision::Ignore(Ignored::OwnMessage)
        );
    }
}
