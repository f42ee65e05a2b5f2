//! Every configured bot account's status, rendered for `health`, `status` and
//! `channels.status` in the original's shapes.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use super::config::{ChannelsConfig, GroupPolicy};
use super::status::{AccountStatus, ChannelKind};
use crate::state::lifecycle::now_ms;

/// One configured channel: its accounts and which one is the default.
#[derive(Debug)]
pub struct ChannelEntry {
    pub kind: ChannelKind,
    pub default_account: String,
    pub accounts: Vec<Arc<AccountStatus>>,
    /// Config problems the operator should see (`statusIssues`).
    pub issues: Vec<Value>,
}

/// All configured channels, in display order.
#[derive(Debug, Default)]
pub struct Registry {
    pub channels: Vec<ChannelEntry>,
    /// Woken whenever an account's connection state changes.
    pub changed: Arc<Notify>,
}

impl Registry {
    /// Statuses for every account the config declares (running or not).
    pub fn from_config(config: &ChannelsConfig) -> Self {
        let changed = Arc::new(Notify::new());
        let mut channels = Vec::new();
        if let Some(d) = &config.discord {
            let accounts = d
                .accounts
                .iter()
                .map(|a| {
                    Arc::new(AccountStatus::new(
                        ChannelKind::Discord,
                        &a.id,
                        a.name.clone(),
                        "gateway",
                        (a.access.dm_policy.as_str(), a.access.group_policy.as_str()),
                        a.enabled,
                        changed.clone(),
                    ))
                })
                .collect();
            let issues = d
                .accounts
                .iter()
                .filter(|a| {
                    a.enabled
                        && a.access.group_policy == GroupPolicy::Allowlist
                        && a.access.guilds.is_empty()
                })
                .map(|a| json!({"channel": "discord", "accountId": a.id, "kind": "config",
                    "message": "groupPolicy is \"allowlist\" but no guilds are configured: the bot answers no guild message",
                    "fix": "Add your server under channels.discord.guilds (or set groupPolicy to \"open\")."}))
                .collect();
            channels.push(ChannelEntry {
                kind: ChannelKind::Discord,
                default_account: d.default_account.clone(),
                accounts,
                issues,
            });
        }
        if let Some(t) = &config.telegram {
            let accounts = t
                .accounts
                .iter()
                .map(|a| {
                    let mut status = AccountStatus::new(
                        ChannelKind::Telegram,
                        &a.id,
                        a.name.clone(),
                        if a.webhook.is_some() {
                            "webhook"
                        } else {
                            "polling"
                        },
                        (a.access.dm_policy.as_str(), a.access.group_policy.as_str()),
                        a.enabled,
                        changed.clone(),
                    );
                    status.webhook_path = a.webhook.as_ref().map(|w| w.path.clone());
                    Arc::new(status)
                })
                .collect();
            channels.push(ChannelEntry {
                kind: ChannelKind::Telegram,
                default_account: t.default_account.clone(),
                accounts,
                issues: Vec::new(),
            });
        }
        Self { channels, changed }
    }

    pub fn account(&self, kind: ChannelKind, id: &str) -> Option<&Arc<AccountStatus>> {
        self.channel(kind)?
            .accounts
            .iter()
            .find(|a| a.account_id == id)
    }

    pub fn channel(&self, kind: ChannelKind) -> Option<&ChannelEntry> {
        self.channels.iter().find(|c| c.kind == kind)
    }

    /// `channelOrder`.
    pub fn order(&self) -> Value {
        self.channels.iter().map(|c| c.kind.id()).collect()
    }

    /// `channelLabels`.
    pub fn labels(&self) -> Value {
        let map: Map<String, Value> = self
            .channels
            .iter()
            .map(|c| (c.kind.id().to_owned(), json!(c.kind.label())))
            .collect();
        Value::Object(map)
    }

    /// `health.channels`: per channel, the default account's snapshot plus
    /// `accounts` by id.
    pub fn health(&self) -> Value {
        let mut out = Map::new();
        for c in &self.channels {
            let mut accounts = Map::new();
            for a in &c.accounts {
                accounts.insert(a.account_id.clone(), a.snapshot());
            }
            let mut summary = accounts
                .get(&c.default_account)
                .cloned()
                .unwrap_or_else(|| json!({}));
            summary["accounts"] = Value::Object(accounts);
            out.insert(c.kind.id().to_owned(), summary);
        }
        Value::Object(out)
    }

    /// `status.channelSummary`: one line per channel, one per account under it.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for c in &self.channels {
            let state = c
                .accounts
                .iter()
                .find(|a| a.account_id == c.default_account)
                .map(|a| a.state_word())
                .unwrap_or_else(|| "not configured".into());
            lines.push(format!("{}: {state}", c.kind.label()));
            lines.extend(c.accounts.iter().map(|a| a.summary_line()));
        }
        lines
    }

    /// The `channels.status` payload, for all channels or one.
    pub fn channels_status(&self, only: Option<ChannelKind>) -> Value {
        let selected: Vec<&ChannelEntry> = self
            .channels
            .iter()
            .filter(|c| only.is_none_or(|k| k == c.kind))
            .collect();
        let mut channels = Map::new();
        let mut accounts = Map::new();
        let mut defaults = Map::new();
        let mut issues = Vec::new();
        for c in &selected {
            let snapshots: Vec<Value> = c.accounts.iter().map(|a| a.snapshot()).collect();
            let default = snapshots
                .iter()
                .find(|s| s["accountId"] == c.default_account.as_str());
            let mut summary =
                json!({"configured": default.is_some_and(|d| d["configured"] == true)});
            if let Some(error) = default.and_then(|d| d["lastError"].as_str()) {
                summary["lastError"] = json!(error);
            }
            for s in &snapshots {
                if s["lifecycle"] == "blocked" {
                    issues.push(json!({"channel": c.kind.id(), "accountId": s["accountId"],
                        "kind": "runtime", "message": s["lastError"],
                        "fix": "Fix the token or intent named in the message, then restart the gateway."}));
                }
            }
            issues.extend(c.issues.iter().cloned());
            channels.insert(c.kind.id().to_owned(), summary);
            accounts.insert(c.kind.id().to_owned(), Value::Array(snapshots));
            defaults.insert(c.kind.id().to_owned(), json!(c.default_account));
        }
        json!({
            "ts": now_ms(),
            "channelOrder": selected.iter().map(|c| c.kind.id()).collect::<Vec<_>>(),
            "channelLabels": selected.iter().map(|c| (c.kind.id().to_owned(), json!(c.kind.label()))).collect::<Map<_, _>>(),
            "channels": channels,
            "channelAccounts": accounts,
            "channelDefaultAccountId": defaults,
            "statusIssues": issues,
        })
    }
}
