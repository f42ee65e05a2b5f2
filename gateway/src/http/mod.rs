//! HTTP on the gateway port: probes, the Control UI, and the WebSocket upgrade on `/`.

mod control_ui;
mod probes;
mod security;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::Gateway;
use crate::ws::frames::MAX_PAYLOAD;
use crate::ws::origin::Peer;

pub use control_ui::build_source as control_ui_build_source;

/// The whole HTTP surface.
pub fn router(gateway: Arc<Gateway>) -> Router {
    let subsystems = gateway.routes.clone();
    Router::new()
        .route("/", get(root))
        .merge(probes::routes())
        .merge(control_ui::asset_routes())
        .fallback(control_ui::fallback)
        .with_state(gateway)
        .merge(subsystems)
        .layer(axum::middleware::from_fn(security::headers))
}

/// `/`: a WebSocket upgrade joins the control plane; a browser gets the Control UI.
async fn root(
    State(gateway): State<Arc<Gateway>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return control_ui::page(&gateway, &method, &uri, &headers).await;
    };
    let peer = Peer::from_request(addr.ip(), &headers, &gateway.settings.trusted_proxies);
    upgrade
        .max_message_size(MAX_PAYLOAD)
        .max_frame_size(MAX_PAYLOAD)
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| {
            let tracker = gateway.connections.clone();
            tracker.track_future(crate::ws::connection::run(gateway, socket, peer))
        })
}

/// Whether an HTTP request carries this gateway's credentials
/// (`Authorization: Bearer <shared secret or device token>`); always true under
/// `gateway.auth.mode: none`.
pub(crate) fn authorized(gateway: &Gateway, headers: &HeaderMap) -> bool {
    let Some(secret) = &gateway.settings.auth.shared_secret else {
        return gateway.settings.auth.mode == crate::config::AuthMode::None;
    };
    let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return false;
    };
    secret.matches(token) || gateway.devices.find_by_token(token).is_some()
}

/// `404 Not Found` as plain text.
pub(crate) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        "Not Found",
    )
        .into_response()
}
