//! Serving an installed official Control UI build (`OPENCLAW_CONTROL_UI_DIR` or
//! `gateway.controlUi.root`, e.g. the npm package's `dist/control-ui`) as the Node
//! gateway serves its own: client-side routes get the app shell, `/assets/…` files are
//! cached for a year and sent precompressed when the build has `.br`/`.gz` twins,
//! `basePath` mounts it under a prefix, and the shell's CSP allows only its own
//! inline scripts.

mod bootstrap;
mod files;
mod index_html;
mod route;

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::Gateway;
use route::Route;

/// The response for a request, or `None` when it is not the Control UI's (the caller
/// answers 404 or routes it elsewhere).
pub async fn serve(
    gateway: &Gateway,
    root: &Path,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    let base = gateway.settings.control_ui.base_path.as_str();
    let is_read = method == Method::GET || method == Method::HEAD;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let spa_fallback = match route::classify(base, path, query, is_read, accept) {
        Route::Elsewhere => return None,
        Route::NotFound => return Some(not_found()),
        Route::Redirect(location) => {
            return Some(secured(
                (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
            ));
        }
        Route::Serve { spa_fallback } => spa_fallback,
    };
    if bootstrap::is_bootstrap_path(base, path) {
        return Some(secured(bootstrap_response(gateway, method, headers)));
    }
    let Some(rel) = route::safe_relative_path(&route::requested_file(base, path)) else {
        tracing::warn!(target: "gateway", "control ui: refused path {path:?} (outside the build)");
        return Some(not_found());
    };
    if files::is_precompressed_twin(&rel) {
        return Some(not_found());
    }
    let response = match respond(root, &rel, method, headers, base, spa_fallback).await {
        Ok(Some(r)) => r,
        Ok(None) => return None,
        Err(e) => {
            tracing::error!(target: "gateway", "control ui: cannot read {rel} under {}: {e}", root.display());
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Control UI file unreadable",
            )
                .into_response()
        }
    };
    Some(secured(response))
}

async fn respond(
    root: &Path,
    rel: &str,
    method: &Method,
    headers: &HeaderMap,
    base: &str,
    spa_fallback: bool,
) -> std::io::Result<Option<Response>> {
    if !rel.ends_with("index.html")
        && let Some(file) = files::resolve(root, rel)?
    {
        return asset(root, rel, &file, method, headers).await.map(Some);
    }
    if rel != "index.html" && (files::is_static_asset(rel) || !spa_fallback) {
        return Ok(if files::is_static_asset(rel) {
            Some(not_found())
        } else {
            None
        });
    }
    let Some(index) = files::resolve(root, "index.html")? else {
        tracing::error!(target: "gateway", "control ui: no index.html in {}", root.display());
        return Ok(Some(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                format!(
                    "Control UI assets not found at {}. Point OPENCLAW_CONTROL_UI_DIR (or gateway.controlUi.root) at a Control UI build, e.g. node_modules/openclaw/dist/control-ui.",
                    root.display()
                ),
            )
                .into_response(),
        ));
    };
    let html = tokio::fs::read_to_string(&index.path).await?;
    let page = index_html::prepare(&html, base);
    let csp = index_html::csp(&index_html::inline_script_hashes(&page));
    let mut response = Response::new(if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(page)
    });
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(Some(response))
}

/// A build file: its best acceptable representation, `304` when unchanged.
async fn asset(
    root: &Path,
    rel: &str,
    file: &files::BuildFile,
    method: &Method,
    headers: &HeaderMap,
) -> std::io::Result<Response> {
    let immutable = route::is_fingerprinted(rel);
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let modified = files::last_modified_secs(file.modified);
    let last_modified = httpdate(modified);
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let mut chosen = None;
    for coding in files::encodings(accept) {
        if coding == "identity" {
            chosen = Some((coding, file.path.clone(), file.len));
            break;
        }
        if !(immutable && files::is_compressible(rel)) {
            continue;
        }
        let suffix = if coding == "br" { "br" } else { "gz" };
        if let Some(twin) = files::resolve(root, &format!("{rel}.{suffix}"))? {
            chosen = Some((coding, twin.path, twin.len));
            break;
        }
    }
    let Some((coding, path, len)) = chosen else {
        return Ok((
            StatusCode::NOT_ACCEPTABLE,
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::VARY, "Accept-Encoding"),
            ],
            "Not Acceptable",
        )
            .into_response());
    };
    let unmodified = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_httpdate)
        .is_some_and(|since| since >= modified)
        && headers.get(header::IF_NONE_MATCH).is_none();
    let mut response = if unmodified {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else if method == Method::HEAD {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(tokio::fs::read(&path).await?))
    };
    let h = response.headers_mut();
    if !unmodified {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(files::content_type(rel)),
        );
        if method == Method::HEAD {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        if coding != "identity" && files::is_compressible(rel) {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    Ok(response)
}

fn bootstrap_response(gateway: &Gateway, method: &Method, headers: &HeaderMap) -> Response {
    if !super::super::authorized(gateway, headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            r#"{"error":{"message":"Unauthorized","type":"unauthorized"}}"#,
        )
            .into_response();
    }
    let body = if method == Method::HEAD {
        String::new()
    } else {
        bootstrap::document(gateway).to_string()
    };
    (
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The original's Control UI headers (the shell replaces the CSP with its own).
fn secured(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(ASSET_CSP));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=*, geolocation=*, clipboard-write=*"),
    );
    response
}

const ASSET_CSP: &str = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; frame-src 'self' http: https:; script-src 'self'; style-src 'self' 'unsafe-inline' https://fonts.googleapis.com; img-src 'self' data: blob: https:; media-src 'self' data: blob:; font-src 'self' https://fonts.gstatic.com; worker-src 'self'; connect-src 'self' ws: wss: data: https://api.openai.com https://tweakcn.com";

fn not_found() -> Response {
    secured(super::super::not_found())
}

/// RFC 7231 IMF-fixdate for a Unix time.
fn httpdate(secs: u64) -> String {
    let ts = jiff::Timestamp::from_second(secs as i64).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_httpdate(s: &str) -> Option<u64> {
    let t = jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", s.trim()).ok()?;
    let dt = t.to_datetime().ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    u64::try_from(ts.as_second()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        assert_eq!(httpdate(1_796_321_886), "Thu, 03 Dec 2026 18:18:06 GMT");
        assert_eq!(
            parse_httpdate("Thu, 03 Dec 2026 18:18:06 GMT"),
            Some(1_796_321_886)
        );
        assert_eq!(parse_httpdate("yesterday"), None);
    }
}
