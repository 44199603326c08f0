//! A value that is set once and awaited by any number of waiters, cancel-safely.
//!
//! Each `wait` leaves only its task's waker, so a wait dropped by a time-out spoils nothing.
//! What its owner keeps beside the value (an action's last update, its callbacks) may share
//! the lock: one lock per record, not one per field.

use std::future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

/// Set once by the event loop; awaited by user handles.
///
/// The value is boxed and a waiter is only its task's waker: thousands of calls each hold
/// one of these while nothing is set, so the unset state is kept small. `S` is the owner's
/// own state kept under the same lock (nothing by default).
#[derive(Debug)]
pub(crate) struct Completion<T: Clone, S = ()> {
    inner: Mutex<Slot<T, S>>,
}

/// The value (or its waiters) and the owner's state, under one lock.
#[derive(Debug)]
struct Slot<T, S> {
    value: Inner<T>,
    side: S,
}

/// Waiting or set, never both: one enum, not a value slot beside a list.
#[derive(Debug)]
enum Inner<T> {
    Waiting(Waiters),
    Set(Box<T>),
}

/// The tasks waiting. Nearly every completion has one waiter at most (a call's handler
/// waiting for its end), kept inline: a list would be an allocation of its own per call.
#[derive(Debug, Default)]
enum Waiters {
    #[default]
    None,
    One(Waker),
    Many(Vec<Waker>),
}

impl Waiters {
    /// Adds the task's waker unless it is there already (one per task, however often it
    /// waits).
    fn add(&mut self, waker: &Waker) {
        match self {
            Waiters::None => *self = Waiters::One(waker.clone()),
            Waiters::One(first) if first.will_wake(waker) => {}
            Waiters::One(first) => {
                let first = first.clone();
                *self = Waiters::Many(vec![first, waker.clone()]);
            }
            Waiters::Many(all) => {
                if !all.iter().any(|w| w.will_wake(waker)) {
                    all.push(waker.clone());
                }
            }
        }
    }

    fn wake(self) {
        match self {
            Waiters::None => {}
            Waiters::One(waker) => waker.wake(),
            Waiters::Many(all) => all.into_iter().for_each(Waker::wake),
        }
    }
}

impl<T: Clone, S: Default> Default for Completion<T, S> {
    fn default() -> Self {
        Self::with_side(S::default())
    }
}

impl<T: Clone, S> Completion<T, S> {
    /// Unset, with the owner's state `side`.
    pub(crate) fn with_side(side: S) -> Self {
        Self {
            inner: Mutex::new(Slot {
                value: Inner::Waiting(Waiters::None),
                side,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot<T, S>> {
        // The lock is never held across user code, so a poisoned one is still consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the value once; later calls are ignored. Returns whether this call set it.
    pub(crate) fn complete(&self, value: T) -> bool {
        self.complete_then(value, |_, _| ()).is_some()
    }

    /// [`Completion::complete`], then `then` with the owner's state and the value, under
    /// the same lock (so that whoever looks at the state next sees the value set). `None`,
    /// and `then` not run, when the value was set before.
    pub(crate) fn complete_then<R>(
        &self,
        value: T,
        then: impl FnOnce(&mut S, &T) -> R,
    ) -> Option<R> {
        let (waiters, result) = {
            let mut slot = self.lock();
            let slot = &mut *slot;
            let waiters = match &mut slot.value {
                // Set before: the first value stays.
                Inner::Set(_) => return None,
                Inner::Waiting(waiters) => std::mem::take(waiters),
            };
            let value = Box::new(value);
            let result = then(&mut slot.side, &value);
            slot.value = Inner::Set(value);
            (waiters, result)
        };
        // Woken outside the lock: a waiter polled at once takes it again.
        waiters.wake();
        Some(result)
    }

    /// Runs `f` on the owner's state and the value if set, under the lock.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut S, Option<&T>) -> R) -> R {
        let mut slot = self.lock();
        let slot = &mut *slot;
        let value = match &slot.value {
            Inner::Set(value) => Some(&**value),
            Inner::Waiting(_) => None,
        };
        f(&mut slot.side, value)
    }

    /// The value, if set.
    pub(crate) fn get(&self) -> Option<T> {
        match &self.lock().value {
            Inner::Set(value) => Some((**value).clone()),
            Inner::Waiting(_) => None,
        }
    }

    /// Waits for the value. Cancel-safe: a wait given up leaves at most its task's waker
    /// behind (one per task, however often it waits), woken once for nothing. Always
    /// `Some`; the `Option` stays for the callers that once saw a dropped completion.
    pub(crate) async fn wait(&self) -> Option<T> {
        future::poll_fn(|cx| {
            let mut slot = self.lock();
            let waiters = match &mut slot.value {
                Inner::Set(value) => return Poll::Ready(Some((**value).clone())),
                Inner::Waiting(waiters) => waiters,
            };
            waiters.add(cx.waker());
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::Completion;
    use futures_util::FutureExt;
    use std::future::Future;

    #[test]
    fn the_first_value_stays_and_every_wait_sees_it() {
        let done = Completion::<i32>::default();
        assert_eq!(done.get(), None);
        assert!(done.complete(1));
        assert!(!done.complete(2));
        assert_eq!(done.get(), Some(1));
        // Set already: the wait is ready at its first poll.
        assert_eq!(done.wait().now_or_never(), Some(Some(1)));
    }

    /// Two tasks waiting (the second turns the inline waiter into a list), each woken once
    /// the value is set; a task polling again adds no second waker.
    #[test]
    fn every_waiting_task_is_woken() {
        use futures_util::task::{waker, ArcWake};
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use std::task::{Context, Poll};

        struct Count(AtomicUsize);
        impl ArcWake for Count {
            fn wake_by_ref(this: &Arc<Self>) {
                this.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let done = Completion::<i32>::default();
        let (a, b) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let (wa, wb) = (waker(a.clone()), waker(b.clone()));
        let mut first = Box::pin(done.wait());
        let mut again = Box::pin(done.wait());
        let mut second = Box::pin(done.wait());
        assert_eq!(
            first.as_mut().poll(&mut Context::from_waker(&wa)),
            Poll::Pending
        );
        // One waiter is kept inline, not in a list of its own (one allocation less per
        // call whose handler waits for its end).
        assert!(matches!(
            &done.lock().value,
            super::Inner::Waiting(super::Waiters::One(_))
        ));
        assert_eq!(
            again.as_mut().poll(&mut Context::from_waker(&wa)),
            Poll::Pending
        );
        assert_eq!(
            second.as_mut().poll(&mut Context::from_waker(&wb)),
            Poll::Pending
        );
        assert!(done.complete(7));
        assert_eq!(a.0.load(Ordering::SeqCst), 1, "one waker per task");
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            second.as_mut().poll(&mut Context::from_waker(&wb)),
            Poll::Ready(Some(7))
        );
    }
}
