//! `provider/model` references, the way OpenClaw names models.

use std::fmt;

/// A model named as `provider/model`, e.g. `anthropic/claude-opus-4-5`.
/// The model part may itself contain slashes (`openrouter/meta/llama-3`); the
/// provider is everything before the first one, lowercased as the original does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelRef {
    provider: String,
    model: String,
}

impl ModelRef {
    /// Parses `provider/model`; the error says what is wrong with `raw`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let Some((provider, model)) = raw.split_once('/') else {
            return Err(format!(
                "{raw:?} is not a provider/model reference (e.g. \"anthropic/claude-opus-4-5\")"
            ));
        };
        let provider = provider.trim().to_ascii_lowercase();
        let model = model.trim();
        if provider.is_empty() || model.is_empty() {
            return Err(format!(
                "{raw:?} is not a provider/model reference (e.g. \"anthropic/claude-opus-4-5\")"
            ));
        }
        Ok(Self {
            provider,
            model: model.to_owned(),
        })
    }

    /// The provider id (`anthropic`, `openai`, `google`, or a configured one).
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The provider-facing model id.
    pub fn model(&self) -> &str {
        &self.model
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_provider_and_model() {
        let r = ModelRef::parse("Anthropic/claude-opus-4-5").unwrap();
        assert_eq!((r.provider(), r.model()), ("anthropic", "claude-opus-4-5"));
        let r = ModelRef::parse("openrouter/meta/llama").unwrap();
        assert_eq!(r.model(), "meta/llama");
        assert_eq!(r.to_string(), "openrouter/meta/llama");
    }

    #[test]
    fn rejects_bare_names() {
        assert!(
            ModelRef::parse("gpt-4o")
                .unwrap_err()
                .contains("provider/model")
        );
        assert!(ModelRef::parse("/x").is_err());
        assert!(ModelRef::parse("x/").is_err());
    }
}
