//! The server's notion of "now". Lease expiry is the one time-dependent rule a
//! client must cope with; an adjustable clock lets tests advance time instead
//! of sleeping through a TTL (`POST /__fly-local/clock`).

use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// Wall clock plus an offset that only ever moves forward.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        let offset = SignedDuration::from_millis(self.offset_ms.load(Ordering::SeqCst));
        Timestamp::now()
            .checked_add(offset)
            .unwrap_or_else(|_| Timestamp::now())
    }

    /// Unix seconds, the unit of lease `expires_at`.
    pub fn unix_secs(&self) -> i64 {
        self.now().as_second()
    }

    /// Moves the clock forward (negative values are ignored: time never goes back).
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms.max(0), Ordering::SeqCst);
    }

    pub fn offset(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.offset_ms.load(Ordering::SeqCst).max(0) as u64)
    }
}

/// RFC 3339 at second precision, as the Machines API prints `created_at`.
pub fn rfc3339(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
