//! Resolving a provider id to where to call it and which keys to try.
//!
//! Base URL: `models.providers.<id>.baseUrl`, else the provider's
//! `*_BASE_URL` variable (`ANTHROPIC_BASE_URL`, `OPENAI_BASE_URL`,
//! `GOOGLE_BASE_URL`), else the public API. Keys, in order:
//! `models.providers.<id>.apiKey`, then the `auth.profiles` of the provider
//! (in `auth.order`), each read from the environment, then — with no profile
//! configured — the provider's standard variables.

use super::config::{AgentsConfig, AuthSection, SecretInput, SecretSource};
use super::providers::{
    Endpoint, FailureKind, KeySource, ProviderError, Timeouts, built_in, env_keys,
};
use super::secret::ApiKey;

/// The environment as seen at start-up (a snapshot, so tests can pass their own).
#[derive(Clone, Debug, Default)]
pub struct Env(pub Vec<(String, String)>);

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Where to send calls for `provider`, and the keys to try in order.
pub fn resolve(
    config: &AgentsConfig,
    provider: &str,
    env: &Env,
    defaults: Timeouts,
) -> Result<(Endpoint, Vec<KeySource>), ProviderError> {
    if let Some(reason) = config.models.unavailable.get(provider) {
        return Err(ProviderError::new(
            FailureKind::Unsupported,
            format!("provider \"{provider}\" is unavailable: {reason}"),
        ));
    }
    let Some(settings) = config.models.providers.get(provider) else {
        return Err(ProviderError::new(
            FailureKind::Unsupported,
            format!("provider \"{provider}\" is not configured"),
        ));
    };
    let builtin = built_in(provider);
    let base_url = settings
        .base_url
        .clone()
        .or_else(|| {
            builtin
                .and_then(|b| env.get(b.base_url_env))
                .map(str::to_owned)
        })
        .or_else(|| builtin.map(|b| b.base_url.to_owned()))
        .unwrap_or_default();
    let timeouts = match settings.timeout_seconds {
        Some(s) => Timeouts {
            first_byte: std::time::Duration::from_secs(s),
            idle: std::time::Duration::from_secs(s),
        },
        None => defaults,
    };
    let mut headers = Vec::new();
    for (name, value) in &settings.headers {
        let value = secret(value, env).map_err(|e| {
            ProviderError::new(
                FailureKind::MissingKey,
                format!("models.providers.{provider}.headers.{name}: {e}"),
            )
        })?;
        headers.push((name.clone(), value.expose().to_owned()));
    }
    let endpoint = Endpoint {
        provider: provider.to_owned(),
        api: settings.api,
        base_url,
        headers,
        timeouts,
    };

    let mut keys = Vec::new();
    let mut push = |k: KeySource| {
        if !keys.iter().any(|e: &KeySource| e.key == k.key) {
            keys.push(k);
        }
    };
    if let Some(input) = &settings.api_key {
        match secret(input, env) {
            Ok(key) => push(KeySource {
                origin: format!("models.providers.{provider}.apiKey"),
                key,
            }),
            Err(e) => tracing::warn!(target: "agents", "models.providers.{provider}.apiKey: {e}"),
        }
    }
    let profiles = config.auth.profiles_for(provider);
    let standard = || env_keys(provider, &env.0);
    if profiles.is_empty() {
        standard().into_iter().for_each(&mut push);
    }
    for (id, _) in profiles {
        match AuthSection::key_variables(id, provider) {
            None => standard().into_iter().for_each(&mut push),
            Some(var) => {
                if let Some(key) = env.get(&var).and_then(ApiKey::new) {
                    push(KeySource { origin: var, key });
                }
            }
        }
    }
    Ok((endpoint, keys))
}

/// Where to put a key for `provider`, for the "no key" message.
pub fn key_hint(config: &AgentsConfig, provider: &str) -> String {
    let p = match provider {
        "google" => "GEMINI".to_owned(),
        other => other.to_ascii_uppercase().replace('-', "_"),
    };
    let named: Vec<String> = config
        .auth
        .profiles_for(provider)
        .into_iter()
        .filter_map(|(id, _)| AuthSection::key_variables(id, provider))
        .collect();
    if named.is_empty() {
        format!("set {p}_API_KEY in the gateway's environment")
    } else {
        format!(
            "set {} (or {p}_API_KEY) in the gateway's environment",
            named.join(" or ")
        )
    }
}

fn secret(input: &SecretInput, env: &Env) -> Result<ApiKey, String> {
    match input {
        SecretInput::Literal(s) => ApiKey::new(s.as_str()).ok_or_else(|| "is empty".to_owned()),
        SecretInput::Ref {
            source: SecretSource::Env,
            id,
            ..
        } => env
            .get(id)
            .and_then(ApiKey::new)
            .ok_or_else(|| format!("environment variable {id} is not set")),
        SecretInput::Ref {
            source: SecretSource::File,
            id,
            ..
        } => std::fs::read_to_string(id)
            .ok()
            .and_then(ApiKey::new)
            .ok_or_else(|| format!("cannot read a secret from file {id}")),
        SecretInput::Ref { source, .. } => Err(format!(
            "secret source {source:?} is not supported by this gateway (use env or file)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::config::{Sections, parse};
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env(pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect())
    }

    #[test]
    fn base_url_comes_from_config_then_env_then_the_public_api() {
        let cfg = AgentsConfig::unconfigured();
        let e = env(&[("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")]);
        let (ep, _) = resolve(&cfg, "anthropic", &e, Timeouts::default()).unwrap();
        assert_eq!(ep.base_url, "http://127.0.0.1:9");
        let (ep, _) = resolve(&cfg, "openai", &e, Timeouts::default()).unwrap();
        assert_eq!(ep.base_url, "https://api.openai.com/v1");
        let models =
            json!({"providers": {"anthropic": {"baseUrl": "http://proxy", "timeoutSeconds": 5}}});
        let cfg = parse(Sections {
            models: Some(&models),
            ..Default::default()
        })
        .unwrap()
        .config;
        let (ep, _) = resolve(&cfg, "anthropic", &e, Timeouts::default()).unwrap();
        assert_eq!(ep.base_url, "http://proxy");
        assert_eq!(ep.timeouts.idle.as_secs(), 5);
    }

    #[test]
    fn profiles_name_their_variables_in_auth_order() {
        let auth = json!({"profiles": {
            "anthropic:default": {"provider": "anthropic", "mode": "api_key"},
            "anthropic:work": {"provider": "anthropic", "mode": "token"}},
            "order": {"anthropic": ["anthropic:work", "anthropic:default"]}});
        let cfg = parse(Sections {
            auth: Some(&auth),
            ..Default::default()
        })
        .unwrap()
        .config;
        let e = env(&[
            ("ANTHROPIC_API_KEY", "k-default"),
            ("ANTHROPIC_API_KEY_WORK", "k-work"),
        ]);
        let (_, keys) = resolve(&cfg, "anthropic", &e, Timeouts::default()).unwrap();
        let origins: Vec<&str> = keys.iter().map(|k| k.origin.as_str()).collect();
        assert_eq!(origins, ["ANTHROPIC_API_KEY_WORK", "ANTHROPIC_API_KEY"]);
        assert!(key_hint(&cfg, "anthropic").contains("ANTHROPIC_API_KEY_WORK"));
    }
}
