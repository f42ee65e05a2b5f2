//! Prometheus metrics (`/metrics`): what an on-call person needs to see that
//! the fleet converges and heals, and what it costs in API calls.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Outcome label of a reconcile.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `ok` or `error`.
    pub result: String,
}

/// Reason label of a failed reconcile (`InvalidSpec`, `FlyApi`, …).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// Status reason.
    pub reason: String,
}

/// Field label of a drift correction.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FieldLabels {
    /// What drifted, e.g. `bind`.
    pub field: String,
}

/// Phase label of the resources gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PhaseLabels {
    /// `Ready`, `Provisioning`, …
    pub phase: String,
}

/// API call labels: the OpenAPI route template and the HTTP status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiCallLabels {
    /// e.g. `POST /v1/apps/{app_name}/machines`.
    pub route: String,
    /// HTTP status, or `error` when no response came back.
    pub status: String,
}

/// Every metric the operator exports, registered in one registry.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Reconciles by result.
    pub reconciles: Family<ResultLabels, Counter>,
    /// Failed reconciles by reason.
    pub errors: Family<ReasonLabels, Counter>,
    /// Reconcile duration.
    pub duration: Histogram,
    /// Drift corrections by field.
    pub drift_corrections: Family<FieldLabels, Counter>,
    /// Stale lock files removed.
    pub stale_locks_cleared: Counter,
    /// Platform API calls by route and status.
    pub api_calls: Family<ApiCallLabels, Counter>,
    /// Resources currently declared.
    pub resources: Gauge,
    /// Resources by phase (what the fleet looks like at a glance).
    pub phases: Family<PhaseLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric under the `openclaw_operator` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("openclaw_operator");
        let m = Self {
            reconciles: Family::default(),
            errors: Family::default(),
            duration: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            drift_corrections: Family::default(),
            stale_locks_cleared: Counter::default(),
            api_calls: Family::default(),
            resources: Gauge::default(),
            phases: Family::default(),
            registry: Registry::default(),
        };
        registry.register("reconciles", "Reconciles by result", m.reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Failed reconciles by reason",
            m.errors.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            m.duration.clone(),
        );
        registry.register(
            "drift_corrections",
            "Fields put back to their desired value",
            m.drift_corrections.clone(),
        );
        registry.register(
            "stale_locks_cleared",
            "Stale gateway lock files removed",
            m.stale_locks_cleared.clone(),
        );
        registry.register(
            "api_calls",
            "Platform API calls by route and status",
            m.api_calls.clone(),
        );
        registry.register(
            "resources",
            "Resources currently declared",
            m.resources.clone(),
        );
        registry.register("resources_by_phase", "Resources by phase", m.phases.clone());
        Self { registry, ..m }
    }

    /// Records one reconcile.
    pub fn reconciled(&self, took: Duration, error_reason: Option<&str>) {
        self.duration.observe(took.as_secs_f64());
        let result = if error_reason.is_some() {
            "error"
        } else {
            "ok"
        };
        self.reconciles
            .get_or_create(&ResultLabels {
                result: result.into(),
            })
            .inc();
        if let Some(reason) = error_reason {
            self.errors
                .get_or_create(&ReasonLabels {
                    reason: reason.into(),
                })
                .inc();
        }
    }

    /// Records one API call.
    pub fn api_call(&self, route: &str, status: Option<u16>) {
        let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        self.api_calls
            .get_or_create(&ApiCallLabels {
                route: route.into(),
                status,
            })
            .inc();
    }

    /// Moves one resource from phase `from` (if any) to `to` (if any).
    pub fn phase_changed(&self, from: Option<&str>, to: Option<&str>) {
        if from == to {
            return;
        }
        if let Some(f) = from {
            self.phases
                .get_or_create(&PhaseLabels { phase: f.into() })
                .dec();
        }
        if let Some(t) = to {
            self.phases
                .get_or_create(&PhaseLabels { phase: t.into() })
                .inc();
        }
    }

    /// Records one drift correction.
    pub fn drift_corrected(&self, field: &str) {
        self.drift_corrections
            .get_or_create(&FieldLabels {
                field: field.into(),
            })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_names_what_was_counted() {
        let m = Metrics::new();
        m.reconciled(Duration::from_millis(20), None);
        m.reconciled(Duration::from_millis(20), Some("InvalidSpec"));
        m.api_call("POST /v1/apps/{app_name}/machines", Some(200));
        m.drift_corrected("bind");
        m.stale_locks_cleared.inc();
        m.phase_changed(None, Some("Provisioning"));
        m.phase_changed(Some("Provisioning"), Some("Ready"));
        let text = m.encode();
        for needle in [
            "openclaw_operator_reconciles_total{result=\"ok\"} 1",
            "openclaw_operator_reconcile_errors_total{reason=\"InvalidSpec\"} 1",
            "openclaw_operator_api_calls_total{route=\"POST /v1/apps/{app_name}/machines\",status=\"200\"} 1",
            "openclaw_operator_drift_corrections_total{field=\"bind\"} 1",
            "openclaw_operator_stale_locks_cleared_total 1",
            "openclaw_operator_reconcile_duration_seconds_count 2",
            "openclaw_operator_resources_by_phase{phase=\"Ready\"} 1",
            "openclaw_operator_resources_by_phase{phase=\"Provisioning\"} 0",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }
}
