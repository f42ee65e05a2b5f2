//! A secret value that never leaks by accident.

use sha2::{Digest, Sha256};

/// A secret's bytes. `Debug` is redacted and there is no `Display`, so a
/// value cannot end up in a log line, an event or a status by a stray `{}`;
/// code that needs the value calls [`SecretValue::expose`] and is easy to
/// audit. Comparisons go through [`SecretValue::digest`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a value read from a secret source.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must send it (the platform API).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sha256:<hex>` of the value: what the operator stores and compares.
    pub fn digest(&self) -> String {
        digest_hex(self.0.as_bytes())
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// `sha256:<hex>` of some bytes.
pub fn digest_hex(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let v = SecretValue::new("hunter2");
        assert!(!format!("{v:?}").contains("hunter2"));
        assert_eq!(v.expose(), "hunter2");
    }

    #[test]
    fn digest_is_stable_and_value_free() {
        let d = SecretValue::new("hunter2").digest();
        assert_eq!(d, SecretValue::new("hunter2").digest());
        assert_ne!(d, SecretValue::new("hunter3").digest());
        assert!(d.starts_with("sha256:") && !d.contains("hunter2"));
    }
}
