//! A fake Discord: the REST endpoints serenity calls and the gateway WebSocket
//! (HELLO, IDENTIFY, READY, heartbeats, dispatches with sequence numbers, RESUME,
//! RECONNECT, INVALID_SESSION, close codes), on one loopback port.
//!
//! It behaves as Discord documents it where a bot can tell the difference: the
//! token is checked on REST calls (401) and on IDENTIFY (close 4004); privileged
//! intents can be refused (close 4014); without the Message Content intent guild
//! messages arrive with blank `content` unless they mention the bot; the bot's
//! own posts come back as `MESSAGE_CREATE`; a resumed session gets every event it
//! missed, in order; message posts can be answered `429` with `retry_after`.
//! Everything received is recorded for assertions.
//!
//! ```no_run
//! # async fn demo() {
//! use openclaw_fakes::discord::{FakeDiscord, Incoming};
//! let discord = FakeDiscord::start().await;
//! // DISCORD_API_BASE_URL=discord.api_base(), DISCORD_BOT_TOKEN=discord.token()
//! discord.wait_ready(std::time::Duration::from_secs(10)).await;
//! discord.inject(Incoming::guild("100", "200", "hello <@900000000000000001>"));
//! # }
//! ```

mod gateway;
mod model;
mod rest;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Notify, mpsc};

pub use model::{BOT_ID, Incoming, intents};

/// The token the fake accepts unless told otherwise.
pub const DEFAULT_TOKEN: &str = "fake-discord-token.MTIzNDU2Nzg5";

/// A message the bot posted (`POST /channels/{id}/messages`).
#[derive(Debug, Clone)]
pub struct Posted {
    pub channel_id: String,
    pub content: String,
    /// The whole JSON body serenity sent.
    pub body: Value,
    pub at: Instant,
}

/// A REST request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub status: u16,
    pub at: Instant,
}

/// What the fake can be told to do to the live gateway connection.
#[derive(Debug)]
enum Command {
    Send(Value),
    Close(u16, String),
    /// Drop the TCP connection without a close frame.
    Abort,
}

#[derive(Debug, Default)]
struct Session {
    id: Option<String>,
    seq: u64,
    /// Dispatches of this session, replayed on RESUME from the client's seq.
    log: Vec<(u64, Value)>,
    intents: u64,
}

#[derive(Debug, Default)]
struct Counters {
    identifies: u32,
    resumes: u32,
    connections: u32,
    heartbeats: u32,
}

pub(crate) struct Shared {
    origin: String,
    token: Mutex<String>,
    refused_intents: Mutex<u64>,
    heartbeat_interval_ms: Mutex<u64>,
    session: Mutex<Session>,
    /// The connection currently identified or resumed, if any.
    live: Mutex<Option<(u64, mpsc::UnboundedSender<Command>)>>,
    next_connection: Mutex<u64>,
    counters: Mutex<Counters>,
    requests: Mutex<Vec<Recorded>>,
    posted: Mutex<Vec<Posted>>,
    typing: Mutex<Vec<(String, Instant)>>,
    gateway_frames: Mutex<Vec<Value>>,
    scripted_429: Mutex<VecDeque<f64>>,
    channels: Mutex<HashMap<String, model::ChannelInfo>>,
    /// DM channels opened by the bot: `(channel id, user id)`.
    dm_channels: Mutex<Vec<(String, String)>>,
    next_id: Mutex<u64>,
    changed: Notify,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn snowflake(&self) -> String {
        let mut id = lock(&self.next_id);
        *id += 1;
        id.to_string()
    }

    fn valid_token(&self, header: Option<&str>) -> bool {
        let token = lock(&self.token);
        header.is_some_and(|h| h == format!("Bot {token}") || h == token.as_str())
    }

    /// Sends a dispatch with the next sequence number, and keeps it for resumes. With
    /// no live connection it waits in the session's log, as Discord buffers it.
    fn dispatch(&self, event: &str, data: Value) -> u64 {
        let mut session = lock(&self.session);
        if session.id.is_none() {
            return 0;
        }
        session.seq += 1;
        let frame = serde_json::json!({"op": 0, "s": session.seq, "t": event, "d": data});
        let seq = session.seq;
        session.log.push((seq, frame.clone()));
        if let Some((_, tx)) = lock(&self.live).as_ref() {
            let _ = tx.send(Command::Send(frame));
        }
        seq
    }

    fn command(&self, command: Command) -> bool {
        match lock(&self.live).as_ref() {
            Some((_, tx)) => tx.send(command).is_ok(),
            None => false,
        }
    }
}

/// A running fake Discord. Dropping it stops the server.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeDiscord {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port on 127.0.0.1");
        let origin = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            origin,
            token: Mutex::new(DEFAULT_TOKEN.to_owned()),
            refused_intents: Mutex::new(0),
            heartbeat_interval_ms: Mutex::new(41_250),
            session: Mutex::default(),
            live: Mutex::new(None),
            next_connection: Mutex::new(0),
            counters: Mutex::default(),
            requests: Mutex::default(),
            posted: Mutex::default(),
            typing: Mutex::default(),
            gateway_frames: Mutex::default(),
            scripted_429: Mutex::default(),
            channels: Mutex::default(),
            dm_channels: Mutex::default(),
            next_id: Mutex::new(1_575_365_765_693_964_289),
            changed: Notify::new(),
        });
        let app = rest::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, server }
    }

    /// What `DISCORD_API_BASE_URL` should hold: `http://127.0.0.1:PORT`.
    pub fn api_base(&self) -> String {
        self.shared.origin.clone()
    }

    /// The bot token the fake accepts.
    pub fn token(&self) -> String {
        lock(&self.shared.token).clone()
    }

    /// Accept only `token` from now on.
    pub fn set_token(&self, token: &str) {
        *lock(&self.shared.token) = token.to_owned();
    }

    /// IDENTIFYs asking for any of these intent bits are closed with 4014, as when a
    /// privileged intent is not enabled in the Developer Portal.
    pub fn refuse_intents(&self, mask: u64) {
        *lock(&self.shared.refused_intents) = mask;
    }

    /// The HELLO heartbeat interval for new connections (default 41,250 ms).
    pub fn set_heartbeat_interval(&self, interval: Duration) {
        *lock(&self.shared.heartbeat_interval_ms) = interval.as_millis() as u64;
    }

    /// Names a channel for `GET /channels/{id}` (guild channels are text channels).
    pub fn add_channel(&self, id: &str, name: &str, guild_id: &str, parent_id: Option<&str>) {
        lock(&self.shared.channels).insert(
            id.to_owned(),
            model::ChannelInfo {
                name: name.to_owned(),
                guild_id: guild_id.to_owned(),
                parent_id: parent_id.map(str::to_owned),
            },
        );
    }

    /// The next message posts get `429 Too Many Requests` with these `retry_after`s.
    pub fn rate_limit_next_posts(&self, retry_after_secs: &[f64]) {
        lock(&self.shared.scripted_429).extend(retry_after_secs.iter().copied());
    }

    /// Dispatches `MESSAGE_CREATE` for a message a person wrote; returns its id. While
    /// the bot is disconnected the event waits in the session for a RESUME.
    pub fn inject(&self, message: Incoming) -> String {
        let id = self.shared.snowflake();
        let intents = lock(&self.shared.session).intents;
        let data = message.to_json(&id, intents);
        self.shared.dispatch("MESSAGE_CREATE", data);
        id
    }

    /// Closes the live gateway connection with `code` (e.g. 4000, which resumes).
    pub fn close_connection(&self, code: u16) -> bool {
        self.shared
            .command(Command::Close(code, "closed by the test".into()))
    }

    /// Drops the live connection's TCP socket with no close frame.
    pub fn abort_connection(&self) -> bool {
        self.shared.command(Command::Abort)
    }

    /// Sends op 7 RECONNECT: the bot should reconnect and RESUME.
    pub fn request_reconnect(&self) -> bool {
        self.shared
            .command(Command::Send(serde_json::json!({"op": 7, "d": null})))
    }

    /// Sends op 9 INVALID_SESSION (`resumable`: whether a RESUME may follow).
    pub fn invalidate_session(&self, resumable: bool) -> bool {
        if !resumable {
            *lock(&self.shared.session) = Session::default();
        }
        self.shared
            .command(Command::Send(serde_json::json!({"op": 9, "d": resumable})))
    }

    /// Whether a connection is identified or resumed right now.
    pub fn is_connected(&self) -> bool {
        lock(&self.shared.live).is_some()
    }

    pub fn identify_count(&self) -> u32 {
        lock(&self.shared.counters).identifies
    }

    pub fn resume_count(&self) -> u32 {
        lock(&self.shared.counters).resumes
    }

    pub fn heartbeat_count(&self) -> u32 {
        lock(&self.shared.counters).heartbeats
    }

    /// Every gateway frame the bot sent (IDENTIFY, RESUME, heartbeats …).
    pub fn gateway_frames(&self) -> Vec<Value> {
        lock(&self.shared.gateway_frames).clone()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    pub fn posted(&self) -> Vec<Posted> {
        lock(&self.shared.posted).clone()
    }

    /// DM channels the bot opened: `(channel id, user id)`.
    pub fn dm_channels(&self) -> Vec<(String, String)> {
        lock(&self.shared.dm_channels).clone()
    }

    /// Typing indicators received, by channel.
    pub fn typing(&self) -> Vec<(String, Instant)> {
        lock(&self.shared.typing).clone()
    }

    /// Waits until `condition` holds on the fake (checked after every change).
    pub async fn wait_until(&self, limit: Duration, condition: impl Fn(&Self) -> bool) -> bool {
        crate::wait::until(&self.shared.changed, limit, || condition(self)).await
    }

    /// Waits for a connection to be identified (READY sent) or resumed.
    pub async fn wait_ready(&self, limit: Duration) -> bool {
        self.wait_until(limit, Self::is_connected).await
    }

    /// Waits for at least `n` posted messages and returns all of them.
    pub async fn wait_for_posts(&self, n: usize, limit: Duration) -> Vec<Posted> {
        self.wait_until(limit, |f| f.posted().len() >= n).await;
        self.posted()
    }
}
