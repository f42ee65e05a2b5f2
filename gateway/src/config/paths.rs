//! Where the state directory and the config file are, resolved as the Node original does.
//!
//! - state dir: `$OPENCLAW_STATE_DIR` (`~` expanded, made absolute), else `<home>/.openclaw`
//!   (or a legacy `<home>/.clawdbot` if only that exists);
//! - home: `$OPENCLAW_HOME`, else `$HOME`, else the current directory;
//! - config: `$OPENCLAW_CONFIG_PATH`, else `<state dir>/openclaw.json`.

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
        Self {
            home,
            state_dir,
            config_path,
        }
    }
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

fn absolute(path: &Path, cwd: &Path) -> PathBuf {
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
    fn openclaw_home_replaces_home() {
        let p = resolve(&[("HOME", "/h"), ("OPENCLAW_HOME", "/oc")]);
        assert_eq!(p.state_dir, Path::new("/oc/.openclaw"));
    }
}
