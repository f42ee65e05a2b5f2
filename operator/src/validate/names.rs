//! Names the platforms accept: Fly app and volume names, org slugs, env vars.

/// Fly app names become DNS labels (`APP.fly.dev`): lowercase letters, digits
/// and dashes, starting with a letter, at most 63 characters.
pub fn is_app_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && !s.ends_with('-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Fly app names: DNS labels of 2 to 63 characters (Fly refuses a
/// one-letter app, so it is refused here, before any write).
pub fn is_fly_app_name(s: &str) -> bool {
    s.len() >= 2 && is_app_name(s)
}

/// Fly volume names: lowercase letters, digits and underscores, at most 30.
pub fn is_volume_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 30
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Org slugs: lowercase letters, digits and dashes.
pub fn is_org_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// A POSIX environment variable name (what Fly accepts as a secret name).
pub fn is_env_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names() {
        assert!(is_app_name("my-openclaw"));
        assert!(is_app_name("a1"));
        for bad in ["", "My-app", "1app", "app-", "a_b", &"a".repeat(64)] {
            assert!(!is_app_name(bad), "{bad}");
        }
        assert!(is_app_name("r") && !is_fly_app_name("r") && is_fly_app_name("r2"));
    }

    #[test]
    fn volume_and_env_names() {
        assert!(is_volume_name("openclaw_data"));
        assert!(!is_volume_name("openclaw-data"));
        assert!(is_env_name("ANTHROPIC_API_KEY"));
        assert!(!is_env_name("1ABC"));
        assert!(!is_env_name("A-B"));
        assert!(is_org_slug("personal"));
        assert!(!is_org_slug("Personal Org"));
    }
}
