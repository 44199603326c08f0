//! Deadlines with no clock of their own: `now + d` that saturates.

use std::time::{Duration, Instant};

/// `now + d`, saturating instead of overflowing: a clock far in the future never fires,
/// which is what an absurd time-out means.
pub(crate) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(crate::config::LONGEST_DURATION))
        .unwrap_or(now)
}
