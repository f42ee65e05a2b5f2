//! API tokens and the `Authorization` header they become.
//!
//! Fly has two token families. Macaroon tokens (`fm1r_…`, `fm1a_…`,
//! `fm2_…`, what `fly tokens create` prints, often as `FlyV1 fm2_…,fm2_…`)
//! go as `Authorization: FlyV1 <macaroons>`; anything else (legacy personal
//! access tokens, fly-local's token) goes as `Authorization: Bearer <token>`.
//! This mirrors the official Go client: strip any scheme, split on commas,
//! and send only the macaroons under `FlyV1` when there are any.

use std::fmt;

use reqwest::header::HeaderValue;

use crate::error::Error;

/// The environment variable flyctl and this client read the token from.
pub const TOKEN_ENV: &str = "FLY_API_TOKEN";

/// How a token is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: FlyV1 <macaroon>[,<macaroon>…]`.
    FlyV1,
}

/// An API token, ready to be sent. Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct Token {
    scheme: Scheme,
    header: HeaderValue,
}

impl Token {
    /// Parses a token as flyctl prints it: bare, `Bearer …` or `FlyV1 …`,
    /// possibly several comma-separated.
    pub fn new(raw: &str) -> Result<Self, Error> {
        let stripped = strip_scheme(raw.trim());
        let parts: Vec<&str> = stripped
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "the API token is empty; set {TOKEN_ENV} to a token from `fly tokens create`"
            )));
        }
        let macaroons: Vec<&str> = parts.iter().copied().filter(|p| is_macaroon(p)).collect();
        let (scheme, value) = if macaroons.is_empty() {
            (Scheme::Bearer, format!("Bearer {}", parts.join(",")))
        } else {
            (Scheme::FlyV1, format!("FlyV1 {}", macaroons.join(",")))
        };
        let mut header = HeaderValue::from_str(&value).map_err(|_| {
            Error::InvalidArgument(format!(
                "the API token contains characters that cannot be sent in a header; check {TOKEN_ENV}"
            ))
        })?;
        header.set_sensitive(true);
        Ok(Self { scheme, header })
    }

    /// Reads [`TOKEN_ENV`]; `Ok(None)` when it is unset or empty.
    pub fn from_env() -> Result<Option<Self>, Error> {
        match std::env::var(TOKEN_ENV) {
            Ok(raw) if !raw.trim().is_empty() => Self::new(&raw).map(Some),
            _ => Ok(None),
        }
    }

    /// How the token is presented.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({:?}, <redacted>)", self.scheme)
    }
}

fn strip_scheme(token: &str) -> &str {
    let (first, rest) = token.split_once(char::is_whitespace).unwrap_or((token, ""));
    if first.eq_ignore_ascii_case("bearer") || first.eq_ignore_ascii_case("flyv1") {
        rest.trim_start()
    } else {
        token
    }
}

fn is_macaroon(token: &str) -> bool {
    matches!(token.split_once('_'), Some(("fm1r" | "fm1a" | "fm2", _)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(raw: &str) -> String {
        Token::new(raw)
            .unwrap()
            .header()
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn plain_tokens_go_as_bearer() {
        assert_eq!(header("abc123"), "Bearer abc123");
        assert_eq!(header("Bearer abc123"), "Bearer abc123");
        assert_eq!(Token::new("abc").unwrap().scheme(), Scheme::Bearer);
    }

    #[test]
    fn macaroons_go_as_flyv1() {
        assert_eq!(header("fm2_lJPECAAAAAAAAA"), "FlyV1 fm2_lJPECAAAAAAAAA");
        assert_eq!(header("fm1r_abc"), "FlyV1 fm1r_abc");
        assert_eq!(header("fm1a_abc"), "FlyV1 fm1a_abc");
        assert_eq!(header("FlyV1 fm2_a,fm2_b"), "FlyV1 fm2_a,fm2_b");
        assert_eq!(header("flyv1 fm2_a, fm2_b"), "FlyV1 fm2_a,fm2_b");
    }

    #[test]
    fn only_macaroons_are_sent_when_mixed() {
        assert_eq!(header("FlyV1 fm2_a,legacy"), "FlyV1 fm2_a");
    }

    #[test]
    fn empty_and_unsendable_tokens_are_refused_with_a_hint() {
        assert!(
            Token::new("  ")
                .unwrap_err()
                .to_string()
                .contains(TOKEN_ENV)
        );
        assert!(
            Token::new("Bearer ")
                .unwrap_err()
                .to_string()
                .contains(TOKEN_ENV)
        );
        assert!(
            Token::new("abc\ndef")
                .unwrap_err()
                .to_string()
                .contains(TOKEN_ENV)
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        assert!(!format!("{:?}", Token::new("fm2_secret").unwrap()).contains("secret"));
    }
}
