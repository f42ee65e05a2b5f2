//! The environment the gateway reads: process variables plus `.env` files.
//!
//! The original loads `./.env` and `$OPENCLAW_STATE_DIR/.env` into `process.env`
//! without overriding variables that are already set. We keep the merged view in an
//! explicit [`Environment`] value instead of mutating the process environment, so
//! resolution stays a pure function of its inputs and can be tested in parallel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// An immutable snapshot of environment variables.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
    loaded_files: Vec<PathBuf>,
}

/// A `.env` file that exists but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot load {path}: {message}")]
pub struct DotenvError {
    pub path: PathBuf,
    pub message: String,
}

impl Environment {
    /// The current process environment (non-UTF-8 variables are skipped).
    pub fn from_process() -> Self {
        Self::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// An environment with exactly these variables (tests, embedding).
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            loaded_files: Vec::new(),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Every variable (in no particular order), for lookups by prefix such as
    /// `ANTHROPIC_API_KEY_*`.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of `name` with surrounding whitespace removed, `None` when unset or blank
    /// (the original trims every path and port variable it reads).
    pub fn get_trimmed(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// `.env` files merged into this environment, in load order.
    pub fn loaded_files(&self) -> &[PathBuf] {
        &self.loaded_files
    }

    /// Merges `path` if it exists; variables already set win, as with dotenv.
    pub fn load_dotenv(&mut self, path: &Path) -> Result<(), DotenvError> {
        let iter = match dotenvy::from_path_iter(path) {
            Ok(iter) => iter,
            // Absent (or under a path that is not a directory): nothing to load.
            Err(dotenvy::Error::Io(_)) if !path.is_file() => return Ok(()),
            Err(e) => {
                return Err(DotenvError {
                    path: path.to_owned(),
                    message: e.to_string(),
                });
            }
        };
        let mut loaded = Vec::new();
        for item in iter {
            let (key, value) = item.map_err(|e| DotenvError {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
            loaded.push((key, value));
        }
        for (key, value) in loaded {
            self.vars.entry(key).or_insert(value);
        }
        self.loaded_files.push(path.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_never_overrides_set_variables() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".env");
        std::fs::write(&file, "# comment\nA=from-file\nexport B='quoted value'\n").unwrap();
        let mut env = Environment::from_vars([("A", "from-process")]);
        env.load_dotenv(&file).unwrap();
        assert_eq!(env.get("A"), Some("from-process"));
        assert_eq!(env.get("B"), Some("quoted value"));
        assert_eq!(env.loaded_files(), [file]);
    }

    #[test]
    fn missing_dotenv_is_not_an_error_but_a_broken_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Environment::default();
        env.load_dotenv(&dir.path().join("absent")).unwrap();
        assert!(env.loaded_files().is_empty());
        let bad = dir.path().join(".env");
        std::fs::write(&bad, "A='unterminated\n").unwrap();
        let err = env.load_dotenv(&bad).unwrap_err();
        assert!(err.to_string().contains(".env"), "{err}");
    }
}
