//! An unbounded queue with one waiting consumer: the user handles' commands to the event
//! loop (the loop's frames to the writer go through the outbox, which takes them all at once).
//!
//! A ring buffer behind a lock instead of a channel that allocates a node per message:
//! every request of every call passes here, so that is an allocation less each.

use std::collections::VecDeque;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

/// Capacity above which an emptied queue gives its buffer back (after a burst).
const RELEASED_CAPACITY: usize = 1024;

pub(crate) struct WakeQueue<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    items: VecDeque<T>,
    /// The consumer, when it waits for an item.
    waker: Option<Waker>,
    /// No more items are taken in: the loop (the consumer) has ended.
    closed: bool,
}

impl<T> Default for WakeQueue<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                items: VecDeque::new(),
                waker: None,
                closed: false,
            }),
        }
    }
}

impl<T> WakeQueue<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The lock is never held across user code, so a poisoned one is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `item` and wakes the consumer; gives it back once the queue is closed.
    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        let waker = {
            let mut state = self.lock();
            if state.closed {
                return Err(item);
            }
            state.items.push_back(item);
            state.waker.take()
        };
        // Woken outside the lock: the consumer takes it at once.
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// The next item, without waiting.
    pub(crate) fn try_next(&self) -> Option<T> {
        take(&mut self.lock())
    }

    /// The next item; `None` once the queue is closed and empty.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.lock();
        if let Some(item) = take(&mut state) {
            return Poll::Ready(Some(item));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Waits for the next item; `None` once the queue is closed and empty. Cancel-safe: an
    /// item is only taken by the poll that returns it.
    #[cfg(test)]
    pub(crate) async fn next(&self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    /// Takes no more items in and wakes the consumer; the items still queued, to answer.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let (items, waker) = {
            let mut state = self.lock();
            state.closed = true;
            (std::mem::take(&mut state.items), state.waker.take())
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        items
    }
}

fn take<T>(state: &mut State<T>) -> Option<T> {
    let item = state.items.pop_front()?;
    if state.items.is_empty() && state.items.capacity() > RELEASED_CAPACITY {
        state.items = VecDeque::new();
    }
    Some(item)
}

#[cfg(test)]
mod tests {
    use super::WakeQueue;
    use futures_util::FutureExt;

    #[test]
    fn items_come_out_in_order_until_closed() {
        let queue = WakeQueue::default();
        assert_eq!(queue.push(1), Ok(()));
        assert_eq!(queue.push(2), Ok(()));
        assert_eq!(queue.try_next(), Some(1));
        assert_eq!(queue.next().now_or_never(), Some(Some(2)));
        // Empty and open: a wait waits.
        assert_eq!(queue.next().now_or_never(), None);
        assert_eq!(queue.push(3), Ok(()));
        assert_eq!(queue.close().into_iter().collect::<Vec<_>>(), vec![3]);
        assert_eq!(queue.push(4), Err(4));
        assert_eq!(queue.next().now_or_never(), Some(None));
    }
}
