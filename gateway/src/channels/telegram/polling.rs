//! Long polling: `getUpdates` with the saved offset, 10-second holds (within
//! teloxide's 17-second client timeout), updates handled in order.

use std::sync::Arc;
use std::time::Duration;

use teloxide::payloads::GetUpdatesSetters;
use teloxide::prelude::Requester;
use teloxide::types::AllowedUpdate;
use teloxide::{ApiError, RequestError};
use tokio_util::sync::CancellationToken;

use super::offset::OffsetStore;
use super::{Live, TelegramBot, describe, token_refused};

/// How long Telegram holds a `getUpdates` call open when there is nothing new.
const POLL_TIMEOUT_SECS: u32 = 10;

/// Polls until `stop` is cancelled or the token is revoked.
pub async fn poll(bot: &Arc<TelegramBot>, live: &Live, stop: &CancellationToken) {
    let account = &bot.account.id;
    let offsets = OffsetStore::new(&bot.state_dir, account, &live.bot_id.to_string());
    // Updates up to the saved one were handled before the restart.
    let mut offset = offsets.load().map_or(0, |last| last + 1);
    clear_webhook(bot, live).await;
    let mut backoff = crate::channels::backoff();
    let mut first = true;
    loop {
        let mut request = live
            .api
            .get_updates()
            .offset(offset as i32)
            .timeout(POLL_TIMEOUT_SECS);
        if first {
            request = request.allowed_updates(vec![AllowedUpdate::Message]);
        }
        let result = tokio::select! {
            r = request => r,
            () = stop.cancelled() => break,
        };
        match result {
            Ok(updates) => {
                if !bot.ctx.status.is_connected() {
                    bot.ctx.status.connected();
                }
                first = false;
                backoff = crate::channels::backoff();
                for update in updates {
                    let id = u64::from(update.id.0);
                    super::update::handle(bot, live, update).await;
                    offset = id + 1;
                    offsets.save(id);
                }
                continue;
            }
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                token_refused(bot);
                return;
            }
            Err(RequestError::RetryAfter(wait)) => {
                tokio::select! {
                    () = tokio::time::sleep(wait.duration()) => {}
                    () = stop.cancelled() => break,
                }
                continue;
            }
            Err(e) => {
                let message = format!("polling failed: {}", describe(&e, &live.token));
                let conflict =
                    matches!(e, RequestError::Api(ApiError::TerminatedByOtherGetUpdates));
                tracing::warn!(
                    target: "telegram",
                    "[{account}] {message}{}",
                    if conflict { " (another process polls with this bot token; stop it or use a webhook)" } else { "; retrying" }
                );
                bot.ctx.status.disconnected(&message);
                bot.ctx.status.error(&message);
            }
        }
        let delay = backoff.next().unwrap_or(Duration::from_secs(60));
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop.cancelled() => break,
        }
    }
    // Tell Telegram what was handled, so a restart does not see it again.
    if offset > 0 {
        let confirm = live
            .api
            .get_updates()
            .offset(offset as i32)
            .limit(1)
            .timeout(0);
        let _ = tokio::time::timeout(Duration::from_secs(2), confirm).await;
    }
}

/// A webhook left by webhook mode blocks `getUpdates`; remove it (pending updates
/// stay queued at Telegram).
async fn clear_webhook(bot: &TelegramBot, live: &Live) {
    match live.api.get_webhook_info().await {
        Ok(info) if info.url.is_some() => {
            if let Err(e) = live.api.delete_webhook().await {
                tracing::warn!(target: "telegram", "[{}] cannot remove the old webhook: {}", bot.account.id, describe(&e, &live.token));
            } else {
                tracing::info!(target: "telegram", "[{}] removed the webhook left by webhook mode; long polling now", bot.account.id);
            }
        }
        _ => {}
    }
}
