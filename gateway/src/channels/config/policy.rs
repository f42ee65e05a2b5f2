//! Who may reach the bot: the DM and group policies shared by every channel.

use serde::{Deserialize, Deserializer};

use super::allow::AllowList;

/// `dmPolicy`: what happens to a direct message from a sender not in `allowFrom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmPolicy {
    /// Unknown senders get a pairing code and are ignored until an operator approves them.
    #[default]
    Pairing,
    /// Only `allowFrom` senders (plus nobody else).
    Allowlist,
    /// Anyone, when `allowFrom` holds `"*"` (validation requires it).
    Open,
    /// No direct messages at all.
    Disabled,
}

impl DmPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pairing => "pairing",
            Self::Allowlist => "allowlist",
            Self::Open => "open",
            Self::Disabled => "disabled",
        }
    }

    /// The config problem with this policy and its allowlist, if any, as the
    /// original's schema reports it.
    pub fn check(self, allow_from: &AllowList, channel_path: &str) -> Option<String> {
        match self {
            Self::Open if !allow_from.has_wildcard() => Some(format!(
                "{channel_path}.dmPolicy=\"open\" requires {channel_path}.allowFrom to include \"*\""
            )),
            Self::Allowlist if allow_from.is_empty() => Some(format!(
                "{channel_path}.dmPolicy=\"allowlist\" requires at least one sender ID in {channel_path}.allowFrom (or use dmPolicy \"pairing\")"
            )),
            _ => None,
        }
    }
}

/// `groupPolicy`: whether group chats (Discord guilds, Telegram groups) are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupPolicy {
    /// Only the listed guilds/groups (and senders), the secure default.
    #[default]
    Allowlist,
    Open,
    Disabled,
}

impl GroupPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowlist => "allowlist",
            Self::Open => "open",
            Self::Disabled => "disabled",
        }
    }
}

/// `allowBots`: whether messages written by other bots are answered. The bot's own
/// messages are never answered, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowBots {
    #[default]
    No,
    Yes,
    /// Only bot messages that mention this bot.
    Mentions,
}

impl<'de> Deserialize<'de> for AllowBots {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Flag(bool),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Flag(true) => Ok(Self::Yes),
            Raw::Flag(false) => Ok(Self::No),
            Raw::Word(w) if w == "mentions" => Ok(Self::Mentions),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "expected true, false or \"mentions\", got \"{w}\""
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_needs_a_wildcard_and_allowlist_needs_entries() {
        let none = AllowList::default();
        let star = AllowList::parse(["*"], super::super::allow::Platform::Discord).0;
        assert!(
            DmPolicy::Open
                .check(&none, "channels.discord")
                .unwrap()
                .contains("allowFrom to include \"*\"")
        );
        assert_eq!(DmPolicy::Open.check(&star, "channels.discord"), None);
        assert!(DmPolicy::Allowlist.check(&none, "channels.x").is_some());
        assert_eq!(DmPolicy::Pairing.check(&none, "channels.x"), None);
    }

    #[test]
    fn allow_bots_reads_flags_and_mentions() {
        let v: AllowBots = serde_json::from_str("\"mentions\"").unwrap();
        assert_eq!(v, AllowBots::Mentions);
        let v: AllowBots = serde_json::from_str("true").unwrap();
        assert_eq!(v, AllowBots::Yes);
        assert!(serde_json::from_str::<AllowBots>("\"always\"").is_err());
    }
}
