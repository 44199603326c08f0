//! A value that is set once and awaited by any number of waiters, cancel-safely.
//!
//! Each `wait` registers its own channel, so a wait dropped by a time-out spoils nothing.

use futures_channel::oneshot;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Set once by the event loop; awaited by user handles.
#[derive(Debug)]
pub(crate) struct Completion<T: Clone> {
    inner: Mutex<Inner<T>>,
}

#[derive(Debug)]
struct Inner<T> {
    value: Option<T>,
    waiters: Vec<oneshot::Sender<T>>,
}

impl<T: Clone> Default for Completion<T> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                value: None,
                waiters: Vec::new(),
            }),
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
        let mut inner = self.lock();
        if inner.value.is_some() {
            return false;
        }
        for waiter in inner.waiters.drain(..) {
            // A wait given up (timed out) needs no copy.
            if !waiter.is_canceled() {
                let _ = waiter.send(value.clone());
            }
        }
        inner.value = Some(value);
        true
    }

    /// The value, if set.
    pub(crate) fn get(&self) -> Option<T> {
        self.lock().value.clone()
    }

    /// Waits for the value. `None` only if the completion is dropped unset, which the event
    /// loop prevents by completing everything when it stops.
    pub(crate) async fn wait(&self) -> Option<T> {
        let receiver = {
            let mut inner = self.lock();
            if let Some(value) = &inner.value {
                return Some(value.clone());
            }
            inner.waiters.retain(|w| !w.is_canceled());
            let (sender, receiver) = oneshot::channel();
            inner.waiters.push(sender);
            receiver
        };
        receiver.await.ok()
    }
}
