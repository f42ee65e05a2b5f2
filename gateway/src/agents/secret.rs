//! API keys as a type that cannot leak through logs or files.

use std::fmt;

/// A provider API key. `Debug` and `Display` print `[redacted]`; it has no
/// `Serialize`, so it cannot end up in a session file or a JSON payload. The
/// only way to the bytes is [`ApiKey::expose`], used where a header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; surrounding whitespace (a trailing newline from a file or a
    /// secret store) is dropped, and an empty key is no key.
    pub fn new(raw: impl Into<String>) -> Option<Self> {
        let raw = raw.into();
        let trimmed = raw.trim();
        (!trimmed.is_empty()).then(|| Self(trimmed.to_owned()))
    }

    /// The key itself, for an HTTP header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `[redacted]`, for
    /// provider error messages that echo what they were sent.
    pub fn scrub(&self, text: &str) -> String {
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_key() {
        let key = ApiKey::new(" sk-secret-123\n").unwrap();
        assert_eq!(key.expose(), "sk-secret-123");
        assert!(!format!("{key:?} {key}").contains("secret"));
        assert_eq!(key.scrub("bad key sk-secret-123!"), "bad key [redacted]!");
        assert!(ApiKey::new("  ").is_none());
    }
}
