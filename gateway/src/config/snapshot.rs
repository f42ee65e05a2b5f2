//! The config file as the clients see it (`config.get`): its text, the parsed
//! document, the document with `$include`s merged, the same with `${VAR}`s
//! substituted, and whether it validates — read fresh from disk each time.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::source::Source;
use super::{Config, ConfigError, KeyPath, document, env_subst, include, paths};
use crate::env::Environment;

/// One read of the config file.
#[derive(Debug)]
pub struct Snapshot {
    pub path: PathBuf,
    /// `None` when the file does not exist.
    pub raw: Option<String>,
    pub parsed: Option<Value>,
    /// With `$include`s merged.
    pub source: Option<Value>,
    /// With `${VAR}`s substituted: what the gateway validates and runs.
    pub resolved: Option<Value>,
    pub included: Vec<String>,
    /// The validation result (`Ok(None)` when there is no file).
    pub validation: Result<Option<Config>, ConfigError>,
}

impl Snapshot {
    fn empty(path: &Path) -> Self {
        Snapshot {
            path: path.to_owned(),
            raw: None,
            parsed: None,
            source: None,
            resolved: None,
            included: Vec::new(),
            validation: Ok(None),
        }
    }

    pub fn exists(&self) -> bool {
        self.raw.is_some()
    }
}

/// Reads `path` and runs the validation pipeline, keeping every stage.
pub fn read(path: &Path, include_roots: &[PathBuf], env: &Environment) -> Snapshot {
    let mut snap = Snapshot::empty(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return snap,
        Err(e) => {
            snap.validation = Err(ConfigError::new(
                &path.display().to_string(),
                super::ConfigErrorKind::Read(e),
            ));
            return snap;
        }
    };
    snap.raw = Some(text.clone());
    snap.validation = stages(&mut snap, &text, path, include_roots, env).map(Some);
    snap
}

/// Validates `text` as if it were the file at `path` (for a write), keeping nothing.
pub fn validate_text(
    text: &str,
    path: &Path,
    include_roots: &[PathBuf],
    env: &Environment,
) -> Result<Config, ConfigError> {
    stages(&mut Snapshot::empty(path), text, path, include_roots, env)
}

fn stages(
    snap: &mut Snapshot,
    text: &str,
    path: &Path,
    include_roots: &[PathBuf],
    env: &Environment,
) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let value = document::parse(text, &file)?;
    snap.parsed = Some(value.clone());
    let mut source = Source::root(&file, text);
    let absolute = paths::absolute(path, &std::env::current_dir().unwrap_or_default());
    let boundary = include::Boundary::new(&absolute, include_roots);
    let mut value = include::resolve(value, &absolute, &mut source, &boundary)?;
    snap.source = Some(value.clone());
    snap.included = included_files(&source);
    env_subst::substitute(&mut value, env, &KeyPath::default()).map_err(|missing| {
        let needle = format!("${{{}}}", missing.var);
        let (file, position) = source
            .locate(&missing.path)
            .or_else(|| source.find_text(&needle))
            .map_or((file.as_str(), None), |(file, at)| (file, Some(at)));
        ConfigError::new(file, super::ConfigErrorKind::MissingEnvVar(missing.var))
            .key(missing.path.to_string())
            .at(position)
    })?;
    snap.resolved = Some(value.clone());
    Config::from_value(value, &source)
}

fn included_files(source: &Source) -> Vec<String> {
    let mut out = Vec::new();
    for inc in &source.includes {
        out.push(inc.file.clone());
        out.extend(included_files(inc));
    }
    out
}
