//! `channels.telegram`: the bot's token, polling or webhook, and who it answers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::accounts::{self, Inherit, inherit_fields};
use super::allow::{AllowList, Platform};
use super::discord::limit;
use super::policy::{DmPolicy, GroupPolicy};
use crate::agents::config::closed::{Checker, Shape};
use crate::config::secret_input::{self, SecretInput};

/// Telegram's message length limit, in UTF-16 code units.
pub const TELEGRAM_TEXT_LIMIT: usize = 4096;
/// Where the gateway serves the webhook when neither `webhookPath` nor the
/// `webhookUrl` path says otherwise (the original's default).
pub const DEFAULT_WEBHOOK_PATH: &str = "/telegram-webhook";

/// The Telegram channel: one or more bot accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramConfig {
    pub accounts: Vec<TelegramAccount>,
    pub default_account: String,
}

/// One bot account.
#[derive(Debug, Clone, PartialEq)]
pub struct TelegramAccount {
    pub id: String,
    pub name: Option<String>,
    pub enabled: bool,
    /// `botToken` (the default account falls back to `TELEGRAM_BOT_TOKEN`).
    pub token: Option<SecretInput>,
    /// `tokenFile`: a file holding the token (read at start).
    pub token_file: Option<PathBuf>,
    pub access: TelegramAccess,
    pub text_chunk_limit: usize,
    /// `apiRoot`: the Bot API base URL (`TELEGRAM_API_BASE_URL` takes precedence).
    pub api_root: Option<String>,
    /// Webhook mode instead of long polling.
    pub webhook: Option<Webhook>,
    pub response_prefix: Option<String>,
}

/// Who may reach one Telegram account.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TelegramAccess {
    pub dm_policy: DmPolicy,
    pub allow_from: AllowList,
    /// `groupAllowFrom`, falling back to `allowFrom` (never to pairing approvals).
    pub group_allow_from: AllowList,
    pub group_policy: GroupPolicy,
    /// By chat id (negative for groups) or `"*"`.
    pub groups: BTreeMap<String, TelegramGroup>,
}

/// `groups.<chatId>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TelegramGroup {
    pub enabled: Option<bool>,
    pub require_mention: Option<bool>,
    /// Replaces the sender allowlist for this group.
    pub allow_from: Option<AllowList>,
    pub group_policy: Option<GroupPolicy>,
}

/// `webhookUrl` + `webhookSecret` (+ `webhookPath`): Telegram posts updates to the
/// gateway's own HTTP port instead of being polled.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// The public HTTPS URL registered with Telegram (`setWebhook`).
    pub url: String,
    /// Sent to Telegram and checked on every request (`X-Telegram-Bot-Api-Secret-Token`).
    pub secret: SecretInput,
    /// The path served on the gateway port.
    pub path: String,
}

pub(super) const ACCOUNT: Shape = Shape {
    implemented: &[
        "name",
        "enabled",
        "botToken",
        "tokenFile",
        "dmPolicy",
        "allowFrom",
        "groupAllowFrom",
        "groupPolicy",
        "groups",
        "textChunkLimit",
        "apiRoot",
        "webhookUrl",
        "webhookSecret",
        "webhookPath",
        "responsePrefix",
    ],
    unimplemented: &[
        "ackReaction",
        "actions",
        "autoTopicLabel",
        "capabilities",
        "commands",
        "configWrites",
        "contextVisibility",
        "customCommands",
        "defaultTo",
        "direct",
        "dmHistoryLimit",
        "dms",
        "errorPolicy",
        "execApprovals",
        "healthMonitor",
        "heartbeatVisibility",
        "historyLimit",
        "joinIntro",
        "linkPreview",
        "markdown",
        "mediaMaxMb",
        "mentionPatterns",
        "network",
        "proxy",
        "reactionLevel",
        "reactionNotifications",
        "replyToMode",
        "richMessages",
        "silentErrorReplies",
        "streaming",
        "threadBindings",
        "trustedLocalFileRoots",
        // The webhook is served on the gateway's own port, not a second listener.
        "webhookCertPath",
        "webhookHost",
        "webhookPort",
    ],
};

const GROUP: Shape = Shape {
    implemented: &["enabled", "requireMention", "allowFrom", "groupPolicy"],
    unimplemented: &[
        "disableAudioPreflight",
        "errorPolicy",
        "ingest",
        "skills",
        "systemPrompt",
        "tools",
        "toolsBySender",
        "topics",
    ],
};

/// Telegram ids may be written as numbers or strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Id {
    Number(i64),
    Text(String),
}

impl Id {
    fn text(self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAccount {
    name: Option<String>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "secret_input::optional")]
    bot_token: Option<SecretInput>,
    token_file: Option<String>,
    dm_policy: Option<DmPolicy>,
    allow_from: Option<Vec<Id>>,
    group_allow_from: Option<Vec<Id>>,
    group_policy: Option<GroupPolicy>,
    groups: Option<BTreeMap<String, RawGroup>>,
    text_chunk_limit: Option<u32>,
    api_root: Option<String>,
    webhook_url: Option<String>,
    #[serde(default, deserialize_with = "secret_input::optional")]
    webhook_secret: Option<SecretInput>,
    webhook_path: Option<String>,
    response_prefix: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGroup {
    enabled: Option<bool>,
    require_mention: Option<bool>,
    allow_from: Option<Vec<Id>>,
    group_policy: Option<GroupPolicy>,
}

impl Inherit for RawAccount {
    fn inherit(mut self, parent: &Self, is_default: bool) -> Self {
        inherit_fields!(self, parent;
            enabled, dm_policy, allow_from, group_allow_from, group_policy, groups,
            text_chunk_limit, api_root, response_prefix);
        if is_default {
            inherit_fields!(self, parent;
                name, bot_token, token_file, webhook_url, webhook_secret, webhook_path);
        }
        self
    }
}

/// Reads `channels.telegram` (an object at `path`).
pub(super) fn parse(
    block: Map<String, Value>,
    path: &str,
    default_group_policy: Option<GroupPolicy>,
    c: &mut Checker,
) -> Option<TelegramConfig> {
    let (accounts, default_account) = accounts::read::<RawAccount, _>(
        block,
        path,
        &ACCOUNT,
        &check_nested,
        c,
        |a, enabled, c| resolve(a, enabled, default_group_policy, c),
    )?;
    let before = c.issues.len();
    let mut paths: Vec<(&str, &str)> = Vec::new();
    for a in &accounts {
        if let Some(w) = a.webhook.as_ref().filter(|_| a.enabled) {
            if let Some((other, _)) = paths.iter().find(|(_, p)| *p == w.path) {
                c.issue(
                    format!("{path}.accounts.{}.webhookPath", a.id),
                    format!(
                        "\"{}\" is already the webhook path of account \"{other}\"; give each account its own",
                        w.path
                    ),
                );
            }
            paths.push((&a.id, &w.path));
        }
    }
    (c.issues.len() == before).then_some(TelegramConfig {
        accounts,
        default_account,
    })
}

fn check_nested(c: &mut Checker, account: &mut Map<String, Value>, path: &str) {
    let Some(Value::Object(groups)) = account.get_mut("groups") else {
        return;
    };
    for (id, group) in groups.iter_mut() {
        c.closed(group, &format!("{path}.groups.{id}"), &GROUP);
    }
}

fn resolve(
    a: accounts::RawAccount<RawAccount>,
    channel_enabled: bool,
    default_group_policy: Option<GroupPolicy>,
    c: &mut Checker,
) -> TelegramAccount {
    let raw = a.raw;
    let path = a.path;
    let dm_policy = raw.dm_policy.unwrap_or_default();
    let allow_from = allow_list(raw.allow_from, &format!("{path}.allowFrom"), c);
    if let Some(problem) = dm_policy.check(&allow_from, &path) {
        c.issue(format!("{path}.allowFrom"), problem);
    }
    let group_allow_from = match raw.group_allow_from {
        Some(list) => allow_list(Some(list), &format!("{path}.groupAllowFrom"), c),
        None => allow_from.clone(),
    };
    let mut groups = BTreeMap::new();
    for (id, g) in raw.groups.unwrap_or_default() {
        let allow = g
            .allow_from
            .map(|l| allow_list(Some(l), &format!("{path}.groups.{id}.allowFrom"), c));
        groups.insert(
            id,
            TelegramGroup {
                enabled: g.enabled,
                require_mention: g.require_mention,
                allow_from: allow,
                group_policy: g.group_policy,
            },
        );
    }
    let webhook = webhook(
        raw.webhook_url,
        raw.webhook_secret,
        raw.webhook_path,
        &path,
        c,
    );
    let api_root = raw.api_root.filter(|r| !r.trim().is_empty());
    if let Some(root) = &api_root
        && url::Url::parse(root).is_err()
    {
        c.issue(
            format!("{path}.apiRoot"),
            format!("\"{root}\" is not a URL (e.g. https://api.telegram.org)"),
        );
    }
    TelegramAccount {
        id: a.id,
        name: raw.name,
        enabled: channel_enabled && raw.enabled != Some(false),
        token: raw.bot_token,
        token_file: raw.token_file.filter(|f| !f.is_empty()).map(PathBuf::from),
        access: TelegramAccess {
            dm_policy,
            allow_from,
            group_allow_from,
            group_policy: raw
                .group_policy
                .or(default_group_policy)
                .unwrap_or_default(),
            groups,
        },
        text_chunk_limit: limit(
            raw.text_chunk_limit,
            TELEGRAM_TEXT_LIMIT,
            &format!("{path}.textChunkLimit"),
            c,
        ),
        api_root,
        webhook,
        response_prefix: raw.response_prefix.filter(|p| !p.is_empty()),
    }
}

fn allow_list(entries: Option<Vec<Id>>, path: &str, c: &mut Checker) -> AllowList {
    let entries: Vec<String> = entries
        .unwrap_or_default()
        .into_iter()
        .map(Id::text)
        .collect();
    let (list, useless) = AllowList::parse(entries, Platform::Telegram);
    if !useless.is_empty() {
        c.warnings.push(format!(
            "{path}: {} can never match: allowFrom/groupAllowFrom take numeric Telegram user ids; a group's negative chat id belongs under channels.telegram.groups",
            useless.join(", ")
        ));
    }
    list
}

/// Gateway routes a webhook path must not shadow.
const RESERVED_PATHS: &[&str] = &[
    "/",
    "/health",
    "/healthz",
    "/ready",
    "/readyz",
    "/startup",
    "/startupz",
    "/tools/invoke",
];

fn webhook(
    url: Option<String>,
    secret: Option<SecretInput>,
    path_override: Option<String>,
    path: &str,
    c: &mut Checker,
) -> Option<Webhook> {
    let url = url.filter(|u| !u.trim().is_empty());
    let Some(url) = url else {
        if secret.is_some() || path_override.is_some() {
            c.warnings.push(format!(
                "{path}.webhookSecret/webhookPath are set without webhookUrl; the bot uses long polling"
            ));
        }
        return None;
    };
    let parsed = match url::Url::parse(&url) {
        Ok(u) if u.scheme() == "https" || u.scheme() == "http" => u,
        _ => {
            c.issue(
                format!("{path}.webhookUrl"),
                format!("\"{url}\" is not an http(s) URL; Telegram needs the public HTTPS URL of this gateway's webhook path"),
            );
            return None;
        }
    };
    let Some(secret) = secret else {
        c.issue(
            format!("{path}.webhookSecret"),
            "webhook mode requires a secret token (1-256 characters of A-Z, a-z, 0-9, _ and -) so the gateway can tell Telegram's requests from anyone else's; set webhookSecret",
        );
        return None;
    };
    let local = path_override
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| match parsed.path() {
            "" | "/" => DEFAULT_WEBHOOK_PATH.to_owned(),
            p => p.to_owned(),
        });
    if !local.starts_with('/')
        || RESERVED_PATHS.contains(&local.as_str())
        || local.starts_with("/__openclaw__")
    {
        c.issue(
            format!("{path}.webhookPath"),
            format!("\"{local}\" cannot be the webhook path: it must start with \"/\" and not be one of the gateway's own routes ({})", RESERVED_PATHS.join(", ")),
        );
        return None;
    }
    Some(Webhook {
        url,
        secret,
        path: local,
    })
}
