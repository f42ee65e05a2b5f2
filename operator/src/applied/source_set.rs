//! Which record a run of `up` (or `plan`) uses: one per *source set* (the
//! canonicalised `-f` paths) and Machines API, so `up -f team-a/` never
//! prunes what `up -f team-b/` applied, and a record made against the
//! embedded fly-local never deletes apps on real Fly.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cli::FlyArgs;

/// The identity of a record: the files it covers and the API they were applied to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSet {
    /// The `-f` paths, absolute, canonical where they exist, sorted, deduplicated.
    pub sources: Vec<PathBuf>,
    /// The Machines API, e.g. `https://api.machines.dev` or `embedded:/…/fly-local`.
    pub api: String,
}

impl SourceSet {
    /// The set named by `paths`, applied to `api`.
    pub fn new(paths: &[PathBuf], api: String) -> Self {
        let mut sources: Vec<PathBuf> = paths.iter().map(|p| canonical(p)).collect();
        sources.sort();
        sources.dedup();
        Self { sources, api }
    }

    /// A short stable id (hex), the record's file name.
    pub fn id(&self) -> String {
        let text = serde_json::to_string(self).expect("paths and strings serialise");
        crate::fly::build::short_digest(&crate::secrets::digest_hex(text.as_bytes()))
    }
}

/// The API identity `up` and `plan` agree on: the URL when a token is set,
/// otherwise the embedded fly-local's data directory (its state lives there).
pub fn api_identity(fly: &FlyArgs, state_dir: &Path) -> String {
    let has_token = fly
        .fly_api_token
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty());
    if has_token {
        fly.fly_api_url.trim_end_matches('/').to_owned()
    } else {
        let data = fly
            .fly_local_data
            .clone()
            .unwrap_or_else(|| state_dir.join("fly-local"));
        // Absolute, not canonical: the directory may not exist yet on the
        // first run, and the identity must not change once it does.
        let data = std::path::absolute(&data).unwrap_or(data);
        format!("embedded:{}", data.display())
    }
}

/// `p` made absolute and, where it exists, canonical (symlinks resolved), so
/// `-f ./gw` and `-f /home/me/gw` name the same set.
fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_spelled_differently_are_one_set() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::create_dir(&a).unwrap();
        let spelled = a.join("..").join("a");
        let one = SourceSet::new(&[a.clone(), dir.path().join("b.yaml")], "x".into());
        let two = SourceSet::new(&[dir.path().join("b.yaml"), spelled, a.clone()], "x".into());
        assert_eq!(one.id(), two.id());
        assert_ne!(
            one.id(),
            SourceSet::new(std::slice::from_ref(&a), "x".into()).id()
        );
        assert_ne!(one.id(), SourceSet::new(&[a], "y".into()).id());
    }
}
