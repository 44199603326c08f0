//! A value that is set once and awaited by any number of waiters, cancel-safely.
//!
//! Each `wait` leaves only its task's waker, so a wait dropped by a time-out spoils nothing.

use std::future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

/// Set once by the event loop; awaited by user handles.
///
/// The value is boxed and a waiter is only its task's waker: thousands of calls each hold
/// one of these while nothing is set, so the unset state is kept small.
#[derive(Debug)]
pub(crate) struct Completion<T: Clone> {
    inner: Mutex<Inner<T>>,
}

/// Waiting or set, never both: one enum of three words, not a value slot beside a list.
#[derive(Debug)]
enum Inner<T> {
    Waiting(Vec<Waker>),
    Set(Box<T>),
}

impl<T: Clone> Default for Completion<T> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner::Waiting(Vec::new())),
        }
    }
}

impl<T: Clone> Completion<T> {
    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        // The lock is never held across user code, so a poisoned one is still consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the value once; later calls are ignored. Returns whether this call set it.
    pub(crate) fn complete(&self, value: T) -> bool {
        let waiters = {
            let mut inner = self.lock();
            match std::mem::replace(&mut *inner, Inner::Set(Box::new(value))) {
                Inner::Waiting(waiters) => waiters,
                set => {
                    // Set before: the first value stays.
                    *inner = set;
                    return false;
                }
            }
        };
        // Woken outside the lock: a waiter polled at once takes it again.
        waiters.into_iter().for_each(Waker::wake);
        true
    }

    /// The value, if set.
    pub(crate) fn get(&self) -> Option<T> {
        match &*self.lock() {
            Inner::Set(value) => Some((**value).clone()),
            Inner::Waiting(_) => None,
        }
    }

    /// Waits for the value. Cancel-safe: a wait given up leaves at most its task's waker
    /// behind (one per task, however often it waits), woken once for nothing. Always
    /// `Some`; the `Option` stays for the callers that once saw a dropped completion.
    pub(crate) async fn wait(&self) -> Option<T> {
        future::poll_fn(|cx| {
            let mut inner = self.lock();
            let waiters = match &mut *inner {
                Inner::Set(value) => return Poll::Ready(Some((**value).clone())),
                Inner::Waiting(waiters) => waiters,
            };
            if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                // Most completions have one waiter: no room for more until needed.
                waiters.reserve_exact(1);
                waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::Completion;
    use futures_util::FutureExt;

    #[test]
    fn the_first_value_stays_and_every_wait_sees_it() {
        let done = Completion::default();
        assert_eq!(done.get(), None);
        assert!(done.complete(1));
        assert!(!done.complete(2));
        assert_eq!(done.get(), Some(1));
        // Set already: the wait is ready at its first poll.
        assert_eq!(done.wait().now_or_never(), Some(Some(1)));
    }
}
