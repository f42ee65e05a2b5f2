//! What each bot account is doing, for `health`, `status`, `channels.status` and the
//! Control UI, in the original's snapshot shape (`running`, `connected`,
//! `lastError`, `reconnectAttempts`, `probe.bot` …).

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::state::lifecycle::now_ms;

/// The channels this gateway implements, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChannelKind {
    Discord,
    Telegram,
}

impl ChannelKind {
    pub const ALL: [Self; 2] = [Self::Discord, Self::Telegram];

    /// The id used in config keys, bindings, session keys and logs.
    pub fn id(self) -> &'static str {
        match self {
            Self::Discord => "discord",
            Self::Telegram => "telegram",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Discord => "Discord",
            Self::Telegram => "Telegram",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.id().eq_ignore_ascii_case(id.trim()))
    }
}

/// The phase of an account's connection, as the original names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Checking the token and connecting.
    Starting,
    /// Connected and receiving messages.
    Ready,
    /// Lost the connection; reconnecting on its own.
    Recovering,
    /// Cannot run until the operator fixes something (bad token, refused intent).
    Blocked,
    Stopped,
}

impl Lifecycle {
    fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Ready => "ready",
            Self::Recovering => "recovering",
            Self::Blocked => "blocked",
            Self::Stopped => "stopped",
        }
    }
}

/// Where the token came from (never the token itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Env,
    Config,
    File,
    None,
}

impl TokenSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Env => "env",
            Self::Config => "config",
            Self::File => "file",
            Self::None => "none",
        }
    }
}

/// The bot user an account logged in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotIdentity {
    pub id: String,
    pub username: String,
}

/// One account's mutable state.
#[derive(Debug, Clone)]
struct State {
    enabled: bool,
    configured: bool,
    running: bool,
    connected: bool,
    lifecycle: Lifecycle,
    token_source: TokenSource,
    bot: Option<BotIdentity>,
    last_error: Option<String>,
    last_start_at: Option<u64>,
    last_stop_at: Option<u64>,
    last_connected_at: Option<u64>,
    last_disconnect: Option<(u64, String)>,
    reconnect_attempts: u64,
    last_inbound_at: Option<u64>,
    last_outbound_at: Option<u64>,
    received: u64,
    answered: u64,
    ignored: u64,
}

/// The live state of one bot account, shared by its runner and the status surfaces.
#[derive(Debug)]
pub struct AccountStatus {
    pub channel: ChannelKind,
    pub account_id: String,
    pub name: Option<String>,
    /// `polling`/`webhook` (Telegram) or `gateway` (Discord).
    pub mode: &'static str,
    pub dm_policy: &'static str,
    pub group_policy: &'static str,
    pub webhook_path: Option<String>,
    state: Mutex<State>,
    changed: Arc<Notify>,
}

impl AccountStatus {
    /// A new account, not started yet.
    pub fn new(
        channel: ChannelKind,
        account_id: &str,
        name: Option<String>,
        mode: &'static str,
        policies: (&'static str, &'static str),
        enabled: bool,
        changed: Arc<Notify>,
    ) -> Self {
        Self {
            channel,
            account_id: account_id.to_owned(),
            name,
            mode,
            dm_policy: policies.0,
            group_policy: policies.1,
            webhook_path: None,
            state: Mutex::new(State {
                enabled,
                configured: false,
                running: false,
                connected: false,
                lifecycle: Lifecycle::Stopped,
                token_source: TokenSource::None,
                bot: None,
                last_error: None,
                last_start_at: None,
                last_stop_at: None,
                last_connected_at: None,
                last_disconnect: None,
                reconnect_attempts: 0,
                last_inbound_at: None,
                last_outbound_at: None,
                received: 0,
                answered: 0,
                ignored: 0,
            }),
            changed,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies a change and tells the status broadcaster if `notify`.
    fn update(&self, notify: bool, f: impl FnOnce(&mut State)) {
        f(&mut self.state());
        if notify {
            self.changed.notify_one();
        }
    }

    /// The runner started (token found or not).
    pub fn starting(&self, token_source: TokenSource) {
        self.update(true, |s| {
            s.running = true;
            s.configured = token_source != TokenSource::None;
            s.token_source = token_source;
            s.lifecycle = Lifecycle::Starting;
            s.last_start_at = Some(now_ms());
        });
    }

    /// The token was accepted: this is the bot.
    pub fn identified(&self, bot: BotIdentity) {
        self.update(true, |s| s.bot = Some(bot));
    }

    /// Connected (READY, RESUMED, first successful poll, webhook registered).
    pub fn connected(&self) {
        self.update(true, |s| {
            if !s.connected {
                s.last_connected_at = Some(now_ms());
            }
            s.connected = true;
            s.lifecycle = Lifecycle::Ready;
            s.last_error = None;
        });
    }

    /// Lost the connection; the runner reconnects on its own. Counted once per drop.
    pub fn disconnected(&self, reason: &str) {
        self.update(true, |s| {
            if s.connected {
                s.last_disconnect = Some((now_ms(), reason.to_owned()));
                s.reconnect_attempts += 1;
            }
            s.connected = false;
            if s.lifecycle != Lifecycle::Blocked {
                s.lifecycle = Lifecycle::Recovering;
            }
        });
    }

    /// A transient failure worth showing (the runner keeps trying).
    pub fn error(&self, message: &str) {
        self.update(true, |s| s.last_error = Some(message.to_owned()));
    }

    /// Cannot run until the operator acts; the runner has stopped trying.
    pub fn blocked(&self, message: &str) {
        self.update(true, |s| {
            s.connected = false;
            s.running = false;
            s.lifecycle = Lifecycle::Blocked;
            s.last_error = Some(message.to_owned());
            s.last_stop_at = Some(now_ms());
        });
    }

    /// Stopped (shutdown, or no token).
    pub fn stopped(&self) {
        self.update(true, |s| {
            s.connected = false;
            s.running = false;
            if s.lifecycle != Lifecycle::Blocked {
                s.lifecycle = Lifecycle::Stopped;
            }
            s.last_stop_at = Some(now_ms());
        });
    }

    pub fn inbound(&self) {
        self.update(false, |s| {
            s.received += 1;
            s.last_inbound_at = Some(now_ms());
        });
    }

    pub fn ignored(&self) {
        self.update(false, |s| s.ignored += 1);
    }

    pub fn answered(&self) {
        self.update(false, |s| {
            s.answered += 1;
            s.last_outbound_at = Some(now_ms());
        });
    }

    pub fn is_connected(&self) -> bool {
        self.state().connected
    }

    pub fn bot(&self) -> Option<BotIdentity> {
        self.state().bot.clone()
    }

    /// The account snapshot (`channels.status` `channelAccounts[]`, `health.channels.*.accounts`).
    pub fn snapshot(&self) -> Value {
        let s = self.state().clone();
        let mut v = json!({
            "accountId": self.account_id,
            "enabled": s.enabled,
            "configured": s.configured,
            "running": s.running,
            "connected": s.connected,
            "lifecycle": s.lifecycle.as_str(),
            "healthState": health_state(&s),
            "mode": self.mode,
            "tokenSource": s.token_source.as_str(),
            "dmPolicy": self.dm_policy,
            "groupPolicy": self.group_policy,
            "lastStartAt": s.last_start_at,
            "lastStopAt": s.last_stop_at,
            "lastError": s.last_error,
            "lastConnectedAt": s.last_connected_at,
            "reconnectAttempts": s.reconnect_attempts,
            "lastInboundAt": s.last_inbound_at,
            "lastOutboundAt": s.last_outbound_at,
            "messages": {"received": s.received, "answered": s.answered, "ignored": s.ignored},
        });
        if let Some(name) = &self.name {
            v["name"] = json!(name);
        }
        if let Some((at, reason)) = &s.last_disconnect {
            v["lastDisconnect"] = json!({"at": at, "reason": reason});
        }
        if let Some(bot) = &s.bot {
            v["bot"] = json!({"id": bot.id, "username": bot.username});
            v["probe"] = json!({"ok": true, "bot": {"id": bot.id, "username": bot.username}});
        }
        if let Some(path) = &self.webhook_path {
            v["webhookPath"] = json!(path);
        }
        v
    }

    /// One summary line: `  - default (dm:pairing, token:env, @fakebot, connected)`.
    pub fn summary_line(&self) -> String {
        let s = self.state().clone();
        let mut details = vec![format!("dm:{}", self.dm_policy)];
        if s.token_source != TokenSource::None {
            details.push(format!("token:{}", s.token_source.as_str()));
        }
        if let Some(bot) = &s.bot {
            details.push(format!("@{}", bot.username));
        }
        details.push(state_word(&s).to_owned());
        let label = match &self.name {
            Some(n) => format!("{} ({n})", self.account_id),
            None => self.account_id.clone(),
        };
        format!("  - {label} ({})", details.join(", "))
    }

    /// The account's state in one word, for summaries.
    pub fn state_word(&self) -> String {
        state_word(&self.state()).to_owned()
    }
}

fn state_word(s: &State) -> &'static str {
    if !s.enabled {
        "disabled"
    } else if !s.configured && s.lifecycle != Lifecycle::Blocked {
        "not configured"
    } else {
        match s.lifecycle {
            Lifecycle::Ready => "connected",
            Lifecycle::Starting => "connecting",
            Lifecycle::Recovering => "reconnecting",
            Lifecycle::Blocked => "blocked",
            Lifecycle::Stopped => "stopped",
        }
    }
}

fn health_state(s: &State) -> &'static str {
    if !s.enabled {
        "disabled"
    } else if !s.configured {
        "unconfigured"
    } else {
        match s.lifecycle {
            Lifecycle::Ready => "healthy",
            Lifecycle::Starting => "starting",
            Lifecycle::Recovering => "reconnecting",
            Lifecycle::Blocked => "blocked",
            Lifecycle::Stopped => "not-running",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountStatus {
        AccountStatus::new(
            ChannelKind::Discord,
            "default",
            None,
            "gateway",
            ("pairing", "allowlist"),
            true,
            Arc::default(),
        )
    }

    #[test]
    fn tracks_connection_and_never_shows_secrets() {
        let a = account();
        a.starting(TokenSource::Env);
        assert_eq!(a.snapshot()["lifecycle"], "starting");
        a.identified(BotIdentity {
            id: "9".into(),
            username: "fakebot".into(),
        });
        a.connected();
        let s = a.snapshot();
        assert_eq!(
            (s["connected"].as_bool(), s["healthState"].as_str()),
            (Some(true), Some("healthy"))
        );
        assert_eq!(s["probe"]["bot"]["username"], "fakebot");
        a.disconnected("close 1006");
        a.connected();
        let s = a.snapshot();
        assert_eq!(s["reconnectAttempts"], 1);
        assert_eq!(s["lastDisconnect"]["reason"], "close 1006");
        assert!(a.summary_line().contains("token:env, @fakebot, connected"));
    }

    #[test]
    fn blocked_accounts_explain_why() {
        let a = account();
        a.starting(TokenSource::Config);
        a.blocked("Discord rejected the bot token");
        let s = a.snapshot();
        assert_eq!(
            (s["lifecycle"].as_str(), s["running"].as_bool()),
            (Some("blocked"), Some(false))
        );
        assert_eq!(s["lastError"], "Discord rejected the bot token");
        a.stopped();
        assert_eq!(a.snapshot()["lifecycle"], "blocked");
    }
}
