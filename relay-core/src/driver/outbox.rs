//! The queue between the event loop and its connection's writer task: frames in order, then
//! perhaps a close. The writer takes everything queued at once, under one lock; an unbounded
//! channel instead allocated a node for every frame (six a streamed call).

use futures_util::task::AtomicWaker;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;

/// Slots of a taken vector kept for the next take (24 KiB): a burst's larger vector (the
/// server not reading, say) is given back instead of held for the connection's life.
const MAX_KEPT_FRAMES: usize = 1024;

#[derive(Default)]
struct State {
    frames: Vec<String>,
    close: bool,
    sender_gone: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    writer: AtomicWaker,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A new outbox: the loop's end and the writer task's end.
pub(super) fn outbox() -> (OutboxSender, OutboxReceiver) {
    let shared = Arc::new(Shared::default());
    (OutboxSender(shared.clone()), OutboxReceiver(shared))
}

/// The loop's end. Dropping it tells the writer the connection is abandoned.
pub(super) struct OutboxSender(Arc<Shared>);

impl OutboxSender {
    /// Queues a frame after those already queued.
    pub(super) fn send(&self, frame: String) {
        let was_empty = {
            let mut state = self.0.state();
            let was_empty = state.frames.is_empty();
            state.frames.push(frame);
            was_empty
        };
        // The writer takes the whole queue: it was woken when the queue stopped being empty.
        if was_empty {
            self.0.writer.wake();
        }
    }

    /// Asks the writer to close the socket once the frames queued so far are written.
    pub(super) fn close(&self) {
        self.0.state().close = true;
        self.0.writer.wake();
    }
}

impl Drop for OutboxSender {
    fn drop(&mut self) {
        self.0.state().sender_gone = true;
        self.0.writer.wake();
    }
}

/// What [`OutboxReceiver::take`] found besides the frames it moved out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Frames to write; more may follow.
    Frames,
    /// Write the frames taken (perhaps none), then close the socket.
    Close,
    /// The loop gave the connection up and nothing is queued: stop.
    Gone,
}

/// The writer task's end.
pub(super) struct OutboxReceiver(Arc<Shared>);

impl OutboxReceiver {
    /// Waits for frames, a close or the loop's end, and moves every queued frame into
    /// `into` (expected empty; its capacity, up to [`MAX_KEPT_FRAMES`], is reused).
    pub(super) async fn take(&mut self, into: &mut Vec<String>) -> Next {
        if into.capacity() > MAX_KEPT_FRAMES {
            *into = Vec::new();
        }
        std::future::poll_fn(|cx| {
            // Registered before looking, so a frame queued after the look wakes this task.
            self.0.writer.register(cx.waker());
            let mut state = self.0.state();
            if state.close {
                std::mem::swap(&mut state.frames, into);
                return Poll::Ready(Next::Close);
            }
            if !state.frames.is_empty() {
                std::mem::swap(&mut state.frames, into);
                return Poll::Ready(Next::Frames);
            }
            if state.sender_gone {
                return Poll::Ready(Next::Gone);
            }
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    fn take_now(receiver: &mut OutboxReceiver, into: &mut Vec<String>) -> Option<Next> {
        receiver.take(into).now_or_never()
    }

    #[test]
    fn frames_are_taken_in_order_all_at_once_and_the_buffers_are_reused() {
        let (sender, mut receiver) = outbox();
        let mut taken = Vec::new();
        assert_eq!(take_now(&mut receiver, &mut taken), None);
        sender.send("a".into());
        sender.send("b".into());
        assert_eq!(take_now(&mut receiver, &mut taken), Some(Next::Frames));
        assert_eq!(taken, ["a", "b"]);
        let capacity = taken.capacity();
        taken.clear();
        sender.send("c".into());
        assert_eq!(take_now(&mut receiver, &mut taken), Some(Next::Frames));
        assert_eq!(taken, ["c"]);
        // The queue now holds the vector the writer gave back: no allocation per take.
        assert_eq!(receiver.0.state().frames.capacity(), capacity);
    }

    #[test]
    fn a_burst_s_large_vector_is_given_back_not_kept() {
        let (sender, mut receiver) = outbox();
        let mut taken = Vec::new();
        for n in 0..MAX_KEPT_FRAMES + 1 {
            sender.send(n.to_string());
        }
        assert_eq!(take_now(&mut receiver, &mut taken), Some(Next::Frames));
        assert!(taken.capacity() > MAX_KEPT_FRAMES);
        taken.clear();
        sender.send("after".into());
        assert_eq!(take_now(&mut receiver, &mut taken), Some(Next::Frames));
        // The burst's vector was dropped, not handed back to the queue.
        assert!(receiver.0.state().frames.capacity() <= MAX_KEPT_FRAMES);
        assert!(taken.capacity() <= MAX_KEPT_FRAMES);
    }

    #[test]
    fn a_close_comes_after_the_frames_queued_before_it() {
        let (sender, mut receiver) = outbox();
        let mut taken = Vec::new();
        sender.send("last".into());
        sender.close();
        assert_eq!(take_now(&mut receiver, &mut taken), Some(Next::Close));
        assert_eq!(taken, ["last"]);
    }

    #[test]
    fn frames_queued_before_the_loop_let_go_are_still_taken_then_it_ends() {
        let (sender, mut receiver) = outbox();
        let mut taken = Vec::new();
        sender.send("queued".into());
        drop(sender);
        assert_eq!(take_now(&mut receiver, &mut taken), Some(Next::Frames));
        taken.clear();
        assert_eq!(take_now(&mut receiver, &mut taken), Some(Next::Gone));
    }

    #[test]
    fn a_waiting_writer_is_woken_by_a_frame_and_by_the_loop_letting_go() {
        use futures_util::task::{waker, ArcWake};
        use std::future::Future;
        use std::sync::atomic::{AtomicUsize, Ordering};
        struct Count(AtomicUsize);
        impl ArcWake for Count {
            fn wake_by_ref(this: &Arc<Self>) {
                this.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = waker(count.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let (sender, mut receiver) = outbox();
        let mut taken = Vec::new();
        {
            let mut take = std::pin::pin!(receiver.take(&mut taken));
            assert!(take.as_mut().poll(&mut cx).is_pending());
            sender.send("x".into());
            assert_eq!(count.0.load(Ordering::SeqCst), 1);
            assert_eq!(take.as_mut().poll(&mut cx), Poll::Ready(Next::Frames));
        }
        taken.clear();
        {
            let mut take = std::pin::pin!(receiver.take(&mut taken));
            assert!(take.as_mut().poll(&mut cx).is_pending());
            drop(sender);
            assert_eq!(count.0.load(Ordering::SeqCst), 2);
            assert_eq!(take.as_mut().poll(&mut cx), Poll::Ready(Next::Gone));
        }
    }
}
