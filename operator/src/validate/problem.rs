//! Errors as data: what is wrong with a spec, where, and how to fix it.

use std::fmt;

/// Whether a problem is in the spec itself or in something it points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The spec cannot be applied as written: status reason `InvalidSpec`.
    Invalid,
    /// A referenced secret cannot be read (yet): status reason `SecretUnavailable`,
    /// retried, since creating the secret fixes it without touching the spec.
    SecretUnavailable,
}

/// One problem, naming the field path (e.g. `spec.gateway.port`) and the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path from the resource root, e.g. `spec.fly.vm.memoryMb`.
    pub path: String,
    /// What is wrong, e.g. `128 MB is below the 256 MB floor of the Rust gateway image`.
    pub problem: String,
    /// What to do, e.g. `set memoryMb to 256 or more`.
    pub fix: String,
    /// Spec mistake or unavailable secret.
    pub kind: ProblemKind,
}

impl FieldError {
    /// A spec mistake.
    pub fn invalid(
        path: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
            fix: fix.into(),
            kind: ProblemKind::Invalid,
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.path, self.problem, self.fix)
    }
}

/// Every problem found in one spec (never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<FieldError>);

impl SpecErrors {
    /// The status reason these errors map to: `InvalidSpec` if any problem is
    /// in the spec, else `SecretUnavailable`.
    pub fn reason(&self) -> &'static str {
        if self.0.iter().any(|e| e.kind == ProblemKind::Invalid) {
            "InvalidSpec"
        } else {
            "SecretUnavailable"
        }
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}
