//! What a runtime crate supplies to the client: TCP connect, sleep, spawn and the clock.
//! Everything else (TLS, the WebSocket, the event loop) is written once on top of these.

use futures_util::future::{BoxFuture, LocalBoxFuture};
use futures_util::io::{AsyncRead, AsyncWrite};
use futures_util::task::{waker_ref, ArcWake};
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// A byte stream the WebSocket can run over (a TCP socket, or TLS over one).
pub trait ByteStream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> ByteStream for T {}

/// The four things the client needs from an async runtime.
///
/// The client reads time only through [`Runtime::now`] and waits only through
/// [`Runtime::sleep`], so a runtime with a virtual clock (the `testkit` feature's) runs it
/// without real waiting.
pub trait Runtime: Send + Sync + 'static {
    /// Opens a TCP connection.
    fn connect_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> BoxFuture<'static, io::Result<Box<dyn ByteStream>>>;
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
    /// Runs a task in the background.
    fn spawn(&self, task: BoxFuture<'static, ()>);
    /// The current time. Real runtimes return [`Instant::now`].
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// A runtime of the client's own for its connection, on a thread of its own: the event
    /// loop, its timers, its socket and its writer run there, apart from user tasks, so that
    /// a handler that blocks its thread (`std::thread::sleep`, blocking IO, a long
    /// computation) cannot stop acks and pings. `None` (the default) runs the loop on this
    /// runtime, as a virtual clock needs. Dropping the returned runtime (with every task
    /// that holds it) ends its thread.
    fn dedicated(&self) -> Option<std::sync::Arc<dyn Runtime>> {
        None
    }
    /// Blocks the calling thread, which runs none of the runtime's tasks, until `future`
    /// completes: how the blocking facade waits. The default parks the thread; a runtime
    /// with a virtual clock also notes that the thread waits (time may move) and that it
    /// was woken (time must not move until it waits again).
    fn block_on(&self, future: LocalBoxFuture<'_, ()>) {
        park_until_done(future)
    }
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl ArcWake for Unpark {
    fn wake_by_ref(this: &Arc<Self>) {
        this.0.unpark();
    }
}

/// Polls `future` on this thread, parking it between wake-ups.
pub fn park_until_done(mut future: LocalBoxFuture<'_, ()>) {
    let unpark = Arc::new(Unpark(std::thread::current()));
    let waker = waker_ref(&unpark);
    let mut cx = Context::from_waker(&waker);
    while future.as_mut().poll(&mut cx) == Poll::Pending {
        std::thread::park();
    }
}

/// Starts a named thread that logs where the calling thread logs: the `tracing` subscriber in
/// force here, a scoped one included, becomes that thread's default too. A connection moved to
/// a thread of its own ([`Runtime::dedicated`]) so stays visible to whoever watches the logs of
/// the thread that started the client.
pub fn spawn_logging_thread<F: FnOnce() + Send + 'static>(
    name: &str,
    body: F,
) -> io::Result<std::thread::JoinHandle<()>> {
    let dispatch = tracing::dispatcher::get_default(|dispatch| dispatch.clone());
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || tracing::dispatcher::with_default(&dispatch, body))
}
