//! A byte budget shared by many owners (every stream of a receiver): each charges what it
//! allocates before allocating it and gives it back when dropped, so the total stays under
//! one limit however many streams there are.

use std::sync::atomic::{AtomicU64, Ordering};

/// A shared limit on bytes held; charge with [`try_charge`](Self::try_charge), give back
/// with [`release`](Self::release). Share it in an `Arc`.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    /// A budget of `limit` bytes, none used.
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes charged now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::SeqCst)
    }

    /// Charges `bytes` if they fit under the limit; `false` (and nothing charged) if not.
    pub fn try_charge(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back `bytes` charged earlier.
    pub fn release(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                Some(used.saturating_sub(bytes))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_fit_under_the_limit_and_come_back() {
        let budget = MemoryBudget::new(100);
        assert!(budget.try_charge(60));
        assert!(!budget.try_charge(41), "61 + 41 is over");
        assert_eq!(budget.used(), 60);
        assert!(budget.try_charge(40));
        budget.release(100);
        assert_eq!(budget.used(), 0);
        assert!(!budget.try_charge(u64::MAX));
    }
}
