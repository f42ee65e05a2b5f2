//! The Bot API methods of the fake Telegram.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use super::model::{self, BOT_ID, BOT_USERNAME};
use super::{Call, Delivery, Shared, WebhookState, lock};

type AppState = Arc<Shared>;

pub(super) fn router(shared: AppState) -> Router {
    Router::new()
        .route("/{bot}/{method}", any(call))
        .fallback(|| async { failure(404, "Not Found") })
        .with_state(shared)
}

fn success(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

/// The real error envelope; the HTTP status matches `error_code`.
fn failure(code: u16, description: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(json!({"ok": false, "error_code": code, "description": description})),
    )
        .into_response()
}

async fn call(
    State(shared): State<AppState>,
    Path((bot, method)): Path<(String, String)>,
    request: axum::extract::Request,
) -> Response {
    let Some(token) = bot.strip_prefix("bot") else {
        return failure(404, "Not Found");
    };
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(message) => return failure(400, &message),
    };
    // Recorded on arrival (long polls are visible while they wait).
    let index = {
        let mut calls = lock(&shared.calls);
        calls.push(Call {
            method: method.clone(),
            body: body.clone(),
            ok: true,
            at: Instant::now(),
        });
        calls.len() - 1
    };
    shared.changed.notify_waiters();
    let response = if token != lock(&shared.token).as_str() {
        failure(401, "Unauthorized")
    } else {
        answer(&shared, &method, &body).await
    };
    lock(&shared.calls)[index].ok = response.status().is_success();
    shared.changed.notify_waiters();
    response
}

/// The parameters of a call: a JSON body, or multipart/form-data fields (each a
/// JSON value or plain text), or nothing.
async fn read_body(request: axum::extract::Request) -> Result<Value, String> {
    use axum::extract::FromRequest;
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if content_type.starts_with("multipart/form-data") {
        let mut form = axum::extract::Multipart::from_request(request, &())
            .await
            .map_err(|e| format!("Bad Request: {e}"))?;
        let mut fields = serde_json::Map::new();
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| format!("Bad Request: {e}"))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let text = field
                .text()
                .await
                .map_err(|e| format!("Bad Request: {e}"))?;
            let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            fields.insert(name, value);
        }
        return Ok(Value::Object(fields));
    }
    let bytes = Bytes::from_request(request, &())
        .await
        .map_err(|e| format!("Bad Request: {e}"))?;
    if bytes.is_empty() {
        return Ok(json!({}));
    }
    if content_type.starts_with("application/json") {
        serde_json::from_slice(&bytes).map_err(|_| "Bad Request: can't parse JSON".to_owned())
    } else {
        Ok(json!({}))
    }
}

async fn answer(shared: &AppState, method: &str, body: &Value) -> Response {
    match method.to_ascii_lowercase().as_str() {
        "getme" => success(
            json!({"id": BOT_ID, "is_bot": true, "first_name": "Fake Bot",
            "username": BOT_USERNAME, "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false}),
        ),
        "getupdates" => get_updates(shared, body).await,
        "sendmessage" => send_message(shared, body),
        "sendchataction" => {
            if body["chat_id"].is_null() || body["action"].as_str().is_none() {
                return failure(400, "Bad Request: chat_id and action are required");
            }
            success(json!(true))
        }
        "setwebhook" => {
            let url = body["url"].as_str().unwrap_or_default().to_owned();
            if !url.is_empty() && !url.starts_with("https://") && !url.starts_with("http://127.") {
                return failure(
                    400,
                    "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
                );
            }
            *lock(&shared.webhook) = WebhookState {
                url,
                secret: body["secret_token"].as_str().map(str::to_owned),
            };
            // Pending updates go out by webhook now.
            let pending: Vec<Value> = lock(&shared.updates).drain(..).collect();
            let webhook = lock(&shared.webhook).clone();
            for update in pending {
                let shared = Arc::clone(shared);
                tokio::spawn(deliver(
                    shared,
                    webhook.url.clone(),
                    webhook.secret.clone(),
                    update,
                ));
            }
            success(json!(true))
        }
        "deletewebhook" => {
            *lock(&shared.webhook) = WebhookState::default();
            if body["drop_pending_updates"].as_bool() == Some(true) {
                lock(&shared.updates).clear();
            }
            success(json!(true))
        }
        "getwebhookinfo" => {
            let url = lock(&shared.webhook).url.clone();
            success(json!({"url": url, "has_custom_certificate": false,
                           "pending_update_count": lock(&shared.updates).len()}))
        }
        _ => failure(404, "Not Found"),
    }
}

async fn get_updates(shared: &Shared, body: &Value) -> Response {
    if !lock(&shared.webhook).url.is_empty() {
        return failure(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        );
    }
    let offset = body["offset"].as_i64().unwrap_or(0);
    let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0).min(50));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let arrived = shared.arrived.notified();
        {
            let mut updates = lock(&shared.updates);
            // Confirmed updates (id < offset) are gone for good.
            if offset > 0 {
                updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            }
            if !updates.is_empty() {
                let batch: Vec<Value> = updates.iter().take(limit).cloned().collect();
                return success(Value::Array(batch));
            }
        }
        if tokio::time::timeout_at(deadline, arrived).await.is_err() {
            return success(json!([]));
        }
    }
}

fn send_message(shared: &Shared, body: &Value) -> Response {
    if let Some(retry_after) = lock(&shared.scripted_retry_after).pop_front() {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"ok": false, "error_code": 429,
                "description": format!("Too Many Requests: retry after {retry_after}"),
                "parameters": {"retry_after": retry_after}})),
        )
            .into_response();
    }
    let Some(chat_id) = body["chat_id"].as_i64() else {
        return failure(400, "Bad Request: chat not found");
    };
    let text = body["text"].as_str().unwrap_or_default();
    if text.trim().is_empty() {
        return failure(400, "Bad Request: message text is empty");
    }
    if text.encode_utf16().count() > 4096 {
        return failure(400, "Bad Request: message is too long");
    }
    let message_id = {
        let mut id = lock(&shared.next_message_id);
        *id += 1;
        *id
    };
    success(model::bot_message(message_id, chat_id, text))
}

/// POSTs `update` to the webhook as Telegram does and records the bot's answer.
pub(super) async fn deliver(
    shared: Arc<Shared>,
    url: String,
    secret: Option<String>,
    update: Value,
) {
    let mut request = shared.http.post(&url).json(&update);
    if let Some(secret) = secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    let status = match request.send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    };
    lock(&shared.deliveries).push(Delivery {
        update_id: update["update_id"].as_i64().unwrap_or_default(),
        status,
    });
    shared.changed.notify_waiters();
}
