//! One Telegram update: from the message to the access decision to the dispatcher.

use std::sync::Arc;

use teloxide::types::{ChatId, Message, MessageEntityKind, Update, UpdateKind};

use super::access::{self, Decision, Facts};
use super::outbound::TelegramConversation;
use super::{Live, TelegramBot};
use crate::channels::dispatch::{self, Conversation, Outcome};
use crate::channels::inbound::{ChatKind, Inbound};
use crate::channels::pairing::{self, Challenge};
use crate::channels::status::ChannelKind;

/// Handles `update`: decides at once (so runs start in update order) and answers
/// in the background.
pub async fn handle(bot: &Arc<TelegramBot>, live: &Live, update: Update) {
    let UpdateKind::Message(msg) = update.kind else {
        return;
    };
    bot.ctx.status.inbound();
    let chat = &msg.chat;
    if chat.is_channel() {
        bot.ctx.status.ignored();
        return;
    }
    let is_group = chat.is_group() || chat.is_supergroup();
    let Some(text) = msg.text().map(str::to_owned) else {
        bot.ctx.status.ignored();
        tracing::debug!(target: "telegram", "ignored message {} in chat {}: no text", msg.id, chat.id);
        return;
    };
    let sender = msg.from.as_ref();
    let facts = Facts {
        bot_id: live.bot_id,
        chat_id: chat.id.0,
        is_group,
        sender_id: sender.map(|u| u.id.0 as i64),
        sender_is_bot: sender.is_some_and(|u| u.is_bot),
        mentions_bot: mentions_bot(&msg, live),
    };
    let approved = bot
        .ctx
        .pairing
        .approved(ChannelKind::Telegram.id(), &bot.account.id);
    let conversation = TelegramConversation {
        api: live.api.clone(),
        token: live.token.clone(),
        chat_id: chat.id,
        thread: msg.thread_id.filter(|_| msg.is_topic_message),
    };
    let sender_id = facts.sender_id.unwrap_or(chat.id.0);
    let sender_name = sender.map_or_else(|| chat.id.to_string(), |u| u.full_name());
    match access::decide(&bot.account.access, &approved, &facts) {
        Decision::Ignore(reason) => {
            bot.ctx.status.ignored();
            tracing::debug!(target: "telegram", "ignored message {} in chat {} from {sender_id}: {reason}", msg.id, chat.id);
        }
        Decision::Pair => pair(bot, &msg, sender_id, &conversation).await,
        Decision::Answer => {
            let text = strip_mention(&text, &live.username);
            if text.is_empty() {
                bot.ctx.status.ignored();
                return;
            }
            let Some(engine) = bot.ctx.engine.clone() else {
                tracing::warn!(target: "telegram", "message {} not answered: agents are unavailable (see the agents error above)", msg.id);
                return;
            };
            let inbound = Inbound {
                channel: ChannelKind::Telegram,
                account_id: bot.account.id.clone(),
                message_id: msg.id.0.to_string(),
                chat_kind: if is_group {
                    ChatKind::Group
                } else {
                    ChatKind::Direct
                },
                chat_id: chat.id.0.to_string(),
                guild_id: None,
                roles: Vec::new(),
                sender_id: sender_id.to_string(),
                sender_name,
                text,
            };
            let started = dispatch::start(&engine, &inbound);
            let bot = bot.clone();
            let (message_id, chat_id) = (msg.id.0, chat.id);
            tokio::spawn(async move {
                let outcome = match started {
                    Ok(started) => {
                        dispatch::deliver(&engine, &started, &conversation, &bot.ctx.style).await
                    }
                    Err(not) => dispatch::refused(not, &conversation).await,
                };
                report(&bot, message_id, chat_id, outcome);
            });
        }
    }
}

fn report(bot: &TelegramBot, message_id: i32, chat: ChatId, outcome: Outcome) {
    match outcome {
        Outcome::Answered(parts) => {
            bot.ctx.status.answered();
            tracing::debug!(target: "telegram", "answered message {message_id} in chat {chat} with {parts} message(s)");
        }
        Outcome::Duplicate => {
            tracing::debug!(target: "telegram", "message {message_id} in chat {chat} was already answered (redelivered)");
        }
        Outcome::Silent => {}
        Outcome::Failed(reason) => {
            bot.ctx.status.error(&reason);
            tracing::warn!(target: "telegram", "message {message_id} in chat {chat}: {reason}");
        }
    }
}

async fn pair(
    bot: &TelegramBot,
    msg: &Message,
    sender_id: i64,
    conversation: &TelegramConversation,
) {
    let mut meta = serde_json::Map::new();
    if let Some(user) = &msg.from {
        if let Some(username) = &user.username {
            meta.insert("username".into(), username.clone().into());
        }
        meta.insert("firstName".into(), user.first_name.clone().into());
    }
    let challenge = bot.ctx.pairing.challenge(
        ChannelKind::Telegram.id(),
        &bot.account.id,
        &sender_id.to_string(),
        meta,
    );
    match challenge {
        Ok(Challenge::Created { code }) => {
            tracing::info!(target: "telegram", "[{}] pairing request from user {sender_id}; approve it in the Control UI or with channels.pairing.approve", bot.account.id);
            let text = pairing::reply_text(
                "telegram",
                &format!("Your Telegram user id: {sender_id}"),
                &code,
            );
            if let Err(e) = conversation.send(&text).await {
                tracing::warn!(target: "telegram", "could not send the pairing code to {sender_id}: {e}");
            }
        }
        Ok(Challenge::Pending | Challenge::Full) => {
            bot.ctx.status.ignored();
            tracing::debug!(target: "telegram", "ignored DM {} from {sender_id}: pairing request pending", msg.id);
        }
        Err(e) => tracing::error!(target: "telegram", "{e}"),
    }
}

/// `@botname` (as a mention or command suffix), a text mention of the bot, or a
/// reply to one of its messages.
fn mentions_bot(msg: &Message, live: &Live) -> bool {
    let handle = format!("@{}", live.username);
    let by_entity = msg.parse_entities().is_some_and(|entities| {
        entities.iter().any(|e| match e.kind() {
            MessageEntityKind::Mention => e.text().eq_ignore_ascii_case(&handle),
            MessageEntityKind::BotCommand => e
                .text()
                .to_ascii_lowercase()
                .ends_with(&handle.to_ascii_lowercase()),
            MessageEntityKind::TextMention { user } => user.id.0 as i64 == live.bot_id,
            _ => false,
        })
    });
    let by_text = msg.text().is_some_and(|t| contains_handle(t, &handle));
    let by_reply = msg
        .reply_to_message()
        .and_then(|r| r.from.as_ref())
        .is_some_and(|u| u.id.0 as i64 == live.bot_id);
    by_entity || by_text || by_reply
}

/// Whether `text` holds `handle` as a whole word (case-insensitive).
fn contains_handle(text: &str, handle: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let handle = handle.to_ascii_lowercase();
    lower.match_indices(&handle).any(|(i, _)| {
        let after = lower[i + handle.len()..].chars().next();
        !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The text without the bot's handle.
fn strip_mention(text: &str, username: &str) -> String {
    let handle = format!("@{username}");
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.to_ascii_lowercase().find(&handle.to_ascii_lowercase()) {
        let end = i + handle.len();
        let boundary = !rest[end..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..i]);
        if !boundary {
            out.push_str(&rest[i..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_found_and_removed_as_whole_words() {
        assert!(contains_handle("hi @Fake_Bot!", "@fake_bot"));
        assert!(!contains_handle("hi @fake_bot2", "@fake_bot"));
        assert_eq!(
            strip_mention("@fake_bot what is\nup", "fake_bot"),
            "what is\nup"
        );
        assert_eq!(
            strip_mention("ask @fake_bot2", "fake_bot"),
            "ask @fake_bot2"
        );
    }
}
