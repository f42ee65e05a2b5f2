//! The REST side of the fake Discord (`/api/v10/...`), and the WebSocket upgrade.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use super::model::{self, BOT_ID, BOT_NAME};
use super::{Posted, Recorded, Shared, lock};

type AppState = Arc<Shared>;

pub(super) fn router(shared: AppState) -> Router {
    let api = Router::new()
        .route("/gateway", get(gateway_url))
        .route("/gateway/bot", get(gateway_bot))
        .route("/users/@me", get(current_user))
        .route("/users/@me/channels", post(open_dm))
        .route("/oauth2/applications/@me", get(application))
        .route("/channels/{id}", get(channel))
        .route("/channels/{id}/messages", post(post_message))
        .route("/channels/{id}/typing", post(typing))
        .fallback(not_found);
    Router::new()
        .nest("/api/v10", api)
        .route("/", any(super::gateway::upgrade))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// Records every REST request (method, path, auth, status) and refuses bad tokens.
async fn record(
    State(shared): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let authorization = header(req.headers(), "authorization");
    let user_agent = header(req.headers(), "user-agent");
    let is_api = path.starts_with("/api/");
    let response = if is_api && !shared.valid_token(authorization.as_deref()) {
        error(StatusCode::UNAUTHORIZED, 0, "401: Unauthorized")
    } else {
        next.run(req).await
    };
    if is_api {
        lock(&shared.requests).push(Recorded {
            method,
            path,
            authorization,
            user_agent,
            status: response.status().as_u16(),
            at: Instant::now(),
        });
        shared.changed.notify_waiters();
    }
    response
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"message": message, "code": code})),
    )
        .into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, 0, "404: Not Found")
}

fn ws_url(shared: &Shared) -> String {
    shared.origin.replacen("http://", "ws://", 1)
}

async fn gateway_url(State(shared): State<AppState>) -> Response {
    axum::Json(json!({"url": ws_url(&shared)})).into_response()
}

async fn gateway_bot(State(shared): State<AppState>) -> Response {
    axum::Json(json!({"url": ws_url(&shared), "shards": 1,
        "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}))
    .into_response()
}

async fn current_user() -> Response {
    axum::Json(
        json!({"id": BOT_ID, "username": BOT_NAME, "discriminator": "0", "bot": true,
        "avatar": null, "verified": true, "mfa_enabled": false, "flags": 0}),
    )
    .into_response()
}

/// Opens (or returns) the DM channel with a user: its id is derived from theirs.
async fn open_dm(State(shared): State<AppState>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(user) = body["recipient_id"].as_str().map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
    };
    let channel_id = format!("4{}", &user[1..]);
    lock(&shared.dm_channels).push((channel_id.clone(), user.clone()));
    axum::Json(json!({"id": channel_id, "type": 1, "last_message_id": null,
        "recipients": [model::user(&user, "someone", false)]}))
    .into_response()
}

async fn application() -> Response {
    axum::Json(
        json!({"id": BOT_ID, "name": BOT_NAME, "description": "", "bot_public": true,
        "bot_require_code_grant": false, "verify_key": "00", "flags": 0}),
    )
    .into_response()
}

async fn channel(State(shared): State<AppState>, Path(id): Path<String>) -> Response {
    let channels = lock(&shared.channels);
    let Some(info) = channels.get(&id) else {
        return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel");
    };
    axum::Json(
        json!({"id": id, "type": 0, "guild_id": info.guild_id, "name": info.name,
        "position": 0, "permission_overwrites": [], "nsfw": false, "parent_id": info.parent_id}),
    )
    .into_response()
}

async fn post_message(
    State(shared): State<AppState>,
    Path(channel_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(retry_after) = lock(&shared.scripted_429).pop_front() {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({"message": "You are being rate limited.",
                              "retry_after": retry_after, "global": false, "code": 0})),
        )
            .into_response();
        let headers = r.headers_mut();
        let secs = retry_after.ceil().max(1.0).to_string();
        headers.insert("retry-after", secs.parse().expect("header value"));
        headers.insert("x-ratelimit-scope", "user".parse().expect("header value"));
        headers.insert("x-ratelimit-remaining", "0".parse().expect("header value"));
        headers.insert(
            "x-ratelimit-reset-after",
            retry_after.to_string().parse().expect("header value"),
        );
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            50109,
            "The request body contains invalid JSON.",
        );
    };
    let content = body["content"].as_str().unwrap_or_default().to_owned();
    if content.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            50006,
            "Cannot send an empty message",
        );
    }
    if content.chars().count() > 2000 {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "Invalid Form Body", "code": 50035,
                "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                    "message": "Must be 2000 or fewer in length."}]}}})),
        )
            .into_response();
    }
    let id = shared.snowflake();
    let guild_id = lock(&shared.channels)
        .get(&channel_id)
        .map(|c| c.guild_id.clone());
    let message = model::message(
        &id,
        &channel_id,
        guild_id.as_deref(),
        &model::user(BOT_ID, BOT_NAME, true),
        &content,
    );
    lock(&shared.posted).push(Posted {
        channel_id: channel_id.clone(),
        content,
        body,
        at: Instant::now(),
    });
    // Discord sends the bot its own message too; a bot that answers it loops.
    shared.dispatch("MESSAGE_CREATE", message.clone());
    shared.changed.notify_waiters();
    let mut r = axum::Json(message).into_response();
    r.headers_mut()
        .insert("x-ratelimit-limit", "5".parse().expect("header value"));
    r
}

async fn typing(State(shared): State<AppState>, Path(channel_id): Path<String>) -> Response {
    lock(&shared.typing).push((channel_id, Instant::now()));
    shared.changed.notify_waiters();
    StatusCode::NO_CONTENT.into_response()
}
