//! Posting to Discord: answers and the typing indicator.
//!
//! Against the real Discord serenity's rate limiter paces every request. Behind a
//! proxy base URL that limiter is off (it cannot be combined with serenity's
//! proxy), so requests go out through serenity's request builder on our own
//! client and this module paces them: it waits out buckets Discord reports as
//! exhausted (`X-RateLimit-Remaining: 0`, `X-RateLimit-Reset-After`) and retries a
//! `429` after its `retry_after`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serenity::http::{Http, LightMethod, Request, Route};
use serenity::model::id::ChannelId;
use tokio::time::Instant;

use crate::channels::dispatch::Conversation;
use crate::secret::Secret;

/// Attempts per request before a rate-limited post is given up.
const MAX_ATTEMPTS: u32 = 5;
/// The longest `retry_after` waited for; longer means the bot is blocked for a while.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How requests reach Discord for one account.
pub enum Transport {
    /// Through serenity's `Http` (with its rate limiter).
    Serenity,
    /// Behind a proxy: our client, our pacing.
    Paced(Paced),
}

/// The self-paced transport used behind a proxy base URL.
pub struct Paced {
    client: reqwest::Client,
    authorization: Secret,
    origin: String,
    /// When each channel's bucket allows the next request.
    buckets: Mutex<HashMap<u64, Instant>>,
}

impl Paced {
    pub fn new(token: &Secret, origin: &str) -> Result<Self, reqwest::Error> {
        let auth = if token.expose().starts_with("Bot ") {
            token.clone()
        } else {
            Secret::new(format!("Bot {}", token.expose())).expect("non-empty")
        };
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            authorization: auth,
            origin: origin.to_owned(),
            buckets: Mutex::default(),
        })
    }

    fn wait_until(&self, channel: u64) -> Option<Instant> {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&channel)
            .copied()
    }

    fn hold(&self, channel: u64, until: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let slot = buckets.entry(channel).or_insert(until);
        if *slot < until {
            *slot = until;
        }
    }

    async fn post(
        &self,
        channel: u64,
        route: Route<'_>,
        body: Option<Vec<u8>>,
    ) -> Result<(), String> {
        for attempt in 1..=MAX_ATTEMPTS {
            if let Some(until) = self.wait_until(channel) {
                tokio::time::sleep_until(until).await;
            }
            let request = Request::new(route, LightMethod::Post)
                .body(body.clone())
                .build(
                    &self.client,
                    self.authorization.expose(),
                    Some(&self.origin),
                )
                .map_err(|e| e.to_string())?;
            let response = request
                .send()
                .await
                .map_err(|e| e.without_url().to_string())?;
            let headers = response.headers();
            let header =
                |name: &str| -> Option<f64> { headers.get(name)?.to_str().ok()?.parse().ok() };
            if header("x-ratelimit-remaining") == Some(0.0)
                && let Some(reset) = header("x-ratelimit-reset-after")
            {
                self.hold(channel, Instant::now() + secs(reset));
            }
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let retry_header = header("retry-after");
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            if status.as_u16() == 429 {
                let retry_after = body["retry_after"].as_f64().or(retry_header).unwrap_or(1.0);
                let wait = secs(retry_after);
                if wait > MAX_RETRY_AFTER || attempt == MAX_ATTEMPTS {
                    return Err(format!(
                        "rate limited by Discord (retry_after {retry_after}s) after {attempt} attempts"
                    ));
                }
                tracing::debug!(target: "discord", "429 from Discord; retrying in {retry_after}s");
                self.hold(channel, Instant::now() + wait);
                continue;
            }
            let message = body["message"].as_str().unwrap_or("no error message");
            return Err(format!("Discord answered {status}: {message}"));
        }
        Err("rate limited by Discord".into())
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.clamp(0.0, 3600.0))
}

/// One Discord channel (guild channel or DM) to answer in.
pub struct DiscordConversation {
    pub http: Arc<Http>,
    pub transport: Arc<Transport>,
    pub channel_id: ChannelId,
}

impl DiscordConversation {
    async fn post(&self, route: Route<'_>, body: Option<Vec<u8>>) -> Result<(), String> {
        match self.transport.as_ref() {
            Transport::Paced(paced) => paced.post(self.channel_id.get(), route, body).await,
            Transport::Serenity => self
                .http
                .request(Request::new(route, LightMethod::Post).body(body))
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }
}

impl Conversation for DiscordConversation {
    /// Discord shows "typing…" for 10 seconds.
    const TYPING_EVERY: Duration = Duration::from_secs(8);

    async fn typing(&self) -> Result<(), String> {
        self.post(
            Route::ChannelTyping {
                channel_id: self.channel_id,
            },
            None,
        )
        .await
    }

    async fn send(&self, text: &str) -> Result<(), String> {
        // Answers may quote people but never ping @everyone/@here or roles.
        let body = serde_json::json!({
            "content": text,
            "allowed_mentions": {"parse": ["users"]},
        });
        self.post(
            Route::ChannelMessages {
                channel_id: self.channel_id,
            },
            Some(serde_json::to_vec(&body).expect("JSON")),
        )
        .await
    }
}
