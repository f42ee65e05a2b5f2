//! Where an include may read from: the config file's directory and the
//! `OPENCLAW_INCLUDE_ROOTS` directories, checked both lexically and after symlinks.

use std::path::{Path, PathBuf};

use super::MAX_PATH_LEN;
use super::problem::IncludeProblem;
use crate::config::paths::absolute;

/// One directory includes may resolve into, as written and with symlinks resolved.
#[derive(Debug)]
struct Root {
    dir: PathBuf,
    real: PathBuf,
}

impl Root {
    fn new(dir: PathBuf) -> Self {
        // A root that does not exist (yet) is compared as written, like the original.
        let real = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        Self { dir, real }
    }
}

/// The roots of one config load, captured once so every include is judged alike.
#[derive(Debug)]
pub struct Boundary {
    config: Root,
    allowed: Vec<Root>,
}

/// An include path that passed the boundary checks.
#[derive(Debug)]
pub struct Target {
    /// Absolute, lexically normalised: what the chain of includes is made of.
    pub path: PathBuf,
    /// The real directory of the root it lies in, which the opened file must stay in.
    pub root_real: PathBuf,
}

impl Boundary {
    /// `config_path` must be absolute; `allowed` are absolute directories.
    pub fn new(config_path: &Path, allowed: &[PathBuf]) -> Self {
        let config_dir = config_path.parent().unwrap_or(Path::new("/"));
        Self {
            config: Root::new(config_dir.to_owned()),
            allowed: allowed
                .iter()
                .filter(|r| r.is_absolute())
                .map(|r| Root::new(r.clone()))
                .collect(),
        }
    }

    /// Resolves `include`, written in the file `including`, to a file inside the roots.
    pub fn resolve(&self, include: &str, including: &Path) -> Result<Target, IncludeProblem> {
        if include.contains('\0') {
            return Err(IncludeProblem::NulByte);
        }
        if include.len() >= MAX_PATH_LEN {
            return Err(IncludeProblem::TooLong { len: include.len() });
        }
        let base = including.parent().unwrap_or(Path::new("/"));
        let path = absolute(Path::new(include), base);
        let len = path.as_os_str().len();
        if len >= MAX_PATH_LEN {
            return Err(IncludeProblem::ResolvedTooLong { len });
        }
        let Some(lexical) = self.containing(&path, |r| &r.dir) else {
            return Err(IncludeProblem::OutsideRoots {
                resolved: path,
                config_dir: self.config.dir.clone(),
                allowed: self.allowed_dirs(),
            });
        };
        match std::fs::canonicalize(&path) {
            Ok(real) => match self.containing(&real, |r| &r.real) {
                Some(root) => Ok(Target {
                    root_real: root.real.clone(),
                    path,
                }),
                None => Err(IncludeProblem::SymlinkOutsideRoots {
                    resolved: path,
                    real,
                    config_dir: self.config.dir.clone(),
                    allowed: self.allowed_dirs(),
                }),
            },
            // Reported when the file is opened, with the include's context.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Target {
                root_real: lexical.real.clone(),
                path,
            }),
            Err(e) => Err(IncludeProblem::io(&path, e)),
        }
    }

    fn containing(&self, path: &Path, dir: impl Fn(&Root) -> &PathBuf) -> Option<&Root> {
        std::iter::once(&self.config)
            .chain(&self.allowed)
            .find(|root| path.starts_with(dir(root)))
    }

    fn allowed_dirs(&self) -> Vec<PathBuf> {
        self.allowed.iter().map(|r| r.dir.clone()).collect()
    }
}
