//! Outbound messages over the control plane: `send` (what the original's clients
//! and tools use to post to a channel) and `message.action` with action `send`
//! (`openclaw message send`), delivered by the account's Discord or Telegram bot.
//! Text only: this gateway's channels carry no media.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Runtime;
use super::config::DEFAULT_ACCOUNT;
use super::status::ChannelKind;
use crate::state::GatewayBuilder;
use crate::ws::errors::{ErrorCode, ErrorShape};
use crate::ws::registry::{Call, CallResult};
use crate::ws::scopes::Scope;

/// Where a message went: the original's `chatId` (Telegram) or `channelId` (Discord).
#[derive(Debug, Clone)]
pub struct Delivered {
    pub key: &'static str,
    pub target: String,
}

/// Replies remembered per idempotency key, so a retried request is not posted twice.
const REMEMBERED: usize = 256;

#[derive(Default)]
struct Sent(Mutex<VecDeque<(String, Value)>>);

impl Sent {
    fn get(&self, key: &str) -> Option<Value> {
        let s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        s.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn put(&self, key: &str, value: &Value) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if s.len() == REMEMBERED {
            s.pop_front();
        }
        s.push_back((key.to_owned(), value.clone()));
    }
}

pub fn register(builder: &mut GatewayBuilder, runtime: Arc<Runtime>) {
    let sent = Arc::new(Sent::default());
    let (rt, memo) = (runtime.clone(), sent.clone());
    builder
        .methods
        .register("send", Scope::Write, move |call: Call| {
            let (rt, memo) = (rt.clone(), memo.clone());
            async move { send(&rt, &memo, &call).await }
        });
    builder
        .methods
        .register("message.action", Scope::Write, move |call: Call| {
            let (rt, memo) = (runtime.clone(), sent.clone());
            async move { message_action(&rt, &memo, &call).await }
        });
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendParams {
    to: String,
    message: Option<String>,
    media_url: Option<String>,
    media_urls: Option<Vec<String>>,
    buffer: Option<String>,
    channel: Option<String>,
    account_id: Option<String>,
    idempotency_key: String,
}

async fn send(rt: &Runtime, memo: &Sent, call: &Call) -> CallResult {
    let p: SendParams = crate::system::parse(call, "send")?;
    if p.media_url.is_some()
        || p.media_urls.as_ref().is_some_and(|m| !m.is_empty())
        || p.buffer.is_some()
    {
        return Err(ErrorShape::invalid_request(
            "this gateway's channels send text only; remove mediaUrl/mediaUrls/buffer",
        ));
    }
    let text = p.message.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ErrorShape::invalid_request(
            "invalid send params: message required",
        ));
    }
    if let Some(done) = memo.get(&p.idempotency_key) {
        return Ok(done);
    }
    let kind = channel_of(rt, p.channel.as_deref(), &p.to)?;
    let delivered = deliver(rt, kind, p.account_id.as_deref(), &p.to, &text).await?;
    let mut out = json!({"runId": p.idempotency_key, "channel": kind.id()});
    out[delivered.key] = json!(delivered.target);
    memo.put(&p.idempotency_key, &out);
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionParams {
    channel: String,
    action: String,
    params: Map<String, Value>,
    account_id: Option<String>,
    idempotency_key: String,
}

async fn message_action(rt: &Runtime, memo: &Sent, call: &Call) -> CallResult {
    let p: ActionParams = crate::system::parse(call, "message.action")?;
    let kind = ChannelKind::parse(&p.channel).ok_or_else(|| unconfigured(&p.channel))?;
    if p.action != "send" {
        return Err(ErrorShape::invalid_request(format!(
            "Channel {} does not support action {}.",
            p.channel, p.action
        )));
    }
    let target = p
        .params
        .get("target")
        .or_else(|| p.params.get("to"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ErrorShape::invalid_request("message.action send: params.target required")
        })?;
    let text = p
        .params
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ErrorShape::invalid_request(
            "message.action send: params.message required",
        ));
    }
    if p.params.get("media").is_some_and(|m| !m.is_null()) {
        return Err(ErrorShape::invalid_request(
            "this gateway's channels send text only; remove media",
        ));
    }
    if let Some(done) = memo.get(&p.idempotency_key) {
        return Ok(done);
    }
    let account = p
        .account_id
        .as_deref()
        .or_else(|| p.params.get("accountId").and_then(Value::as_str));
    let delivered = deliver(rt, kind, account, target, text).await?;
    let mut out = json!({"ok": true, "channel": kind.id(), "action": "send"});
    out[delivered.key] = json!(delivered.target);
    memo.put(&p.idempotency_key, &out);
    Ok(out)
}

/// The channel named, or the one a `<channel>:<id>` target names, or the only one.
fn channel_of(rt: &Runtime, channel: Option<&str>, to: &str) -> Result<ChannelKind, ErrorShape> {
    if let Some(c) = channel.filter(|c| !c.is_empty()) {
        return ChannelKind::parse(c).ok_or_else(|| unconfigured(c));
    }
    if let Some(kind) = to.split_once(':').and_then(|(c, _)| ChannelKind::parse(c)) {
        return Ok(kind);
    }
    let configured: Vec<ChannelKind> = ChannelKind::ALL
        .into_iter()
        .filter(|k| rt.registry.channel(*k).is_some())
        .collect();
    match configured.as_slice() {
        [only] => Ok(*only),
        [] => Err(ErrorShape::new(
            ErrorCode::Unavailable,
            "no channel is configured to send with",
        )),
        _ => Err(ErrorShape::invalid_request(
            "several channels are configured: name one with \"channel\" (discord or telegram)",
        )),
    }
}

async fn deliver(
    rt: &Runtime,
    kind: ChannelKind,
    account: Option<&str>,
    to: &str,
    text: &str,
) -> Result<Delivered, ErrorShape> {
    let account = account.filter(|a| !a.is_empty()).unwrap_or(DEFAULT_ACCOUNT);
    let Some(deliverer) = rt.deliverer(kind, account) else {
        return Err(if rt.registry.channel(kind).is_none() {
            unconfigured(kind.id())
        } else {
            ErrorShape::new(
                ErrorCode::Unavailable,
                format!(
                    "{} account \"{account}\" is not running (see channels.status)",
                    kind.id()
                ),
            )
        });
    };
    let result = deliverer(to.to_owned(), text.to_owned()).await;
    match result {
        Ok(d) => {
            tracing::info!(target: "channels", "[{}] sent a message to {to} (account {account})", kind.id());
            Ok(d)
        }
        Err(e) => Err(ErrorShape::new(
            ErrorCode::Unavailable,
            format!("{} delivery failed: {e}", kind.id()),
        )),
    }
}

fn unconfigured(channel: &str) -> ErrorShape {
    ErrorShape::new(
        ErrorCode::Unavailable,
        format!(
            "PlatformMessageNotDispatchedError: Outbound not configured for channel: {channel}"
        ),
    )
}
