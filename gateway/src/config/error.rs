//! Config errors that say which file, which line and which key, and how to fix it.

use std::fmt;
use std::path::PathBuf;

/// Why a config file could not be used. The file itself is never modified.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file as the user named it (`<inline>` for [`super::validate_str`]).
    pub file: String,
    /// 1-based line of the offending key or character, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key path (`gateway.auth.mode`, `bindings[0].agentId`), when the error is about a key.
    pub key_path: Option<String>,
    pub kind: ConfigErrorKind,
}

/// What went wrong.
#[derive(Debug)]
pub enum ConfigErrorKind {
    /// The file exists but cannot be read.
    Read(std::io::Error),
    /// The text is not JSON5.
    Syntax(String),
    /// The document is JSON5 but breaks the schema.
    Invalid(String),
    /// A `${VAR}` reference names a variable that is unset or empty.
    MissingEnvVar(String),
    /// An `$include` cannot be resolved; the error's file is the including file and its
    /// key path ends in `$include`.
    Include {
        /// The path as written, when the directive names one.
        include: Option<String>,
        /// Boxed: most problems carry several paths, and errors travel by value.
        problem: Box<super::include::IncludeProblem>,
    },
}

impl ConfigError {
    pub(crate) fn new(file: &str, kind: ConfigErrorKind) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            column: None,
            key_path: None,
            kind,
        }
    }

    pub(crate) fn at(mut self, position: Option<(usize, usize)>) -> Self {
        if let Some((line, column)) = position {
            self.line = Some(line);
            self.column = Some(column);
        }
        self
    }

    pub(crate) fn key(mut self, key_path: impl Into<String>) -> Self {
        self.key_path = Some(key_path.into());
        self
    }

    /// The file path, for callers that want to point at it.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.file)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key_path {
            write!(f, "{key}: ")?;
        }
        self.kind.fmt(f)
    }
}

/// The problem alone, without file, line or key path.
impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(e) => write!(f, "cannot read the config file: {e}"),
            Self::Syntax(m) => write!(f, "JSON5 parse failed: {m}"),
            Self::Invalid(m) => f.write_str(m),
            Self::MissingEnvVar(var) => write!(
                f,
                "missing env var \"{var}\" (set it in the environment, ./.env or $OPENCLAW_STATE_DIR/.env, or write $${{{var}}} for a literal)"
            ),
            Self::Include {
                include: Some(path),
                problem,
            } => write!(f, "cannot include \"{path}\": {problem}"),
            Self::Include {
                include: None,
                problem,
            } => write!(f, "{problem}"),
        }
    }
}
