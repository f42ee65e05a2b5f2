//! Why one `$include` could not be resolved, each phrased with its fix.

use std::path::{Path, PathBuf};

use super::{MAX_DEPTH, MAX_FILE_BYTES, MAX_PATH_LEN};

/// What is wrong with one `$include` entry. The including file and the key path are
/// carried by the surrounding [`crate::config::ConfigError`].
#[derive(Debug, thiserror::Error)]
pub enum IncludeProblem {
    #[error(
        "$include must be a path string or an array of path strings, found {found}; write \"$include\": \"./file.json5\" or [\"./a.json5\", \"./b.json5\"]"
    )]
    NotAPath { found: &'static str },
    #[error("contains a NUL byte; remove it from the path")]
    NulByte,
    #[error("the path is {len} characters long (limit {MAX_PATH_LEN}); use a shorter path")]
    TooLong { len: usize },
    #[error(
        "it resolves to a path {len} characters long (limit {MAX_PATH_LEN}); use a shorter path"
    )]
    ResolvedTooLong { len: usize },
    #[error(
        "{} is outside the config directory {}{}; move the file there or add its directory to OPENCLAW_INCLUDE_ROOTS (':'-separated absolute paths)",
        .resolved.display(), .config_dir.display(), list_allowed(.allowed)
    )]
    OutsideRoots {
        resolved: PathBuf,
        config_dir: PathBuf,
        allowed: Vec<PathBuf>,
    },
    #[error(
        "{} is a symlink to {}, outside the config directory {}{}; include the target's real path from an allowed directory, or add its directory to OPENCLAW_INCLUDE_ROOTS",
        .resolved.display(), .real.display(), .config_dir.display(), list_allowed(.allowed)
    )]
    SymlinkOutsideRoots {
        resolved: PathBuf,
        real: PathBuf,
        config_dir: PathBuf,
        allowed: Vec<PathBuf>,
    },
    #[error("circular include: {}; remove one of these includes", join_chain(.chain))]
    Circular { chain: Vec<PathBuf> },
    #[error(
        "includes are nested more than {MAX_DEPTH} deep here; merge some of the files into their parent"
    )]
    TooDeep,
    #[error(
        "{} does not exist; create it or fix the path (a relative path starts from the including file's directory)",
        .resolved.display()
    )]
    Missing { resolved: PathBuf },
    #[error("cannot read {}: {source}; fix its permissions or the path", .resolved.display())]
    Unreadable {
        resolved: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a regular file; include a JSON5 file", .resolved.display())]
    NotAFile { resolved: PathBuf },
    #[error(
        "{} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit for an included file; split it into smaller includes",
        .resolved.display()
    )]
    TooLarge { resolved: PathBuf, size: u64 },
    #[error(
        "{} has {links} hard links, which an included file may not have; replace the hard link with a copy or a symlink",
        .resolved.display()
    )]
    HardLinked { resolved: PathBuf, links: u64 },
    #[error("{}{}: JSON5 parse failed: {message}; fix the syntax in that file", .resolved.display(), show_position(*.position))]
    Syntax {
        resolved: PathBuf,
        position: Option<(usize, usize)>,
        message: String,
    },
    #[error(
        "the included content is {found}, but this object also has other keys to merge into it; include an object, or move the other keys out"
    )]
    SiblingsNeedObject { found: &'static str },
    #[error(
        "an inline config has no directory to resolve includes from; inline the included file's content instead"
    )]
    Inline,
}

fn list_allowed(roots: &[PathBuf]) -> String {
    if roots.is_empty() {
        return String::new();
    }
    let list: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
    format!(" and OPENCLAW_INCLUDE_ROOTS ({})", list.join(":"))
}

fn join_chain(files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    names.join(" -> ")
}

fn show_position(at: Option<(usize, usize)>) -> String {
    at.map(|(line, column)| format!(":{line}:{column}"))
        .unwrap_or_default()
}

impl IncludeProblem {
    /// A file that could not be opened or read.
    pub(super) fn io(resolved: &Path, e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => Self::Missing {
                resolved: resolved.to_owned(),
            },
            _ => Self::Unreadable {
                resolved: resolved.to_owned(),
                source: e,
            },
        }
    }
}
