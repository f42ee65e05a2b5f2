//! Discord objects as the API sends them (the fields serenity needs to decode them).

use serde_json::{Value, json};

/// The fake bot's user id.
pub const BOT_ID: &str = "900000000000000001";
/// The fake bot's user name (what `logged in to discord as` prints).
pub const BOT_NAME: &str = "fakebot";

/// Gateway intent bits (Discord's values).
pub mod intents {
    pub const GUILDS: u64 = 1 << 0;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    /// Privileged: without it guild messages arrive with blank content.
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
}

#[derive(Debug, Clone)]
pub(crate) struct ChannelInfo {
    pub name: String,
    pub guild_id: String,
    pub parent_id: Option<String>,
}

/// A message a person writes, to be dispatched as `MESSAGE_CREATE`.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub guild_id: Option<String>,
    pub channel_id: String,
    pub author_id: String,
    pub author_name: String,
    pub author_is_bot: bool,
    pub content: String,
    /// User ids mentioned (`<@id>` in the content adds them too).
    pub mentions: Vec<String>,
    pub member_roles: Vec<String>,
}

impl Incoming {
    /// A message from `alice` (id 300000000000000001) in a guild channel.
    pub fn guild(guild_id: &str, channel_id: &str, content: &str) -> Self {
        Self {
            guild_id: Some(guild_id.to_owned()),
            channel_id: channel_id.to_owned(),
            author_id: "300000000000000001".into(),
            author_name: "alice".into(),
            author_is_bot: false,
            content: content.to_owned(),
            mentions: Vec::new(),
            member_roles: Vec::new(),
        }
    }

    /// A direct message from `alice` (channel 400000000000000001).
    pub fn direct(content: &str) -> Self {
        Self {
            guild_id: None,
            channel_id: "400000000000000001".into(),
            ..Self::guild("", "", content)
        }
    }

    pub fn from(mut self, id: &str, name: &str) -> Self {
        self.author_id = id.to_owned();
        self.author_name = name.to_owned();
        self
    }

    /// Written by another bot.
    pub fn by_bot(mut self) -> Self {
        self.author_is_bot = true;
        self
    }

    pub fn with_roles(mut self, roles: &[&str]) -> Self {
        self.member_roles = roles.iter().map(|r| (*r).to_owned()).collect();
        self
    }

    pub(crate) fn to_json(&self, id: &str, intents: u64) -> Value {
        let mut mentions: Vec<String> = self.mentions.clone();
        for part in self.content.split("<@").skip(1) {
            let id: String = part
                .trim_start_matches('!')
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !id.is_empty() && !mentions.contains(&id) {
                mentions.push(id);
            }
        }
        let mentions_bot = mentions.iter().any(|m| m == BOT_ID);
        // Discord blanks guild message content for bots without MESSAGE_CONTENT
        // unless the message mentions them (or is their own).
        let content_visible = self.guild_id.is_none()
            || intents & intents::MESSAGE_CONTENT != 0
            || mentions_bot
            || self.author_id == BOT_ID;
        let mut m = message(
            id,
            &self.channel_id,
            self.guild_id.as_deref(),
            &user(&self.author_id, &self.author_name, self.author_is_bot),
            if content_visible { &self.content } else { "" },
        );
        m["mentions"] = mentions
            .iter()
            .map(|id| {
                user(
                    id,
                    if id == BOT_ID { BOT_NAME } else { "someone" },
                    id == BOT_ID,
                )
            })
            .collect();
        if self.guild_id.is_some() {
            m["member"] = json!({"roles": self.member_roles, "deaf": false, "mute": false,
                                 "joined_at": "2026-01-01T00:00:00.000000+00:00", "flags": 0});
        }
        m
    }
}

pub(crate) fn user(id: &str, name: &str, bot: bool) -> Value {
    json!({"id": id, "username": name, "discriminator": "0", "global_name": null,
           "avatar": null, "bot": bot})
}

/// A full Message object (what MESSAGE_CREATE and message posts carry).
pub(crate) fn message(
    id: &str,
    channel_id: &str,
    guild_id: Option<&str>,
    author: &Value,
    content: &str,
) -> Value {
    let mut m = json!({
        "id": id, "channel_id": channel_id, "author": author, "content": content,
        "timestamp": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string(), "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0, "flags": 0,
    });
    if let Some(g) = guild_id {
        m["guild_id"] = json!(g);
    }
    m
}

pub(crate) fn ready(session_id: &str, resume_url: &str) -> Value {
    json!({
        "v": 10,
        "user": {"id": BOT_ID, "username": BOT_NAME, "discriminator": "0", "bot": true,
                 "avatar": null, "verified": true, "mfa_enabled": false, "flags": 0},
        "guilds": [],
        "session_id": session_id,
        "resume_gateway_url": resume_url,
        "shard": [0, 1],
        "application": {"id": BOT_ID, "flags": 0},
    })
}
