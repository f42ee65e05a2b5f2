//! `$include`: splitting `openclaw.json` over several files, as the original does.
//!
//! `"$include": "./a.json5"` (or an array of paths, merged left to right) may appear in
//! any object. Alone, the included value replaces the object; with sibling keys, the
//! included object is deep-merged with them (objects recursively, arrays concatenated,
//! the siblings winning otherwise). Paths are relative to the including file, must stay
//! inside the config file's directory or an `OPENCLAW_INCLUDE_ROOTS` directory (also
//! after symlinks), nest at most [`MAX_DEPTH`] deep and never in a circle. Includes are
//! resolved before `${VAR}` substitution, so a path is taken literally. Files are only
//! ever read.

mod boundary;
mod merge;
mod problem;
mod read;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub(crate) use boundary::Boundary;
pub use problem::IncludeProblem;

use super::describe;
use super::document::{self, KeyPath, Segment};
use super::error::{ConfigError, ConfigErrorKind};
use super::source::Source;

/// The directive's key.
pub const INCLUDE_KEY: &str = "$include";
/// How many files deep includes may nest below the config file.
pub const MAX_DEPTH: usize = 10;
/// Largest included file, in bytes (2 MiB).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;
/// Longest include path, as written or resolved (CWE-22 hardening, as the original).
pub const MAX_PATH_LEN: usize = 4096;

/// Resolves every `$include` in `value`, parsed from `root` (the config file at the
/// absolute `config_path`); the files read are recorded in `root.includes`.
pub(crate) fn resolve(
    value: Value,
    config_path: &Path,
    root: &mut Source,
    boundary: &Boundary,
) -> Result<Value, ConfigError> {
    let frame = Frame {
        path: config_path,
        shown: &root.file,
        text: &root.text,
        chain: vec![config_path.to_owned()],
        depth: 0,
    };
    let mut includes = Vec::new();
    let value = Resolver { boundary }.value(value, &At::default(), &frame, &mut includes)?;
    root.includes = includes;
    Ok(value)
}

/// Refuses any `$include` in a config that has no file around it (the operator's
/// inline `spec.config`): there is no directory to resolve paths from.
pub(crate) fn refuse_inline(value: &Value, root: &Source) -> Result<(), ConfigError> {
    let Some((site, include)) = first_include(value, &KeyPath::default()) else {
        return Ok(());
    };
    let frame = Frame {
        path: Path::new(&root.file),
        shown: &root.file,
        text: &root.text,
        chain: Vec::new(),
        depth: 0,
    };
    let site = At {
        logical: site.clone(),
        local: site,
    };
    Err(frame.refuse(&site, include.as_str(), IncludeProblem::Inline))
}

fn first_include<'v>(value: &'v Value, path: &KeyPath) -> Option<(KeyPath, &'v Value)> {
    match value {
        Value::Object(map) => match map.get(INCLUDE_KEY) {
            Some(include) => Some((path.child(Segment::Key(INCLUDE_KEY.into())), include)),
            None => map
                .iter()
                .find_map(|(k, v)| first_include(v, &path.child(Segment::Key(k.clone())))),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_include(v, &path.child(Segment::Index(i)))),
        _ => None,
    }
}

/// A position in the document: in the merged result, and in the file being read.
#[derive(Debug, Clone, Default)]
struct At {
    logical: KeyPath,
    local: KeyPath,
}

impl At {
    fn child(&self, segment: Segment) -> Self {
        Self {
            logical: self.logical.child(segment.clone()),
            local: self.local.child(segment),
        }
    }
}

/// The file being processed.
struct Frame<'a> {
    path: &'a Path,
    /// The file as shown in errors.
    shown: &'a str,
    text: &'a str,
    /// The files from the config file down to this one, to detect circles.
    chain: Vec<PathBuf>,
    depth: usize,
}

impl Frame<'_> {
    /// An error about the `$include` entry at `site` in this file.
    fn refuse(&self, site: &At, include: Option<&str>, problem: IncludeProblem) -> ConfigError {
        ConfigError::new(
            self.shown,
            ConfigErrorKind::Include {
                include: include.map(str::to_owned),
                problem: Box::new(problem),
            },
        )
        .key(site.logical.to_string())
        .at(document::locate(self.text, &site.local))
    }
}

struct Resolver<'b> {
    boundary: &'b Boundary,
}

impl Resolver<'_> {
    fn value(
        &self,
        value: Value,
        at: &At,
        frame: &Frame,
        out: &mut Vec<Source>,
    ) -> Result<Value, ConfigError> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| self.value(item, &at.child(Segment::Index(i)), frame, out))
                .collect::<Result<_, _>>()
                .map(Value::Array),
            Value::Object(mut map) => match map.remove(INCLUDE_KEY) {
                Some(include) => self.include(include, map, at, frame, out),
                None => map
                    .into_iter()
                    .map(|(key, item)| {
                        let at = at.child(Segment::Key(key.clone()));
                        Ok((key, self.value(item, &at, frame, out)?))
                    })
                    .collect::<Result<_, _>>()
                    .map(Value::Object),
            },
            other => Ok(other),
        }
    }

    /// The object at `at`: its `$include` directive, then its sibling keys merged over it.
    fn include(
        &self,
        include: Value,
        siblings: Map<String, Value>,
        at: &At,
        frame: &Frame,
        out: &mut Vec<Source>,
    ) -> Result<Value, ConfigError> {
        let site = at.child(Segment::Key(INCLUDE_KEY.into()));
        let single = include.as_str().map(str::to_owned);
        let included = match include {
            Value::String(path) => self.load(&path, at, &site, frame, out)?,
            Value::Array(items) => {
                let mut merged = Value::Object(Map::new());
                for (i, item) in items.into_iter().enumerate() {
                    let site = site.child(Segment::Index(i));
                    let Value::String(path) = item else {
                        let found = describe(&item);
                        return Err(frame.refuse(&site, None, IncludeProblem::NotAPath { found }));
                    };
                    merged = merge::deep_merge(merged, self.load(&path, at, &site, frame, out)?);
                }
                merged
            }
            other => {
                let found = describe(&other);
                return Err(frame.refuse(&site, None, IncludeProblem::NotAPath { found }));
            }
        };
        if siblings.is_empty() {
            return Ok(included);
        }
        if !included.is_object() {
            let problem = IncludeProblem::SiblingsNeedObject {
                found: describe(&included),
            };
            return Err(frame.refuse(&site, single.as_deref(), problem));
        }
        let siblings = self.value(Value::Object(siblings), at, frame, out)?;
        Ok(merge::deep_merge(included, siblings))
    }

    /// Reads, parses and resolves the file `include` names, written at `site`.
    fn load(
        &self,
        include: &str,
        at: &At,
        site: &At,
        frame: &Frame,
        out: &mut Vec<Source>,
    ) -> Result<Value, ConfigError> {
        let refuse = |problem| frame.refuse(site, Some(include), problem);
        let target = self.boundary.resolve(include, frame.path).map_err(refuse)?;
        if frame.chain.contains(&target.path) {
            let mut chain = frame.chain.clone();
            chain.push(target.path);
            return Err(refuse(IncludeProblem::Circular { chain }));
        }
        if frame.depth >= MAX_DEPTH {
            return Err(refuse(IncludeProblem::TooDeep));
        }
        let text = read::read_guarded(&target).map_err(refuse)?;
        let parsed = document::parse(&text, "").map_err(|e| {
            refuse(IncludeProblem::Syntax {
                resolved: target.path.clone(),
                position: e.line.zip(e.column),
                message: match e.kind {
                    ConfigErrorKind::Syntax(message) => message,
                    other => other.to_string(),
                },
            })
        })?;
        let shown = target.path.display().to_string();
        let mut chain = frame.chain.clone();
        chain.push(target.path.clone());
        let nested = Frame {
            path: &target.path,
            shown: &shown,
            text: &text,
            chain,
            depth: frame.depth + 1,
        };
        let here = At {
            logical: at.logical.clone(),
            local: KeyPath::default(),
        };
        let mut includes = Vec::new();
        let value = self.value(parsed, &here, &nested, &mut includes)?;
        out.push(Source {
            file: shown,
            text,
            mount: at.logical.clone(),
            includes,
        });
        Ok(value)
    }
}

#[cfg(test)]
mod tests;
