//! Reading an included file with the original's guards: a regular file with one
//! link, at most [`MAX_FILE_BYTES`], and (checked on the opened descriptor, so a
//! symlink swapped in after resolution is caught) still inside its root.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::MAX_FILE_BYTES;
use super::boundary::Target;
use super::problem::IncludeProblem;

/// The text of `target`, or why it may not be included.
pub fn read_guarded(target: &Target) -> Result<String, IncludeProblem> {
    let path = &target.path;
    let file = std::fs::File::open(path).map_err(|e| IncludeProblem::io(path, e))?;
    let meta = file.metadata().map_err(|e| IncludeProblem::io(path, e))?;
    if !meta.is_file() {
        return Err(IncludeProblem::NotAFile {
            resolved: path.clone(),
        });
    }
    if meta.nlink() > 1 {
        return Err(IncludeProblem::HardLinked {
            resolved: path.clone(),
            links: meta.nlink(),
        });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(IncludeProblem::TooLarge {
            resolved: path.clone(),
            size: meta.len(),
        });
    }
    if let Some(real) = opened_path(&file)
        && !real.starts_with(&target.root_real)
    {
        return Err(IncludeProblem::SymlinkOutsideRoots {
            resolved: path.clone(),
            real,
            config_dir: target.root_real.clone(),
            allowed: Vec::new(),
        });
    }
    let mut text = String::new();
    // One byte over the limit tells a file that grew since `metadata` apart.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| IncludeProblem::io(path, e))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(IncludeProblem::TooLarge {
            resolved: path.clone(),
            size: text.len() as u64,
        });
    }
    Ok(text)
}

/// Where the descriptor really points, via `/proc/self/fd` (Linux); `None` elsewhere.
fn opened_path(file: &std::fs::File) -> Option<std::path::PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(Path::new("/proc/self/fd").join(file.as_raw_fd().to_string())).ok()
}
