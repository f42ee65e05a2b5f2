//! The `channels` section of `openclaw.json`, typed and validated.
//!
//! Objects are closed as in the original: an unknown key is an error naming its
//! path (with a "did you mean"), keys the original knows that this gateway does not
//! implement are accepted and named in the single start-up warning, and problems
//! the original's schema rejects (an `open` DM policy without `"*"`, an `allowlist`
//! without senders, a webhook without a secret) are errors too. Nothing is
//! half-applied: any issue rejects the whole config and the file is left alone.

mod accounts;
mod allow;
mod discord;
mod policy;
mod telegram;

use serde_json::Value;

use crate::agents::config::closed::{Checker, Shape};
use crate::agents::config::issues::ConfigErrors;

pub use crate::config::secret_input::SecretInput;
pub use accounts::DEFAULT_ACCOUNT;
pub use allow::{AllowList, Platform};
pub use discord::{
    DEFAULT_MAX_LINES, DISCORD_TEXT_LIMIT, DiscordAccess, DiscordAccount, DiscordConfig, Guild,
    GuildChannel,
};
pub use policy::{AllowBots, DmPolicy, GroupPolicy};
pub use telegram::{
    DEFAULT_WEBHOOK_PATH, TELEGRAM_TEXT_LIMIT, TelegramAccess, TelegramAccount, TelegramConfig,
    TelegramGroup, Webhook,
};

/// The channels this gateway runs. A channel runs only when its block exists (the
/// original does not start Discord from `DISCORD_BOT_TOKEN` alone).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChannelsConfig {
    pub discord: Option<DiscordConfig>,
    pub telegram: Option<TelegramConfig>,
}

/// The parsed section with what the operator should be told about it.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub config: ChannelsConfig,
    /// Key paths the original knows that this gateway ignores (one warning).
    pub ignored: Vec<String>,
    /// Other notes (legacy spellings, clamped limits), one line each.
    pub warnings: Vec<String>,
}

/// The channels this gateway runs, and those of the original (2026.9.6) it does not:
/// their blocks are accepted and named in the start-up warning.
const ROOT: Shape = Shape {
    implemented: &["discord", "telegram", "defaults"],
    unimplemented: &[
        "a2a",
        "buzz",
        "clickclack",
        "feishu",
        "googlechat",
        "imessage",
        "irc",
        "line",
        "matrix",
        "mattermost",
        "msteams",
        "nextcloud-talk",
        "nostr",
        "qa-channel",
        "raft",
        "reef",
        "signal",
        "slack",
        "sms",
        "synology-chat",
        "tlon",
        "twitch",
        "whatsapp",
        "zalo",
        "zalouser",
        "modelByChannel",
    ],
};

const DEFAULTS: Shape = Shape {
    implemented: &["groupPolicy"],
    unimplemented: &[
        "contextVisibility",
        "heartbeatVisibility",
        "botLoopProtection",
        "implicitMentions",
    ],
};

/// Validates and types the `channels` section (absent = no channels).
pub fn parse(raw: Option<&Value>) -> Result<Parsed, ConfigErrors> {
    let mut c = Checker::default();
    let mut config = ChannelsConfig::default();
    if let Some(raw) = raw {
        let mut root = raw.clone();
        if let Some(map) = c.closed(&mut root, "channels", &ROOT) {
            let default_group_policy = map
                .get_mut("defaults")
                .and_then(|d| {
                    c.closed(d, "channels.defaults", &DEFAULTS)
                        .map(|m| m.clone())
                })
                .and_then(|d| c.typed::<Defaults>(Value::Object(d), "channels.defaults"))
                .and_then(|d| d.group_policy);
            if let Some(block) = map.remove("discord") {
                config.discord = object(block, "channels.discord", &mut c).and_then(|b| {
                    discord::parse(b, "channels.discord", default_group_policy, &mut c)
                });
            }
            if let Some(block) = map.remove("telegram") {
                config.telegram = object(block, "channels.telegram", &mut c).and_then(|b| {
                    telegram::parse(b, "channels.telegram", default_group_policy, &mut c)
                });
            }
        }
    }
    if c.issues.is_empty() {
        Ok(Parsed {
            config,
            ignored: c.ignored,
            warnings: c.warnings,
        })
    } else {
        Err(ConfigErrors(c.issues))
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Defaults {
    group_policy: Option<GroupPolicy>,
}

fn object(value: Value, path: &str, c: &mut Checker) -> Option<serde_json::Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        other => {
            c.issue(
                path,
                format!(
                    "expected an object, got {}",
                    crate::agents::config::closed::kind(&other)
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests;
