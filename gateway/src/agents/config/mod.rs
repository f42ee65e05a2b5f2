//! Typed, validated config for agents: the `agents`, `auth`, `bindings` and
//! `models` sections of `openclaw.json`.
//!
//! The loader hands over the raw JSON of each section; [`parse`] returns the
//! typed config or every problem found, each naming its key path
//! (`agents.defaults.model.primary: unknown provider "antrhopic" …`). Objects
//! are closed as in the original: an unknown key is an error, while keys the
//! original knows but this gateway does not implement yet are accepted and
//! listed in [`Parsed::ignored`] so the loader can name them in one warning.

mod agents;
mod auth;
mod bindings;
pub(crate) mod closed;
pub(crate) mod issues;
mod models;

use serde_json::Value;

pub use agents::{
    AgentConfig, AgentsSection, DEFAULT_AGENT_ID, DEFAULT_MODEL, Identity, ModelChain,
    default_max_concurrent, normalize_agent_id,
};
pub use auth::{AuthSection, Profile, ProfileMode};
pub use bindings::{Binding, BindingMatch, Bindings, Peer, PeerKind, RouteQuery};
pub use issues::{ConfigErrors, ConfigIssue};
pub use models::{ModelsSection, ProviderSettings, SecretInput, SecretSource};

/// The raw sections, as found in the config file (absent = `None`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Sections<'a> {
    pub agents: Option<&'a Value>,
    pub auth: Option<&'a Value>,
    pub bindings: Option<&'a Value>,
    pub models: Option<&'a Value>,
}

/// Everything agents need from the config, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentsConfig {
    pub agents: AgentsSection,
    pub auth: AuthSection,
    pub bindings: Bindings,
    pub models: ModelsSection,
}

impl Default for AgentsConfig {
    fn default() -> Self {
        Self::unconfigured()
    }
}

impl AgentsConfig {
    /// The config of a gateway with no agent-related sections: agent `main`
    /// on the default model, built-in providers.
    pub fn unconfigured() -> Self {
        parse(Sections::default())
            .expect("the empty config is valid")
            .config
    }
}

/// A parsed config with what the operator should be told about it.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub config: AgentsConfig,
    /// Key paths the original knows that this gateway ignores (one warning).
    pub ignored: Vec<String>,
    /// Other warnings (legacy migrations, skipped profiles …), one line each.
    pub warnings: Vec<String>,
}

/// Validates and types the agent-related sections. Nothing is half-applied:
/// any issue means `Err` with all of them.
pub fn parse(sections: Sections<'_>) -> Result<Parsed, ConfigErrors> {
    let mut c = closed::Checker::default();
    let models = models::parse(sections.models, &mut c);
    let provider_ids = models
        .as_ref()
        .map(ModelsSection::provider_ids)
        .unwrap_or_default();
    let agents = agents::parse(sections.agents, &provider_ids, &mut c);
    let auth = auth::parse(sections.auth, &provider_ids, &mut c);
    let bindings = agents
        .as_ref()
        .and_then(|a| bindings::parse(sections.bindings, a, &mut c));
    match (models, agents, auth, bindings) {
        (Some(models), Some(agents), Some(auth), Some(bindings)) if c.issues.is_empty() => {
            Ok(Parsed {
                config: AgentsConfig {
                    agents,
                    auth,
                    bindings,
                    models,
                },
                ignored: c.ignored,
                warnings: c.warnings,
            })
        }
        _ => Err(ConfigErrors(c.issues)),
    }
}

#[cfg(test)]
mod tests;
