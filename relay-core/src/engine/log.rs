//! Logging shim: the engine's log lines go to `tracing` when the `tracing` feature is on and
//! compile to nothing when it is off. Secrets (tokens, JWTs, authorization states) are never
//! passed to these macros.

macro_rules! event {
    ($level:ident, $($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        ::tracing::$level!(target: "relay_rs_core::engine", $($arg)*);
    }};
}

macro_rules! debug {
    ($($arg:tt)*) => { $crate::engine::log::event!(debug, $($arg)*) };
}

macro_rules! info {
    ($($arg:tt)*) => { $crate::engine::log::event!(info, $($arg)*) };
}

macro_rules! warning {
    ($($arg:tt)*) => { $crate::engine::log::event!(warn, $($arg)*) };
}

pub(crate) use {debug, event, info, warning};

/// Warnings of one kind at most once per interval: the first is written at once, those that
/// follow within the interval are only counted, and the first one after it says how many
/// were held back. A flood of hostile input then costs a few lines, not one line each.
#[derive(Debug, Default)]
pub(crate) struct RateLimit {
    kinds: std::collections::BTreeMap<&'static str, Window>,
}

#[derive(Debug)]
struct Window {
    until: std::time::Instant,
    held: u64,
}

impl RateLimit {
    /// No warning written yet.
    pub(crate) const fn new() -> Self {
        Self {
            kinds: std::collections::BTreeMap::new(),
        }
    }

    /// `Some(held back since the last line)` when a warning of `kind` may be written at
    /// `now`; `None` when it is only counted.
    pub(crate) fn allow(
        &mut self,
        kind: &'static str,
        now: std::time::Instant,
        interval: std::time::Duration,
    ) -> Option<u64> {
        let until = super::deadline::later(now, interval);
        match self.kinds.get_mut(kind) {
            Some(window) if now < window.until => {
                window.held = window.held.saturating_add(1);
                None
            }
            Some(window) => {
                window.until = until;
                Some(std::mem::take(&mut window.held))
            }
            None => {
                self.kinds.insert(kind, Window { until, held: 0 });
                Some(0)
            }
        }
    }
}

/// The engine's warnings: a [`RateLimit`] on the clock of the latest input, since the engine
/// has no clock of its own.
#[derive(Debug)]
pub(crate) struct Warnings {
    limit: RateLimit,
    now: Option<std::time::Instant>,
    interval: std::time::Duration,
}

impl Warnings {
    pub(crate) fn new(interval: std::time::Duration) -> Self {
        Self {
            limit: RateLimit::new(),
            now: None,
            interval,
        }
    }

    /// An input arrived at `now`: the clock moves on.
    pub(crate) fn tick(&mut self, now: std::time::Instant) {
        self.now = Some(now);
    }

    /// Whether a warning of `kind` may be written now, and how many of its kind were held
    /// back since the last one; before any input every warning is written.
    pub(crate) fn allow(&mut self, kind: &'static str) -> Option<u64> {
        match self.now {
            Some(now) => self.limit.allow(kind, now, self.interval),
            None => Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimit;
    use std::time::{Duration, Instant};

    #[test]
    fn one_line_per_interval_with_the_count_held_back() {
        let mut limit = RateLimit::default();
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        assert_eq!(limit.allow("a", t0, second), Some(0));
        assert_eq!(limit.allow("a", t0, second), None);
        assert_eq!(limit.allow("a", t0 + second / 2, second), None);
        assert_eq!(limit.allow("b", t0, second), Some(0), "kinds are apart");
        assert_eq!(limit.allow("a", t0 + second, second), Some(2));
        assert_eq!(limit.allow("a", t0 + second, second), None);
    }
}
