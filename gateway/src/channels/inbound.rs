//! A message a channel admitted, in one shape for every platform.

use super::status::ChannelKind;

/// Where a message was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    /// A direct message with the bot.
    Direct,
    /// A group chat (Telegram groups and supergroups).
    Group,
    /// A guild channel (Discord).
    Channel,
}

/// An admitted message, ready to be routed to an agent.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub channel: ChannelKind,
    pub account_id: String,
    /// The platform's message id (unique within `chat_id`).
    pub message_id: String,
    pub chat_kind: ChatKind,
    /// Discord channel id or Telegram chat id.
    pub chat_id: String,
    /// The Discord guild, for guild bindings.
    pub guild_id: Option<String>,
    /// The sender's Discord role ids, for role bindings.
    pub roles: Vec<String>,
    pub sender_id: String,
    pub sender_name: String,
    /// The text for the agent (the bot's own mention removed).
    pub text: String,
}

impl Inbound {
    /// The run's idempotency key: a message delivered twice (a resumed Discord
    /// session replaying it, a Telegram update polled again) is answered once.
    pub fn idempotency_key(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.channel.id(),
            self.account_id,
            self.chat_id,
            self.message_id
        )
    }

    /// What the agent reads: group messages say who wrote them, since one session
    /// holds the whole room.
    pub fn agent_text(&self) -> String {
        match self.chat_kind {
            ChatKind::Direct => self.text.clone(),
            ChatKind::Group | ChatKind::Channel => format!("{}: {}", self.sender_name, self.text),
        }
    }
}
