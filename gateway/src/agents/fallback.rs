//! Running one turn through a model chain: the primary first, then each
//! fallback, rotating keys of a provider on rate-limit and auth failures,
//! recording every attempt and why it was skipped.

use futures::StreamExt;

use super::config::{AgentsConfig, ModelChain};
use super::endpoints::{Env, key_hint, resolve};
use super::events::RunEventKind;
use super::message::Attempt;
use super::model_ref::ModelRef;
use super::providers::{
    FailureKind, KeySource, ModelRequest, ProviderError, StreamItem, Timeouts, Usage, open,
};

/// The model that answered and how its answer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub model: ModelRef,
    pub usage: Usage,
    pub stop_reason: String,
}

/// What a chain run needs from the engine.
pub struct ChainContext<'a> {
    pub http: &'a reqwest::Client,
    pub config: &'a AgentsConfig,
    pub env: &'a Env,
    pub timeouts: Timeouts,
}

/// Runs `chain` for `request` (its `model` is set per candidate). The answer's
/// text accumulates in `text` (cleared when a fallback starts over), each
/// model tried is pushed to `attempts`, progress goes to `emit`.
pub async fn run_chain(
    cx: &ChainContext<'_>,
    chain: &ModelChain,
    request: &ModelRequest,
    text: &mut String,
    attempts: &mut Vec<Attempt>,
    emit: &mut (dyn FnMut(RunEventKind) + Send),
) -> Result<Answered, ProviderError> {
    let candidates: Vec<&ModelRef> = chain.candidates().collect();
    let mut last = None;
    for (i, model) in candidates.iter().enumerate() {
        match try_model(cx, model, request, text, attempts, emit).await {
            Ok(answer) => return Ok(answer),
            Err(e) => {
                if !e.kind.falls_back() {
                    return Err(e);
                }
                if let Some(next) = candidates.get(i + 1) {
                    tracing::info!(target: "agents", "model {model} failed ({e}); falling back to {next}");
                    text.clear();
                    emit(RunEventKind::Fallback {
                        from: model.to_string(),
                        to: next.to_string(),
                        reason: e.kind,
                        message: e.message.clone(),
                    });
                }
                last = Some(e);
            }
        }
    }
    Err(last.expect("a model chain has at least its primary"))
}

async fn try_model(
    cx: &ChainContext<'_>,
    model: &ModelRef,
    request: &ModelRequest,
    text: &mut String,
    attempts: &mut Vec<Attempt>,
    emit: &mut (dyn FnMut(RunEventKind) + Send),
) -> Result<Answered, ProviderError> {
    let failed = |attempts: &mut Vec<Attempt>, e: &ProviderError, key: Option<&KeySource>| {
        let mut failure = e.kind.attempt(e.status, &e.message);
        failure.retry_after_ms = e.retry_after.map(|d| d.as_millis() as u64);
        failure.key_source = key.map(|k| k.origin.clone());
        attempts.push(Attempt {
            model: model.to_string(),
            failure: Some(failure),
        });
    };
    let (endpoint, keys) = match resolve(cx.config, model.provider(), cx.env, cx.timeouts) {
        Ok(found) => found,
        Err(e) => {
            failed(attempts, &e, None);
            return Err(e);
        }
    };
    if keys.is_empty() {
        let e = ProviderError::new(
            FailureKind::MissingKey,
            format!(
                "no API key for provider \"{}\": {}",
                model.provider(),
                key_hint(cx.config, model.provider())
            ),
        );
        failed(attempts, &e, None);
        return Err(e);
    }
    let request = ModelRequest {
        model: model.model().to_owned(),
        ..request.clone()
    };
    let mut last = None;
    for (k, key) in keys.iter().enumerate() {
        emit(RunEventKind::Attempt {
            model: model.to_string(),
        });
        match stream_once(cx, &endpoint, key, &request, text, emit).await {
            Ok((usage, stop_reason)) => {
                attempts.push(Attempt {
                    model: model.to_string(),
                    failure: None,
                });
                return Ok(Answered {
                    model: model.clone(),
                    usage,
                    stop_reason,
                });
            }
            Err(e) => {
                failed(attempts, &e, Some(key));
                let another_key = e.kind.tries_next_key() && k + 1 < keys.len() && text.is_empty();
                last = Some(e);
                if !another_key {
                    break;
                }
            }
        }
    }
    Err(last.expect("at least one key was tried"))
}

async fn stream_once(
    cx: &ChainContext<'_>,
    endpoint: &super::providers::Endpoint,
    key: &KeySource,
    request: &ModelRequest,
    text: &mut String,
    emit: &mut (dyn FnMut(RunEventKind) + Send),
) -> Result<(Usage, String), ProviderError> {
    let mut stream = open(cx.http, endpoint, &key.key, request).await?;
    while let Some(item) = stream.next().await {
        match item? {
            StreamItem::Text(piece) => {
                text.push_str(&piece);
                emit(RunEventKind::Delta { text: piece });
            }
            StreamItem::Done { stop_reason, usage } => return Ok((usage, stop_reason)),
        }
    }
    Err(ProviderError::new(
        FailureKind::Protocol,
        format!("{} stream ended without a result", endpoint.provider),
    ))
}
