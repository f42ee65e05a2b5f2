//! The app shell (`index.html`) as the original serves it: asset links anchored at the
//! mount, the mount and feature attributes on `<html>`, and a CSP that allows exactly
//! the page's own inline scripts by hash.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::route::ROOT_PUBLIC_ASSETS;

const BASE_PATH_ATTRIBUTE: &str = "data-openclaw-control-ui-base-path";
const TERMINAL_ATTRIBUTE: &str = "data-openclaw-terminal-enabled";
const BUILD_ID_ATTRIBUTE: &str = "data-openclaw-control-ui-build-id";

/// `index.html` rewritten for `base_path`: `./assets/…` and the root icons point at
/// the mount (icons carry `?v=<build id>` when the build declares one), and `<html>`
/// gets the mount and `data-openclaw-terminal-enabled="false"` (this gateway has no
/// operator terminal), keeping the build id last as the original does.
pub fn prepare(html: &str, base_path: &str) -> String {
    let build_id = build_id(html);
    let version = build_id
        .as_deref()
        .map(|id| format!("?v={}", url_component(id)))
        .unwrap_or_default();
    let mut out = html
        .replace("src=\"./assets/", &format!("src=\"{base_path}/assets/"))
        .replace("href=\"./assets/", &format!("href=\"{base_path}/assets/"));
    for asset in ROOT_PUBLIC_ASSETS {
        let v = if asset == "sw.js" {
            ""
        } else {
            version.as_str()
        };
        let target = format!("href=\"{base_path}/{asset}{v}\"");
        out = out.replace(&format!("href=\"./{asset}\""), &target);
    }
    let Some(start) = out.find("<html") else {
        return out;
    };
    let end = start + out[start..].find('>').unwrap_or(0);
    let tag = &out[start..end];
    let mut rest = tag["<html".len()..].to_owned();
    if let Some(id) = &build_id {
        rest = rest.replace(&format!(" {BUILD_ID_ATTRIBUTE}=\"{id}\""), "");
    }
    let build = build_id
        .as_deref()
        .map(|id| format!(" {BUILD_ID_ATTRIBUTE}=\"{}\"", escape_attr(id)))
        .unwrap_or_default();
    let new_tag = format!(
        "<html {BASE_PATH_ATTRIBUTE}=\"{}\" {TERMINAL_ATTRIBUTE}=\"false\"{build}{rest}",
        escape_attr(base_path)
    );
    out.replace_range(start..end, &new_tag);
    out
}

/// The build id the Control UI build stamps on `<html>`.
pub fn build_id(html: &str) -> Option<String> {
    let start = html.find(&format!("{BUILD_ID_ATTRIBUTE}=\""))? + BUILD_ID_ATTRIBUTE.len() + 2;
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

/// `sha256-<base64>` of every non-empty inline `<script>` (one without `src`).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(open) = lower[at..].find("<script").map(|i| at + i) {
        let after_name = open + "<script".len();
        // `<scripts>` or `<script-x>` is not a script element.
        if !lower[after_name..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace()) {
            at = after_name;
            continue;
        }
        let Some(tag_end) = lower[open..].find('>').map(|i| open + i) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script>").map(|i| tag_end + i) else {
            break;
        };
        let content = &html[tag_end + 1..close];
        if !has_src(&lower[open..tag_end]) && !content.is_empty() {
            hashes.push(format!(
                "sha256-{}",
                STANDARD.encode(Sha256::digest(content.as_bytes()))
            ));
        }
        at = close + "</script>".len();
    }
    hashes
}

fn has_src(open_tag: &str) -> bool {
    open_tag
        .split(|c: char| c.is_ascii_whitespace())
        .skip(1)
        .any(|attr| attr.split('=').next() == Some("src"))
}

/// The original's Control UI CSP for the app shell, with the page's script hashes.
pub fn csp(script_hashes: &[String]) -> String {
    let mut script = vec!["'self'".to_owned()];
    script.extend(script_hashes.iter().map(|h| format!("'{h}'")));
    [
        "default-src 'self'".to_owned(),
        "base-uri 'none'".to_owned(),
        "object-src 'none'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
        "frame-src 'self' http: https:".to_owned(),
        format!("script-src {}", script.join(" ")),
        "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com".to_owned(),
        "img-src 'self' data: blob: https:".to_owned(),
        "media-src 'self' data: blob:".to_owned(),
        "font-src 'self' https://fonts.gstatic.com".to_owned(),
        "worker-src 'self'".to_owned(),
        "connect-src 'self' ws: wss: data: https://api.openai.com https://tweakcn.com".to_owned(),
    ]
    .join("; ")
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `encodeURIComponent`.
fn url_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html>
<html data-openclaw-control-ui-build-id="2026.9.6-x" lang="en">
  <head>
    <link rel="icon" type="image/svg+xml" href="./favicon.svg" />
    <script data-cfasync="false">globalThis.a = 1;</script>
    <script type="module" crossorigin src="./assets/index-1.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/core-2.css">
  </head>
</html>"#;

    #[test]
    fn the_shell_is_anchored_at_the_mount() {
        let out = prepare(PAGE, "/oc");
        assert!(out.contains(r#"<html data-openclaw-control-ui-base-path="/oc" data-openclaw-terminal-enabled="false" data-openclaw-control-ui-build-id="2026.9.6-x" lang="en">"#), "{out}");
        assert!(
            out.contains(r#"href="/oc/favicon.svg?v=2026.9.6-x""#),
            "{out}"
        );
        assert!(out.contains(r#"src="/oc/assets/index-1.js""#));
        assert!(out.contains(r#"href="/oc/assets/core-2.css""#));
        assert!(prepare(PAGE, "").contains(r#"src="/assets/index-1.js""#));
    }

    #[test]
    fn only_inline_scripts_are_hashed() {
        // sha256("globalThis.a = 1;"), as `openssl dgst -sha256 -binary | base64` prints it.
        let expected = format!(
            "sha256-{}",
            STANDARD.encode(Sha256::digest(b"globalThis.a = 1;"))
        );
        assert_eq!(inline_script_hashes(PAGE), std::slice::from_ref(&expected));
        let policy = csp(std::slice::from_ref(&expected));
        assert!(
            policy.contains(&format!("script-src 'self' '{expected}'; ")),
            "{policy}"
        );
        assert!(policy.starts_with("default-src 'self'; base-uri 'none'"));
    }
}
