//! The dereference stage: turning [`SecretSource`]s into values.

use std::path::{Path, PathBuf};

use crate::crd::SecretSource;

use super::SecretValue;

/// Why a secret could not be read. Messages name the source and the fix but
/// never contain a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The environment variable is not set (or not UTF-8).
    #[error("environment variable {0} is not set; export it in the operator's environment")]
    EnvMissing(String),
    /// The file could not be read.
    #[error("cannot read secret file {path}: {reason}; create it or fix the path")]
    FileUnreadable {
        /// The path tried.
        path: String,
        /// The OS error, without any content.
        reason: String,
    },
    /// The secret resolved to an empty value.
    #[error("{0} is empty; a secret must have a value")]
    Empty(String),
    /// This front end has no source of that kind (e.g. `secretKeyRef` without a cluster).
    #[error("{0}")]
    Unsupported(String),
}

/// Reads secret values. One implementation per front end: the directory
/// source reads env and files; the cluster source reads Kubernetes Secrets.
pub trait SecretResolver: Send + Sync {
    /// Reads one secret. `base_dir` is the directory of the file that declared
    /// the resource, for relative `file:` paths.
    fn resolve(
        &self,
        source: &SecretSource,
        base_dir: Option<&Path>,
    ) -> Result<SecretValue, ResolveError>;
}

/// The directory source's resolver: the operator's environment and files.
#[derive(Debug, Default, Clone)]
pub struct LocalSecretResolver;

impl SecretResolver for LocalSecretResolver {
    fn resolve(
        &self,
        source: &SecretSource,
        base_dir: Option<&Path>,
    ) -> Result<SecretValue, ResolveError> {
        let value = match source {
            SecretSource::Env(name) => {
                std::env::var(name).map_err(|_| ResolveError::EnvMissing(name.clone()))?
            }
            SecretSource::File(path) => {
                let full = resolve_path(path, base_dir);
                let mut text =
                    std::fs::read_to_string(&full).map_err(|e| ResolveError::FileUnreadable {
                        path: full.display().to_string(),
                        reason: e.kind().to_string(),
                    })?;
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                text
            }
            SecretSource::SecretKeyRef(sel) => {
                return Err(ResolveError::Unsupported(format!(
                    "secretKeyRef {}/{} needs a Kubernetes cluster (`openclaw-operator run`); \
                     in a directory source use `env: NAME` or `file: PATH`",
                    sel.name, sel.key
                )));
            }
        };
        if value.is_empty() {
            return Err(ResolveError::Empty(source.to_string()));
        }
        Ok(SecretValue::new(value))
    }
}

fn resolve_path(path: &str, base_dir: Option<&Path>) -> PathBuf {
    let p = Path::new(path);
    match base_dir {
        Some(base) if p.is_relative() => base.join(p),
        _ => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::SecretKeySelector;

    #[test]
    fn file_relative_to_declaring_dir_and_trailing_newline_stripped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tok"), "abc\n").unwrap();
        let v = LocalSecretResolver
            .resolve(&SecretSource::File("tok".into()), Some(dir.path()))
            .unwrap();
        assert_eq!(v.expose(), "abc");
    }

    #[test]
    fn missing_sources_name_the_fix() {
        let err = LocalSecretResolver
            .resolve(
                &SecretSource::Env("OPENCLAW_TEST_SURELY_UNSET_VAR".into()),
                None,
            )
            .unwrap_err();
        assert!(err.to_string().contains("export it"), "{err}");
        let err = LocalSecretResolver
            .resolve(
                &SecretSource::SecretKeyRef(SecretKeySelector {
                    name: "s".into(),
                    key: "k".into(),
                }),
                None,
            )
            .unwrap_err();
        assert!(err.to_string().contains("env: NAME"), "{err}");
    }

    #[test]
    fn empty_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tok"), "\n").unwrap();
        let err = LocalSecretResolver
            .resolve(&SecretSource::File("tok".into()), Some(dir.path()))
            .unwrap_err();
        assert!(matches!(err, ResolveError::Empty(_)));
    }
}
