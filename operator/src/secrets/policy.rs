//! Which `env:` and `file:` secret sources a resource may read.
//!
//! A resource file is written by whoever can commit to the GitOps repository,
//! and its secrets become the environment of a machine that person controls.
//! Without a policy, `{env: FLY_API_TOKEN}` or `{file: /etc/shadow}` would
//! hand them whatever the operator can read. So:
//! - `env:` reads only names matching the allowlist the operator is started
//!   with (`--allow-secret-env`); by default any name except the operator's own
//!   credentials ([`CREDENTIAL_PATTERNS`]), which are read only when named
//!   exactly in the allowlist;
//! - `file:` reads only under the configured roots (`--secret-file-root`); by
//!   default the directory of the file that declares the resource. A path with
//!   `..` is refused outright, and the path is resolved (symlinks followed)
//!   before it is compared, so a link cannot lead out of a root.

use std::path::{Component, Path, PathBuf};

/// Variables the operator or its platform clients read their credentials
/// from: the Fly token (flyctl and this operator), the kubeconfig and the
/// in-cluster service account, and the cloud SDKs kubeconfig exec plugins use.
pub const CREDENTIAL_PATTERNS: &[&str] = &[
    "FLY_*",
    "KUBE*",
    "KUBERNETES_*",
    "OPENCLAW_OPERATOR_*",
    "AWS_*",
    "AZURE_*",
    "CLOUDSDK_*",
    "GOOGLE_APPLICATION_CREDENTIALS",
];

/// Why a source was refused: the problem and the fix, for an `InvalidSpec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What is wrong (never a value).
    pub problem: String,
    /// What to do.
    pub fix: String,
}

/// The rules for `env:` and `file:` sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourcePolicy {
    /// Allowed variable names (`*` matches any run of characters); `None`:
    /// any name but the operator's credentials.
    pub env_allow: Option<Vec<String>>,
    /// Directories `file:` sources may read under; `None`: the directory of
    /// the declaring file.
    pub file_roots: Option<Vec<PathBuf>>,
}

impl SourcePolicy {
    /// A policy from the command line: empty lists mean "the default".
    pub fn new(env_allow: Vec<String>, file_roots: Vec<PathBuf>) -> Self {
        Self {
            env_allow: (!env_allow.is_empty()).then_some(env_allow),
            file_roots: (!file_roots.is_empty()).then_some(file_roots),
        }
    }

    /// Whether a resource may read variable `name`.
    pub fn check_env(&self, name: &str) -> Result<(), Refusal> {
        let credential = CREDENTIAL_PATTERNS.iter().find(|p| glob(p, name));
        match (&self.env_allow, credential) {
            (None, None) => Ok(()),
            (None, Some(pattern)) => Err(Refusal {
                problem: format!(
                    "{name} is one of the operator's own credentials ({pattern}), which a resource \
                     may not read"
                ),
                fix: format!(
                    "export the value the gateway needs under another name and use that, or start \
                     the operator with --allow-secret-env {name} if the gateway really needs it"
                ),
            }),
            (Some(allow), credential) => {
                let allowed = match credential {
                    // A credential only when named exactly, never through a wildcard.
                    Some(_) => allow.iter().any(|a| a == name),
                    None => allow.iter().any(|a| glob(a, name)),
                };
                if allowed {
                    Ok(())
                } else {
                    Err(Refusal {
                        problem: format!(
                            "{name} is not in the variables this operator lets resources read ({})",
                            allow.join(", ")
                        ),
                        fix: format!(
                            "use an allowed name, or add it: --allow-secret-env {name} \
                             (or OPENCLAW_ALLOW_SECRET_ENV)"
                        ),
                    })
                }
            }
        }
    }

    /// The file a `file:` source may read: `path` resolved against
    /// `base_dir` (the declaring file's directory), refused when it has a
    /// `..` or resolves outside every root. A file that does not exist is
    /// returned as written (reading it then fails with "cannot read", retried).
    pub fn check_file(&self, path: &str, base_dir: Option<&Path>) -> Result<PathBuf, Refusal> {
        let p = Path::new(path);
        let base = base_dir.filter(|b| !b.as_os_str().is_empty());
        let cwd = Path::new(".");
        let roots: Vec<PathBuf> = match &self.file_roots {
            Some(r) => r.clone(),
            None => vec![base.unwrap_or(cwd).to_path_buf()],
        };
        let shown = roots
            .iter()
            .map(|r| r.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let root_fix = || {
            format!(
                "keep the secret file under {shown}, or start the operator with \
                 --secret-file-root DIR for the directory that holds it"
            )
        };
        if p.components().any(|c| c == Component::ParentDir) {
            return Err(Refusal {
                problem: format!("{path} goes up a directory (`..`), which secret paths may not"),
                fix: root_fix(),
            });
        }
        let full = if p.is_relative() {
            base.unwrap_or(cwd).join(p)
        } else {
            p.to_path_buf()
        };
        let resolved = match std::fs::canonicalize(&full) {
            Ok(r) => r,
            // Not there (yet): judged by where it would be, its directory resolved.
            Err(_) => match (full.parent(), full.file_name()) {
                (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                    .map(|d| d.join(name))
                    .unwrap_or_else(|_| absolute(&full)),
                _ => absolute(&full),
            },
        };
        let inside = roots.iter().any(|root| {
            let root = std::fs::canonicalize(root).unwrap_or_else(|_| absolute(root));
            resolved.starts_with(&root)
        });
        if inside {
            return Ok(full);
        }
        let via_link = absolute(&full) != resolved;
        Err(Refusal {
            problem: if via_link {
                format!(
                    "{path} leads (through a symbolic link) to {}, outside the directories secrets \
                     may be read from ({shown})",
                    resolved.display()
                )
            } else {
                format!("{path} is outside the directories secrets may be read from ({shown})")
            },
            fix: root_fix(),
        })
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `*` matches any run of characters (possibly empty); everything else itself.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("FLY_*", "FLY_API_TOKEN"));
        assert!(glob("KUBE*", "KUBECONFIG"));
        assert!(!glob("FLY_*", "XFLY_A"));
        assert!(glob("*_KEY", "ANTHROPIC_API_KEY"));
        assert!(glob("A*B*C", "AxxBxxC"));
        assert!(!glob("A*B*C", "AxxBxx"));
    }

    #[test]
    fn credentials_are_refused_by_default_and_other_names_allowed() {
        let p = SourcePolicy::default();
        assert!(p.check_env("ANTHROPIC_API_KEY").is_ok());
        assert!(
            p.check_env("GOOGLE_API_KEY").is_ok(),
            "a provider key, not GCP credentials"
        );
        for name in ["FLY_API_TOKEN", "KUBECONFIG", "AWS_SECRET_ACCESS_KEY"] {
            let r = p.check_env(name).unwrap_err();
            assert!(r.problem.contains("operator's own credentials"), "{r:?}");
            assert!(
                r.fix.contains(&format!("--allow-secret-env {name}")),
                "{r:?}"
            );
        }
    }

    #[test]
    fn an_allowlist_replaces_the_default_and_credentials_need_their_exact_name() {
        let p = SourcePolicy::new(vec!["*_API_KEY".into(), "FLY_API_TOKEN".into()], vec![]);
        assert!(p.check_env("OPENAI_API_KEY").is_ok());
        assert!(p.check_env("FLY_API_TOKEN").is_ok(), "named exactly");
        assert!(p.check_env("DISCORD_BOT_TOKEN").is_err());
        let wide = SourcePolicy::new(vec!["*".into()], vec![]);
        assert!(wide.check_env("FLY_API_TOKEN").is_err(), "not through `*`");
    }

    #[test]
    fn files_stay_under_their_roots() {
        let dir = tempfile::tempdir().unwrap();
        let res = dir.path().join("res");
        std::fs::create_dir(&res).unwrap();
        std::fs::write(res.join("tok"), "x").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.txt"), res.join("link")).unwrap();
        let p = SourcePolicy::default();
        assert_eq!(p.check_file("tok", Some(&res)).unwrap(), res.join("tok"));
        assert!(
            p.check_file("not-yet", Some(&res)).is_ok(),
            "judged by its place"
        );
        let abs = res.join("tok").display().to_string();
        assert!(p.check_file(&abs, Some(&res)).is_ok());
        let up = p.check_file("../outside.txt", Some(&res)).unwrap_err();
        assert!(up.problem.contains("`..`"), "{up:?}");
        let etc = p.check_file("/etc/hostname", Some(&res)).unwrap_err();
        assert!(etc.problem.contains("outside"), "{etc:?}");
        assert!(etc.fix.contains("--secret-file-root"), "{etc:?}");
        let link = p.check_file("link", Some(&res)).unwrap_err();
        assert!(link.problem.contains("symbolic link"), "{link:?}");
        let rooted = SourcePolicy::new(vec![], vec![dir.path().to_path_buf()]);
        assert!(rooted.check_file("link", Some(&res)).is_ok());
        assert!(rooted.check_file("/etc/hostname", Some(&res)).is_err());
    }
}
