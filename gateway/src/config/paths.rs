//! Where the state directory and the config file are, resolved as the Node original does.
//!
//! - state dir: `$OPENCLAW_STATE_DIR` (`~` expanded, made absolute), else `<home>/.openclaw`
//!   (or a legacy `<home>/.clawdbot` if only that exists);
//! - home: `$OPENCLAW_HOME`, else `$HOME`, else the current directory;
//! - config: `$OPENCLAW_CONFIG_PATH`, else `<state dir>/openclaw.json`;
//! - include roots: `$OPENCLAW_INCLUDE_ROOTS`, a `:`-separated list (the POSIX path
//!   delimiter, as Node's `path.delimiter`), each entry `~`-expanded and made absolute,
//!   blanks and duplicates dropped: directories `$include` may read from besides the
//!   config file's own.

use std::path::{Path, PathBuf};

use crate::env::Environment;

/// File name of the config inside the state directory.
pub const CONFIG_FILE_NAME: &str = "openclaw.json";

/// Resolved locations of the gateway's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub home: PathBuf,
    pub state_dir: PathBuf,
    pub config_path: PathBuf,
    /// Extra directories `$include` may resolve into (`$OPENCLAW_INCLUDE_ROOTS`).
    pub include_roots: Vec<PathBuf>,
}

impl Paths {
    /// Resolves every path from `env`, relative paths against `cwd`.
    pub fn resolve(env: &Environment, cwd: &Path) -> Self {
        let home = env
            .get_trimmed("OPENCLAW_HOME")
            .or_else(|| env.get_trimmed("HOME"))
            .map(|h| absolute(Path::new(h), cwd))
            .unwrap_or_else(|| cwd.to_owned());
        let state_dir = match env.get_trimmed("OPENCLAW_STATE_DIR") {
            Some(dir) => user_path(dir, &home, cwd),
            None => default_state_dir(&home),
        };
        let config_path = match env.get_trimmed("OPENCLAW_CONFIG_PATH") {
            Some(path) => user_path(path, &home, cwd),
            None => state_dir.join(CONFIG_FILE_NAME),
        };
        let include_roots = include_roots(env, &home, cwd);
        Self {
            home,
            state_dir,
            config_path,
            include_roots,
        }
    }
}

/// `$OPENCLAW_INCLUDE_ROOTS` split on `:`; an unset or blank variable means none, which
/// keeps `$include` inside the config file's directory.
fn include_roots(env: &Environment, home: &Path, cwd: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    let Some(raw) = env.get_trimmed("OPENCLAW_INCLUDE_ROOTS") else {
        return roots;
    };
    for entry in raw.split(':').map(str::trim).filter(|e| !e.is_empty()) {
        let root = user_path(entry, home, cwd);
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots
}

fn default_state_dir(home: &Path) -> PathBuf {
    let current = home.join(".openclaw");
    let legacy = home.join(".clawdbot");
    if !current.exists() && legacy.is_dir() {
        legacy
    } else {
        current
    }
}

/// `~` and `~/x` expand to the home; everything is made absolute and lexically normalised
/// (no symlink resolution), like Node's `path.resolve`.
fn user_path(input: &str, home: &Path, cwd: &Path) -> PathBuf {
    let expanded = match input.strip_prefix('~') {
        Some("") => home.to_owned(),
        Some(rest) if rest.starts_with('/') => home.join(rest.trim_start_matches('/')),
        _ => PathBuf::from(input),
    };
    absolute(&expanded, cwd)
}

/// `path` made absolute against `cwd` and lexically normalised (Node's `path.resolve`).
pub(crate) fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(vars: &[(&str, &str)]) -> Paths {
        Paths::resolve(
            &Environment::from_vars(vars.iter().copied()),
            Path::new("/work"),
        )
    }

    #[test]
    fn defaults_to_dot_openclaw_in_home() {
        let p = resolve(&[("HOME", "/nonexistent-home")]);
        assert_eq!(p.state_dir, Path::new("/nonexistent-home/.openclaw"));
        assert_eq!(
            p.config_path,
            Path::new("/nonexistent-home/.openclaw/openclaw.json")
        );
    }

    #[test]
    fn state_dir_and_config_path_overrides() {
        let p = resolve(&[("HOME", "/h"), ("OPENCLAW_STATE_DIR", " /data/ ")]);
        assert_eq!(p.config_path, Path::new("/data/openclaw.json"));
        let p = resolve(&[
            ("HOME", "/h"),
            ("OPENCLAW_STATE_DIR", "~/st"),
            ("OPENCLAW_CONFIG_PATH", "conf/../c.json"),
        ]);
        assert_eq!(p.state_dir, Path::new("/h/st"));
        assert_eq!(p.config_path, Path::new("/work/c.json"));
    }

    #[test]
    fn include_roots_are_colon_separated_expanded_and_deduplicated() {
        let p = resolve(&[("HOME", "/h")]);
        assert!(p.include_roots.is_empty());
        let p = resolve(&[
            ("HOME", "/h"),
            (
                "OPENCLAW_INCLUDE_ROOTS",
                " /etc/openclaw/ : ~/shared ::rel/../x:/etc/openclaw ",
            ),
        ]);
        assert_eq!(
            p.include_roots,
            [
                Path::new("/etc/openclaw"),
                Path::new("/h/shared"),
                Path::new("/work/x")
            ]
        );
    }

    #[test]
    fn openclaw_home_replaces_home() {
        let p = resolve(&[("HOME", "/h"), ("OPENCLAW_HOME", "/oc")]);
        assert_eq!(p.state_dir, Path::new("/oc/.openclaw"));
    }
}
