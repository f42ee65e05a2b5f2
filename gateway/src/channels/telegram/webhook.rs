//! Webhook mode: Telegram POSTs updates to `webhookPath` on the gateway's own HTTP
//! port (so one Fly service / Kubernetes port serves both), each request carrying
//! the secret registered with `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`.
//! Requests without it get 401 and are never handled.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, Update};
use tokio_util::sync::CancellationToken;

use super::{Live, TelegramBot, describe};
use crate::channels::config::Webhook;
use crate::secret::Secret;

/// The header Telegram puts the secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The HTTP route for one account's webhook.
pub fn route(bot: Arc<TelegramBot>, path: &str, secret: Secret) -> Router {
    Router::new()
        .route(path, post(receive))
        .with_state((bot, Arc::new(secret)))
}

async fn receive(
    State((bot, secret)): State<(Arc<TelegramBot>, Arc<Secret>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let presented = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !secret.matches(presented) {
        tracing::debug!(target: "telegram", "[{}] refused a webhook request without the right secret token", bot.account.id);
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    let Some(live) = bot.live() else {
        // Not connected yet: Telegram retries later.
        return (StatusCode::SERVICE_UNAVAILABLE, "starting").into_response();
    };
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(target: "telegram", "[{}] cannot parse a webhook update: {e}", bot.account.id);
            return (StatusCode::BAD_REQUEST, "invalid update").into_response();
        }
    };
    super::update::handle(&bot, live, update).await;
    StatusCode::OK.into_response()
}

/// Registers the webhook with Telegram (retrying until it works) and serves until
/// `stop`. The webhook stays registered across restarts so no update is lost.
pub async fn register(
    bot: &Arc<TelegramBot>,
    live: &Live,
    webhook: &Webhook,
    stop: &CancellationToken,
) {
    let Some(secret) = bot.webhook_secret.as_ref() else {
        return;
    };
    let url = match url::Url::parse(&webhook.url) {
        Ok(u) => u,
        Err(e) => {
            bot.ctx
                .status
                .blocked(&format!("webhookUrl is not a URL: {e}"));
            return;
        }
    };
    let mut backoff = crate::channels::backoff();
    loop {
        let request = live
            .api
            .set_webhook(url.clone())
            .secret_token(secret.expose())
            .allowed_updates(vec![AllowedUpdate::Message]);
        let result = tokio::select! {
            r = request => r,
            () = stop.cancelled() => return,
        };
        match result {
            Ok(_) => break,
            Err(e) => {
                let message = format!("setWebhook failed: {}", describe(&e, &live.token));
                tracing::warn!(target: "telegram", "[{}] {message}; retrying", bot.account.id);
                bot.ctx.status.error(&message);
            }
        }
        let delay = backoff.next().unwrap_or(Duration::from_secs(60));
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop.cancelled() => return,
        }
    }
    tracing::info!(target: "telegram", "[{}] webhook registered: {} (served at {})", bot.account.id, webhook.url, webhook.path);
    bot.ctx.status.connected();
    stop.cancelled().await;
}
