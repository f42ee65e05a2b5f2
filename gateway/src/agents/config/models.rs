//! The provider settings of `models.providers.<id>`: base URL, API kind, key,
//! timeout and headers, for the built-in providers (overlays) and for custom
//! OpenAI-, Anthropic- or Gemini-compatible ones.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::super::providers::{Api, BUILT_INS, built_in};
use super::closed::{Checker, Shape};

/// A secret as the original's config writes it: a literal (after `${VAR}`
/// expansion by the loader) or a reference `{source, provider, id}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SecretInput {
    Literal(String),
    Ref {
        source: SecretSource,
        #[serde(default)]
        provider: Option<String>,
        id: String,
    },
}

/// Where a secret reference points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretSource {
    Env,
    File,
    Exec,
    Store,
}

/// One provider's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSettings {
    pub id: String,
    pub api: Api,
    /// Configured base URL; `None` means the built-in default (or the env override).
    pub base_url: Option<String>,
    pub api_key: Option<SecretInput>,
    pub timeout_seconds: Option<u64>,
    pub headers: Vec<(String, SecretInput)>,
    pub max_tokens: Option<u32>,
    /// Custom providers' models (`id`, `name`).
    pub models: Vec<(String, String)>,
}

/// All usable providers: the built-ins, overlaid and extended by config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelsSection {
    pub providers: BTreeMap<String, ProviderSettings>,
    /// Configured providers whose API is not implemented here, with the reason;
    /// model references may name them (the config loads) but calls fail over.
    pub unavailable: BTreeMap<String, String>,
}

impl ModelsSection {
    /// Provider ids model references may name.
    pub fn provider_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .providers
            .keys()
            .chain(self.unavailable.keys())
            .cloned()
            .collect();
        ids.sort();
        ids
    }
}

const MODELS: Shape = Shape {
    implemented: &["providers"],
    unimplemented: &["mode", "catalogRefresh"],
};

const PROVIDER: Shape = Shape {
    implemented: &[
        "baseUrl",
        "apiKey",
        "auth",
        "api",
        "maxTokens",
        "timeoutSeconds",
        "headers",
        "models",
    ],
    unimplemented: &[
        "region",
        "injectNumCtxForOpenAICompat",
        "params",
        "agentRuntime",
        "localService",
        "authHeader",
        "request",
    ],
};

const MODEL: Shape = Shape {
    implemented: &["id", "name"],
    unimplemented: &[
        "api",
        "baseUrl",
        "reasoning",
        "input",
        "cost",
        "contextWindow",
        "contextTokens",
        "maxTokens",
        "thinkingLevelMap",
        "params",
        "agentRuntime",
        "headers",
        "compat",
        "mediaInput",
        "metadataSource",
    ],
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawProvider {
    base_url: Option<String>,
    api_key: Option<SecretInput>,
    #[allow(dead_code)] // validated only: keys always come through profiles/env here
    auth: Option<String>,
    api: Option<String>,
    max_tokens: Option<f64>,
    timeout_seconds: Option<u64>,
    #[serde(default)]
    headers: BTreeMap<String, SecretInput>,
    #[serde(default)]
    models: Vec<RawModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    id: String,
    name: String,
}

pub(super) fn parse(raw: Option<&Value>, c: &mut Checker) -> Option<ModelsSection> {
    let mut providers: BTreeMap<String, ProviderSettings> = BUILT_INS
        .iter()
        .map(|b| {
            (
                b.id.to_owned(),
                ProviderSettings {
                    id: b.id.to_owned(),
                    api: b.api,
                    base_url: None,
                    api_key: None,
                    timeout_seconds: None,
                    headers: Vec::new(),
                    max_tokens: None,
                    models: Vec::new(),
                },
            )
        })
        .collect();
    let Some(raw) = raw else {
        return Some(ModelsSection {
            providers,
            unavailable: BTreeMap::new(),
        });
    };
    let before = c.issues.len();
    let mut value = raw.clone();
    let map = c.closed(&mut value, "models", &MODELS)?;
    let mut unavailable = BTreeMap::new();
    let Some(Value::Object(configured)) = map.remove("providers") else {
        return Some(ModelsSection {
            providers,
            unavailable,
        });
    };
    let mut unsupported = Vec::new();
    for (id, mut entry) in configured {
        let path = format!("models.providers.{id}");
        let Some(entry_map) = c.closed(&mut entry, &path, &PROVIDER) else {
            continue;
        };
        if let Some(Value::Array(models)) = entry_map.get_mut("models") {
            for (i, m) in models.iter_mut().enumerate() {
                c.closed(m, &format!("{path}.models[{i}]"), &MODEL);
            }
        }
        let Some(p) = c.typed::<RawProvider>(entry, &path) else {
            continue;
        };
        let builtin = built_in(&id);
        let api = match (p.api.as_deref(), builtin) {
            (Some(name), _) => match Api::from_id(name) {
                Some(api) => api,
                None => {
                    unsupported.push(format!("{path}.api = \"{name}\""));
                    providers.remove(&id);
                    unavailable.insert(
                        id.clone(),
                        format!("its api \"{name}\" is not implemented by this gateway"),
                    );
                    continue;
                }
            },
            (None, Some(b)) => b.api,
            (None, None) => {
                c.issue(
                    format!("{path}.api"),
                    format!(
                        "custom model providers must declare api (one of: {})",
                        Api::ALL.map(Api::id).join(", ")
                    ),
                );
                continue;
            }
        };
        if builtin.is_none() && p.base_url.is_none() {
            c.issue(
                format!("{path}.baseUrl"),
                "custom model providers must declare baseUrl; provider overlays without baseUrl are only supported for bundled providers",
            );
            continue;
        }
        providers.insert(
            id.clone(),
            ProviderSettings {
                id,
                api,
                base_url: p.base_url,
                api_key: p.api_key,
                timeout_seconds: p.timeout_seconds.filter(|s| *s > 0),
                headers: p.headers.into_iter().collect(),
                max_tokens: p
                    .max_tokens
                    .map(|n| n.clamp(1.0, f64::from(u32::MAX)) as u32),
                models: p.models.into_iter().map(|m| (m.id, m.name)).collect(),
            },
        );
    }
    if !unsupported.is_empty() {
        c.warnings.push(format!(
            "model providers with an API this gateway does not implement are unavailable ({}); supported: {}",
            unsupported.join(", "),
            Api::ALL.map(Api::id).join(", ")
        ));
    }
    (c.issues.len() == before).then_some(ModelsSection {
        providers,
        unavailable,
    })
}
