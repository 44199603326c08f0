//! The driver's repeated warnings (an event dropped for a slow subscriber, a full queue, a
//! stray frame) collapsed to one line per interval with a count, as the engine does: a flood
//! of hostile input must not become a flood of log lines.

use crate::engine::RateLimit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

static LIMIT: Mutex<RateLimit> = Mutex::new(RateLimit::new());
/// Process-wide, set from the last client started (`EngineConfig::log_interval`).
static INTERVAL_MS: AtomicU64 = AtomicU64::new(10_000);

/// Sets the interval (from `EngineConfig::log_interval`).
pub(crate) fn set_interval(interval: Duration) {
    let ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
    INTERVAL_MS.store(ms.max(1), Ordering::Relaxed);
}

/// `Some(held back since the last line)` when a warning of `kind` may be written now.
pub(crate) fn allowed(kind: &'static str) -> Option<u64> {
    let interval = Duration::from_millis(INTERVAL_MS.load(Ordering::Relaxed));
    LIMIT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .allow(kind, Instant::now(), interval)
}
