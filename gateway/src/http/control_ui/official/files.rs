//! Reading a file of the installed build safely and choosing its representation.
//!
//! The path is resolved against the build's real path and must stay inside it after
//! symlinks are followed; hard-linked files are refused, as the original refuses them
//! for a configured root (a hard link could expose a file from elsewhere).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A file inside the build, opened for serving.
#[derive(Debug)]
pub struct BuildFile {
    pub path: PathBuf,
    pub modified: SystemTime,
    pub len: u64,
}

/// `rel` (already checked by `route::safe_relative_path`) under `root`, if it is a
/// regular file that stays inside the build.
pub fn resolve(root: &Path, rel: &str) -> std::io::Result<Option<BuildFile>> {
    let root = match std::fs::canonicalize(root) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let path = match std::fs::canonicalize(root.join(rel)) {
        Ok(p) => p,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if !path.starts_with(&root) {
        return Ok(None);
    }
    let meta = std::fs::metadata(&path)?;
    if !meta.is_file() || meta.nlink() > 1 {
        return Ok(None);
    }
    Ok(Some(BuildFile {
        modified: meta.modified()?,
        len: meta.len(),
        path,
    }))
}

/// `Content-Type` by extension, as the original maps them.
pub fn content_type(rel: &str) -> &'static str {
    match extension(rel) {
        "html" => "text/html; charset=utf-8",
        "js" => "application/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "webmanifest" => "application/manifest+json; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// A static asset (not the shell): a missing one is a 404, never the app shell.
pub fn is_static_asset(rel: &str) -> bool {
    content_type(rel) != "application/octet-stream" && extension(rel) != "html"
}

/// Types the build ships precompressed (`x.js.br`, `x.js.gz`).
pub fn is_compressible(rel: &str) -> bool {
    matches!(
        extension(rel),
        "css" | "html" | "js" | "json" | "svg" | "txt" | "wasm" | "webmanifest"
    )
}

/// The precompressed twins are representations, not resources of their own.
pub fn is_precompressed_twin(rel: &str) -> bool {
    matches!(extension(rel), "br" | "gz")
}

fn extension(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

/// The content codings to try, best first, from `Accept-Encoding` (`br`, then `gzip`,
/// by q-value; `identity` is always acceptable last unless refused with `q=0`).
pub fn encodings(accept_encoding: Option<&str>) -> Vec<&'static str> {
    let mut offered: Vec<(&'static str, f32)> = Vec::new();
    let mut identity_refused = false;
    let mut star: Option<f32> = None;
    for item in accept_encoding.unwrap_or("").split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match coding.as_str() {
            "br" => offered.push(("br", q)),
            "gzip" | "x-gzip" => offered.push(("gzip", q)),
            "identity" => identity_refused = q == 0.0,
            "*" => star = Some(q),
            _ => {}
        }
    }
    if let Some(q) = star {
        for coding in ["br", "gzip"] {
            if !offered.iter().any(|(c, _)| *c == coding) {
                offered.push((coding, q));
            }
        }
    }
    offered.retain(|(_, q)| *q > 0.0);
    // Highest q first; at equal q brotli first (smaller), as the Node gateway picks.
    offered.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| (a.0 != "br").cmp(&(b.0 != "br")))
    });
    let mut out: Vec<&'static str> = offered.into_iter().map(|(c, _)| c).collect();
    if !identity_refused {
        out.push("identity");
    }
    out
}

/// `Last-Modified` precision is one second.
pub fn last_modified_secs(modified: SystemTime) -> u64 {
    modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_preference() {
        assert_eq!(
            encodings(Some("gzip, deflate, br, zstd")),
            ["br", "gzip", "identity"]
        );
        assert_eq!(
            encodings(Some("gzip;q=1, br;q=0.5")),
            ["gzip", "br", "identity"]
        );
        assert_eq!(encodings(None), ["identity"]);
        assert_eq!(encodings(Some("br;q=0, identity;q=0")), Vec::<&str>::new());
        assert_eq!(encodings(Some("*")), ["br", "gzip", "identity"]);
    }

    #[test]
    fn types() {
        assert_eq!(
            content_type("assets/a.js"),
            "application/javascript; charset=utf-8"
        );
        assert!(
            is_static_asset("x/y.png")
                && !is_static_asset("chat")
                && !is_static_asset("index.html")
        );
        assert!(is_precompressed_twin("assets/a.js.br") && !is_compressible("a.png"));
    }

    #[test]
    fn files_outside_the_build_are_not_served() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ui");
        std::fs::create_dir_all(root.join("assets")).unwrap();
        std::fs::write(root.join("assets/a.js"), "x").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
        std::fs::hard_link(dir.path().join("secret.txt"), root.join("hard.txt")).unwrap();
        assert!(resolve(&root, "assets/a.js").unwrap().is_some());
        assert!(
            resolve(&root, "link.txt").unwrap().is_none(),
            "symlink out of the build"
        );
        assert!(resolve(&root, "hard.txt").unwrap().is_none(), "hard link");
        assert!(resolve(&root, "assets").unwrap().is_none(), "a directory");
        assert!(resolve(&root, "nope.js").unwrap().is_none());
        assert!(resolve(&root, "assets/a.js/x").unwrap().is_none());
    }
}
