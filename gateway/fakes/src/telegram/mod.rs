//! A fake Telegram Bot API: `POST /bot<token>/<method>` with the real envelope
//! (`{"ok":true,"result":…}` / `{"ok":false,"error_code":…,"description":…}`),
//! method names matched case-insensitively (teloxide sends `GetMe`), `getUpdates`
//! long polling with offsets, `sendMessage`, `sendChatAction`, and webhooks: once a
//! webhook is set, updates are POSTed to it with `X-Telegram-Bot-Api-Secret-Token`
//! and `getUpdates` answers 409, as Telegram does. Everything is recorded.
//!
//! ```no_run
//! # async fn demo() {
//! use openclaw_fakes::telegram::{FakeTelegram, Incoming};
//! let tg = FakeTelegram::start().await;
//! // TELEGRAM_API_BASE_URL=tg.api_base(), TELEGRAM_BOT_TOKEN=tg.token()
//! tg.inject(Incoming::direct(42, "hello"));
//! # }
//! ```

mod api;
mod model;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Notify;

pub use model::{BOT_ID, BOT_USERNAME, Incoming};

/// The token the fake accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "7000000001:AAFakeTelegramTokenForTests";

/// A method call as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// As sent (`GetMe`, `sendMessage` …).
    pub method: String,
    pub body: Value,
    /// Whether the fake answered `ok: true`.
    pub ok: bool,
    pub at: Instant,
}

/// A webhook delivery the fake made and what the bot answered.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub update_id: i64,
    pub status: u16,
}

#[derive(Debug, Default, Clone)]
struct WebhookState {
    url: String,
    secret: Option<String>,
}

pub(crate) struct Shared {
    token: Mutex<String>,
    updates: Mutex<VecDeque<Value>>,
    next_update_id: Mutex<i64>,
    next_message_id: Mutex<i64>,
    webhook: Mutex<WebhookState>,
    calls: Mutex<Vec<Call>>,
    deliveries: Mutex<Vec<Delivery>>,
    scripted_retry_after: Mutex<VecDeque<u64>>,
    changed: Notify,
    /// Long polls waiting for updates.
    arrived: Notify,
    http: reqwest::Client,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running fake Bot API. Dropping it stops the server.
pub struct FakeTelegram {
    origin: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port on 127.0.0.1");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            token: Mutex::new(DEFAULT_TOKEN.to_owned()),
            updates: Mutex::default(),
            next_update_id: Mutex::new(100_000),
            next_message_id: Mutex::new(1),
            webhook: Mutex::default(),
            calls: Mutex::default(),
            deliveries: Mutex::default(),
            scripted_retry_after: Mutex::default(),
            changed: Notify::new(),
            arrived: Notify::new(),
            http: reqwest::Client::new(),
        });
        let app = api::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            origin,
            shared,
            server,
        }
    }

    /// What `TELEGRAM_API_BASE_URL` should hold: `http://127.0.0.1:PORT`.
    pub fn api_base(&self) -> String {
        self.origin.clone()
    }

    pub fn token(&self) -> String {
        lock(&self.shared.token).clone()
    }

    pub fn set_token(&self, token: &str) {
        *lock(&self.shared.token) = token.to_owned();
    }

    /// The next `sendMessage` calls fail with 429 and `parameters.retry_after`.
    pub fn rate_limit_next_sends(&self, retry_after_secs: &[u64]) {
        lock(&self.shared.scripted_retry_after).extend(retry_after_secs.iter().copied());
    }

    /// A person writes a message: queued for `getUpdates`, or POSTed to the webhook
    /// when one is set. Returns the update id.
    pub fn inject(&self, message: Incoming) -> i64 {
        let update_id = {
            let mut id = lock(&self.shared.next_update_id);
            *id += 1;
            *id
        };
        let message_id = {
            let mut id = lock(&self.shared.next_message_id);
            *id += 1;
            *id
        };
        let update = serde_json::json!({"update_id": update_id,
                                        "message": message.to_json(message_id)});
        self.inject_raw(update);
        update_id
    }

    /// Queues (or delivers) an update exactly as given.
    pub fn inject_raw(&self, update: Value) {
        let webhook = lock(&self.shared.webhook).clone();
        if webhook.url.is_empty() {
            lock(&self.shared.updates).push_back(update);
            self.shared.arrived.notify_waiters();
        } else {
            let shared = Arc::clone(&self.shared);
            tokio::spawn(api::deliver(shared, webhook.url, webhook.secret, update));
        }
    }

    /// Calls received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared.calls).clone()
    }

    /// Calls of one method (case-insensitive).
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .collect()
    }

    /// Messages the bot sent: `(chat_id, text)`.
    pub fn sent(&self) -> Vec<(i64, String)> {
        self.calls_of("sendMessage")
            .into_iter()
            .filter(|c| c.ok)
            .map(|c| {
                (
                    c.body["chat_id"].as_i64().unwrap_or_default(),
                    c.body["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.shared.deliveries).clone()
    }

    /// The webhook URL the bot registered (`""` for none).
    pub fn webhook_url(&self) -> String {
        lock(&self.shared.webhook).url.clone()
    }

    /// Updates not fetched yet.
    pub fn pending_updates(&self) -> usize {
        lock(&self.shared.updates).len()
    }

    pub async fn wait_until(&self, limit: Duration, condition: impl Fn(&Self) -> bool) -> bool {
        crate::wait::until(&self.shared.changed, limit, || condition(self)).await
    }

    /// Waits for at least `n` sent messages and returns them all.
    pub async fn wait_for_sent(&self, n: usize, limit: Duration) -> Vec<(i64, String)> {
        self.wait_until(limit, |f| f.sent().len() >= n).await;
        self.sent()
    }
}
