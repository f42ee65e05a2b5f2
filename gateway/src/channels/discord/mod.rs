//! Discord through serenity: one gateway connection per account.
//!
//! ```text
//! token (env > config) ─► GET /users/@me (401: one error line, stop)
//!   ─► client (GET /gateway) ─► shard: IDENTIFY/READY, heartbeats, RESUME on drops
//!   ─► MESSAGE_CREATE ─► access ─► dispatcher ─► POST /channels/{id}/messages
//! ```
//! A refused token (401, close 4004) or intent (close 4014) blocks the account with
//! one clear error line; network trouble is retried with backoff. The gateway keeps
//! serving HTTP and WebSocket clients whatever happens here.

pub mod access;
pub mod endpoint;
mod handler;
mod outbound;

use std::sync::Arc;
use std::time::Duration;

use serenity::all::GatewayIntents;
use serenity::cache::Settings as CacheSettings;
use serenity::http::HttpBuilder;
use tokio_util::sync::CancellationToken;

use endpoint::ApiTarget;
pub use handler::DiscordBot;
pub use outbound::{Paced, Transport};

use super::status::{BotIdentity, TokenSource};
use crate::secret::Secret;

/// The intents the bot asks for: guild and DM messages with their text, and
/// guilds (names for name-keyed channel maps). Message Content is privileged.
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

/// Tells an approved sender they may write now (a DM opened to their user id).
pub fn notifier(bot: Arc<DiscordBot>) -> super::Notifier {
    Arc::new(move |sender: String| {
        let bot = bot.clone();
        Box::pin(async move {
            let http = bot.http.get().ok_or("the bot is not connected")?.clone();
            let user: u64 = sender
                .parse()
                .map_err(|_| format!("\"{sender}\" is not a Discord user id"))?;
            let dm = serenity::model::id::UserId::new(user)
                .create_dm_channel(&http)
                .await
                .map_err(|e| format!("cannot open a DM: {e}"))?;
            let conversation = outbound::DiscordConversation {
                http,
                transport: bot.transport.clone(),
                channel_id: dm.id,
            };
            super::dispatch::Conversation::send(&conversation, super::pairing::APPROVED_TEXT).await
        })
    })
}

/// Posts a text for `send`: `channel:<id>` (or a bare id) to a channel,
/// `user:<id>` as a direct message.
pub fn deliverer(bot: Arc<DiscordBot>) -> super::Deliverer {
    Arc::new(move |target: String, text: String| {
        let bot = bot.clone();
        Box::pin(async move {
            let http = bot
                .http
                .get()
                .ok_or("the Discord bot is not connected yet")?
                .clone();
            let target = target.trim_start_matches("discord:");
            let parse = |id: &str| {
                id.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("\"{target}\" is not a Discord target (channel:<id> or user:<id>)")
                })
            };
            let channel_id = match target.strip_prefix("user:") {
                Some(user) => {
                    serenity::model::id::UserId::new(parse(user)?)
                        .create_dm_channel(&http)
                        .await
                        .map_err(|e| format!("cannot open a DM: {e}"))?
                        .id
                }
                None => serenity::model::id::ChannelId::new(parse(
                    target.trim_start_matches("channel:"),
                )?),
            };
            let conversation = outbound::DiscordConversation {
                http,
                transport: bot.transport.clone(),
                channel_id,
            };
            super::dispatch::Conversation::send(&conversation, &text).await?;
            Ok(super::send::Delivered {
                key: "channelId",
                target: channel_id.to_string(),
            })
        })
    })
}

/// Why an account stopped for good.
enum Fatal {
    BadToken(String),
    Intents(String),
}

/// Runs one account until `stop` is cancelled or the account is blocked.
pub async fn run(
    bot: Arc<DiscordBot>,
    token: Secret,
    source: TokenSource,
    target: ApiTarget,
    stop: CancellationToken,
) {
    let status = bot.ctx.status.clone();
    status.starting(source);
    let mut backoff = super::backoff();
    loop {
        let attempt = connect_once(&bot, &token, &target, &stop).await;
        match attempt {
            Ok(()) if stop.is_cancelled() => break,
            Ok(()) => {
                status.disconnected("gateway connection ended");
                tracing::warn!(target: "discord", "gateway connection ended; reconnecting");
            }
            Err(Some(Fatal::BadToken(detail))) => {
                let line = format!(
                    "Discord rejected the bot token ({detail}) for account \"{}\": set a valid token in DISCORD_BOT_TOKEN or channels.discord.token (Discord Developer Portal → your application → Bot → Reset Token); Discord stays off until the gateway restarts",
                    bot.account.id
                );
                tracing::error!(target: "discord", "{line}");
                status.blocked(&line);
                return;
            }
            Err(Some(Fatal::Intents(detail))) => {
                let line = format!(
                    "Discord refused the bot's gateway intents ({detail}): enable the Message Content Intent in the Discord Developer Portal → your application → Bot → Privileged Gateway Intents, then restart the gateway"
                );
                tracing::error!(target: "discord", "{line}");
                status.blocked(&line);
                return;
            }
            Err(None) => {}
        }
        let delay = backoff.next().unwrap_or(Duration::from_secs(60));
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop.cancelled() => break,
        }
    }
    status.stopped();
}

/// One connection: token check, client, shard until it ends. `Err(None)` is a
/// transient failure (already logged), retried by the caller.
async fn connect_once(
    bot: &Arc<DiscordBot>,
    token: &Secret,
    target: &ApiTarget,
    stop: &CancellationToken,
) -> Result<(), Option<Fatal>> {
    let http = || {
        let builder = HttpBuilder::new(token.expose());
        match target {
            ApiTarget::Discord => builder.build(),
            ApiTarget::Proxy { origin } => builder
                .proxy(origin.as_str())
                .ratelimiter_disabled(true)
                .build(),
        }
    };
    let status = &bot.ctx.status;
    match http().get_current_user().await {
        Ok(me) => status.identified(BotIdentity {
            id: me.id.to_string(),
            username: me.name.clone(),
        }),
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)))
            if r.status_code.as_u16() == 401 =>
        {
            return Err(Some(Fatal::BadToken("401 Unauthorized".into())));
        }
        Err(e) => {
            let message = format!("cannot reach Discord: {e}");
            tracing::warn!(target: "discord", "{message}; retrying");
            status.error(&message);
            return Err(None);
        }
    }
    let cache = {
        let mut s = CacheSettings::default();
        s.max_messages = 0;
        s.cache_users = false;
        s
    };
    let mut client = match serenity::client::ClientBuilder::new_with_http(http(), intents())
        .event_handler(handler::Handler(bot.clone()))
        .cache_settings(cache)
        .await
    {
        Ok(client) => client,
        Err(e) => {
            let message = format!("cannot start the Discord client: {e}");
            tracing::warn!(target: "discord", "{message}; retrying");
            status.error(&message);
            return Err(None);
        }
    };
    let shards = client.shard_manager.clone();
    let stopper = {
        let stop = stop.clone();
        tokio::spawn(async move {
            stop.cancelled().await;
            shards.shutdown_all().await;
        })
    };
    let result = client.start().await;
    stopper.abort();
    match result {
        Ok(()) => Ok(()),
        Err(serenity::Error::Gateway(e)) => {
            use serenity::gateway::GatewayError as G;
            match e {
                G::InvalidAuthentication | G::NoAuthentication => {
                    Err(Some(Fatal::BadToken("gateway close 4004".into())))
                }
                G::DisallowedGatewayIntents => Err(Some(Fatal::Intents(
                    "gateway close 4014, disallowed intents".into(),
                ))),
                G::InvalidGatewayIntents => Err(Some(Fatal::Intents(
                    "gateway close 4013, invalid intents".into(),
                ))),
                other => {
                    let message = format!("Discord gateway error: {other}");
                    tracing::warn!(target: "discord", "{message}; reconnecting");
                    status.disconnected(&message);
                    Err(None)
                }
            }
        }
        Err(e) => {
            let message = format!("Discord client error: {e}");
            tracing::warn!(target: "discord", "{message}; reconnecting");
            status.disconnected(&message);
            Err(None)
        }
    }
}
