//! HTTP on the gateway port: probes, the Control UI, and the WebSocket upgrade on `/`.

mod control_ui;
mod probes;
mod security;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::Gateway;
use crate::ws::frames::MAX_PAYLOAD;
use crate::ws::origin::Peer;

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
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return control_ui::index(&gateway);
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
