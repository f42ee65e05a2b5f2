//! The `auth` section: `auth.profiles` (metadata naming which credential to use
//! per provider) and `auth.order` (the order profiles are tried in). Secrets
//! never live here: a profile's key comes from the environment (see
//! [`AuthSection::key_variables`]).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::closed::{Checker, Shape};
use super::issues::did_you_mean;

/// How a profile authenticates (`auth.profiles.<id>.mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum ProfileMode {
    #[serde(rename = "api_key")]
    ApiKey,
    #[serde(rename = "token")]
    Token,
    #[serde(rename = "oauth")]
    OAuth,
    #[serde(rename = "aws-sdk")]
    AwsSdk,
}

impl ProfileMode {
    /// Modes whose credential is a static key this gateway can read from env.
    pub fn uses_static_key(self) -> bool {
        matches!(self, ProfileMode::ApiKey | ProfileMode::Token)
    }
}

/// One `auth.profiles.<id>` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Profile {
    pub provider: String,
    pub mode: ProfileMode,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

/// The resolved `auth` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthSection {
    pub profiles: BTreeMap<String, Profile>,
    pub order: BTreeMap<String, Vec<String>>,
}

impl AuthSection {
    /// The profiles to try for `provider`, in order: `auth.order.<provider>`
    /// if set, else the provider's profiles with `<provider>:default` first.
    /// Profiles whose mode needs a login flow (oauth, aws-sdk) are left out.
    pub fn profiles_for(&self, provider: &str) -> Vec<(&str, &Profile)> {
        let usable = |id: &str| {
            self.profiles
                .get_key_value(id)
                .filter(|(_, p)| p.provider == provider && p.mode.uses_static_key())
                .map(|(k, p)| (k.as_str(), p))
        };
        if let Some(order) = self.order.get(provider) {
            return order.iter().filter_map(|id| usable(id)).collect();
        }
        let mut ids: Vec<&String> = self.profiles.keys().collect();
        let default = format!("{provider}:default");
        ids.sort_by_key(|id| **id != default);
        ids.into_iter().filter_map(|id| usable(id)).collect()
    }

    /// The environment variables a profile's key is read from. `<p>:default`
    /// uses the provider's standard variables (`ANTHROPIC_API_KEY` …); another
    /// name `<p>:<name>` reads `<P>_API_KEY_<NAME>` (uppercased, `-`/`.`/`@` as `_`).
    pub fn key_variables(profile_id: &str, provider: &str) -> Option<String> {
        let name = profile_id.split_once(':').map_or(profile_id, |(_, n)| n);
        if name == "default" {
            return None;
        }
        let p = match provider {
            "google" => "GEMINI".to_owned(),
            other => other.to_ascii_uppercase().replace('-', "_"),
        };
        let n: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        Some(format!("{p}_API_KEY_{n}"))
    }
}

const AUTH: Shape = Shape {
    implemented: &["profiles", "order"],
    unimplemented: &[],
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    order: BTreeMap<String, Vec<String>>,
}

pub(super) fn parse(
    raw: Option<&Value>,
    providers: &[String],
    c: &mut Checker,
) -> Option<AuthSection> {
    let Some(raw) = raw else {
        return Some(AuthSection::default());
    };
    let mut value = raw.clone();
    c.closed(&mut value, "auth", &AUTH)?;
    let auth: RawAuth = c.typed(value, "auth")?;
    let before = c.issues.len();
    let mut login_only = Vec::new();
    for (id, profile) in &auth.profiles {
        if !providers.contains(&profile.provider) {
            let hint = did_you_mean(&profile.provider, providers.iter().map(String::as_str))
                .map(|p| format!("; did you mean \"{p}\"?"))
                .unwrap_or_default();
            c.issue(
                format!("auth.profiles.{id}.provider"),
                format!(
                    "unknown provider \"{}\" (known: {}{hint})",
                    profile.provider,
                    providers.join(", ")
                ),
            );
        }
        if !profile.mode.uses_static_key() {
            login_only.push(id.as_str());
        }
    }
    if !login_only.is_empty() {
        c.warnings.push(format!(
            "auth profiles {} use a login flow (oauth/aws-sdk) this gateway does not implement; they are skipped (set the provider's API key variable instead)",
            login_only.join(", ")
        ));
    }
    for (provider, ids) in &auth.order {
        for (i, id) in ids.iter().enumerate() {
            if !auth.profiles.contains_key(id) {
                c.warnings.push(format!(
                    "auth.order.{provider}[{i}]: no profile \"{id}\" in auth.profiles; ignored"
                ));
            }
        }
    }
    (c.issues.len() == before).then_some(AuthSection {
        profiles: auth.profiles,
        order: auth.order,
    })
}
