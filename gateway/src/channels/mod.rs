//! Channels: Discord (serenity) and Telegram (teloxide) bots that let people talk
//! to the gateway's agents, with the original's access policies.
//!
//! ```text
//! channels.* config ─► Registry (status per account) ─► health / status / channels.status / UI
//!        │
//!        └─► one runner per account (Discord gateway, Telegram polling or webhook)
//!               message ─► access (policy, allowlists, mentions, pairing)
//!                       ─► dispatch: route (bindings) ─► agent engine ─► split ─► reply
//! ```
//! Runners start once the gateway serves and stop at shutdown; a channel that
//! cannot run (no token, refused token) is reported, never fatal to the gateway.

pub mod bot;
pub mod chunk;
pub mod config;
pub mod discord;
pub mod dispatch;
pub mod inbound;
mod methods;
pub mod pairing;
pub mod registry;
pub mod route;
pub mod send;
pub mod status;
pub mod telegram;
pub mod token;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use backon::BackoffBuilder;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::agents::Engine;
use crate::secret::Secret;
use crate::state::{Gateway, GatewayBuilder};
use chunk::{Limits, Unit};
use config::ChannelsConfig;
use dispatch::ReplyStyle;
use pairing::PairingStore;
use registry::Registry;
use status::{AccountStatus, ChannelKind};

/// Sends the "access approved" note to a sender (by id) of one account.
pub type Notifier =
    Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Posts a text to a target (a chat, channel or user id of the channel) of one
/// account (`send`, `message.action`); the result names where it went.
pub type Deliverer = Arc<
    dyn Fn(String, String) -> Pin<Box<dyn Future<Output = Result<send::Delivered, String>> + Send>>
        + Send
        + Sync,
>;

/// What the channels' methods share.
pub struct Runtime {
    pub config: ChannelsConfig,
    pub registry: Registry,
    pub pairing: Arc<PairingStore>,
    notifiers: HashMap<(ChannelKind, String), Notifier>,
    deliverers: HashMap<(ChannelKind, String), Deliverer>,
}

impl Runtime {
    pub fn notifier(&self, kind: ChannelKind, account: &str) -> Option<&Notifier> {
        self.notifiers.get(&(kind, account.to_owned()))
    }

    pub fn deliverer(&self, kind: ChannelKind, account: &str) -> Option<&Deliverer> {
        self.deliverers.get(&(kind, account.to_owned()))
    }
}

/// A runner to start once the gateway serves.
type Runner = Pin<Box<dyn Future<Output = ()> + Send>>;
type StartRunner = Box<dyn FnOnce(CancellationToken) -> Runner + Send>;

/// Retry delays for reconnects: 1 s doubling to a minute, with jitter.
pub fn backoff() -> impl Iterator<Item = Duration> + Send {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(60))
        .with_jitter()
        .without_max_times()
        .build()
}

/// Reads the channels config, registers the methods, status parts and webhook
/// routes, and schedules one runner per enabled account.
pub fn install(builder: &mut GatewayBuilder, engine: Option<Engine>) {
    let parsed = builder.config.channels.clone();
    for warning in &parsed.warnings {
        tracing::warn!(target: "channels", "{warning}");
    }
    let config = parsed.config;
    let registry = Registry::from_config(&config);
    let pairing = Arc::new(PairingStore::new(&builder.settings.paths.state_dir));
    let skip = builder.env.get_trimmed("OPENCLAW_SKIP_CHANNELS") == Some("1");
    if skip && !registry.channels.is_empty() {
        tracing::info!(target: "channels", "channels are not started (OPENCLAW_SKIP_CHANNELS=1)");
    }
    let env = builder.env.clone();
    let mut setup = Setup {
        env: &env,
        state_dir: builder.settings.paths.state_dir.clone(),
        registry: &registry,
        engine,
        pairing: pairing.clone(),
        runners: Vec::new(),
        notifiers: HashMap::new(),
        deliverers: HashMap::new(),
    };
    if !skip {
        prepare_discord(&mut setup, &config);
        prepare_telegram(&mut setup, builder, &config);
    }
    let (runners, notifiers, deliverers) = (setup.runners, setup.notifiers, setup.deliverers);
    let changed = registry.changed.clone();
    let runtime = Arc::new(Runtime {
        config,
        registry,
        pairing,
        notifiers,
        deliverers,
    });
    methods::register(builder, runtime.clone());
    send::register(builder, runtime.clone());
    for (key, part) in [("channels", 0), ("channelOrder", 1), ("channelLabels", 2)] {
        let rt = runtime.clone();
        builder.health.add(key, move || match part {
            0 => rt.registry.health(),
            1 => rt.registry.order(),
            _ => rt.registry.labels(),
        });
    }
    let rt = runtime.clone();
    builder
        .status
        .add("channelSummary", move || json!(rt.registry.summary_lines()));
    if runners.is_empty() {
        return;
    }
    builder.on_start(move |gateway, stop| async move {
        let broadcaster = tokio::spawn(broadcast_changes(gateway, changed, stop.clone()));
        let mut tasks = tokio::task::JoinSet::new();
        for start in runners {
            tasks.spawn(start(stop.clone()));
        }
        while tasks.join_next().await.is_some() {}
        broadcaster.abort();
    });
}

/// Pushes a `health` event to WebSocket clients when a channel connects or drops
/// (coalescing bursts), so the Control UI shows it at once.
async fn broadcast_changes(
    gateway: Arc<Gateway>,
    changed: Arc<tokio::sync::Notify>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = changed.notified() => {}
            () = stop.cancelled() => return,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        gateway.events.emit_health(&gateway.health());
    }
}

fn style(
    max_units: usize,
    max_lines: Option<usize>,
    unit: Unit,
    prefix: Option<String>,
) -> ReplyStyle {
    ReplyStyle {
        limits: Limits {
            max_units,
            max_lines,
            unit,
        },
        prefix,
    }
}

/// What installing the accounts builds up: their shared parts in, runners and
/// notifiers out.
struct Setup<'a> {
    env: &'a crate::env::Environment,
    state_dir: std::path::PathBuf,
    registry: &'a Registry,
    engine: Option<Engine>,
    pairing: Arc<PairingStore>,
    runners: Vec<StartRunner>,
    notifiers: HashMap<(ChannelKind, String), Notifier>,
    deliverers: HashMap<(ChannelKind, String), Deliverer>,
}

impl Setup<'_> {
    /// The account's status and token, or `None` (reported) if it cannot start.
    fn prepare(
        &self,
        kind: ChannelKind,
        account_id: &str,
        config: Option<&config::SecretInput>,
        file: Option<&std::path::Path>,
    ) -> Option<(Arc<AccountStatus>, Secret, status::TokenSource)> {
        let status = self
            .registry
            .account(kind, account_id)
            .expect("the registry has every configured account")
            .clone();
        let (env_var, key) = match kind {
            ChannelKind::Discord => ("DISCORD_BOT_TOKEN", "token"),
            ChannelKind::Telegram => ("TELEGRAM_BOT_TOKEN", "botToken"),
        };
        let is_default = account_id == config::DEFAULT_ACCOUNT;
        let sources = token::TokenSources {
            env_var: is_default.then_some(env_var),
            config_key: if is_default {
                format!("channels.{}.{key}", kind.id())
            } else {
                format!("channels.{}.accounts.{account_id}.{key}", kind.id())
            },
            config,
            file,
        };
        match token::resolve(&sources, self.env) {
            Ok((token, source)) => Some((status, token, source)),
            Err(e) => {
                cannot_start(&status, kind, &e);
                None
            }
        }
    }

    fn context(&self, status: Arc<AccountStatus>, style: ReplyStyle) -> bot::BotContext {
        bot::BotContext {
            status,
            engine: self.engine.clone(),
            pairing: self.pairing.clone(),
            style,
        }
    }

    fn add(
        &mut self,
        kind: ChannelKind,
        account_id: &str,
        notifier: Notifier,
        deliverer: Deliverer,
        runner: StartRunner,
    ) {
        self.notifiers
            .insert((kind, account_id.to_owned()), notifier);
        self.deliverers
            .insert((kind, account_id.to_owned()), deliverer);
        self.runners.push(runner);
    }
}

/// Marks an account that cannot start and says why, once.
fn cannot_start(status: &AccountStatus, kind: ChannelKind, message: &str) {
    tracing::warn!(target: "channels", "[{}] account \"{}\" not started: {message}", kind.id(), status.account_id);
    status.error(message);
}

fn prepare_discord(setup: &mut Setup<'_>, config: &ChannelsConfig) {
    let Some(discord) = &config.discord else {
        return;
    };
    let target = discord::endpoint::resolve(setup.env);
    for account in discord.accounts.iter().filter(|a| a.enabled) {
        let Some((status, token, source)) = setup.prepare(
            ChannelKind::Discord,
            &account.id,
            account.token.as_ref(),
            None,
        ) else {
            continue;
        };
        let target = match &target {
            Ok(t) => t.clone(),
            Err(e) => {
                cannot_start(&status, ChannelKind::Discord, e);
                continue;
            }
        };
        let transport = match &target {
            discord::endpoint::ApiTarget::Discord => discord::Transport::Serenity,
            discord::endpoint::ApiTarget::Proxy { origin } => {
                match discord::Paced::new(&token, origin) {
                    Ok(p) => discord::Transport::Paced(p),
                    Err(e) => {
                        cannot_start(
                            &status,
                            ChannelKind::Discord,
                            &format!("cannot build the HTTP client: {e}"),
                        );
                        continue;
                    }
                }
            }
        };
        let style = style(
            account.text_chunk_limit,
            Some(account.max_lines_per_message),
            Unit::CodePoints,
            account.response_prefix.clone(),
        );
        let bot = Arc::new(discord::DiscordBot::new(
            account.clone(),
            setup.context(status, style),
            Arc::new(transport),
        ));
        let notifier = discord::notifier(bot.clone());
        let deliverer = discord::deliverer(bot.clone());
        setup.add(
            ChannelKind::Discord,
            &account.id,
            notifier,
            deliverer,
            Box::new(move |stop| Box::pin(discord::run(bot, token, source, target, stop))),
        );
    }
}

fn prepare_telegram(setup: &mut Setup<'_>, builder: &mut GatewayBuilder, config: &ChannelsConfig) {
    let Some(tg) = &config.telegram else {
        return;
    };
    for account in tg.accounts.iter().filter(|a| a.enabled) {
        let Some((status, token, source)) = setup.prepare(
            ChannelKind::Telegram,
            &account.id,
            account.token.as_ref(),
            account.token_file.as_deref(),
        ) else {
            continue;
        };
        let api_url = match telegram::api_url(setup.env, account) {
            Ok(u) => u,
            Err(e) => {
                cannot_start(&status, ChannelKind::Telegram, &e);
                continue;
            }
        };
        let webhook_secret = match &account.webhook {
            None => None,
            Some(w) => match w.secret.resolve(setup.env) {
                Ok(Some(s)) if valid_secret_token(s.expose()) => Some(s),
                Ok(_) => {
                    cannot_start(
                        &status,
                        ChannelKind::Telegram,
                        "webhookSecret must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule for secret tokens)",
                    );
                    continue;
                }
                Err(e) => {
                    cannot_start(
                        &status,
                        ChannelKind::Telegram,
                        &format!("webhookSecret: {e}"),
                    );
                    continue;
                }
            },
        };
        let style = style(
            account.text_chunk_limit,
            None,
            Unit::Utf16,
            account.response_prefix.clone(),
        );
        let bot = Arc::new(telegram::TelegramBot::new(
            account.clone(),
            setup.context(status, style),
            setup.state_dir.clone(),
            webhook_secret.clone(),
        ));
        if let (Some(w), Some(secret)) = (&account.webhook, webhook_secret) {
            let routes = std::mem::take(&mut builder.routes);
            builder.routes = routes.merge(telegram::webhook::route(bot.clone(), &w.path, secret));
        }
        let notifier = telegram::notifier(bot.clone());
        let deliverer = telegram::deliverer(bot.clone());
        setup.add(
            ChannelKind::Telegram,
            &account.id,
            notifier,
            deliverer,
            Box::new(move |stop| Box::pin(telegram::run(bot, token, source, api_url, stop))),
        );
    }
}

/// Telegram's rule for `secret_token`.
fn valid_secret_token(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
