//! Status surfaces assembled from parts, so channels and agents can add their own state
//! (e.g. a `channels` map in `health`) without touching the core.

use std::sync::Arc;

use serde_json::{Map, Value};

/// Produces the current value of one key of a report. Must be cheap: reports are built
/// on every `health`/`status` call and `/readyz` probe.
pub type Part = Arc<dyn Fn() -> Value + Send + Sync>;

/// A JSON object built from a base and named parts; later parts override earlier keys.
#[derive(Clone, Default)]
pub struct Report {
    parts: Vec<(String, Part)>,
}

impl Report {
    /// Sets `key` of the report to whatever `part` returns at render time.
    pub fn add(
        &mut self,
        key: impl Into<String>,
        part: impl Fn() -> Value + Send + Sync + 'static,
    ) {
        self.parts.push((key.into(), Arc::new(part)));
    }

    /// `base` with every part's key set.
    pub fn render(&self, mut base: Map<String, Value>) -> Value {
        for (key, part) in &self.parts {
            base.insert(key.clone(), part());
        }
        Value::Object(base)
    }
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.parts.iter().map(|(k, _)| k))
            .finish()
    }
}

/// A named readiness condition for `/readyz`; `false` lists its name under `failing`.
pub type ReadinessCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// Readiness conditions contributed by the subsystems.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(String, ReadinessCheck)>,
}

impl Readiness {
    pub fn add(
        &mut self,
        name: impl Into<String>,
        check: impl Fn() -> bool + Send + Sync + 'static,
    ) {
        self.checks.push((name.into(), Arc::new(check)));
    }

    /// Names of the failing checks.
    pub fn failing(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|(_, check)| !check())
            .map(|(name, _)| name.clone())
            .collect()
    }
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.checks.iter().map(|(k, _)| k))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_override_the_base_at_render_time() {
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut report = Report::default();
        let c = counter.clone();
        report.add(
            "channels",
            move || serde_json::json!({"n": c.load(std::sync::atomic::Ordering::Relaxed)}),
        );
        let mut base = Map::new();
        base.insert("channels".into(), serde_json::json!({}));
        base.insert("ok".into(), Value::Bool(true));
        counter.store(3, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(
            report.render(base),
            serde_json::json!({"ok": true, "channels": {"n": 3}})
        );
    }

    #[test]
    fn readiness_lists_failing_checks() {
        let mut r = Readiness::default();
        r.add("discord", || false);
        r.add("config", || true);
        assert_eq!(r.failing(), ["discord"]);
    }
}
