//! Reconnect backoff with no clock of its own: exponential, capped, jittered.

use crate::config::BackoffConfig;
use crate::ids::IdGenerator;
use std::time::Duration;

/// Yields successive reconnect delays; reset after a successful authentication.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    config: BackoffConfig,
    attempt: u32,
}

impl Backoff {
    pub(crate) fn new(config: BackoffConfig) -> Self {
        Self { config, attempt: 0 }
    }

    /// The delay before the next attempt: `initial * 2^attempt`, capped, plus jitter.
    pub(crate) fn next_delay(&mut self, rng: &mut IdGenerator) -> Duration {
        let base = self
            .config
            .initial
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.config.max);
        self.attempt = self.attempt.saturating_add(1);
        let jitter = self.config.jitter.clamp(0.0, 1.0) * rng.next_unit();
        let up = base.mul_f64(1.0 + jitter);
        if up <= self.config.max {
            return up;
        }
        // At the cap, jitter downwards: adding it and capping would put every client that
        // reached the cap on the same instant again.
        self.config.max.mul_f64(1.0 - jitter)
    }

    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap() {
        let mut backoff = Backoff::new(BackoffConfig {
            jitter: 0.0,
            ..BackoffConfig::default()
        });
        let mut rng = IdGenerator::new(1);
        let delays: Vec<u64> = (0..8)
            .map(|_| backoff.next_delay(&mut rng).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
        backoff.reset();
        assert_eq!(backoff.next_delay(&mut rng), Duration::from_secs(1));
    }

    #[test]
    fn at_the_cap_the_jitter_still_spreads() {
        let mut backoff = Backoff::new(BackoffConfig::default());
        let mut rng = IdGenerator::new(3);
        let capped: Vec<Duration> = (0..40).map(|_| backoff.next_delay(&mut rng)).collect();
        let tail = &capped[10..];
        assert!(tail.iter().all(|d| *d <= Duration::from_secs(30)));
        assert!(tail.iter().all(|d| *d >= Duration::from_secs(24)));
        let distinct: std::collections::BTreeSet<_> = tail.iter().collect();
        assert_eq!(distinct.len(), tail.len());
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let mut backoff = Backoff::new(BackoffConfig::default());
        let mut rng = IdGenerator::new(9);
        for expected in [1.0f64, 2.0, 4.0] {
            let d = backoff.next_delay(&mut rng).as_secs_f64();
            assert!(d >= expected && d <= expected * 1.2, "{d} vs {expected}");
        }
    }
}
