//! Sender allowlists (`allowFrom`, `users`, `groupAllowFrom`), normalized once at load.

/// Whose id syntax an allowlist uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Snowflakes, optionally written `discord:<id>`, `user:<id>` or `<@id>`; other
    /// entries are user names (matched only with `dangerouslyAllowNameMatching`).
    Discord,
    /// Numeric user ids, optionally `telegram:<id>` / `tg:<id>`.
    Telegram,
}

/// A normalized allowlist: ids, optional names, and whether `"*"` admits anyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    ids: Vec<String>,
    names: Vec<String>,
    wildcard: bool,
}

impl AllowList {
    /// Normalizes `entries`; the second value lists entries that can never match
    /// (for one warning naming them).
    pub fn parse<S: AsRef<str>>(
        entries: impl IntoIterator<Item = S>,
        platform: Platform,
    ) -> (Self, Vec<String>) {
        let mut list = Self::default();
        let mut useless = Vec::new();
        for raw in entries {
            let entry = raw.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                list.wildcard = true;
                continue;
            }
            match platform {
                Platform::Discord => {
                    let id = strip_prefix_ci(entry, "discord:")
                        .or_else(|| strip_prefix_ci(entry, "user:"))
                        .unwrap_or(entry);
                    let id = id
                        .strip_prefix("<@")
                        .and_then(|r| r.strip_suffix('>'))
                        .map(|r| r.trim_start_matches('!'))
                        .unwrap_or(id);
                    if is_numeric(id) {
                        list.ids.push(id.to_owned());
                    } else {
                        list.names.push(id.trim_start_matches('@').to_lowercase());
                    }
                }
                Platform::Telegram => {
                    let id = strip_prefix_ci(entry, "telegram:")
                        .or_else(|| strip_prefix_ci(entry, "tg:"))
                        .unwrap_or(entry);
                    if is_numeric(id) {
                        list.ids.push(id.to_owned());
                    } else {
                        useless.push(entry.to_owned());
                    }
                }
            }
        }
        (list, useless)
    }

    /// Nothing listed, not even `"*"`.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty() && self.names.is_empty() && !self.wildcard
    }

    pub fn has_wildcard(&self) -> bool {
        self.wildcard
    }

    /// Whether the sender is listed by id (or by `"*"`). Names only count when the
    /// operator allowed name matching, since names can be changed by their owner.
    pub fn allows(&self, id: &str, name: Option<&str>, name_matching: bool) -> bool {
        self.wildcard
            || self.ids.iter().any(|i| i == id)
            || (name_matching
                && name.is_some_and(|n| self.names.iter().any(|m| m.eq_ignore_ascii_case(n))))
    }

    /// Entries as written after normalization, for status output.
    pub fn display(&self) -> Vec<String> {
        let mut out: Vec<String> = self.ids.clone();
        out.extend(self.names.iter().cloned());
        if self.wildcard {
            out.push("*".into());
        }
        out
    }

    /// The list with `id` added (pairing approvals widen the DM allowlist).
    pub fn with(&self, extra: impl IntoIterator<Item = String>) -> Self {
        let mut list = self.clone();
        for id in extra {
            if !list.ids.contains(&id) {
                list.ids.push(id);
            }
        }
        list
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_entries_accept_the_usual_spellings() {
        let (list, useless) = AllowList::parse(
            ["123", "discord:456", "user:789", "<@!42>", "@Alice"],
            Platform::Discord,
        );
        assert!(useless.is_empty());
        for id in ["123", "456", "789", "42"] {
            assert!(list.allows(id, None, false), "{id}");
        }
        assert!(!list.allows("999", Some("alice"), false));
        assert!(list.allows("999", Some("ALICE"), true));
    }

    #[test]
    fn telegram_entries_are_numeric_ids_only() {
        let (list, useless) = AllowList::parse(
            ["tg:42", "Telegram:43", "@bob", "-100123"],
            Platform::Telegram,
        );
        assert_eq!(useless, ["@bob", "-100123"]);
        assert!(list.allows("42", None, false) && list.allows("43", None, false));
        assert!(!list.is_empty());
    }

    #[test]
    fn wildcard_admits_anyone() {
        let (list, _) = AllowList::parse(["*"], Platform::Telegram);
        assert!(list.allows("1", None, false));
        assert!(!AllowList::default().allows("1", None, true));
    }
}
