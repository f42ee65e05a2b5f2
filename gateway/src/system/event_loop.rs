//! How responsive the gateway's runtime is, measured as the original measures its
//! event loop: a timer that should fire every second records how late it fires
//! (scheduling delay) and how much CPU the process used meanwhile. Reported as
//! `eventLoop` in `health`, `status` and `system.info`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Sampling interval.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Samples kept (one minute).
const WINDOW: usize = 60;
/// A timer this late (p99 over the window) marks the runtime degraded.
const DEGRADED_DELAY_MS: f64 = 1000.0;

#[derive(Debug, Default)]
pub struct EventLoop {
    inner: Mutex<Samples>,
}

#[derive(Debug, Default)]
struct Samples {
    delays_ms: VecDeque<f64>,
    interval_ms: f64,
    cpu_core_ratio: f64,
    degraded_since: Option<Instant>,
}

impl EventLoop {
    /// Samples until `stop` is cancelled.
    pub async fn run(&self, stop: CancellationToken) {
        let mut last_wall = Instant::now();
        let mut last_cpu = process_cpu_seconds();
        loop {
            let expected = Instant::now() + INTERVAL;
            tokio::select! {
                _ = tokio::time::sleep_until(expected.into()) => {}
                _ = stop.cancelled() => return,
            }
            let now = Instant::now();
            let cpu = process_cpu_seconds();
            let wall = now.duration_since(last_wall).as_secs_f64();
            let delay = now.saturating_duration_since(expected).as_secs_f64() * 1000.0;
            let ratio = if wall > 0.0 {
                (cpu - last_cpu).max(0.0) / wall
            } else {
                0.0
            };
            self.record(delay, wall * 1000.0, ratio, now);
            last_wall = now;
            last_cpu = cpu;
        }
    }

    fn record(&self, delay_ms: f64, interval_ms: f64, cpu_core_ratio: f64, now: Instant) {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if s.delays_ms.len() == WINDOW {
            s.delays_ms.pop_front();
        }
        s.delays_ms.push_back(delay_ms);
        s.interval_ms = interval_ms;
        s.cpu_core_ratio = cpu_core_ratio;
        let degraded = percentile(&s.delays_ms, 0.99) >= DEGRADED_DELAY_MS;
        s.degraded_since = match (degraded, s.degraded_since) {
            (true, None) => Some(now),
            (true, since) => since,
            (false, _) => None,
        };
    }

    /// The `eventLoop` object.
    pub fn snapshot(&self) -> Value {
        let s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        let degraded = s.degraded_since.is_some();
        json!({
            "degraded": degraded,
            "degradedSinceMs": s.degraded_since.map(|t| t.elapsed().as_millis() as u64),
            "reasons": if degraded { json!(["event_loop_delay"]) } else { json!([]) },
            "intervalMs": round(s.interval_ms),
            "delayP99Ms": round(percentile(&s.delays_ms, 0.99)),
            "delayMaxMs": round(s.delays_ms.iter().copied().fold(0.0, f64::max)),
            "utilization": round((s.cpu_core_ratio / cpus).min(1.0)),
            "cpuCoreRatio": round(s.cpu_core_ratio),
        })
    }
}

fn percentile(values: &VecDeque<f64>, q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted: Vec<f64> = values.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// User + system CPU time of this process, from `/proc/self/stat` (0 if unreadable).
fn process_cpu_seconds() -> f64 {
    read_cpu_seconds().unwrap_or(0.0)
}

fn read_cpu_seconds() -> Option<f64> {
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            // utime and stime are fields 14 and 15; `after` starts at field 3.
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / ticks)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_timers_mark_the_runtime_degraded() {
        let e = EventLoop::default();
        let now = Instant::now();
        e.record(3.0, 1003.0, 0.02, now);
        let v = e.snapshot();
        assert_eq!(
            (v["degraded"].as_bool(), v["delayMaxMs"].as_f64()),
            (Some(false), Some(3.0))
        );
        e.record(1500.0, 2500.0, 0.9, now);
        let v = e.snapshot();
        assert_eq!(v["degraded"], true);
        assert_eq!(v["reasons"][0], "event_loop_delay");
        assert!(read_cpu_seconds().is_some(), "/proc/self/stat parses");
    }
}
