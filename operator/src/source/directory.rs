//! The directory source: files and directories of YAML, re-read on change.
//!
//! Rules that keep a person's gateways safe:
//! - a file that fails to read or parse is an error attached to that file;
//!   what it declared before stays declared (it is never a reason to delete);
//! - a file that disappears is treated as removed only after it has stayed
//!   absent for [`REMOVAL_GRACE`], so an editor's write-then-rename save does
//!   not delete and recreate a gateway;
//! - a resource declared twice keeps its first declaration (in path order) and
//!   the later file gets an error;
//! - a document that is not an `OpenClaw` resource is skipped and said
//!   ([`Snapshot::skipped`]), never silently ignored.
//!
//! `-` names standard input, read once (`import … | plan -f -`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};

use super::{Declared, Snapshot, parse_file};
use crate::secrets::digest_hex;

/// How long a vanished file keeps its declarations.
pub const REMOVAL_GRACE: Duration = Duration::from_secs(2);

/// Quiet time after a change before files are re-read (editors write in bursts).
const DEBOUNCE: Duration = Duration::from_millis(150);

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// The `-f` argument that reads standard input.
pub const STDIN_ARG: &str = "-";

/// How standard input is named in snapshots and messages (its directory,
/// the current one, anchors relative `file:` secrets).
pub const STDIN_ORIGIN: &str = "<stdin>";

/// Lists the files named by `paths`: files as given, directories recursively
/// (`*.yaml`, `*.yml`, `*.json`, skipping hidden entries), sorted.
pub fn scan(paths: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for p in paths {
        if p.as_os_str() == STDIN_ARG {
            out.insert(PathBuf::from(STDIN_ORIGIN));
        } else if p.is_dir() {
            walk_dir(p, &mut out);
        } else {
            out.insert(p.clone());
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk_dir(&path, out);
        } else if path
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| EXTENSIONS.contains(&x))
        {
            out.insert(path);
        }
    }
}

#[derive(Debug, Default)]
struct FileState {
    digest: String,
    declared: Vec<Arc<Declared>>,
    skipped: Vec<String>,
    error: Option<String>,
    missing_since: Option<Instant>,
}

/// Reads the given paths into [`Snapshot`]s, remembering each file's last good parse.
#[derive(Debug)]
pub struct DirectorySource {
    paths: Vec<PathBuf>,
    files: BTreeMap<PathBuf, FileState>,
    /// Standard input, once read (it cannot be read twice).
    stdin: Option<std::io::Result<Vec<u8>>>,
}

impl DirectorySource {
    /// A source over files and directories (not read yet).
    pub fn new(paths: Vec<PathBuf>) -> Self {
        Self {
            paths,
            files: BTreeMap::new(),
            stdin: None,
        }
    }

    /// Whether these paths read standard input (which cannot be watched).
    pub fn reads_stdin(paths: &[PathBuf]) -> bool {
        paths.iter().any(|p| p.as_os_str() == STDIN_ARG)
    }

    fn read(&mut self, path: &Path) -> std::io::Result<Vec<u8>> {
        if path.as_os_str() != STDIN_ORIGIN {
            return std::fs::read(path);
        }
        let read = self.stdin.get_or_insert_with(|| {
            use std::io::Read;
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map(|_| buf)
        });
        match read {
            Ok(bytes) => Ok(bytes.clone()),
            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// Re-reads every file (parsing only those whose content changed) and
    /// returns the snapshot, plus whether a vanished file is still in its grace period.
    pub fn refresh(&mut self) -> (Snapshot, bool) {
        let now = Instant::now();
        let present = scan(&self.paths);
        for path in &present {
            let read = self.read(path);
            let state = self.files.entry(path.clone()).or_default();
            state.missing_since = None;
            match read {
                Err(e) => state.error = Some(format!("cannot read: {e}")),
                Ok(bytes) => {
                    let digest = digest_hex(&bytes);
                    if digest == state.digest && state.error.is_none() {
                        continue;
                    }
                    state.digest = digest;
                    let parsed = String::from_utf8(bytes)
                        .map_err(|_| "not UTF-8 text".to_owned())
                        .and_then(|text| parse_file(path, &text));
                    match parsed {
                        Ok(parsed) => {
                            state.declared = parsed.declared.into_iter().map(Arc::new).collect();
                            state.skipped = parsed.skipped;
                            state.error = None;
                        }
                        Err(e) => state.error = Some(e),
                    }
                }
            }
        }
        let mut pending = false;
        self.files.retain(|path, state| {
            if present.contains(path) {
                return true;
            }
            let since = *state.missing_since.get_or_insert(now);
            let keep = now.duration_since(since) < REMOVAL_GRACE;
            pending |= keep;
            keep
        });
        for p in &self.paths {
            if p.as_os_str() != STDIN_ARG && !p.exists() && !self.files.contains_key(p) {
                // Named on the command line but absent: say so (nothing to keep).
                self.files.insert(
                    p.clone(),
                    FileState {
                        error: Some("no such file or directory".into()),
                        missing_since: Some(now - REMOVAL_GRACE),
                        ..Default::default()
                    },
                );
            }
        }
        (self.snapshot(), pending)
    }

    fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot::default();
        for (path, state) in &self.files {
            if let Some(e) = &state.error {
                snap.file_errors.insert(path.clone(), e.clone());
            }
            if !state.skipped.is_empty() {
                snap.skipped.insert(path.clone(), state.skipped.clone());
            }
            for d in &state.declared {
                if let Some(first) = snap.resources.get(&d.key) {
                    let msg = format!(
                        "declares {} again (already declared in {}); this declaration is ignored",
                        d.key,
                        first.origin.display()
                    );
                    snap.file_errors
                        .entry(path.clone())
                        .and_modify(|e| {
                            e.push_str("; ");
                            e.push_str(&msg);
                        })
                        .or_insert(msg);
                    continue;
                }
                snap.resources.insert(d.key.clone(), d.clone());
            }
        }
        snap
    }

    /// Reads the paths now, then keeps re-reading them on every change,
    /// publishing each new snapshot. Runs until the receiver side is dropped.
    pub fn watch(mut self) -> notify::Result<watch::Receiver<Arc<Snapshot>>> {
        let (initial, mut pending) = self.refresh();
        let (tx, rx) = watch::channel(Arc::new(initial));
        let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
        let mut watcher =
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                if res.is_ok() {
                    let _ = ev_tx.send(());
                }
            })?;
        for p in self.paths.iter().filter(|p| p.as_os_str() != STDIN_ARG) {
            // Watch a file's directory, not the file: editors replace files by rename.
            let (target, mode) = if p.is_dir() {
                (p.clone(), RecursiveMode::Recursive)
            } else {
                let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
                (
                    parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                    RecursiveMode::NonRecursive,
                )
            };
            if let Err(e) = watcher.watch(&target, mode) {
                tracing::warn!(path = %target.display(), error = %e, "cannot watch; changes will not be noticed");
            }
        }
        tokio::spawn(async move {
            let _watcher = watcher;
            loop {
                let event = if pending {
                    tokio::time::timeout(REMOVAL_GRACE / 2, ev_rx.recv())
                        .await
                        .ok()
                } else {
                    Some(ev_rx.recv().await)
                };
                if event == Some(None) {
                    return; // watcher gone
                }
                // Debounce: wait for a quiet moment.
                while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, ev_rx.recv()).await {}
                let (snap, still_pending) = self.refresh();
                pending = still_pending;
                if tx.send(Arc::new(snap)).is_err() {
                    return;
                }
            }
        });
        Ok(rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str =
        "apiVersion: openclaw.ai/v1alpha1\nkind: OpenClaw\nmetadata: {name: a}\nspec: {}\n";

    #[test]
    fn a_broken_file_keeps_what_it_declared() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.yaml");
        std::fs::write(&f, A).unwrap();
        let mut src = DirectorySource::new(vec![dir.path().to_path_buf()]);
        let (snap, _) = src.refresh();
        assert_eq!(snap.resources.len(), 1);
        std::fs::write(&f, "kind: [oops").unwrap();
        let (snap, _) = src.refresh();
        assert_eq!(snap.resources.len(), 1, "still declared");
        assert!(snap.file_errors.contains_key(&f));
        std::fs::write(&f, A.replace("name: a", "name: b")).unwrap();
        let (snap, _) = src.refresh();
        assert!(snap.file_errors.is_empty());
        assert_eq!(snap.resources.keys().next().unwrap().name, "b");
    }

    #[test]
    fn a_vanished_file_is_removed_only_after_the_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.yaml");
        std::fs::write(&f, A).unwrap();
        let mut src = DirectorySource::new(vec![dir.path().to_path_buf()]);
        src.refresh();
        std::fs::remove_file(&f).unwrap();
        let (snap, pending) = src.refresh();
        assert_eq!(snap.resources.len(), 1);
        assert!(pending);
        src.files.get_mut(&f).unwrap().missing_since = Some(Instant::now() - REMOVAL_GRACE);
        let (snap, pending) = src.refresh();
        assert!(snap.resources.is_empty());
        assert!(!pending);
    }

    #[test]
    fn duplicates_keep_the_first_and_flag_the_second() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1.yaml"), A).unwrap();
        std::fs::write(dir.path().join("2.yml"), A).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not yaml").unwrap();
        let (snap, _) = DirectorySource::new(vec![dir.path().to_path_buf()]).refresh();
        assert_eq!(snap.resources.len(), 1);
        let only = snap.resources.values().next().unwrap();
        assert!(only.origin.ends_with("1.yaml"));
        assert!(snap.file_errors[&dir.path().join("2.yml")].contains("again"));
    }

    #[test]
    fn skipped_documents_are_named_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("mixed.yaml");
        std::fs::write(
            &f,
            format!("{A}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm}}\n"),
        )
        .unwrap();
        let (snap, _) = DirectorySource::new(vec![dir.path().to_path_buf()]).refresh();
        assert_eq!(snap.resources.len(), 1);
        assert!(
            snap.skipped[&f][0].contains("kind ConfigMap (v1)"),
            "{:?}",
            snap.skipped
        );
        assert!(
            snap.file_errors.is_empty(),
            "a skipped document is not an error"
        );
    }

    #[tokio::test]
    async fn changes_are_published() {
        let dir = tempfile::tempdir().unwrap();
        let mut rx = DirectorySource::new(vec![dir.path().to_path_buf()])
            .watch()
            .unwrap();
        assert!(rx.borrow_and_update().resources.is_empty());
        std::fs::write(dir.path().join("a.yaml"), A).unwrap();
        let snap = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                rx.changed().await.unwrap();
                let s = rx.borrow_and_update().clone();
                if !s.resources.is_empty() {
                    return s;
                }
            }
        })
        .await
        .expect("the new file is noticed");
        assert_eq!(snap.resources.len(), 1);
    }
}
