//! `diagnostics.lanes`: the agents' run queue as the original reports its lanes.
//! This gateway has one lane, `main`: every agent run takes a slot of
//! `agents.defaults.maxConcurrent`; the original's other lanes (cron, subagents,
//! background, memory) have no work here and are not listed.

use serde_json::{Value, json};

use super::super::engine::Engine;
use super::super::message::now_ms;
use super::methods::{MethodError, checked};

pub async fn diagnostics_lanes(
    engine: &Engine,
    params: Option<&Value>,
) -> Result<Value, MethodError> {
    checked("diagnostics.lanes", params, &[])?;
    let (running, queued) = engine.load();
    Ok(lanes(
        running,
        queued,
        engine.config().agents.max_concurrent,
    ))
}

pub fn lanes(running: usize, queued: usize, max_concurrent: usize) -> Value {
    json!({
        "ts": now_ms(),
        "lanes": [{"lane": "main", "queuedCount": queued, "activeCount": running,
                   "maxConcurrent": max_concurrent, "draining": false, "generation": 0,
                   "blockedBy": null}],
        "dynamic": null,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_main_lane() {
        let v = super::lanes(2, 3, 8);
        assert_eq!(v["lanes"][0]["lane"], "main");
        assert_eq!(
            (
                v["lanes"][0]["activeCount"].as_u64(),
                v["lanes"][0]["queuedCount"].as_u64()
            ),
            (Some(2), Some(3))
        );
    }
}
