//! Telegram through teloxide: one bot per account, long polling by default or a
//! webhook served on the gateway's own port.
//!
//! ```text
//! token (env > botToken > tokenFile) ─► getMe (401: one error line, stop)
//!   ─► polling: getUpdates(offset, 10 s) ─► update ─► access ─► dispatcher ─► sendMessage
//!   ─► webhook: setWebhook(url, secret) ─► POST <webhookPath> ─┘
//! ```
//! teloxide's `Dispatcher` panics when `getMe` fails, so the bot checks the token
//! itself and drives `getUpdates` with teloxide's typed requests; this also keeps
//! the polling position on disk and the status accurate.

pub mod access;
mod offset;
mod outbound;
mod polling;
mod update;
pub mod webhook;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use teloxide::prelude::Requester;
use teloxide::{ApiError, Bot, RequestError};
use tokio_util::sync::CancellationToken;

use super::bot::BotContext;
use super::config::TelegramAccount;
use super::status::{BotIdentity, TokenSource};
use super::token::redact;
use crate::secret::Secret;

/// Variable holding the Bot API base URL (`https://api.telegram.org` when unset).
pub const BASE_URL_VAR: &str = "TELEGRAM_API_BASE_URL";

/// Everything one Telegram account needs.
pub struct TelegramBot {
    pub account: TelegramAccount,
    pub ctx: BotContext,
    pub state_dir: PathBuf,
    /// The resolved `webhookSecret` (webhook mode only).
    pub webhook_secret: Option<Secret>,
    /// Set once the token is accepted.
    live: OnceLock<Live>,
}

/// The bot once its token was accepted.
pub struct Live {
    pub api: Bot,
    pub token: Secret,
    pub bot_id: i64,
    pub username: String,
}

impl TelegramBot {
    pub fn new(
        account: TelegramAccount,
        ctx: BotContext,
        state_dir: PathBuf,
        webhook_secret: Option<Secret>,
    ) -> Self {
        Self {
            account,
            ctx,
            state_dir,
            webhook_secret,
            live: OnceLock::new(),
        }
    }

    /// The running bot, once `getMe` succeeded.
    pub fn live(&self) -> Option<&Live> {
        self.live.get()
    }
}

/// Runs one account until `stop` is cancelled or its token is refused.
pub async fn run(
    bot: Arc<TelegramBot>,
    token: Secret,
    source: TokenSource,
    api_url: Option<url::Url>,
    stop: CancellationToken,
) {
    let status = bot.ctx.status.clone();
    status.starting(source);
    let mut api = Bot::new(token.expose());
    if let Some(url) = api_url {
        api = api.set_api_url(url);
    }
    let Some(live) = identify(&bot, api, &token, &stop).await else {
        status.stopped();
        return;
    };
    tracing::info!(target: "telegram", "[{}] starting provider (@{})", bot.account.id, live.username);
    let live = bot.live.get_or_init(|| live);
    match &bot.account.webhook {
        Some(webhook) => webhook::register(&bot, live, webhook, &stop).await,
        None => polling::poll(&bot, live, &stop).await,
    }
    status.stopped();
}

/// Tells an approved sender they may write now (a DM to their user id).
pub fn notifier(bot: Arc<TelegramBot>) -> super::Notifier {
    Arc::new(move |sender: String| {
        let bot = bot.clone();
        Box::pin(async move {
            let live = bot.live().ok_or("the bot is not connected")?;
            let chat: i64 = sender
                .parse()
                .map_err(|_| format!("\"{sender}\" is not a Telegram user id"))?;
            let conversation = outbound::TelegramConversation {
                api: live.api.clone(),
                token: live.token.clone(),
                chat_id: teloxide::types::ChatId(chat),
                thread: None,
            };
            super::dispatch::Conversation::send(&conversation, super::pairing::APPROVED_TEXT).await
        })
    })
}

/// Posts a text to a chat (numeric id) for `send`.
pub fn deliverer(bot: Arc<TelegramBot>) -> super::Deliverer {
    Arc::new(move |target: String, text: String| {
        let bot = bot.clone();
        Box::pin(async move {
            let live = bot.live().ok_or("the Telegram bot is not connected yet")?;
            let chat: i64 = target
                .trim_start_matches("telegram:")
                .parse()
                .map_err(|_| {
                    format!("\"{target}\" is not a Telegram chat id (a number such as 123456789)")
                })?;
            let conversation = outbound::TelegramConversation {
                api: live.api.clone(),
                token: live.token.clone(),
                chat_id: teloxide::types::ChatId(chat),
                thread: None,
            };
            super::dispatch::Conversation::send(&conversation, &text).await?;
            Ok(super::send::Delivered {
                key: "chatId",
                target: chat.to_string(),
            })
        })
    })
}

/// `getMe` until it answers: `None` when the token is refused (blocked, logged
/// once) or `stop` is cancelled.
async fn identify(
    bot: &TelegramBot,
    api: Bot,
    token: &Secret,
    stop: &CancellationToken,
) -> Option<Live> {
    let mut backoff = super::backoff();
    loop {
        let result = tokio::select! {
            r = api.get_me() => r,
            () = stop.cancelled() => return None,
        };
        match result {
            Ok(me) => {
                let username = me
                    .user
                    .username
                    .clone()
                    .unwrap_or_else(|| me.user.first_name.clone());
                let bot_id = me.user.id.0 as i64;
                bot.ctx.status.identified(BotIdentity {
                    id: bot_id.to_string(),
                    username: username.clone(),
                });
                return Some(Live {
                    api,
                    token: token.clone(),
                    bot_id,
                    username,
                });
            }
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                token_refused(bot);
                return None;
            }
            Err(e) => {
                let message = format!("cannot reach Telegram: {}", describe(&e, token));
                tracing::warn!(target: "telegram", "[{}] {message}; retrying", bot.account.id);
                bot.ctx.status.error(&message);
                let delay = backoff.next().unwrap_or(Duration::from_secs(60));
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.cancelled() => return None,
                }
            }
        }
    }
}

/// Logs the one error line for a refused token and blocks the account.
fn token_refused(bot: &TelegramBot) {
    let line = format!(
        "[{}] Telegram rejected the bot token (401 Unauthorized): set a valid token in TELEGRAM_BOT_TOKEN or channels.telegram.botToken (from @BotFather: /token); Telegram stays off until the gateway restarts",
        bot.account.id
    );
    tracing::error!(target: "telegram", "{line}");
    bot.ctx.status.blocked(&line);
}

/// A teloxide error for logs, with the token cut out of any request URL it quotes.
fn describe(e: &RequestError, token: &Secret) -> String {
    redact(&e.to_string(), token)
}

/// The Bot API base URL: `TELEGRAM_API_BASE_URL`, else `apiRoot`, else Telegram.
pub fn api_url(
    env: &crate::env::Environment,
    account: &TelegramAccount,
) -> Result<Option<url::Url>, String> {
    let (origin, raw) = match env.get_trimmed(BASE_URL_VAR) {
        Some(v) => (BASE_URL_VAR.to_owned(), v.to_owned()),
        None => match &account.api_root {
            Some(root) => (
                format!("channels.telegram apiRoot of account {}", account.id),
                root.clone(),
            ),
            None => return Ok(None),
        },
    };
    let trimmed = raw.trim_end_matches('/');
    url::Url::parse(trimmed)
        .map(Some)
        .map_err(|e| format!("{origin}={raw} is not a URL ({e})"))
}
