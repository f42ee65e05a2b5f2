//! The files a config document was assembled from, to point errors at a line.
//!
//! Validation runs on the merged value, which has no positions. A key path is looked
//! up in the file that wins for it under the merge rules: the including file first
//! (its own keys override what it includes), then its includes, later ones first
//! (a later include overrides an earlier one).

use super::document::{self, KeyPath};

/// One file's text and where its content sits in the merged document.
#[derive(Debug)]
pub struct Source {
    /// The file as shown in errors.
    pub file: String,
    pub text: String,
    /// Key path of the merged document at which this file's root value was included.
    pub mount: KeyPath,
    /// The files this one includes, in include order.
    pub includes: Vec<Source>,
}

impl Source {
    /// A file that is the document's root.
    pub fn root(file: &str, text: &str) -> Self {
        Self {
            file: file.to_owned(),
            text: text.to_owned(),
            mount: KeyPath::default(),
            includes: Vec::new(),
        }
    }

    /// The file and 1-based (line, column) where `path` is written, if any file has it.
    pub fn locate(&self, path: &KeyPath) -> Option<(&str, (usize, usize))> {
        self.find(&|source| {
            let relative = path.0.strip_prefix(source.mount.0.as_slice())?;
            document::locate(&source.text, &KeyPath(relative.to_vec()))
        })
    }

    /// The file and position of the first occurrence of `needle`, in the same order.
    pub fn find_text(&self, needle: &str) -> Option<(&str, (usize, usize))> {
        self.find(&|source| line_of(&source.text, needle))
    }

    fn find(
        &self,
        at: &dyn Fn(&Source) -> Option<(usize, usize)>,
    ) -> Option<(&str, (usize, usize))> {
        if let Some(position) = at(self) {
            return Some((&self.file, position));
        }
        self.includes
            .iter()
            .rev()
            .find_map(|source| source.find(at))
    }
}

fn line_of(text: &str, needle: &str) -> Option<(usize, usize)> {
    let offset = text.find(needle)?;
    let line = text[..offset].matches('\n').count() + 1;
    let column = offset - text[..offset].rfind('\n').map_or(0, |n| n + 1) + 1;
    Some((line, column))
}
