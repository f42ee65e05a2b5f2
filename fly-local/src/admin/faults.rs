//! Fault injection (off unless configured): per-route errors (any status,
//! optional `Retry-After`), "commit then fail" (the write is applied but the
//! response is an error — what makes careless clients create duplicates) and
//! added latency.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The request is not applied; the error is returned.
    Error,
    /// The request is applied, then its response is replaced by the error.
    CommitThenFail,
    /// The request is delayed, then served normally.
    Latency,
    /// List responses omit objects created in the last `stale_ms` (the
    /// eventual consistency that makes careless clients create duplicates).
    StaleList,
    /// List responses come in random order (the API promises none).
    ShuffleList,
}

/// The error body shape a fault answers with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyStyle {
    /// `{"error": "…"}` (current).
    #[default]
    Current,
    /// `{"status": "error", "message": "…"}` (older responses).
    Legacy,
}

/// A fault as configured through `POST /__fly-local/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// `METHOD /v1/path/{template}`; absent = every API route.
    #[serde(default)]
    pub route: Option<String>,
    pub kind: FaultKind,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub probability: Option<f64>,
    #[serde(default)]
    pub times: Option<u64>,
    /// Error text (default: a generic message for the status).
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub stale_ms: Option<u64>,
    #[serde(default)]
    pub body_style: BodyStyle,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub id: String,
    pub route: Option<String>,
    pub kind: FaultKind,
    pub status: u16,
    pub retry_after_secs: Option<u64>,
    pub latency_ms: u64,
    pub probability: f64,
    pub times: Option<u64>,
    pub message: Option<String>,
    pub stale_ms: u64,
    pub body_style: BodyStyle,
    pub triggered: u64,
}

impl Fault {
    /// The error response the fault produces.
    pub fn error(&self) -> ApiError {
        let status = axum::http::StatusCode::from_u16(self.status)
            .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let message = self.message.clone().unwrap_or_else(|| match self.status {
            429 => "rate limit exceeded".into(),
            408 => "deadline_exceeded: request timed out".into(),
            s => format!(
                "injected fault {}: {s} {}",
                self.id,
                status.canonical_reason().unwrap_or("error")
            ),
        });
        ApiError::new(status, message)
    }
}

#[derive(Default)]
pub struct Faults {
    inner: Mutex<(u64, Vec<Fault>)>,
}

impl Faults {
    pub fn add(&self, spec: FaultSpec) -> Result<Fault, String> {
        let probability = spec.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err(format!("probability: {probability} is not between 0 and 1"));
        }
        let status = spec.status.unwrap_or(500);
        if !(400..=599).contains(&status) {
            return Err(format!(
                "status: {status} is not an error status (400..=599)"
            ));
        }
        if spec.kind == FaultKind::Latency && spec.latency_ms.is_none() {
            return Err("latency_ms: required for a latency fault".into());
        }
        if spec.kind == FaultKind::StaleList && spec.stale_ms.is_none() {
            return Err("stale_ms: required for a stale_list fault".into());
        }
        if let Some(route) = &spec.route
            && !route.contains(" /v1/")
        {
            return Err(format!(
                "route: {route:?} is not \"METHOD /v1/path\" (e.g. \"POST /v1/apps/{{app_name}}/machines\")"
            ));
        }
        let mut inner = self.inner.lock().expect("faults");
        inner.0 += 1;
        let fault = Fault {
            id: format!("f{}", inner.0),
            route: spec.route,
            kind: spec.kind,
            status,
            retry_after_secs: spec.retry_after_secs,
            latency_ms: spec.latency_ms.unwrap_or(0),
            probability,
            times: spec.times,
            message: spec.message,
            stale_ms: spec.stale_ms.unwrap_or(0),
            body_style: spec.body_style,
            triggered: 0,
        };
        inner.1.push(fault.clone());
        Ok(fault)
    }

    pub fn list(&self) -> Vec<Fault> {
        self.inner.lock().expect("faults").1.clone()
    }

    pub fn remove(&self, id: Option<&str>) -> bool {
        let mut inner = self.inner.lock().expect("faults");
        match id {
            None => {
                inner.1.clear();
                true
            }
            Some(id) => {
                let before = inner.1.len();
                inner.1.retain(|f| f.id != id);
                inner.1.len() != before
            }
        }
    }

    /// The faults that fire for this request (each counted as triggered).
    pub fn trigger(&self, route: &str) -> Vec<Fault> {
        use rand::Rng;
        let mut inner = self.inner.lock().expect("faults");
        let mut fired = Vec::new();
        for fault in inner.1.iter_mut() {
            if fault.route.as_deref().is_some_and(|r| r != route) {
                continue;
            }
            if fault.times.is_some_and(|t| fault.triggered >= t) {
                continue;
            }
            if fault.probability < 1.0 && !rand::rng().random_bool(fault.probability) {
                continue;
            }
            fault.triggered += 1;
            fired.push(fault.clone());
        }
        fired
    }
}
