//! Which Control UI response a request gets, and which file of the build it names —
//! pure functions, as the original classifies and resolves them
//! (`classifyControlUiRequest`, `isSafeRelativePath`).

/// What to do with a request when an official build is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Not the Control UI's (an API path, a non-read method): other routes or 404.
    Elsewhere,
    /// Reserved under the UI (`/ui`): 404.
    NotFound,
    /// `GET /base` without the slash: to `/base/` (query kept).
    Redirect(String),
    /// A file of the build, or the app shell for client-side routes when the request
    /// accepts HTML.
    Serve { spa_fallback: bool },
}

/// Files at the build's root that are served under any mount (and under
/// `/__openclaw__/`), as the original lists them.
pub const ROOT_PUBLIC_ASSETS: [&str; 6] = [
    "apple-touch-icon.png",
    "favicon-32.png",
    "favicon.ico",
    "favicon.svg",
    "manifest.webmanifest",
    "sw.js",
];

/// Classifies a request for `path` (not decoded) under `base_path` (`""` or `/x`).
pub fn classify(
    base_path: &str,
    path: &str,
    query: &str,
    is_read: bool,
    accept: Option<&str>,
) -> Route {
    let spa_fallback = accepts_html(accept);
    if base_path.is_empty() {
        let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
        if under("/ui") {
            return Route::NotFound;
        }
        if ["/api", "/v1", "/j", "/tools"].iter().any(|p| under(p)) || !is_read {
            return Route::Elsewhere;
        }
        return Route::Serve { spa_fallback };
    }
    if path != base_path && !path.starts_with(&format!("{base_path}/")) || !is_read {
        return Route::Elsewhere;
    }
    if path == base_path {
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        return Route::Redirect(format!("{base_path}/{query}"));
    }
    Route::Serve { spa_fallback }
}

/// Browsers navigating send `text/html` or `*/*`; a request that rejects HTML
/// explicitly (`text/html;q=0`) or asks only for other types gets no app shell.
pub fn accepts_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return true;
    };
    let mut wildcard = false;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let zero = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q == 0.0))
        });
        match media.as_str() {
            "text/html" => return !zero,
            "*/*" | "text/*" if !zero => wildcard = true,
            _ => {}
        }
    }
    wildcard
}

/// The build-relative file a served path names, before decoding: the path under the
/// mount, with `/__openclaw__/<root asset>` and any `…/assets/…` mapped as the
/// original maps them; a trailing slash names that directory's `index.html`.
pub fn requested_file(base_path: &str, path: &str) -> String {
    let ui_path = match path.strip_prefix(base_path) {
        Some(rest) if !base_path.is_empty() && rest.starts_with('/') => rest,
        _ => path,
    };
    let rel = if ui_path == "/" {
        ""
    } else if let Some(asset) = ui_path
        .strip_prefix("/__openclaw__/")
        .filter(|a| ROOT_PUBLIC_ASSETS.contains(a))
    {
        asset
    } else if let Some(i) = ui_path.find("/assets/") {
        &ui_path[i + 1..]
    } else {
        &ui_path[1.min(ui_path.len())..]
    };
    if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_owned()
    }
}

/// Decodes `requested` once (percent-encoding) and normalises it; `None` for anything
/// that could leave the build directory (`..` after normalising, absolute paths, NUL),
/// or that is not valid UTF-8 once decoded. A double-encoded `%252e%252e` decodes to
/// the literal name `%2e%2e`, which stays inside.
pub fn safe_relative_path(requested: &str) -> Option<String> {
    let decoded = percent_decode(requested)?;
    if decoded.contains('\0') || decoded.starts_with('/') || decoded.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    // A Windows drive or UNC form is refused too, as the original refuses both.
    if parts.is_empty() || parts[0].contains(':') {
        return None;
    }
    Some(parts.join("/"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            out.push(value);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Files whose names the build fingerprints (`assets/x-Hash.js`): cached for a year.
pub fn is_fingerprinted(rel: &str) -> bool {
    rel.starts_with("assets/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_original() {
        let serve = Route::Serve { spa_fallback: true };
        assert_eq!(classify("", "/chat", "", true, Some("text/html")), serve);
        assert_eq!(classify("", "/ui/x", "", true, None), Route::NotFound);
        assert_eq!(
            classify("", "/api/users/x", "", true, None),
            Route::Elsewhere
        );
        assert_eq!(classify("", "/v1/models", "", true, None), Route::Elsewhere);
        assert_eq!(classify("", "/chat", "", false, None), Route::Elsewhere);
        assert_eq!(classify("/oc", "/chat", "", true, None), Route::Elsewhere);
        assert_eq!(
            classify("/oc", "/oc", "a=1", true, None),
            Route::Redirect("/oc/?a=1".into())
        );
        assert_eq!(classify("/oc", "/oc/logs", "", true, None), serve);
        assert_eq!(
            classify("", "/x.js", "", true, Some("application/json")),
            Route::Serve {
                spa_fallback: false
            }
        );
    }

    #[test]
    fn html_acceptance() {
        assert!(accepts_html(None));
        assert!(accepts_html(Some(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(accepts_html(Some("*/*")));
        assert!(!accepts_html(Some("text/html;q=0, */*")));
        assert!(!accepts_html(Some("application/json")));
    }

    #[test]
    fn requested_files() {
        assert_eq!(requested_file("", "/"), "index.html");
        assert_eq!(requested_file("", "/chat"), "chat");
        assert_eq!(
            requested_file("", "/settings/assets/app-1.js"),
            "assets/app-1.js"
        );
        assert_eq!(
            requested_file("", "/__openclaw__/favicon.svg"),
            "favicon.svg"
        );
        assert_eq!(requested_file("/oc", "/oc/"), "index.html");
        assert_eq!(requested_file("/oc", "/oc/assets/a.css"), "assets/a.css");
        assert_eq!(requested_file("", "/fonts/"), "fonts/index.html");
    }

    #[test]
    fn traversal_is_refused_however_it_is_encoded() {
        for evil in [
            "../etc/passwd",
            "assets/../../etc/passwd",
            "%2e%2e/etc/passwd",
            "%2E%2E%2Fetc%2Fpasswd",
            "assets/%2e%2e/%2e%2e/x",
            "..%2f..%2fx",
            "/etc/passwd",
            "%2fetc%2fpasswd",
            "a%00b",
            "C:/windows",
            "%zz",
            "%c0%ae%c0%ae/x",
        ] {
            assert_eq!(safe_relative_path(evil), None, "{evil}");
        }
        assert_eq!(
            safe_relative_path("assets/a-1.js").as_deref(),
            Some("assets/a-1.js")
        );
        assert_eq!(
            safe_relative_path("assets/./x/../a.js").as_deref(),
            Some("assets/a.js")
        );
        // Double encoding decodes once: a literal, harmless name.
        assert_eq!(
            safe_relative_path("%252e%252e/x").as_deref(),
            Some("%2e%2e/x")
        );
        assert_eq!(
            safe_relative_path("caf%C3%A9.txt").as_deref(),
            Some("café.txt")
        );
    }
}
