//! Operator scopes and what each implies, as the original defines them.

use serde::Serialize;

/// An operator scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Scope {
    #[serde(rename = "operator.read")]
    Read,
    #[serde(rename = "operator.write")]
    Write,
    #[serde(rename = "operator.admin")]
    Admin,
    #[serde(rename = "operator.approvals")]
    Approvals,
    #[serde(rename = "operator.questions")]
    Questions,
    #[serde(rename = "operator.pairing")]
    Pairing,
    #[serde(rename = "operator.talk")]
    Talk,
    #[serde(rename = "operator.talk.secrets")]
    TalkSecrets,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Self::Read,
        Self::Write,
        Self::Admin,
        Self::Approvals,
        Self::Questions,
        Self::Pairing,
        Self::Talk,
        Self::TalkSecrets,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "operator.read",
            Self::Write => "operator.write",
            Self::Admin => "operator.admin",
            Self::Approvals => "operator.approvals",
            Self::Questions => "operator.questions",
            Self::Pairing => "operator.pairing",
            Self::Talk => "operator.talk",
            Self::TalkSecrets => "operator.talk.secrets",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// Scopes granted to a connection. `admin` implies every scope; `write` implies `read`
/// and `talk`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// The recognised scopes among `requested` (unknown names are dropped, as granted
    /// scopes only ever contain known ones).
    pub fn from_requested<'a>(requested: impl IntoIterator<Item = &'a str>) -> Self {
        let mut scopes: Vec<Scope> = requested.into_iter().filter_map(Scope::parse).collect();
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    pub fn empty() -> Self {
        Self(Vec::new())
    }

    pub fn allows(&self, needed: Scope) -> bool {
        self.0.iter().any(|held| match held {
            Scope::Admin => true,
            Scope::Write => matches!(needed, Scope::Write | Scope::Read | Scope::Talk),
            other => *other == needed,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Names, in the order they were granted (sorted).
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implications() {
        let write = ScopeSet::from_requested(["operator.write"]);
        assert!(
            write.allows(Scope::Read) && write.allows(Scope::Talk) && !write.allows(Scope::Admin)
        );
        let admin = ScopeSet::from_requested(["operator.admin"]);
        assert!(Scope::ALL.iter().all(|s| admin.allows(*s)));
        let read = ScopeSet::from_requested(["operator.read", "bogus", "operator.read"]);
        assert_eq!(read.names(), ["operator.read"]);
        assert!(!read.allows(Scope::Write));
        assert!(!ScopeSet::empty().allows(Scope::Read));
    }
}
