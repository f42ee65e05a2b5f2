//! Our embedded Control UI: one static page (HTML, JS, CSS compiled into the binary), no build step.
//!
//! Served at `/` and, like the original's single-page app, at any extension-less GET path
//! that is not an API route. A strict CSP allows only our own script and style files and
//! WebSocket connections back to this gateway.

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::Gateway;

const INDEX_HTML: &str = include_str!("../../ui/index.html");
const APP_JS: &str = include_str!("../../ui/app.js");
const CHAT_JS: &str = include_str!("../../ui/chat.js");
const CHANNELS_JS: &str = include_str!("../../ui/channels.js");
const APP_CSS: &str = include_str!("../../ui/app.css");

/// Only our own files, no inline code, no framing, WebSockets to this origin.
const CSP: &str = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:";

pub fn asset_routes() -> Router<Arc<Gateway>> {
    Router::new()
        .route(
            "/control-ui/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/control-ui/chat.js",
            get(|| async { asset("text/javascript; charset=utf-8", CHAT_JS) }),
        )
        .route(
            "/control-ui/channels.js",
            get(|| async { asset("text/javascript; charset=utf-8", CHANNELS_JS) }),
        )
        .route(
            "/control-ui/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The page for `/` and client-side routes (extension-less GET paths that are not API
/// routes); files, API paths and other methods get 404.
pub fn page(method: &Method, path: &str) -> Response {
    let last = path.rsplit('/').next().unwrap_or("");
    let api = ["/api/", "/v1/", "/tools/"]
        .iter()
        .any(|p| path.starts_with(p));
    if *method == Method::GET && !last.contains('.') && !api {
        return index();
    }
    if *method == Method::HEAD {
        return StatusCode::NOT_FOUND.into_response();
    }
    super::super::not_found()
}

fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        INDEX_HTML,
    )
        .into_response()
}
