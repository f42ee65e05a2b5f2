//! The Control UI: our embedded page by default; an installed official build when
//! `OPENCLAW_CONTROL_UI_DIR` (or `gateway.controlUi.root`) names one.

mod embedded;
mod official;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub use embedded::asset_routes;

use crate::state::Gateway;

/// A browser's request for `/` or any path no other route took.
pub async fn page(gateway: &Gateway, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    if !gateway.settings.control_ui.enabled {
        return super::not_found();
    }
    let Some(root) = &gateway.settings.control_ui.root else {
        return embedded::page(method, uri.path());
    };
    let query = uri.query().unwrap_or("");
    match official::serve(gateway, root, method, uri.path(), query, headers).await {
        Some(response) => response,
        None if method == Method::HEAD => StatusCode::NOT_FOUND.into_response(),
        None => super::not_found(),
    }
}

/// The fallback route: the Control UI decides.
pub async fn fallback(State(gateway): State<Arc<Gateway>>, request: Request) -> Response {
    page(&gateway, request.method(), request.uri(), request.headers()).await
}

/// `controlUiBuildSource` for `hello-ok`: `configured` when an installed build is
/// served (its own build id is then not compared with ours), else `bundled`.
pub fn build_source(gateway: &Gateway) -> &'static str {
    if gateway.settings.control_ui.root.is_some() {
        "configured"
    } else {
        "bundled"
    }
}
