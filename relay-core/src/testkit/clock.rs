//! A virtual clock: `now` stands still until the harness moves it to the next deadline, and
//! sleeps complete when it gets there.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct VirtualClock {
    inner: Mutex<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    now: Instant,
    next_id: u64,
    timers: BTreeMap<(Instant, u64), Waker>,
}

impl VirtualClock {
    pub(crate) fn new(start: Instant) -> Self {
        Self {
            inner: Mutex::new(ClockInner {
                now: start,
                next_id: 0,
                timers: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn now(&self) -> Instant {
        self.lock().now
    }

    /// The earliest pending sleep.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.lock().timers.keys().next().map(|(at, _)| *at)
    }

    /// Moves time to `to` (never back) and wakes every sleep due by then.
    pub(crate) fn advance_to(&self, to: Instant) {
        let due: Vec<Waker> = {
            let mut inner = self.lock();
            inner.now = inner.now.max(to);
            let now = inner.now;
            let later = inner.timers.split_off(&(now, u64::MAX));
            std::mem::replace(&mut inner.timers, later)
                .into_values()
                .collect()
        };
        due.into_iter().for_each(Waker::wake);
    }

    pub(crate) fn sleep(self: &Arc<Self>, duration: Duration) -> Sleep {
        let now = self.now();
        Sleep {
            clock: self.clone(),
            // Far beyond any test's horizon when the addition would overflow.
            deadline: now
                .checked_add(duration)
                .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600)),
            key: None,
        }
    }
}

/// A sleep on the virtual clock.
pub(crate) struct Sleep {
    clock: Arc<VirtualClock>,
    deadline: Instant,
    key: Option<(Instant, u64)>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.clock.lock();
        if inner.now >= self.deadline {
            if let Some(key) = self.key {
                inner.timers.remove(&key);
            }
            drop(inner);
            self.key = None;
            return Poll::Ready(());
        }
        let key = match self.key {
            Some(key) => key,
            None => {
                inner.next_id += 1;
                (self.deadline, inner.next_id)
            }
        };
        inner.timers.insert(key, cx.waker().clone());
        drop(inner);
        self.key = Some(key);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.clock.lock().timers.remove(&key);
        }
    }
}
