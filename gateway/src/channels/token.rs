//! Finding a bot's token: the environment first (the deployment guide keeps tokens
//! in Fly secrets, never in `openclaw.json`), then the config, then a token file.
//! The token itself never reaches a log line or a status payload; only its
//! source does.

use std::path::Path;

use super::status::TokenSource;
use crate::config::secret_input::SecretInput;
use crate::env::Environment;
use crate::secret::Secret;

/// Where one account may find its token.
pub struct TokenSources<'a> {
    /// `DISCORD_BOT_TOKEN` / `TELEGRAM_BOT_TOKEN`; only the default account reads it.
    pub env_var: Option<&'a str>,
    /// The config key, for messages (`channels.discord.token`).
    pub config_key: String,
    pub config: Option<&'a SecretInput>,
    pub file: Option<&'a Path>,
}

/// The token and where it came from, or why there is none (a message naming
/// every place the operator can put it).
pub fn resolve(
    sources: &TokenSources<'_>,
    env: &Environment,
) -> Result<(Secret, TokenSource), String> {
    if let Some(var) = sources.env_var
        && let Some(token) = env.get_trimmed(var).and_then(Secret::new)
    {
        return Ok((token, TokenSource::Env));
    }
    if let Some(input) = sources.config {
        match input.resolve(env) {
            Ok(Some(token)) => return Ok((trimmed(token), TokenSource::Config)),
            Ok(None) => {}
            Err(e) => return Err(format!("{}: {e}", sources.config_key)),
        }
    }
    if let Some(path) = sources.file {
        return match std::fs::read_to_string(path) {
            Ok(text) => Secret::new(text.trim())
                .map(|t| (t, TokenSource::File))
                .ok_or_else(|| format!("token file {} is empty", path.display())),
            Err(e) => Err(format!(
                "cannot read the token file {}: {e}",
                path.display()
            )),
        };
    }
    let mut places = Vec::new();
    if let Some(var) = sources.env_var {
        places.push(var.to_owned());
    }
    places.push(sources.config_key.clone());
    Err(format!("no bot token: set {}", places.join(" or ")))
}

fn trimmed(token: Secret) -> Secret {
    let t = token.expose().trim();
    if t.len() == token.expose().len() {
        token
    } else {
        Secret::new(t).unwrap_or(token)
    }
}

/// `message` with every occurrence of the token replaced, for errors from client
/// libraries that may quote a request URL (the Telegram token is part of it).
pub fn redact(message: &str, token: &Secret) -> String {
    if token.expose().is_empty() {
        return message.to_owned();
    }
    message.replace(token.expose(), "<token>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_wins_then_config_then_file() {
        let env = Environment::from_vars([("TOKEN", " from-env ")]);
        let config = SecretInput::Plain(Secret::new("from-config").unwrap());
        let sources = |var| TokenSources {
            env_var: var,
            config_key: "channels.x.token".into(),
            config: Some(&config),
            file: None,
        };
        let (t, s) = resolve(&sources(Some("TOKEN")), &env).unwrap();
        assert_eq!((t.expose(), s), ("from-env", TokenSource::Env));
        let (t, s) = resolve(&sources(None), &env).unwrap();
        assert_eq!((t.expose(), s), ("from-config", TokenSource::Config));
        let none = TokenSources {
            env_var: Some("UNSET"),
            config_key: "channels.x.token".into(),
            config: None,
            file: None,
        };
        assert_eq!(
            resolve(&none, &env).unwrap_err(),
            "no bot token: set UNSET or channels.x.token"
        );
    }

    #[test]
    fn redacts_tokens_in_messages() {
        let token = Secret::new("123:ABC").unwrap();
        assert_eq!(
            redact(
                "error sending request for url (http://x/bot123:ABC/GetMe)",
                &token
            ),
            "error sending request for url (http://x/bot<token>/GetMe)"
        );
    }
}
