//! The channels' WebSocket methods: `channels.status` (`operator.read`) and the
//! DM pairing queue, `channels.pairing.list|approve|dismiss` (`operator.pairing`),
//! with the original's parameters and result shapes.

use std::future::Future;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::Runtime;
use super::config::DmPolicy;
use super::pairing::{MAX_PENDING, Request, TTL_MS};
use super::status::ChannelKind;
use crate::state::GatewayBuilder;
use crate::ws::errors::{ErrorCode, ErrorShape};
use crate::ws::registry::{Call, CallResult};
use crate::ws::scopes::Scope;

pub fn register(builder: &mut GatewayBuilder, runtime: Arc<Runtime>) {
    method(builder, &runtime, "channels.status", Scope::Read, status);
    method(
        builder,
        &runtime,
        "channels.pairing.list",
        Scope::Pairing,
        list,
    );
    method(
        builder,
        &runtime,
        "channels.pairing.approve",
        Scope::Pairing,
        approve,
    );
    method(
        builder,
        &runtime,
        "channels.pairing.dismiss",
        Scope::Pairing,
        dismiss,
    );
}

/// Registers `name`: its params are read into `P` (unknown keys refused) and
/// handed to `handler` with the runtime.
fn method<P, F, Fut>(
    builder: &mut GatewayBuilder,
    runtime: &Arc<Runtime>,
    name: &'static str,
    scope: Scope,
    handler: F,
) where
    P: for<'de> Deserialize<'de> + Send + 'static,
    F: Fn(Arc<Runtime>, P) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = CallResult> + Send + 'static,
{
    let rt = runtime.clone();
    builder.methods.register(name, scope, move |call: Call| {
        let rt = rt.clone();
        async move { handler(rt, params::<P>(&call, name)?).await }
    });
}

async fn status(rt: Arc<Runtime>, p: StatusParams) -> CallResult {
    let only = match p.channel.as_deref() {
        None => None,
        Some(c) => Some(ChannelKind::parse(c).ok_or_else(|| {
            invalid(format!(
                "unknown channel: {c} (this gateway runs discord and telegram)"
            ))
        })?),
    };
    Ok(rt.registry.channels_status(only))
}

async fn dismiss(rt: Arc<Runtime>, p: DismissParams) -> CallResult {
    let (kind, account) = pairing_account(&rt, &p.channel, p.account_id.as_deref())?;
    match rt.pairing.dismiss(kind.id(), &account, &p.request_id) {
        Ok(Some(r)) => Ok(json!({"requestId": p.request_id, "senderId": r.id})),
        Ok(None) => Err(invalid("pending DM access request no longer exists")),
        Err(e) => Err(unavailable(e.to_string())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StatusParams {
    #[allow(dead_code)]
    probe: Option<bool>,
    #[allow(dead_code)]
    timeout_ms: Option<u64>,
    channel: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListParams {
    channel: Option<String>,
    account_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ApproveParams {
    channel: String,
    /// The original requires it; omitted means the channel's default account.
    account_id: Option<String>,
    /// The request id from `channels.pairing.list`, or the code the sender got.
    request_id: String,
    notify: Option<bool>,
    bootstrap_command_owner: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DismissParams {
    channel: String,
    account_id: Option<String>,
    request_id: String,
}

fn params<T: for<'de> Deserialize<'de>>(call: &Call, method: &str) -> Result<T, ErrorShape> {
    match &call.params {
        None | Some(Value::Null) => serde_json::from_value(json!({}))
            .map_err(|e| invalid(format!("invalid {method} params: {e}"))),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| invalid(format!("invalid {method} params: {e}"))),
    }
}

fn invalid(message: impl Into<String>) -> ErrorShape {
    ErrorShape::new(ErrorCode::InvalidRequest, message)
}

fn unavailable(message: impl Into<String>) -> ErrorShape {
    let mut e = ErrorShape::new(ErrorCode::Unavailable, message);
    e.retryable = Some(true);
    e
}

/// Accounts whose DM policy is `pairing`, as `(channel, account id)`.
fn pairing_accounts(rt: &Runtime) -> Vec<(ChannelKind, String, Option<String>)> {
    let mut out = Vec::new();
    if let Some(d) = &rt.config.discord {
        out.extend(
            d.accounts
                .iter()
                .filter(|a| a.enabled && a.access.dm_policy == DmPolicy::Pairing)
                .map(|a| (ChannelKind::Discord, a.id.clone(), a.name.clone())),
        );
    }
    if let Some(t) = &rt.config.telegram {
        out.extend(
            t.accounts
                .iter()
                .filter(|a| a.enabled && a.access.dm_policy == DmPolicy::Pairing)
                .map(|a| (ChannelKind::Telegram, a.id.clone(), a.name.clone())),
        );
    }
    out
}

fn pairing_account(
    rt: &Runtime,
    channel: &str,
    account: Option<&str>,
) -> Result<(ChannelKind, String), ErrorShape> {
    let kind = ChannelKind::parse(channel)
        .ok_or_else(|| invalid(format!("unknown pairing channel: {channel}")))?;
    let account = match account {
        Some(a) => a.to_owned(),
        None => rt
            .registry
            .channel(kind)
            .map(|c| c.default_account.clone())
            .unwrap_or_else(|| super::config::DEFAULT_ACCOUNT.to_owned()),
    };
    if !pairing_accounts(rt)
        .iter()
        .any(|(k, a, _)| *k == kind && *a == account)
    {
        return Err(invalid(format!(
            "channel account does not use DM pairing: {}:{account}",
            kind.id()
        )));
    }
    Ok((kind, account))
}

fn sender_label(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Discord => "Discord user id",
        ChannelKind::Telegram => "Telegram user id",
    }
}

async fn list(rt: Arc<Runtime>, p: ListParams) -> CallResult {
    let rt = rt.as_ref();
    let wanted = match p.channel.as_deref() {
        None => None,
        Some(c) => Some(
            ChannelKind::parse(c)
                .ok_or_else(|| invalid(format!("unknown pairing channel: {c}")))?,
        ),
    };
    let accounts: Vec<_> = pairing_accounts(rt)
        .into_iter()
        .filter(|(k, a, _)| {
            wanted.is_none_or(|w| w == *k) && p.account_id.as_deref().is_none_or(|id| id == a)
        })
        .collect();
    let mut requests = Vec::new();
    for (kind, account, label) in &accounts {
        for r in rt.pairing.pending(kind.id(), Some(account)) {
            requests.push(public_request(rt, *kind, account, label.as_deref(), &r));
        }
    }
    Ok(json!({
        "accounts": accounts.iter().map(|(kind, account, label)| {
            let mut a = json!({"channel": kind.id(), "channelLabel": kind.label(), "accountId": account,
                               "notifySupported": rt.notifier(*kind, account).is_some()});
            if let Some(l) = label { a["accountLabel"] = json!(l); }
            a
        }).collect::<Vec<_>>(),
        "requests": requests,
        "commandOwnerConfigured": false,
        "limits": {"pendingPerAccount": MAX_PENDING, "ttlMs": TTL_MS},
    }))
}

fn public_request(
    rt: &Runtime,
    kind: ChannelKind,
    account: &str,
    label: Option<&str>,
    r: &Request,
) -> Value {
    let expires = r
        .created_at
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| {
            t.checked_add(jiff::SignedDuration::from_millis(TTL_MS))
                .ok()
        })
        .map(|t| t.to_string());
    let metadata: serde_json::Map<String, Value> = r
        .meta
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, v)| k != "accountId" && !v.is_null())
        .collect();
    let mut v = json!({
        "requestId": r.request_id(kind.id()),
        "code": r.code,
        "channel": kind.id(),
        "channelLabel": kind.label(),
        "accountId": account,
        "senderId": r.id,
        "senderLabel": sender_label(kind),
        "createdAt": r.created_at,
        "lastSeenAt": r.last_seen_at,
        "expiresAt": expires,
        "notifySupported": rt.notifier(kind, account).is_some(),
    });
    if !metadata.is_empty() {
        v["metadata"] = Value::Object(metadata);
    }
    if let Some(l) = label {
        v["accountLabel"] = json!(l);
    }
    v
}

async fn approve(rt: Arc<Runtime>, p: ApproveParams) -> CallResult {
    let rt = rt.as_ref();
    let (kind, account) = pairing_account(rt, &p.channel, p.account_id.as_deref())?;
    let approved = match rt.pairing.approve(kind.id(), &account, &p.request_id) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(invalid("pending DM access request no longer exists")),
        Err(e) => return Err(unavailable(e.to_string())),
    };
    tracing::info!(target: "channels", "approved {} DM access for {} on account {account}", kind.id(), approved.id);
    let notification = if p.notify == Some(true) {
        match rt.notifier(kind, &account) {
            None => "unsupported",
            Some(notify) => match notify(approved.id.clone()).await {
                Ok(()) => "sent",
                Err(e) => {
                    tracing::warn!(target: "channels", "could not tell {} their DM access was approved: {e}", approved.id);
                    "failed"
                }
            },
        }
    } else {
        "not-requested"
    };
    Ok(json!({
        "requestId": p.request_id,
        "senderId": approved.id,
        "notification": notification,
        "commandOwnerBootstrap": if p.bootstrap_command_owner == Some(true) { "unavailable" } else { "not-requested" },
    }))
}
