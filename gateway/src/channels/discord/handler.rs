//! Serenity's events for one account: connection state into the status, messages
//! through access control into the dispatcher.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serenity::async_trait;
use serenity::gateway::ConnectionStage;
use serenity::gateway::ShardStageUpdateEvent;
use serenity::model::channel::Message;
use serenity::model::event::ResumedEvent;
use serenity::model::gateway::Ready;
use serenity::model::id::ChannelId;
use serenity::prelude::{Context, EventHandler};

use super::access::{self, ChannelRef, Decision, Facts};
use super::outbound::{DiscordConversation, Transport};
use crate::channels::bot::BotContext;
use crate::channels::config::DiscordAccount;
use crate::channels::dispatch::{self, Outcome};
use crate::channels::inbound::{ChatKind, Inbound};
use crate::channels::pairing::{self, Challenge};
use crate::channels::status::{BotIdentity, ChannelKind};

/// A channel's name and its parent's id, as far as known.
type NameAndParent = (Option<String>, Option<String>);

/// Everything one Discord account's event handler needs.
pub struct DiscordBot {
    pub account: DiscordAccount,
    pub ctx: BotContext,
    pub transport: Arc<Transport>,
    /// Channel names and parents looked up for name-keyed channel maps.
    names: tokio::sync::Mutex<HashMap<u64, NameAndParent>>,
    /// The blank-content warning is given once.
    warned_blank: AtomicBool,
    /// Serenity's HTTP client, once connected (for notes outside a conversation).
    pub http: std::sync::OnceLock<Arc<serenity::http::Http>>,
}

impl DiscordBot {
    pub fn new(account: DiscordAccount, ctx: BotContext, transport: Arc<Transport>) -> Self {
        Self {
            account,
            ctx,
            transport,
            names: Default::default(),
            warned_blank: AtomicBool::new(false),
            http: std::sync::OnceLock::new(),
        }
    }
}

/// The serenity event handler of one account.
pub struct Handler(pub Arc<DiscordBot>);

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let bot = &self.0;
        let _ = bot.http.set(ctx.http.clone());
        bot.ctx.status.identified(BotIdentity {
            id: ready.user.id.to_string(),
            username: ready.user.name.clone(),
        });
        bot.ctx.status.connected();
        // The line the deployment guide tells operators to look for.
        tracing::info!(target: "discord", "logged in to discord as {}", ready.user.name);
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        // Serenity reconnects inside one step, so the drop itself may not have been
        // seen as a stage change: a RESUMED always follows one.
        self.0
            .ctx
            .status
            .disconnected("gateway connection dropped; session resumed");
        self.0.ctx.status.connected();
        tracing::info!(target: "discord", "gateway session resumed");
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        if event.new != ConnectionStage::Connected && self.0.ctx.status.is_connected() {
            self.0
                .ctx
                .status
                .disconnected("gateway connection lost; reconnecting");
            tracing::info!(target: "discord", "gateway connection lost; reconnecting");
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        handle_message(&self.0, &ctx, msg).await;
    }
}

async fn handle_message(bot: &DiscordBot, ctx: &Context, msg: Message) {
    let Some(me) = bot.ctx.status.bot() else {
        return;
    };
    bot.ctx.status.inbound();
    let bot_id = me.id.clone();
    let mentions_bot = msg.mentions.iter().any(|u| u.id.to_string() == bot_id)
        || msg.content.contains(&format!("<@{bot_id}>"))
        || msg.content.contains(&format!("<@!{bot_id}>"))
        || msg
            .referenced_message
            .as_ref()
            .is_some_and(|r| r.author.id.to_string() == bot_id);
    let mentions_others =
        msg.mentions.iter().any(|u| u.id.to_string() != bot_id) || !msg.mention_roles.is_empty();
    let guild_id = msg.guild_id.map(|g| g.to_string());
    let mut facts = Facts {
        bot_id: bot_id.clone(),
        author_id: msg.author.id.to_string(),
        author_name: msg.author.name.clone(),
        author_is_bot: msg.author.bot,
        guild_id: guild_id.clone(),
        guild_name: msg
            .guild_id
            .and_then(|g| ctx.cache.guild(g).map(|g| g.name.clone())),
        channel: ChannelRef {
            id: msg.channel_id.to_string(),
            ..Default::default()
        },
        roles: msg
            .member
            .as_ref()
            .map(|m| m.roles.iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
        mentions_bot,
        mentions_others,
    };
    if let Some(g) = &guild_id
        && facts.author_id != bot_id
        && access::needs_channel_name(&bot.account.access, g, &facts.channel.id)
    {
        let guild = msg.guild_id;
        let (name, parent) = channel_name(bot, ctx, guild, msg.channel_id).await;
        facts.channel.name = name;
        if let Some(parent) = parent.and_then(|p| p.parse::<u64>().ok()) {
            facts.channel.parent_id = Some(parent.to_string());
            facts.channel.parent_name = channel_name(bot, ctx, guild, ChannelId::new(parent))
                .await
                .0;
        }
    }
    let approved = bot
        .ctx
        .pairing
        .approved(ChannelKind::Discord.id(), &bot.account.id);
    let place = match &guild_id {
        Some(g) => format!("guild {g} channel {}", msg.channel_id),
        None => "a DM".to_owned(),
    };
    let conversation = DiscordConversation {
        http: ctx.http.clone(),
        transport: bot.transport.clone(),
        channel_id: msg.channel_id,
    };
    match access::decide(&bot.account.access, &approved, &facts) {
        Decision::Ignore(reason) => {
            bot.ctx.status.ignored();
            tracing::debug!(target: "discord", "ignored message {} in {place} from {} ({}): {reason}", msg.id, msg.author.name, msg.author.id);
        }
        Decision::Pair => pair(bot, &msg, &conversation).await,
        Decision::Answer => {
            let text = strip_mention(&msg.content, &bot_id);
            if text.is_empty() {
                bot.ctx.status.ignored();
                if guild_id.is_some() && !bot.warned_blank.swap(true, Ordering::Relaxed) {
                    tracing::warn!(target: "discord", "guild messages arrive without text: enable the Message Content intent (Discord Developer Portal → your application → Bot → Privileged Gateway Intents) or mention the bot");
                }
                tracing::debug!(target: "discord", "ignored message {} in {place} from {}: no text", msg.id, msg.author.name);
                return;
            }
            let Some(engine) = &bot.ctx.engine else {
                tracing::warn!(target: "discord", "message {} not answered: agents are unavailable (see the agents error above)", msg.id);
                return;
            };
            let inbound = Inbound {
                channel: ChannelKind::Discord,
                account_id: bot.account.id.clone(),
                message_id: msg.id.to_string(),
                chat_kind: if guild_id.is_some() {
                    ChatKind::Channel
                } else {
                    ChatKind::Direct
                },
                chat_id: msg.channel_id.to_string(),
                guild_id,
                roles: facts.roles,
                sender_id: msg.author.id.to_string(),
                sender_name: msg.author.name.clone(),
                text,
            };
            report(
                bot,
                &msg,
                dispatch::answer(engine, &inbound, &conversation, &bot.ctx.style).await,
            );
        }
    }
}

fn report(bot: &DiscordBot, msg: &Message, outcome: Outcome) {
    match outcome {
        Outcome::Answered(parts) => {
            bot.ctx.status.answered();
            tracing::debug!(target: "discord", "answered message {} in {parts} message(s)", msg.id);
        }
        Outcome::Duplicate => {
            tracing::debug!(target: "discord", "message {} was already answered (replayed)", msg.id);
        }
        Outcome::Silent => {}
        Outcome::Failed(reason) => {
            bot.ctx.status.error(&reason);
            tracing::warn!(target: "discord", "message {}: {reason}", msg.id);
        }
    }
}

/// Sends a pairing code to an unknown DM sender (once per pending request).
async fn pair(bot: &DiscordBot, msg: &Message, conversation: &DiscordConversation) {
    let mut meta = serde_json::Map::new();
    meta.insert("username".into(), msg.author.name.clone().into());
    let challenge = bot.ctx.pairing.challenge(
        ChannelKind::Discord.id(),
        &bot.account.id,
        &msg.author.id.to_string(),
        meta,
    );
    match challenge {
        Ok(Challenge::Created { code }) => {
            tracing::info!(target: "discord", "pairing request from {} ({}); approve it in the Control UI or with channels.pairing.approve", msg.author.name, msg.author.id);
            let text = pairing::reply_text(
                "discord",
                &format!("Your Discord user id: {}", msg.author.id),
                &code,
            );
            if let Err(e) = dispatch::Conversation::send(conversation, &text).await {
                tracing::warn!(target: "discord", "could not send the pairing code to {}: {e}", msg.author.id);
            }
        }
        Ok(Challenge::Pending | Challenge::Full) => {
            bot.ctx.status.ignored();
            tracing::debug!(target: "discord", "ignored DM {} from {}: pairing request pending", msg.id, msg.author.id);
        }
        Err(e) => tracing::error!(target: "discord", "{e}"),
    }
}

/// A channel's name and parent, from the cache or `GET /channels/{id}` (cached).
async fn channel_name(
    bot: &DiscordBot,
    ctx: &Context,
    guild: Option<serenity::model::id::GuildId>,
    id: ChannelId,
) -> NameAndParent {
    let cached = guild.and_then(|g| {
        let guild = ctx.cache.guild(g)?;
        let c = guild.channels.get(&id)?;
        Some((Some(c.name.clone()), c.parent_id.map(|p| p.to_string())))
    });
    if let Some(found) = cached {
        return found;
    }
    let mut names = bot.names.lock().await;
    if let Some(known) = names.get(&id.get()) {
        return known.clone();
    }
    let found = match ctx.http.get_channel(id).await {
        Ok(channel) => match channel.guild() {
            Some(g) => (Some(g.name.clone()), g.parent_id.map(|p| p.to_string())),
            None => (None, None),
        },
        Err(e) => {
            tracing::debug!(target: "discord", "cannot look up channel {id}: {e}");
            return (None, None);
        }
    };
    names.insert(id.get(), found.clone());
    found
}

/// The text without the bot's own mention.
fn strip_mention(content: &str, bot_id: &str) -> String {
    content
        .replace(&format!("<@!{bot_id}>"), "")
        .replace(&format!("<@{bot_id}>"), "")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bots_mention_is_removed() {
        assert_eq!(
            super::strip_mention("<@9> hello <@!9> there", "9"),
            "hello  there"
        );
        assert_eq!(super::strip_mention("<@8> hi", "9"), "<@8> hi");
    }
}
