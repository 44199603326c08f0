//! The two-way media session over any WebSocket (one accepted by our listener or by the
//! app's own HTTP server): typed events in, 20 ms frames, marks and clears out, with a
//! bounded outgoing queue and a write deadline. One implementation for every runtime.

use crate::driver::Runtime;
use crate::media::{
    clip, MarkId, MediaSessionCore, MessageError, SendError, SessionConfig, SessionError,
    SessionStats, StartInfo, StreamEvent,
};
use async_tungstenite::tungstenite::protocol::CloseFrame;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::WebSocketStream;
use futures_channel::{mpsc, oneshot};
use futures_util::future::{self, BoxFuture, Either};
use futures_util::io::{AsyncRead, AsyncWrite};
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Default time the far end gets to take what we write before the session closes with
/// [`SessionError::WriteTimeout`].
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of events read ahead of the app (64 is 1.28 s of 20 ms audio).
pub const DEFAULT_EVENT_CAPACITY: usize = 64;

/// How a mark ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkOutcome {
    /// The audio before it has played.
    Played,
    /// Its audio was cleared (by the far end's answer to our `clear`, or dropped from our
    /// own queue before it was written).
    Cleared,
}

/// Settings of a [`MediaSession`].
#[derive(Debug, Clone)]
pub struct MediaSessionBuilder {
    config: SessionConfig,
    write_timeout: Duration,
    event_capacity: usize,
}

impl Default for MediaSessionBuilder {
    fn default() -> Self {
        Self {
            config: SessionConfig::default(),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            event_capacity: DEFAULT_EVENT_CAPACITY,
        }
    }
}

impl MediaSessionBuilder {
    /// Queue, mark and message limits, and L16's byte order.
    pub fn config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    /// Time one write (a batch of queued messages) may take before the session closes with
    /// [`SessionError::WriteTimeout`] (default [`DEFAULT_WRITE_TIMEOUT`]): a far end that
    /// stops reading cannot hold the session open.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Events read ahead of the app (default [`DEFAULT_EVENT_CAPACITY`]). When the app
    /// falls that far behind, the session stops reading the socket until it catches up, so
    /// a far end sending audio too fast is slowed by TCP: nothing is dropped and memory
    /// stays bounded (this many events plus the socket's buffers).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity.max(1);
        self
    }

    /// Runs a session over `ws`, its driver spawned on `runtime` (whose `sleep` times the
    /// write deadline).
    pub fn accept<S>(self, ws: WebSocketStream<S>, runtime: Arc<dyn Runtime>) -> MediaSession
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (session, driver) = self.driven(ws, runtime.clone(), None);
        runtime.spawn(driver);
        session
    }

    /// [`accept`](Self::accept) under a receiver's admission: its time-outs, and its lease
    /// held until the session ends.
    pub(super) fn accept_admitted<S>(
        self,
        ws: WebSocketStream<S>,
        runtime: Arc<dyn Runtime>,
        admission: Admission,
    ) -> MediaSession
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (session, driver) = self.driven(ws, runtime.clone(), Some(admission));
        runtime.spawn(driver);
        session
    }

    /// The bytes a receiver charges its memory budget for one session: its outgoing queue's
    /// bound, the one part that grows with what the app sends.
    pub(super) fn reserved_bytes(&self) -> u64 {
        self.config.max_queued_bytes as u64
    }

    /// Like [`accept`](Self::accept), but returns the driver future for the caller to run
    /// (on a task of its own); the session does nothing until it is polled.
    pub fn with_driver<S>(
        self,
        ws: WebSocketStream<S>,
        runtime: Arc<dyn Runtime>,
    ) -> (MediaSession, BoxFuture<'static, ()>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.driven(ws, runtime, None)
    }

    fn driven<S>(
        self,
        ws: WebSocketStream<S>,
        runtime: Arc<dyn Runtime>,
        admission: Option<Admission>,
    ) -> (MediaSession, BoxFuture<'static, ()>)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                core: MediaSessionCore::new(self.config),
                waiters: BTreeMap::new(),
                writer: None,
                room: Vec::new(),
                written: 0,
                open: true,
                close_requested: false,
                close_frame: None,
                reason: None,
            }),
        });
        let (events_tx, events_rx) = mpsc::channel(self.event_capacity - 1);
        let guard = Arc::new(Guard(shared.clone()));
        let driver = drive(
            ws,
            shared.clone(),
            events_tx,
            runtime,
            self.write_timeout,
            admission,
        )
        .boxed();
        let session = MediaSession {
            sender: MediaSender {
                shared: shared.clone(),
                _guard: guard.clone(),
            },
            receiver: MediaReceiver {
                events: events_rx,
                shared,
                reason_taken: false,
                _guard: guard,
            },
        };
        (session, driver)
    }
}

/// What a receiver that admitted a session ([`PendingStream::open_media`]) holds it to.
///
/// [`PendingStream::open_media`]: super::PendingStream::open_media
pub(super) struct Admission {
    /// Time the far end gets to send `start`.
    pub(super) start_timeout: Duration,
    /// Time a started stream may go without a message.
    pub(super) idle_timeout: Duration,
    /// Counts a time-out in the receiver's stats.
    pub(super) on_timeout: Box<dyn Fn() + Send + Sync>,
    /// The receiver's place under its cap and its memory charge, given back when dropped
    /// with the session's driver.
    pub(super) lease: Box<dyn std::any::Any + Send + Sync>,
}

struct Inner {
    core: MediaSessionCore,
    waiters: BTreeMap<MarkId, oneshot::Sender<MarkOutcome>>,
    writer: Option<Waker>,
    /// Senders waiting for room in the queue ([`MediaSender::send_audio_wait`]).
    room: Vec<Waker>,
    /// Messages taken by the writer so far: a change means room was made.
    written: u64,
    open: bool,
    close_requested: bool,
    /// The close frame to end with, when the session is refused (a time-out).
    close_frame: Option<CloseFrame>,
    /// Why the session ended, when it was not a clean close.
    reason: Option<SessionError>,
}

impl Inner {
    fn wake_writer(&mut self) {
        if let Some(waker) = self.writer.take() {
            waker.wake();
        }
    }

    fn wake_room(&mut self) {
        for waker in self.room.drain(..) {
            waker.wake();
        }
    }

    fn resolve(&mut self, id: MarkId, outcome: MarkOutcome) {
        if let Some(waiter) = self.waiters.remove(&id) {
            let _ = waiter.send(outcome);
        }
    }
}

struct Shared {
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves the state usable: recover it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Held by the app's halves; when the last goes, the session closes.
struct Guard(Arc<Shared>);

impl Drop for Guard {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.close_requested = true;
        inner.wake_writer();
    }
}

/// One two-way stream: read its events, send audio, marks and clears. [`split`](Self::split)
/// it to talk while listening.
pub struct MediaSession {
    sender: MediaSender,
    receiver: MediaReceiver,
}

impl fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaSession")
            .field("stats", &self.sender.stats())
            .finish_non_exhaustive()
    }
}

impl MediaSession {
    /// Settings beyond the defaults.
    pub fn builder() -> MediaSessionBuilder {
        MediaSessionBuilder::default()
    }

    /// A session over `ws` with the default settings, driven on `runtime`. `ws` is any
    /// accepted WebSocket: from our listener, or from the app's own HTTP server's upgrade
    /// (`WebSocketStream::from_raw_socket`); any `AsyncRead + AsyncWrite` under it.
    pub fn accept<S>(ws: WebSocketStream<S>, runtime: Arc<dyn Runtime>) -> MediaSession
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        Self::builder().accept(ws, runtime)
    }

    /// The two halves: one sends, the other reads events.
    pub fn split(self) -> (MediaSender, MediaReceiver) {
        (self.sender, self.receiver)
    }

    /// The sending half, borrowed.
    pub fn sender(&self) -> &MediaSender {
        &self.sender
    }

    /// See [`MediaReceiver::next`].
    pub async fn next(&mut self) -> Option<Result<StreamEvent, SessionError>> {
        self.receiver.next().await
    }

    /// See [`MediaSender::send_audio`].
    pub fn send_audio(&self, pcm: &[i16]) -> Result<usize, SendError> {
        self.sender.send_audio(pcm)
    }

    /// See [`MediaSender::mark`].
    pub fn mark(&self, name: &str) -> Result<MarkHandle, SendError> {
        self.sender.mark(name)
    }

    /// See [`MediaSender::clear`].
    pub fn clear(&self) -> Result<(), SendError> {
        self.sender.clear()
    }
}

/// The sending half. Cheap to clone. Every call is immediate: it queues or returns a
/// typed error, never waits.
#[derive(Clone)]
pub struct MediaSender {
    shared: Arc<Shared>,
    _guard: Arc<Guard>,
}

impl fmt::Debug for MediaSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaSender")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl MediaSender {
    fn open(&self) -> Result<MutexGuard<'_, Inner>, SendError> {
        let inner = self.shared.lock();
        if !inner.open || inner.close_requested {
            return Err(SendError::Closed);
        }
        Ok(inner)
    }

    /// Encodes `pcm` (mono, at the stream's rate) to the stream's codec and queues it as
    /// 20 ms frames; a remainder is kept for the next call or [`flush_audio`](Self::flush_audio).
    /// Returns the frames queued. [`SendError::QueueFull`] when the far end reads too slowly
    /// (nothing queued then).
    pub fn send_audio(&self, pcm: &[i16]) -> Result<usize, SendError> {
        let mut inner = self.open()?;
        let frames = inner.core.send_audio(pcm)?;
        if frames > 0 {
            inner.wake_writer();
        }
        Ok(frames)
    }

    /// Like [`send_audio`](Self::send_audio), but when the queue is full waits for the
    /// writer to make room instead of returning [`SendError::QueueFull`] (which it still
    /// returns when `pcm` cannot fit even in an empty queue). Cancel-safe: nothing is
    /// queued until it returns `Ok`.
    pub async fn send_audio_wait(&self, pcm: &[i16]) -> Result<usize, SendError> {
        loop {
            let written = {
                let mut inner = self.open()?;
                match inner.core.send_audio(pcm) {
                    Ok(frames) => {
                        if frames > 0 {
                            inner.wake_writer();
                        }
                        return Ok(frames);
                    }
                    Err(full @ SendError::QueueFull { .. })
                        if inner.core.queued_messages() == 0 =>
                    {
                        return Err(full)
                    }
                    Err(SendError::QueueFull { .. }) => inner.written,
                    Err(other) => return Err(other),
                }
            };
            future::poll_fn(|cx| {
                let mut inner = self.shared.lock();
                if inner.written != written || !inner.open || inner.close_requested {
                    return Poll::Ready(());
                }
                inner.room.push(cx.waker().clone());
                Poll::Pending
            })
            .await;
        }
    }

    /// Queues the kept remainder padded with silence to 20 ms.
    pub fn flush_audio(&self) -> Result<bool, SendError> {
        let mut inner = self.open()?;
        let flushed = inner.core.flush_audio()?;
        inner.wake_writer();
        Ok(flushed)
    }

    /// Queues a mark after the audio sent so far (the remainder is flushed first). The
    /// handle resolves when the far end says that audio has played, or that it was cleared;
    /// drop it, or put a time-out on it, to stop waiting.
    pub fn mark(&self, name: &str) -> Result<MarkHandle, SendError> {
        let mut inner = self.open()?;
        let id = inner.core.mark(name)?;
        let (tx, rx) = oneshot::channel();
        inner.waiters.insert(id, tx);
        inner.wake_writer();
        Ok(MarkHandle {
            id,
            rx,
            shared: self.shared.clone(),
            done: false,
        })
    }

    /// Stops the far end's playback and flushes its queue and ours; pending marks resolve
    /// as [`MarkOutcome::Cleared`].
    pub fn clear(&self) -> Result<(), SendError> {
        let mut inner = self.open()?;
        let dropped = inner.core.clear()?;
        for (id, _) in dropped {
            inner.resolve(id, MarkOutcome::Cleared);
        }
        inner.wake_writer();
        Ok(())
    }

    /// Ends the session once what is queued has been written (a close frame follows).
    pub fn close(&self) {
        let mut inner = self.shared.lock();
        inner.close_requested = true;
        inner.wake_writer();
    }

    /// The `start` message, once it came.
    pub fn start(&self) -> Option<StartInfo> {
        self.shared.lock().core.start().cloned()
    }

    /// Messages and bytes waiting for the socket.
    pub fn queued(&self) -> (usize, usize) {
        let inner = self.shared.lock();
        (inner.core.queued_messages(), inner.core.queued_bytes())
    }

    /// Whether the session still runs.
    pub fn is_open(&self) -> bool {
        let inner = self.shared.lock();
        inner.open && !inner.close_requested
    }

    /// The counters.
    pub fn stats(&self) -> SessionStats {
        self.shared.lock().core.stats()
    }
}

/// The receiving half.
pub struct MediaReceiver {
    events: mpsc::Receiver<Result<StreamEvent, SessionError>>,
    shared: Arc<Shared>,
    reason_taken: bool,
    _guard: Arc<Guard>,
}

impl fmt::Debug for MediaReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaReceiver").finish_non_exhaustive()
    }
}

impl MediaReceiver {
    /// The next event. A refused message is an `Err` item and the session goes on; when
    /// the session ends on a failure ([`SessionError::WriteTimeout`], a socket error) that
    /// is the last item; then `None`. Cancel-safe.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, SessionError>> {
        if let Some(event) = self.events.next().await {
            return Some(event);
        }
        if self.reason_taken {
            return None;
        }
        self.reason_taken = true;
        self.shared.lock().reason.take().map(Err)
    }

    /// The counters.
    pub fn stats(&self) -> SessionStats {
        self.shared.lock().core.stats()
    }
}

/// Resolves when the far end acknowledges a mark. Dropping it stops the wait (the mark
/// stays pending, first to go when the mark table is full).
pub struct MarkHandle {
    id: MarkId,
    rx: oneshot::Receiver<MarkOutcome>,
    shared: Arc<Shared>,
    done: bool,
}

impl fmt::Debug for MarkHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MarkHandle").field("id", &self.id).finish()
    }
}

impl MarkHandle {
    /// The mark.
    pub fn id(&self) -> MarkId {
        self.id
    }
}

impl Future for MarkHandle {
    /// [`SendError::Closed`] when the session ended before the acknowledgement.
    type Output = Result<MarkOutcome, SendError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = futures_util::ready!(self.rx.poll_unpin(cx));
        self.done = true;
        Poll::Ready(result.map_err(|_| SendError::Closed))
    }
}

impl Drop for MarkHandle {
    fn drop(&mut self) {
        if !self.done {
            let mut inner = self.shared.lock();
            inner.waiters.remove(&self.id);
            inner.core.abandon_mark(self.id);
        }
    }
}

/// Runs one session: a reader and a writer; the first to end ends both.
async fn drive<S>(
    ws: WebSocketStream<S>,
    shared: Arc<Shared>,
    events: mpsc::Sender<Result<StreamEvent, SessionError>>,
    runtime: Arc<dyn Runtime>,
    write_timeout: Duration,
    admission: Option<Admission>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sink, stream) = StreamExt::split(ws);
    let (timeouts, _lease) = match admission {
        Some(a) => (
            Some(Timeouts {
                start: a.start_timeout,
                idle: a.idle_timeout,
                on_timeout: a.on_timeout,
            }),
            Some(a.lease),
        ),
        None => (None, None),
    };
    let reader = Box::pin(read_loop(
        stream,
        shared.clone(),
        events,
        runtime.clone(),
        timeouts,
    ));
    let writer = Box::pin(write_loop(sink, shared.clone(), runtime, write_timeout));
    let reason = match future::select(reader, writer).await {
        Either::Left((reason, _)) | Either::Right((reason, _)) => reason,
    };
    let mut inner = shared.lock();
    inner.open = false;
    if let Some(reason) = &reason {
        tracing::debug!(%reason, "media session ended");
    }
    // A refusal (set by the reader before the writer closed) stays the reason.
    if inner.reason.is_none() {
        inner.reason = reason;
    }
    inner.wake_room();
    // Dropping the waiters resolves every mark handle with `SendError::Closed`.
    inner.waiters.clear();
}

/// A receiver's start and idle time-outs, as the reader applies them.
struct Timeouts {
    start: Duration,
    idle: Duration,
    on_timeout: Box<dyn Fn() + Send + Sync>,
}

impl Timeouts {
    /// The time-out that applies now and the error it ends the session with.
    fn current(&self, started: bool) -> (Duration, SessionError) {
        if started {
            let timeout_ms = self.idle.as_millis() as u64;
            (self.idle, SessionError::IdleTimeout { timeout_ms })
        } else {
            let timeout_ms = self.start.as_millis() as u64;
            (self.start, SessionError::StartTimeout { timeout_ms })
        }
    }
}

/// Ends the session for `error` as the one-way receiver ends a stream: the writer sends
/// what is queued, then a `1008` close frame naming it.
fn refuse(shared: &Shared, error: SessionError) {
    tracing::warn!(%error, "stream receiver closes a two-way stream");
    let mut inner = shared.lock();
    inner.close_frame = Some(super::close::policy_close(&error.to_string()));
    inner.reason = Some(error);
    inner.close_requested = true;
    inner.wake_writer();
    inner.wake_room();
}

async fn read_loop<S>(
    mut stream: futures_util::stream::SplitStream<WebSocketStream<S>>,
    shared: Arc<Shared>,
    mut events: mpsc::Sender<Result<StreamEvent, SessionError>>,
    runtime: Arc<dyn Runtime>,
    timeouts: Option<Timeouts>,
) -> Option<SessionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut last_heard = runtime.now();
    loop {
        let next = match &timeouts {
            None => stream.next().await,
            Some(timeouts) => {
                let started = shared.lock().core.start().is_some();
                let (timeout, error) = timeouts.current(started);
                let wait = (last_heard + timeout).saturating_duration_since(runtime.now());
                match future::select(stream.next(), runtime.sleep(wait)).await {
                    Either::Left((next, _)) => next,
                    Either::Right(_) => {
                        (timeouts.on_timeout)();
                        refuse(&shared, error);
                        // The writer ends the session once the close frame is out.
                        return future::pending().await;
                    }
                }
            }
        };
        last_heard = runtime.now();
        let message = match next {
            None => return None,
            Some(Ok(message)) => message,
            Some(Err(e)) => return Some(SessionError::Socket(clip(&e.to_string()))),
        };
        let result = match &message {
            Message::Text(text) => shared.lock().core.handle_text(text.as_str()),
            Message::Binary(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => shared.lock().core.handle_text(text),
                Err(_) => Err(SessionError::Message(MessageError::InvalidJson(
                    "binary frame is not UTF-8".into(),
                ))),
            },
            Message::Close(_) => return None,
            _ => continue,
        };
        match &result {
            Ok(StreamEvent::MarkPlayed { id, .. }) => {
                shared.lock().resolve(*id, MarkOutcome::Played);
            }
            Ok(StreamEvent::MarkCleared { id, .. }) => {
                shared.lock().resolve(*id, MarkOutcome::Cleared);
            }
            Err(SessionError::UnknownMark(name)) => {
                let count = shared.lock().core.stats().unknown_marks;
                tracing::debug!(name = %name, unknown_marks = count, "a mark we never sent; ignored");
            }
            Err(error) => tracing::debug!(%error, "media session refused a message"),
            Ok(_) => {}
        }
        // Waits while the app is `event_capacity` behind: the socket is not read meanwhile.
        // With the receiving half gone, events are dropped; marks still resolve above.
        if !events.is_closed() {
            let _ = events.send(result).await;
        }
    }
}

async fn write_loop<S>(
    mut sink: futures_util::stream::SplitSink<WebSocketStream<S>, Message>,
    shared: Arc<Shared>,
    runtime: Arc<dyn Runtime>,
    write_timeout: Duration,
) -> Option<SessionError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let next = future::poll_fn(|cx| {
            let mut inner = shared.lock();
            if let Some(text) = inner.core.poll_transmit() {
                inner.written += 1;
                inner.wake_room();
                return Poll::Ready(Some(text));
            }
            if inner.close_requested {
                return Poll::Ready(None);
            }
            inner.writer = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        let Some(first) = next else {
            let frame = shared.lock().close_frame.take();
            let close = Box::pin(async {
                if let Some(frame) = frame {
                    sink.send(Message::Close(Some(frame))).await?;
                }
                sink.close().await
            });
            let _ = future::select(close, runtime.sleep(write_timeout)).await;
            return None;
        };
        // Everything queued goes out in one batch with one flush, under one deadline.
        let batch = Box::pin(async {
            sink.feed(Message::text(first)).await?;
            loop {
                let text = {
                    let mut inner = shared.lock();
                    let text = inner.core.poll_transmit();
                    if text.is_some() {
                        inner.written += 1;
                        inner.wake_room();
                    }
                    text
                };
                match text {
                    Some(text) => sink.feed(Message::text(text)).await?,
                    None => break,
                }
            }
            sink.flush().await
        });
        match future::select(batch, runtime.sleep(write_timeout)).await {
            Either::Left((Ok(()), _)) => {}
            Either::Left((Err(e), _)) => return Some(SessionError::Socket(clip(&e.to_string()))),
            Either::Right(_) => {
                tracing::debug!(
                    timeout_ms = write_timeout.as_millis() as u64,
                    "media session far end stopped reading; closing"
                );
                return Some(SessionError::WriteTimeout);
            }
        }
    }
}
