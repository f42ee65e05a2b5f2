//! Identity of a resource across front ends.

use std::fmt;

/// `namespace/name` of an `OpenClaw`: the key every front end, log line,
/// metric and ownership mark (`openclaw.ai/owner`) uses.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    /// Kubernetes namespace (`default` when a file omits it).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ResourceKey {
    /// A key from its parts.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// Parses `ns/name` (as written in the owner metadata).
    pub fn parse(s: &str) -> Option<Self> {
        let (ns, name) = s.split_once('/')?;
        (!ns.is_empty() && !name.is_empty() && !name.contains('/')).then(|| Self::new(ns, name))
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let k = ResourceKey::new("default", "my-openclaw");
        assert_eq!(ResourceKey::parse(&k.to_string()), Some(k));
        assert_eq!(ResourceKey::parse("nope"), None);
        assert_eq!(ResourceKey::parse("a/b/c"), None);
    }
}
