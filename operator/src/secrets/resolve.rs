//! The dereference stage's reader: turning [`SecretSource`]s into values.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::crd::SecretSource;
use crate::resource::ResourceKey;

use super::SecretValue;
use super::policy::{Refusal, SourcePolicy};

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
    /// A generated secret could not be stored.
    #[error("cannot store the generated secret in {path}: {reason}")]
    GeneratedUnwritable {
        /// Where it would be stored.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// A referenced Kubernetes Secret, or a key of it, does not exist (yet).
    #[error("{0}")]
    NotFound(String),
    /// The secret resolved to an empty value.
    #[error("{0} is empty; a secret must have a value")]
    Empty(String),
    /// This front end has no source of that kind (e.g. `secretKeyRef` without a cluster).
    #[error("{0}")]
    Unsupported(String),
    /// The operator's [`SourcePolicy`] forbids this source: a spec problem,
    /// not retried.
    #[error("{}", .0.problem)]
    Refused(Refusal),
}

/// What a read-only resolver answers for a generated secret that does not
/// exist yet (`plan` shows it; `token` says the value is not there yet).
pub const GENERATED_PLACEHOLDER: &str = "<generated on first up>";

/// What a resolver may need besides the source itself.
#[derive(Clone, Copy, Debug)]
pub struct ResolveContext<'a> {
    /// The resource the secret belongs to.
    pub key: &'a ResourceKey,
    /// The variable the value becomes (e.g. `OPENCLAW_GATEWAY_TOKEN`).
    pub env_name: &'a str,
    /// Directory of the declaring file, for relative `file:` paths.
    pub base_dir: Option<&'a Path>,
}

/// Reads secret values. One implementation per front end: the directory
/// source reads env and files; the cluster source reads Kubernetes Secrets.
pub trait SecretResolver: Send + Sync {
    /// Reads one secret.
    fn resolve(
        &self,
        source: &SecretSource,
        ctx: &ResolveContext<'_>,
    ) -> Result<SecretValue, ResolveError>;
}

/// The directory source's resolver: the operator's environment, files, and
/// generated values kept under `generated_dir/<namespace>/<name>/<VAR>` (mode 0600).
#[derive(Debug, Default, Clone)]
pub struct LocalSecretResolver {
    /// Where generated secrets are kept; `None` refuses `generate`.
    pub generated_dir: Option<PathBuf>,
    /// Read generated secrets but never create one (a value that does not
    /// exist yet reads as a placeholder): for `plan`, which writes nothing.
    pub read_only: bool,
    /// Which `env:` and `file:` sources may be read.
    pub policy: SourcePolicy,
}

impl LocalSecretResolver {
    /// A resolver keeping generated secrets under `dir`.
    pub fn with_generated_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            generated_dir: Some(dir.into()),
            read_only: false,
            policy: SourcePolicy::default(),
        }
    }

    /// Where the generated value of `env_name` for `key` is kept.
    pub fn generated_path(&self, key: &ResourceKey, env_name: &str) -> Option<PathBuf> {
        self.generated_dir
            .as_ref()
            .map(|d| d.join(&key.namespace).join(&key.name).join(env_name))
    }

    fn generated(&self, ctx: &ResolveContext<'_>) -> Result<String, ResolveError> {
        let Some(path) = self.generated_path(ctx.key, ctx.env_name) else {
            return Err(ResolveError::Unsupported(
                "generate needs a state directory, which this command does not have".into(),
            ));
        };
        if let Ok(existing) = std::fs::read_to_string(&path)
            && !existing.trim().is_empty()
        {
            return Ok(existing.trim().to_owned());
        }
        if self.read_only {
            return Ok(GENERATED_PLACEHOLDER.to_owned());
        }
        let unwritable = |e: std::io::Error| ResolveError::GeneratedUnwritable {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let value = hex::encode(rand::random::<[u8; 32]>());
        std::fs::create_dir_all(path.parent().expect("has a parent")).map_err(unwritable)?;
        let mut f = create_private(&path).map_err(unwritable)?;
        f.write_all(value.as_bytes()).map_err(unwritable)?;
        Ok(value)
    }
}

fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

impl SecretResolver for LocalSecretResolver {
    fn resolve(
        &self,
        source: &SecretSource,
        ctx: &ResolveContext<'_>,
    ) -> Result<SecretValue, ResolveError> {
        let value = match source {
            SecretSource::Env(name) => {
                self.policy.check_env(name).map_err(ResolveError::Refused)?;
                std::env::var(name).map_err(|_| ResolveError::EnvMissing(name.clone()))?
            }
            SecretSource::File(path) => {
                let full = self
                    .policy
                    .check_file(path, ctx.base_dir)
                    .map_err(ResolveError::Refused)?;
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
            SecretSource::Generate(_) => self.generated(ctx)?,
            SecretSource::SecretKeyRef(sel) => {
                return Err(ResolveError::Unsupported(format!(
                    "secretKeyRef {}/{} needs a Kubernetes cluster (`openclaw-operator run`); \
                     in a directory source use `env: NAME`, `file: PATH` or `generate: {{}}`",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{GenerateSpec, SecretKeySelector};

    fn ctx<'a>(key: &'a ResourceKey, base: Option<&'a Path>) -> ResolveContext<'a> {
        ResolveContext {
            key,
            env_name: "OPENCLAW_GATEWAY_TOKEN",
            base_dir: base,
        }
    }

    #[test]
    fn file_relative_to_declaring_dir_and_trailing_newline_stripped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tok"), "abc\n").unwrap();
        let key = ResourceKey::new("default", "a");
        let v = LocalSecretResolver::default()
            .resolve(
                &SecretSource::File("tok".into()),
                &ctx(&key, Some(dir.path())),
            )
            .unwrap();
        assert_eq!(v.expose(), "abc");
    }

    #[test]
    fn missing_sources_name_the_fix() {
        let key = ResourceKey::new("default", "a");
        let r = LocalSecretResolver::default();
        let err = r
            .resolve(
                &SecretSource::Env("OPENCLAW_TEST_SURELY_UNSET_VAR".into()),
                &ctx(&key, None),
            )
            .unwrap_err();
        assert!(err.to_string().contains("export it"), "{err}");
        let err = r
            .resolve(
                &SecretSource::SecretKeyRef(SecretKeySelector {
                    name: "s".into(),
                    key: "k".into(),
                }),
                &ctx(&key, None),
            )
            .unwrap_err();
        assert!(err.to_string().contains("env: NAME"), "{err}");
    }

    #[test]
    fn empty_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tok"), "\n").unwrap();
        let key = ResourceKey::new("default", "a");
        let err = LocalSecretResolver::default()
            .resolve(
                &SecretSource::File("tok".into()),
                &ctx(&key, Some(dir.path())),
            )
            .unwrap_err();
        assert!(matches!(err, ResolveError::Empty(_)));
    }

    #[test]
    fn generated_values_are_stable_private_and_per_resource() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let r = LocalSecretResolver::with_generated_dir(dir.path());
        let gen_ = SecretSource::Generate(GenerateSpec {});
        let (a, b) = (
            ResourceKey::new("default", "a"),
            ResourceKey::new("default", "b"),
        );
        let first = r.resolve(&gen_, &ctx(&a, None)).unwrap();
        assert_eq!(first.expose().len(), 64);
        assert_eq!(r.resolve(&gen_, &ctx(&a, None)).unwrap(), first, "stable");
        assert_ne!(r.resolve(&gen_, &ctx(&b, None)).unwrap(), first);
        let path = r.generated_path(&a, "OPENCLAW_GATEWAY_TOKEN").unwrap();
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
