//! The agent engine: accepts messages, runs them through the bound agent's
//! model chain under the scheduler, streams [`RunEvent`]s, and keeps the
//! sessions on disk.
//!
//! ```text
//! send ─► admit (queue bound) ─► wait: session turn + slot ─► persist user message
//!       ─► model chain (fallbacks, deltas) ─► persist answer ─► Final / Aborted / Error
//! ```
//! An abort cancels the run's token: a queued run ends at once, a running one
//! drops its provider stream, which closes the upstream HTTP request.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

use super::config::AgentsConfig;
use super::endpoints::Env;
use super::events::{RunEvent, RunEventKind, RunOutcome, RunRecord};
use super::fallback::{ChainContext, run_chain};
use super::message::{Attempt, MessageRole, TranscriptMessage, now_ms};
use super::providers::{ChatMessage, ModelRequest, ProviderError, Role, Timeouts};
use super::scheduler::{QueueFull, Scheduler};
use super::sessions::{History, KeyError, SessionError, SessionKey, SessionStore, SessionSummary};

/// Receives every run event as it happens, on the run's task (keep it quick).
pub type EventSink = Arc<dyn Fn(&RunEvent) + Send + Sync>;

/// Tunables that are not in `openclaw.json`.
#[derive(Clone)]
pub struct EngineOptions {
    /// `$OPENCLAW_STATE_DIR`; sessions live under `agents/` in it.
    pub state_dir: PathBuf,
    /// Provider timeouts when `models.providers.<id>.timeoutSeconds` is unset.
    pub timeouts: Timeouts,
    /// Runs allowed to wait beyond `maxConcurrent` before sends are refused.
    pub queue_limit: usize,
    /// The environment keys and base URLs are read from.
    pub env: Env,
    /// `max_tokens` asked of a model when its provider sets none.
    pub max_tokens: u32,
    /// Messages of history sent to the model with each turn.
    pub context_messages: usize,
    /// Events buffered per subscriber before a slow one misses some.
    pub event_buffer: usize,
    /// Called with every event, in order, before it is broadcast (the
    /// WebSocket layer's projection; it never misses an event).
    pub sink: Option<EventSink>,
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("state_dir", &self.state_dir)
            .field("timeouts", &self.timeouts)
            .field("queue_limit", &self.queue_limit)
            .field("max_tokens", &self.max_tokens)
            .field("context_messages", &self.context_messages)
            .field("event_buffer", &self.event_buffer)
            .field("sink", &self.sink.is_some())
            .finish_non_exhaustive()
    }
}

impl EngineOptions {
    /// Defaults for `state_dir`, with the process environment.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            state_dir: state_dir.into(),
            timeouts: Timeouts::default(),
            queue_limit: 256,
            env: Env::from_process(),
            max_tokens: 8192,
            context_messages: 100,
            event_buffer: 4096,
            sink: None,
        }
    }
}

/// A message to run.
#[derive(Clone, Debug, Default)]
pub struct SendRequest {
    /// `main`, `agent:<id>:<rest>`, or any key (scoped to the agent).
    pub session_key: String,
    /// The agent to run; default: the key's agent, else the default agent.
    pub agent_id: Option<String>,
    pub message: String,
    /// Becomes the run id; a second send with the same id is not run again.
    pub idempotency_key: Option<String>,
    /// Overall limit for this run (else `agents.defaults.timeoutSeconds`).
    pub timeout: Option<Duration>,
}

/// What a send did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// A new run started (or queued).
    Started,
    /// A run with this idempotency key is still going.
    InFlight,
    /// A run with this idempotency key already finished.
    Finished(Box<RunRecord>),
}

/// An accepted send.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub run_id: String,
    pub session_key: SessionKey,
    pub agent_id: String,
    pub accepted_at: i64,
    pub acceptance: Acceptance,
}

/// Why a send was refused (nothing was started or stored).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("message must not be empty")]
    EmptyMessage,
    #[error("message must not contain null bytes")]
    NullByte,
    #[error("unknown agent \"{agent}\" (configured: {known})")]
    UnknownAgent { agent: String, known: String },
    #[error(transparent)]
    BadKey(#[from] KeyError),
    #[error(transparent)]
    QueueFull(#[from] QueueFull),
}

struct RunEntry {
    session_key: String,
    cancel: CancellationToken,
    outcome: watch::Receiver<Option<RunRecord>>,
}

#[derive(Default)]
struct Registry {
    runs: HashMap<String, RunEntry>,
    finished: VecDeque<String>,
}

/// Finished runs remembered for `agent.wait` and duplicate sends.
const REMEMBERED_RUNS: usize = 1024;

struct Inner {
    config: RwLock<Arc<AgentsConfig>>,
    options: EngineOptions,
    http: reqwest::Client,
    sessions: SessionStore,
    scheduler: Scheduler,
    events: broadcast::Sender<RunEvent>,
    registry: Mutex<Registry>,
}

/// The agent engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// The engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Sessions(#[from] SessionError),
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

impl Engine {
    /// Opens the sessions under the state dir (blocking file I/O, at start-up)
    /// and accepts runs from then on. Runs need a Tokio runtime.
    pub fn new(config: AgentsConfig, options: EngineOptions) -> Result<Self, EngineError> {
        let (sessions, notes) = SessionStore::open(&options.state_dir)?;
        for note in notes {
            tracing::warn!(target: "agents", "{note}");
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("openclaw-gateway/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.timeouts.first_byte)
            .build()?;
        let scheduler = Scheduler::new(config.agents.max_concurrent, options.queue_limit);
        let (events, _) = broadcast::channel(options.event_buffer.max(16));
        Ok(Self {
            inner: Arc::new(Inner {
                config: RwLock::new(Arc::new(config)),
                options,
                http,
                sessions,
                scheduler,
                events,
                registry: Mutex::new(Registry::default()),
            }),
        })
    }

    /// The config runs use now.
    pub fn config(&self) -> Arc<AgentsConfig> {
        Arc::clone(&self.inner.config.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Every run event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RunEvent> {
        self.inner.events.subscribe()
    }

    /// Canonical key for `raw` as sent to `agent` (or the default agent).
    pub fn session_key(&self, raw: &str, agent: Option<&str>) -> Result<SessionKey, KeyError> {
        let config = self.config();
        SessionKey::resolve(raw, agent.unwrap_or(&config.agents.default_agent))
    }

    /// How many sessions exist.
    pub fn session_count(&self) -> usize {
        self.inner.sessions.count()
    }

    /// Runs now / waiting for a slot.
    pub fn load(&self) -> (usize, usize) {
        (
            self.inner.scheduler.running(),
            self.inner.scheduler.queued(),
        )
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Accepts a message; the run goes on in the background.
    pub fn send(&self, req: SendRequest) -> Result<Accepted, SendError> {
        if req.message.contains('\0') {
            return Err(SendError::NullByte);
        }
        let message = strip_control(&req.message);
        if message.trim().is_empty() {
            return Err(SendError::EmptyMessage);
        }
        let config = self.config();
        let requested = req
            .agent_id
            .as_deref()
            .map(super::config::normalize_agent_id);
        let key = SessionKey::resolve(
            &req.session_key,
            requested.as_deref().unwrap_or(&config.agents.default_agent),
        )?;
        let agent_id = requested.unwrap_or_else(|| key.agent_id().to_owned());
        let key = if key.agent_id() == agent_id {
            key
        } else {
            SessionKey::resolve(key.rest(), &agent_id)?
        };
        let Some(agent) = config.agents.agent(&agent_id).cloned() else {
            let known: Vec<&str> = config.agents.agents.iter().map(|a| a.id.as_str()).collect();
            return Err(SendError::UnknownAgent {
                agent: agent_id,
                known: known.join(", "),
            });
        };
        let run_id = req
            .idempotency_key
            .filter(|k| !k.trim().is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let accepted = |acceptance| Accepted {
            run_id: run_id.clone(),
            session_key: key.clone(),
            agent_id: agent.id.clone(),
            accepted_at: now_ms(),
            acceptance,
        };

        let (outcome_tx, cancel, ticket) = {
            let mut registry = self.registry();
            if let Some(existing) = registry.runs.get(&run_id) {
                return Ok(accepted(match existing.outcome.borrow().clone() {
                    Some(done) => Acceptance::Finished(Box::new(done)),
                    None => Acceptance::InFlight,
                }));
            }
            let ticket = self.inner.scheduler.admit()?;
            let (tx, rx) = watch::channel(None);
            let cancel = CancellationToken::new();
            registry.runs.insert(
                run_id.clone(),
                RunEntry {
                    session_key: key.as_str().to_owned(),
                    cancel: cancel.clone(),
                    outcome: rx,
                },
            );
            (tx, cancel, ticket)
        };

        let run = Run {
            accepted_at: now_ms(),
            engine: self.clone(),
            run_id: Arc::from(run_id.as_str()),
            key: key.clone(),
            agent_key: Arc::from(key.as_str()),
            agent_id: Arc::from(agent.id.as_str()),
            seq: 0,
        };
        let timeout = req.timeout.or(config.agents.run_timeout);
        tokio::spawn(run.execute(agent.model, message, ticket, cancel, timeout, outcome_tx));
        Ok(accepted(Acceptance::Started))
    }

    /// Aborts one run; `false` if it is unknown or already over.
    pub fn abort_run(&self, run_id: &str) -> bool {
        let registry = self.registry();
        match registry.runs.get(run_id) {
            Some(r) if r.outcome.borrow().is_none() => {
                r.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Aborts every unfinished run of a session (running or queued); returns their ids.
    pub fn abort_session(&self, key: &SessionKey) -> Vec<String> {
        let registry = self.registry();
        registry
            .runs
            .iter()
            .filter(|(_, r)| r.session_key == key.as_str() && r.outcome.borrow().is_none())
            .map(|(id, r)| {
                r.cancel.cancel();
                id.clone()
            })
            .collect()
    }

    /// Waits for a run to end, at most `limit`; `None` if unknown or still going.
    pub async fn wait(&self, run_id: &str, limit: Duration) -> Option<RunRecord> {
        let mut rx = self.registry().runs.get(run_id)?.outcome.clone();
        let done = match tokio::time::timeout(limit, rx.wait_for(Option::is_some)).await {
            Ok(Ok(v)) => v.clone(),
            _ => None,
        };
        done.or_else(|| rx.borrow().clone())
    }

    /// Whether `run_id` is known (running, queued, or recently finished).
    pub fn knows_run(&self, run_id: &str) -> bool {
        self.registry().runs.contains_key(run_id)
    }

    /// Session keys with an unfinished run (running or queued).
    pub fn busy_sessions(&self) -> std::collections::HashSet<String> {
        self.registry()
            .runs
            .values()
            .filter(|r| r.outcome.borrow().is_none())
            .map(|r| r.session_key.clone())
            .collect()
    }

    /// A page of a session's history (see [`SessionStore::history`]).
    pub async fn history(
        &self,
        key: &SessionKey,
        limit: usize,
        before: Option<usize>,
    ) -> Result<History, SessionError> {
        self.inner.sessions.history(key, limit, before).await
    }

    /// One session's summary, if it exists.
    pub async fn session(&self, key: &SessionKey) -> Option<SessionSummary> {
        self.inner.sessions.summary(key).await
    }

    /// The directory holding `agent`'s sessions.
    pub fn sessions_dir(&self, agent: &str) -> PathBuf {
        self.inner.sessions.agent_dir_path(agent)
    }

    /// The environment keys and base URLs are read from.
    pub fn env(&self) -> &Env {
        &self.inner.options.env
    }

    /// All sessions, most recent first.
    pub async fn sessions(&self) -> Vec<SessionSummary> {
        self.inner.sessions.list().await
    }

    /// Aborts the session's runs and starts it over.
    pub async fn reset(&self, key: &SessionKey) -> Result<SessionSummary, SessionError> {
        self.abort_session(key);
        self.inner.sessions.reset(key).await
    }

    /// Aborts the session's runs and removes it; `false` if it did not exist.
    pub async fn delete(&self, key: &SessionKey) -> Result<bool, SessionError> {
        self.abort_session(key);
        self.inner.sessions.delete(key).await
    }
}

/// Drops control characters except tab and newlines, as the original does.
fn strip_control(message: &str) -> String {
    message
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// One run's state while it executes.
struct Run {
    accepted_at: i64,
    engine: Engine,
    run_id: Arc<str>,
    key: SessionKey,
    agent_key: Arc<str>,
    agent_id: Arc<str>,
    seq: u64,
}

impl Run {
    fn emit(&mut self, kind: RunEventKind) {
        self.seq += 1;
        let event = RunEvent {
            run_id: Arc::clone(&self.run_id),
            session_key: Arc::clone(&self.agent_key),
            agent_id: Arc::clone(&self.agent_id),
            seq: self.seq,
            ts: now_ms(),
            kind,
        };
        if let Some(sink) = &self.engine.inner.options.sink {
            sink(&event);
        }
        // No subscriber is fine: events are for whoever listens.
        let _ = self.engine.inner.events.send(event);
    }

    async fn execute(
        mut self,
        chain: super::config::ModelChain,
        message: String,
        ticket: super::scheduler::Ticket,
        cancel: CancellationToken,
        timeout: Option<Duration>,
        outcome: watch::Sender<Option<RunRecord>>,
    ) {
        let result = self.drive(chain, message, ticket, &cancel, timeout).await;
        outcome.send_replace(Some(RunRecord {
            outcome: result,
            session_key: self.key.to_string(),
            agent_id: self.agent_id.to_string(),
            accepted_at: self.accepted_at,
            ended_at: now_ms(),
        }));
        let mut registry = self.engine.registry();
        registry.finished.push_back(self.run_id.to_string());
        while registry.finished.len() > REMEMBERED_RUNS {
            if let Some(old) = registry.finished.pop_front() {
                registry.runs.remove(&old);
            }
        }
    }

    async fn drive(
        &mut self,
        chain: super::config::ModelChain,
        message: String,
        ticket: super::scheduler::Ticket,
        cancel: &CancellationToken,
        timeout: Option<Duration>,
    ) -> RunOutcome {
        let engine = self.engine.clone();
        let inner = &engine.inner;
        let ahead = inner.scheduler.ahead(self.key.as_str());
        if ahead > 0 {
            self.emit(RunEventKind::Queued { ahead });
        }
        let slot = tokio::select! {
            slot = inner.scheduler.acquire(ticket, self.key.as_str()) => slot,
            () = cancel.cancelled() => return self.finish_aborted(String::new(), Vec::new(), None).await,
        };
        self.emit(RunEventKind::Started);

        let user = TranscriptMessage::user(message, &self.run_id);
        if let Err(e) = inner.sessions.append(&self.key, user).await {
            return self
                .finish_error(
                    format!("cannot store the message: {e}"),
                    None,
                    Vec::new(),
                    String::new(),
                )
                .await;
        }
        let context = match inner
            .sessions
            .context(&self.key, inner.options.context_messages)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                return self
                    .finish_error(
                        format!("cannot read the session: {e}"),
                        None,
                        Vec::new(),
                        String::new(),
                    )
                    .await;
            }
        };
        let config = engine.config();
        let max_tokens = config
            .models
            .providers
            .get(chain.primary.provider())
            .and_then(|p| p.max_tokens)
            .unwrap_or(inner.options.max_tokens);
        let request = ModelRequest {
            model: String::new(),
            system: None,
            messages: context
                .iter()
                .map(|m| ChatMessage {
                    role: match m.role {
                        MessageRole::User => Role::User,
                        MessageRole::Assistant => Role::Assistant,
                    },
                    text: m.text(),
                })
                .collect(),
            max_tokens,
        };
        let cx = ChainContext {
            http: &inner.http,
            config: &config,
            env: &inner.options.env,
            timeouts: inner.options.timeouts,
        };
        let mut text = String::new();
        let mut attempts = Vec::new();
        let deadline = async {
            match timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        let mut emit = |kind| self.emit(kind);
        let result = tokio::select! {
            r = run_chain(&cx, &chain, &request, &mut text, &mut attempts, &mut emit) => Some(r),
            () = cancel.cancelled() => None,
            () = deadline => Some(Err(ProviderError::new(
                super::providers::FailureKind::FirstByteTimeout,
                format!("run timed out after {}s", timeout.map_or(0, |t| t.as_secs())),
            ))),
        };
        let outcome = match result {
            None => self.finish_aborted(text, attempts, Some(&chain)).await,
            Some(Ok(answered)) => {
                let mut m = TranscriptMessage::assistant(text, &self.run_id);
                m.provider = Some(answered.model.provider().to_owned());
                m.model = Some(answered.model.to_string());
                m.usage = Some(answered.usage);
                m.stop_reason = Some(answered.stop_reason);
                m.attempts = attempts;
                if let Err(e) = inner.sessions.append(&self.key, m.clone()).await {
                    tracing::error!(target: "agents", "run {}: answer not stored: {e}", self.run_id);
                }
                self.emit(RunEventKind::Final { message: m.clone() });
                RunOutcome::Ok { message: m }
            }
            Some(Err(e)) => {
                let summary = describe_failure(&e, &attempts);
                self.finish_error(summary, Some(e), attempts, text).await
            }
        };
        drop(slot);
        outcome
    }

    async fn finish_aborted(
        &mut self,
        partial: String,
        attempts: Vec<Attempt>,
        chain: Option<&super::config::ModelChain>,
    ) -> RunOutcome {
        if chain.is_some() {
            let mut m = TranscriptMessage::assistant(partial.clone(), &self.run_id);
            m.stop_reason = Some("aborted".into());
            m.attempts = attempts;
            if let Err(e) = self.engine.inner.sessions.append(&self.key, m).await {
                tracing::error!(target: "agents", "run {}: aborted answer not stored: {e}", self.run_id);
            }
        }
        self.emit(RunEventKind::Aborted {
            partial: partial.clone(),
        });
        RunOutcome::Aborted { partial }
    }

    async fn finish_error(
        &mut self,
        message: String,
        error: Option<ProviderError>,
        attempts: Vec<Attempt>,
        partial: String,
    ) -> RunOutcome {
        let reason = error.as_ref().map(|e| e.kind);
        let mut m = TranscriptMessage::assistant(partial, &self.run_id);
        m.stop_reason = Some("error".into());
        m.error_message = Some(message.clone());
        m.attempts = attempts.clone();
        if let Err(e) = self.engine.inner.sessions.append(&self.key, m).await {
            tracing::error!(target: "agents", "run {}: error not stored: {e}", self.run_id);
        }
        tracing::warn!(target: "agents", "run {} failed: {message}", self.run_id);
        self.emit(RunEventKind::Error {
            message: message.clone(),
            reason,
            attempts: attempts.clone(),
        });
        RunOutcome::Error {
            message,
            reason,
            attempts,
        }
    }
}

/// One line saying why a run failed, naming every model tried.
fn describe_failure(last: &ProviderError, attempts: &[Attempt]) -> String {
    let failed: Vec<String> = attempts
        .iter()
        .filter_map(|a| a.failure.as_ref().map(|f| (a, f)))
        .map(|(a, f)| {
            let status = f.status.map(|s| format!(" HTTP {s}")).unwrap_or_default();
            format!("{} → {}{status}: {}", a.model, f.reason, f.message)
        })
        .collect();
    if failed.len() <= 1 {
        last.to_string()
    } else {
        format!(
            "all {} attempts failed: {}",
            failed.len(),
            failed.join("; ")
        )
    }
}
