//! A string that must never reach a log line, an error message or a debug dump.

use std::fmt;

use subtle::ConstantTimeEq;

/// A shared secret (gateway token or password, device token).
///
/// `Debug` and `Display` print `***`, so a secret can travel inside settings and errors
/// without ever being logged; the only way to read it is [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value; empty strings are not secrets (the original treats them as unset).
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let value = value.into();
        (!value.is_empty()).then_some(Self(value))
    }

    /// The raw value, for the few places that must send or hash it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with a candidate in time independent of where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        // Lengths leak (as in every constant-time compare); contents do not.
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("hunter2").unwrap();
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
    }

    #[test]
    fn matches_only_the_exact_value() {
        let s = Secret::new("hunter2").unwrap();
        assert!(s.matches("hunter2"));
        assert!(!s.matches("hunter3"));
        assert!(!s.matches("hunter22"));
        assert!(!s.matches(""));
        assert!(Secret::new("").is_none());
    }
}
