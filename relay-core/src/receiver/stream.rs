//! The other end of `calling.stream`: a WebSocket server that checks the bearer token in
//! constant time, stays up through accept errors and idle sockets, bounds what each stream
//! may cost, and hands each chunk over decoded (once) as it arrives.

use super::media_session::{Admission, MediaSession, MediaSessionBuilder};
use crate::driver::{ByteStream, Runtime};
use crate::media::{
    clip, AssembleError, FormatError, MediaFormat, MediaTrack, MemoryBudget, MessageError,
    StartInfo, StreamAssembler, StreamEvent, StreamMessage, DEFAULT_MAX_GAP_MS,
    DEFAULT_SILENCE_ALLOWANCE_MS,
};
use crate::server::{
    upgrade_checked, HandshakeInfo, PendingUpgrade, ServerRuntime, UpgradeError, WsListener,
};
use async_tungstenite::tungstenite::Message;
use async_tungstenite::WebSocketStream;
use futures_rustls::rustls;
use futures_util::future::{self, Either};
use futures_util::StreamExt;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// Default cap on connections open at once (handshaking or streaming).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default time a connection gets to finish TLS and the WebSocket upgrade.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound on the bytes one connection may send: about two hours of both tracks of
/// 48 kHz L16, far more of G.711.
pub const DEFAULT_MAX_BYTES_PER_CONNECTION: u64 = 4 << 30;
/// Default number of bad messages [`IncomingStream::collect`] keeps (the rest are counted).
pub const DEFAULT_MAX_KEPT_ERRORS: usize = 32;
/// Default time an open stream gets to send its `start` message: `calling.stream` sends it
/// at once, so a socket silent this long is idle and gives its place back.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time a started stream may go without any message (a real one sends media every
/// 20 ms, silence included).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Default memory budget for the audio of every stream open at once: 1 GiB, about 90
/// minutes of both tracks of 48 kHz L16, or 18 hours of 8 kHz mono.
pub const DEFAULT_MEMORY_BUDGET: u64 = 1 << 30;

/// Default bound on one message: a 20 ms chunk of 48 kHz L16 is under 3 kB, so 256 KiB
/// leaves room for long packets and large custom parameters, and 1,024 connections can make
/// the receiver buffer at most 256 MiB of partial messages.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 256 << 10;

/// How long a refusal's close frame may take to go out before the socket is just dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// DTMF digits [`IncomingStream::collect`] keeps: far more than any caller types.
const MAX_KEPT_DIGITS: usize = 4096;

/// Pauses after a failed accept (out of descriptors, memory, …): doubling, reset by success.
const ACCEPT_PAUSE_MIN: Duration = Duration::from_millis(10);
const ACCEPT_PAUSE_MAX: Duration = Duration::from_secs(1);

/// What each stream may cost.
#[derive(Debug, Clone)]
struct Limits {
    max_gap_ms: u64,
    silence_allowance_ms: u64,
    start_timeout: Duration,
    idle_timeout: Duration,
    max_audio_ms: u64,
    max_bytes: u64,
    assemble: bool,
    max_kept_errors: usize,
}

/// Counts shared by the receiver and every connection it accepted.
#[derive(Debug, Default)]
struct Counters {
    active: AtomicUsize,
    accepted: AtomicU64,
    refused_over_cap: AtomicU64,
    handshake_timeouts: AtomicU64,
    handshake_failures: AtomicU64,
    accept_errors: AtomicU64,
    timeouts: AtomicU64,
    refused_streams: AtomicU64,
    budget: Option<Arc<MemoryBudget>>,
}

/// Live counters of a [`StreamReceiver`]; cheap to clone, still valid after `serve` took the
/// receiver.
#[derive(Debug, Clone, Default)]
pub struct ReceiverStats(Arc<Counters>);

impl ReceiverStats {
    /// Connections open now, from accept until the stream (or its handshake) is dropped.
    pub fn active(&self) -> usize {
        self.0.active.load(Ordering::SeqCst)
    }
    /// Connections taken under the cap.
    pub fn accepted(&self) -> u64 {
        self.0.accepted.load(Ordering::SeqCst)
    }
    /// Connections closed at once because the cap was reached.
    pub fn refused_over_cap(&self) -> u64 {
        self.0.refused_over_cap.load(Ordering::SeqCst)
    }
    /// Handshakes dropped for taking longer than the handshake time-out.
    pub fn handshake_timeouts(&self) -> u64 {
        self.0.handshake_timeouts.load(Ordering::SeqCst)
    }
    /// Handshakes that failed or were refused (bad token, not a WebSocket, TLS error).
    pub fn handshake_failures(&self) -> u64 {
        self.0.handshake_failures.load(Ordering::SeqCst)
    }
    /// Accept errors survived by [`StreamReceiver::serve`].
    pub fn accept_errors(&self) -> u64 {
        self.0.accept_errors.load(Ordering::SeqCst)
    }
    /// Open streams closed for sending no `start` in time, or no message at all for the
    /// idle time-out.
    pub fn timeouts(&self) -> u64 {
        self.0.timeouts.load(Ordering::SeqCst)
    }
    /// Streams closed for passing a bound (bytes, silence, memory budget) or refused by the
    /// application ([`IncomingStream::refuse`]).
    pub fn refused_streams(&self) -> u64 {
        self.0.refused_streams.load(Ordering::SeqCst)
    }
    /// Bytes of audio held now by every open stream, charged to the memory budget.
    pub fn memory_used(&self) -> u64 {
        self.0.budget.as_ref().map_or(0, |b| b.used())
    }
}

/// Holds one place under the connection cap; gives it back when dropped.
struct Slot(Arc<Counters>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Settings of a [`StreamReceiver`]; [`bind`](Self::bind) makes one.
#[derive(Clone)]
pub struct ReceiverBuilder {
    tls: Option<Arc<rustls::ServerConfig>>,
    bearer: Option<Arc<str>>,
    max_connections: usize,
    handshake_timeout: Duration,
    memory_budget: u64,
    max_message_bytes: usize,
    limits: Limits,
}

impl fmt::Debug for ReceiverBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverBuilder")
            .field("tls", &self.tls.is_some())
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("max_connections", &self.max_connections)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("memory_budget", &self.memory_budget)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Default for ReceiverBuilder {
    fn default() -> Self {
        Self {
            tls: None,
            bearer: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            limits: Limits {
                max_gap_ms: DEFAULT_MAX_GAP_MS,
                silence_allowance_ms: DEFAULT_SILENCE_ALLOWANCE_MS,
                start_timeout: DEFAULT_START_TIMEOUT,
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                max_audio_ms: 3600 * 1000,
                max_bytes: DEFAULT_MAX_BYTES_PER_CONNECTION,
                assemble: true,
                max_kept_errors: DEFAULT_MAX_KEPT_ERRORS,
            },
        }
    }
}

impl ReceiverBuilder {
    /// Serve `wss://` with this TLS configuration (see [`crate::server::tls_server_config`]).
    pub fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Refuse (`401`) a connection whose `Authorization` header is not `Bearer <token>`.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(Arc::from(token.into()));
        self
    }

    /// Connections open at once, handshaking or streaming (default
    /// [`DEFAULT_MAX_CONNECTIONS`]); over it, a new connection is closed at once.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Time a connection gets to finish TLS and the WebSocket upgrade (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]); an idle socket is dropped after it.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The most silence one chunk may open before itself (default [`DEFAULT_MAX_GAP_MS`]).
    pub fn max_gap_ms(mut self, max_gap_ms: u64) -> Self {
        self.limits.max_gap_ms = max_gap_ms;
        self
    }

    /// The silence a stream may have filled into its gaps beyond the audio it sent, over all
    /// its tracks (default [`DEFAULT_SILENCE_ALLOWANCE_MS`]); past it the stream is closed
    /// with [`AssembleError::SilenceOverAllowance`].
    pub fn silence_allowance_ms(mut self, allowance_ms: u64) -> Self {
        self.limits.silence_allowance_ms = allowance_ms;
        self
    }

    /// Bytes of audio all open streams may hold together (default
    /// [`DEFAULT_MEMORY_BUDGET`]); a stream whose next chunk does not fit is closed with
    /// [`AssembleError::OverBudget`].
    pub fn memory_budget(mut self, bytes: u64) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// The largest message a connection may send (default [`DEFAULT_MAX_MESSAGE_BYTES`]); a
    /// bigger one ends the stream with [`ReceiveError::Socket`].
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Time an open stream gets to send `start` (default [`DEFAULT_START_TIMEOUT`]); a
    /// socket that says nothing is closed with [`ReceiveError::StartTimeout`].
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.limits.start_timeout = timeout;
        self
    }

    /// Time a started stream may go without a message (default [`DEFAULT_IDLE_TIMEOUT`]);
    /// it is then closed with [`ReceiveError::IdleTimeout`].
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// The longest track the assembler keeps (default one hour).
    pub fn max_audio_ms(mut self, max_audio_ms: u64) -> Self {
        self.limits.max_audio_ms = max_audio_ms;
        self
    }

    /// The most bytes one connection may send (default
    /// [`DEFAULT_MAX_BYTES_PER_CONNECTION`]); past it the stream ends with
    /// [`ReceiveError::TooManyBytes`].
    pub fn max_bytes_per_connection(mut self, max: u64) -> Self {
        self.limits.max_bytes = max;
        self
    }

    /// Whether each stream also assembles its audio by timestamp (default `true`). Off, the
    /// chunks only reach the caller as [`StreamEvent::Audio`] and nothing grows with the
    /// stream's length.
    pub fn assemble(mut self, assemble: bool) -> Self {
        self.limits.assemble = assemble;
        self
    }

    /// Bad messages [`IncomingStream::collect`] keeps (default [`DEFAULT_MAX_KEPT_ERRORS`]).
    pub fn max_kept_errors(mut self, max: usize) -> Self {
        self.limits.max_kept_errors = max;
        self
    }

    /// Binds `addr` on `runtime`.
    pub async fn bind(
        self,
        runtime: Arc<dyn ServerRuntime>,
        addr: SocketAddr,
    ) -> std::io::Result<StreamReceiver> {
        let mut listener = WsListener::bind(runtime.as_ref(), addr, self.tls).await?;
        listener.set_max_message_size(self.max_message_bytes);
        Ok(StreamReceiver {
            listener,
            runtime,
            bearer: self.bearer,
            max_connections: self.max_connections,
            handshake_timeout: self.handshake_timeout,
            limits: Arc::new(self.limits),
            stats: ReceiverStats(Arc::new(Counters {
                budget: Some(Arc::new(MemoryBudget::new(self.memory_budget))),
                ..Counters::default()
            })),
        })
    }
}

/// Accepts stream connections. Bind it, give its [`url`](Self::url) to `call.stream`.
pub struct StreamReceiver {
    listener: WsListener,
    runtime: Arc<dyn ServerRuntime>,
    bearer: Option<Arc<str>>,
    max_connections: usize,
    handshake_timeout: Duration,
    limits: Arc<Limits>,
    stats: ReceiverStats,
}

impl fmt::Debug for StreamReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReceiver")
            .field("addr", &self.listener.local_addr().ok())
            .field("tls", &self.listener.is_tls())
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("max_connections", &self.max_connections)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("limits", &self.limits)
            .finish()
    }
}

impl StreamReceiver {
    /// Settings beyond the defaults: TLS, bearer token, limits, time-outs.
    pub fn builder() -> ReceiverBuilder {
        ReceiverBuilder::default()
    }

    /// Binds `addr` with the defaults: plain `ws://`, no token.
    pub async fn bind(runtime: Arc<dyn ServerRuntime>, addr: SocketAddr) -> std::io::Result<Self> {
        Self::builder().bind(runtime, addr).await
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The url to stream to: `wss://` with TLS, else `ws://`.
    pub fn url(&self) -> std::io::Result<String> {
        let scheme = if self.listener.is_tls() { "wss" } else { "ws" };
        Ok(format!("{scheme}://{}", self.local_addr()?))
    }

    /// The live counters.
    pub fn stats(&self) -> ReceiverStats {
        self.stats.clone()
    }

    pub(super) fn set_handshake_timeout(&mut self, timeout: Duration) {
        self.handshake_timeout = timeout;
    }

    /// Waits for the next connection under the cap (those over it are closed at once).
    /// Cancel-safe; finish it with [`PendingStream::open`], ideally in a task of its own.
    /// An accept error is returned as is; [`serve`](Self::serve) survives them.
    pub async fn accept(&mut self) -> std::io::Result<PendingStream> {
        let counters = &self.stats.0;
        loop {
            let upgrade = self.listener.accept().await?;
            // Only this task adds to `active`, so the check and the add cannot race.
            if counters.active.load(Ordering::SeqCst) >= self.max_connections {
                counters.refused_over_cap.fetch_add(1, Ordering::SeqCst);
                tracing::debug!(
                    max = self.max_connections,
                    "stream receiver at its connection cap; closing a new connection"
                );
                drop(upgrade);
                continue;
            }
            counters.active.fetch_add(1, Ordering::SeqCst);
            counters.accepted.fetch_add(1, Ordering::SeqCst);
            return Ok(PendingStream {
                upgrade,
                bearer: self.bearer.clone(),
                runtime: self.runtime.clone(),
                handshake_timeout: self.handshake_timeout,
                limits: self.limits.clone(),
                slot: Slot(counters.clone()),
            });
        }
    }

    /// Accepts connections for ever, running `handler` on each opened stream in its own
    /// task (refused and failed handshakes reach it as errors). Never returns: an accept
    /// error (out of file descriptors, say) is logged and followed by a short pause.
    pub async fn serve<F, Fut>(mut self, handler: F)
    where
        F: Fn(Result<IncomingStream, ReceiveError>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let mut pause = ACCEPT_PAUSE_MIN;
        loop {
            let pending = match self.accept().await {
                Ok(pending) => pending,
                Err(error) => {
                    self.stats.0.accept_errors.fetch_add(1, Ordering::SeqCst);
                    tracing::warn!(
                        %error,
                        pause_ms = pause.as_millis() as u64,
                        "stream receiver cannot accept; pausing"
                    );
                    self.runtime.sleep(pause).await;
                    pause = (pause * 2).min(ACCEPT_PAUSE_MAX);
                    continue;
                }
            };
            pause = ACCEPT_PAUSE_MIN;
            let handler = handler.clone();
            self.runtime.spawn(Box::pin(async move {
                handler(pending.open().await).await;
            }));
        }
    }
}

/// An accepted connection, before the handshake. Holds a place under the connection cap.
pub struct PendingStream {
    upgrade: PendingUpgrade,
    bearer: Option<Arc<str>>,
    runtime: Arc<dyn ServerRuntime>,
    handshake_timeout: Duration,
    limits: Arc<Limits>,
    slot: Slot,
}

impl fmt::Debug for PendingStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingStream")
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl PendingStream {
    /// Does the handshake and the token check, within the handshake time-out.
    pub async fn open(self) -> Result<IncomingStream, ReceiveError> {
        let runtime = self.runtime.clone();
        let limits = self.limits.clone();
        let (ws, handshake, slot) = self.handshake().await?;
        let now = runtime.now();
        Ok(IncomingStream {
            ws,
            handshake,
            start: None,
            assembler: None,
            limits,
            runtime,
            last_heard: now,
            messages: 0,
            bytes: 0,
            stopped: false,
            closed: false,
            slot,
        })
    }

    /// Admits a two-way stream the way [`open`](Self::open) admits a one-way one, and runs
    /// a [`MediaSession`] over it with `builder`'s settings: the same handshake time-out and
    /// bearer check, a place under the connection cap held until the session ends, the
    /// receiver's start and idle time-outs (closing with the same `1008` close frame and
    /// reason, and ending the session with [`SessionError::StartTimeout`] or
    /// [`SessionError::IdleTimeout`]), and the session's outgoing queue
    /// ([`SessionConfig::max_queued_bytes`](crate::media::SessionConfig::max_queued_bytes))
    /// charged to the receiver's memory budget for the session's life (a stream it does
    /// not fit is closed with [`AssembleError::OverBudget`]). The session's driver is
    /// spawned on the receiver's runtime.
    ///
    /// [`SessionError::StartTimeout`]: crate::media::SessionError::StartTimeout
    /// [`SessionError::IdleTimeout`]: crate::media::SessionError::IdleTimeout
    pub async fn open_media(
        self,
        builder: MediaSessionBuilder,
    ) -> Result<(MediaSession, HandshakeInfo), ReceiveError> {
        let runtime = self.runtime.clone();
        let limits = self.limits.clone();
        let (mut ws, handshake, slot) = self.handshake().await?;
        let counters = slot.0.clone();
        let charge = match &counters.budget {
            None => None,
            Some(budget) => {
                let needed = builder.reserved_bytes();
                if !budget.try_charge(needed) {
                    let error = ReceiveError::Assemble(AssembleError::OverBudget {
                        needed,
                        limit: budget.limit(),
                    });
                    counters.refused_streams.fetch_add(1, Ordering::SeqCst);
                    close_for(&mut ws, runtime.as_ref(), handshake.peer, &error).await;
                    return Err(error);
                }
                Some(Charge(budget.clone(), needed))
            }
        };
        let admission = Admission {
            start_timeout: limits.start_timeout,
            idle_timeout: limits.idle_timeout,
            on_timeout: Box::new(move || {
                counters.timeouts.fetch_add(1, Ordering::SeqCst);
            }),
            lease: Box::new((slot, charge)),
        };
        let runtime: Arc<dyn Runtime> = runtime;
        let session = builder.accept_admitted(ws, runtime, admission);
        Ok((session, handshake))
    }

    /// The handshake and the token check within the handshake time-out: what both kinds of
    /// stream go through.
    async fn handshake(
        self,
    ) -> Result<(WebSocketStream<Box<dyn ByteStream>>, HandshakeInfo, Slot), ReceiveError> {
        let bearer = self.bearer;
        let check = move |header: Option<&str>| match &bearer {
            None => true,
            Some(expected) => bearer_matches(header, expected),
        };
        let counters = &self.slot.0;
        let upgrade = Box::pin(upgrade_checked(self.upgrade, check));
        let timer = self.runtime.sleep(self.handshake_timeout);
        let (ws, handshake) = match future::select(upgrade, timer).await {
            Either::Left((Ok(done), _)) => done,
            Either::Left((Err(e), _)) => {
                counters.handshake_failures.fetch_add(1, Ordering::SeqCst);
                tracing::debug!(error = %e, "stream handshake failed");
                return Err(match e {
                    UpgradeError::Unauthorized => ReceiveError::Unauthorized,
                    other => ReceiveError::Handshake(clip(&other.to_string())),
                });
            }
            Either::Right(_) => {
                counters.handshake_timeouts.fetch_add(1, Ordering::SeqCst);
                tracing::debug!(
                    timeout_ms = self.handshake_timeout.as_millis() as u64,
                    "stream handshake timed out"
                );
                return Err(ReceiveError::HandshakeTimeout);
            }
        };
        Ok((ws, handshake, self.slot))
    }
}

/// A two-way session's share of the memory budget, given back when the session ends.
struct Charge(Arc<MemoryBudget>, u64);

impl Drop for Charge {
    fn drop(&mut self) {
        self.0.release(self.1);
    }
}

/// Closes `ws` for `error`: one log line, then the close frame (given up after a short
/// grace if the peer does not read).
async fn close_for(
    ws: &mut WebSocketStream<Box<dyn ByteStream>>,
    runtime: &dyn ServerRuntime,
    peer: Option<SocketAddr>,
    error: &ReceiveError,
) {
    let peer = peer.map(|p| p.to_string()).unwrap_or_default();
    tracing::warn!(%peer, %error, "stream receiver closes a stream");
    let close = std::pin::pin!(ws.close(Some(super::close::policy_close(&error.to_string()))));
    let _ = future::select(close, runtime.sleep(CLOSE_GRACE)).await;
}

/// Whether an `Authorization` header carries `Bearer <expected>`, compared in constant time
/// so the token cannot be guessed byte by byte from response timing.
pub fn bearer_matches(header: Option<&str>, expected: &str) -> bool {
    let Some(header) = header else {
        return false;
    };
    let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    else {
        return false;
    };
    token.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// Why a stream connection or message failed. Strings in it are the peer's only in part:
/// they are cut to a few dozen characters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The `Authorization` header did not carry the expected bearer token (answered `401`).
    Unauthorized,
    /// The TLS or WebSocket handshake failed.
    Handshake(String),
    /// The handshake did not finish within the handshake time-out; the socket was dropped.
    HandshakeTimeout,
    /// No `start` message within the start time-out; the stream was closed.
    StartTimeout {
        /// The time-out, in ms.
        timeout_ms: u64,
    },
    /// No message at all within the idle time-out; the stream was closed.
    IdleTimeout {
        /// The time-out, in ms.
        timeout_ms: u64,
    },
    /// The application refused the stream ([`IncomingStream::refuse`]) for this reason.
    Refused(String),
    /// The socket failed.
    Socket(String),
    /// A message could not be read; the stream goes on.
    Message(MessageError),
    /// `media` arrived before `start`, so its format is unknown; the stream goes on.
    MediaBeforeStart,
    /// The `start` message claims a format `calling.stream` never sends; its media will be
    /// refused as [`ReceiveError::MediaBeforeStart`].
    UnsupportedFormat(FormatError),
    /// The `start` message lists no track.
    NoTracks,
    /// A second `start` message; the first one stands.
    DuplicateStart,
    /// `media` for a track the `start` message did not list.
    UnexpectedTrack(MediaTrack),
    /// A message after `stop`; it is ignored.
    AfterStop,
    /// A media chunk could not be placed (too far ahead, or past the length limit); it is
    /// left out of the assembled audio. When the stream used up its silence allowance or the
    /// memory budget ([`AssembleError::is_exhaustion`]) the stream is closed.
    Assemble(AssembleError),
    /// The connection sent more than its byte limit; the stream ends here.
    TooManyBytes {
        /// The limit.
        limit: u64,
    },
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiveError::Unauthorized => f.write_str("bad or missing bearer token"),
            ReceiveError::Handshake(e) => write!(f, "handshake: {e}"),
            ReceiveError::HandshakeTimeout => f.write_str("handshake timed out"),
            ReceiveError::StartTimeout { timeout_ms } => {
                write!(f, "no start message within {timeout_ms} ms")
            }
            ReceiveError::IdleTimeout { timeout_ms } => {
                write!(f, "no message within {timeout_ms} ms")
            }
            ReceiveError::Refused(reason) => write!(f, "refused: {reason}"),
            ReceiveError::Socket(e) => write!(f, "socket: {e}"),
            ReceiveError::Message(e) => write!(f, "bad message: {e}"),
            ReceiveError::MediaBeforeStart => f.write_str("media before a usable start message"),
            ReceiveError::UnsupportedFormat(e) => write!(f, "unsupported media format: {e}"),
            ReceiveError::NoTracks => f.write_str("the start message lists no track"),
            ReceiveError::DuplicateStart => f.write_str("a second start message"),
            ReceiveError::UnexpectedTrack(track) => {
                write!(f, "media for the {} track, not started", track.as_wire())
            }
            ReceiveError::AfterStop => f.write_str("a message after stop"),
            ReceiveError::Assemble(e) => write!(f, "cannot place audio: {e}"),
            ReceiveError::TooManyBytes { limit } => {
                write!(f, "the connection sent more than {limit} bytes")
            }
        }
    }
}

impl std::error::Error for ReceiveError {}

/// One open stream. Holds a place under the receiver's connection cap until dropped.
pub struct IncomingStream {
    ws: WebSocketStream<Box<dyn ByteStream>>,
    handshake: HandshakeInfo,
    start: Option<StartInfo>,
    assembler: Option<StreamAssembler>,
    limits: Arc<Limits>,
    runtime: Arc<dyn ServerRuntime>,
    /// When the last message arrived (or the stream opened), for the start and idle
    /// time-outs.
    last_heard: Instant,
    messages: u64,
    bytes: u64,
    stopped: bool,
    /// Closed by a refusal or a time-out: `next` returns `None`.
    closed: bool,
    slot: Slot,
}

impl fmt::Debug for IncomingStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingStream")
            .field("handshake", &self.handshake)
            .field("started", &self.start.is_some())
            .field("messages", &self.messages)
            .field("bytes", &self.bytes)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl IncomingStream {
    /// What the handshake saw (path, peer; the authorization value is redacted in `Debug`).
    pub fn handshake(&self) -> &HandshakeInfo {
        &self.handshake
    }

    /// The `start` message, once a usable one arrived.
    pub fn start(&self) -> Option<&StartInfo> {
        self.start.as_ref()
    }

    /// The audio so far, placed by timestamp, once `start` arrived (unless the receiver was
    /// built with `assemble(false)`).
    pub fn assembler(&self) -> Option<&StreamAssembler> {
        self.assembler.as_ref()
    }

    /// Bytes the peer sent so far (message payloads).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The next event; `None` once the socket closed or the stream was closed. A bad
    /// message is an `Err` item and the stream goes on; passing a bound (bytes, silence,
    /// memory budget) or a time-out (start, idle) is a last `Err` item, after which the
    /// stream is closed with a close frame naming it. Cancel-safe.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, ReceiveError>> {
        if self.closed {
            return None;
        }
        loop {
            let (timeout, error) = match self.start {
                None => (
                    self.limits.start_timeout,
                    ReceiveError::StartTimeout {
                        timeout_ms: self.limits.start_timeout.as_millis() as u64,
                    },
                ),
                Some(_) => (
                    self.limits.idle_timeout,
                    ReceiveError::IdleTimeout {
                        timeout_ms: self.limits.idle_timeout.as_millis() as u64,
                    },
                ),
            };
            let wait = (self.last_heard + timeout).saturating_duration_since(self.runtime.now());
            let timer = self.runtime.sleep(wait);
            let message = match future::select(self.ws.next(), timer).await {
                Either::Left((None, _)) => return None,
                Either::Left((Some(Ok(message)), _)) => message,
                Either::Left((Some(Err(e)), _)) => {
                    return Some(Err(ReceiveError::Socket(clip(&e.to_string()))))
                }
                Either::Right(_) => {
                    self.slot.0.timeouts.fetch_add(1, Ordering::SeqCst);
                    return Some(Err(self.close_with(error).await));
                }
            };
            self.last_heard = self.runtime.now();
            self.bytes = self.bytes.saturating_add(message.len() as u64);
            if self.bytes > self.limits.max_bytes {
                let error = ReceiveError::TooManyBytes {
                    limit: self.limits.max_bytes,
                };
                self.slot.0.refused_streams.fetch_add(1, Ordering::SeqCst);
                return Some(Err(self.close_with(error).await));
            }
            let text = match &message {
                Message::Text(text) => text.as_str(),
                Message::Binary(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(_) => {
                        self.messages += 1;
                        return Some(Err(ReceiveError::Message(MessageError::InvalidJson(
                            "binary frame is not UTF-8".into(),
                        ))));
                    }
                },
                Message::Close(_) => return None,
                _ => continue,
            };
            self.messages += 1;
            let result = self.accept_message(text);
            if let Err(ReceiveError::Assemble(e)) = &result {
                if e.is_exhaustion() {
                    let error = ReceiveError::Assemble(e.clone());
                    self.slot.0.refused_streams.fetch_add(1, Ordering::SeqCst);
                    return Some(Err(self.close_with(error).await));
                }
            }
            return Some(result);
        }
    }

    /// Refuses the stream: sends a close frame (policy violation) with `reason`, and `next`
    /// returns `None` from now on. For bounds the application keeps, such as a disk quota.
    pub async fn refuse(&mut self, reason: &str) {
        if self.closed {
            return;
        }
        self.slot.0.refused_streams.fetch_add(1, Ordering::SeqCst);
        self.close_with(ReceiveError::Refused(clip(reason))).await;
    }

    /// Closes the stream for `error`: one log line, a close frame naming it (given up after
    /// a short grace if the peer does not read), then `next` returns `None`.
    async fn close_with(&mut self, error: ReceiveError) -> ReceiveError {
        self.closed = true;
        close_for(
            &mut self.ws,
            self.runtime.as_ref(),
            self.handshake.peer,
            &error,
        )
        .await;
        error
    }

    fn accept_message(&mut self, text: &str) -> Result<StreamEvent, ReceiveError> {
        if self.stopped {
            return Err(ReceiveError::AfterStop);
        }
        let message = StreamMessage::parse(text).map_err(ReceiveError::Message)?;
        Ok(match message {
            StreamMessage::Connected { protocol, version } => {
                StreamEvent::Connected { protocol, version }
            }
            StreamMessage::Start { start, .. } => {
                if self.start.is_some() {
                    return Err(ReceiveError::DuplicateStart);
                }
                if start.tracks.is_empty() {
                    return Err(ReceiveError::NoTracks);
                }
                start
                    .media_format
                    .check_stream()
                    .map_err(ReceiveError::UnsupportedFormat)?;
                if self.limits.assemble {
                    let mut assembler = StreamAssembler::new(start.media_format.clone())
                        .with_max_ms(self.limits.max_audio_ms)
                        .with_max_gap_ms(self.limits.max_gap_ms)
                        .with_silence_allowance_ms(self.limits.silence_allowance_ms);
                    if let Some(budget) = &self.slot.0.budget {
                        assembler = assembler.with_budget(budget.clone());
                    }
                    self.assembler = Some(assembler);
                }
                self.start = Some(start.clone());
                StreamEvent::Started(start)
            }
            StreamMessage::Media { media, .. } => {
                let Some(start) = &self.start else {
                    return Err(ReceiveError::MediaBeforeStart);
                };
                if !start.tracks.contains(&media.track) {
                    return Err(ReceiveError::UnexpectedTrack(media.track));
                }
                // The one decode of this chunk: the assembler gets a view of the samples.
                let pcm = start.media_format.encoding.decode(&media.payload);
                if let Some(assembler) = &mut self.assembler {
                    assembler
                        .push_pcm(media.track, media.timestamp_ms, &pcm)
                        .map_err(ReceiveError::Assemble)?;
                }
                StreamEvent::Audio {
                    track: media.track,
                    chunk: media.chunk,
                    timestamp_ms: media.timestamp_ms,
                    pcm,
                }
            }
            StreamMessage::Dtmf {
                digit, duration_ms, ..
            } => StreamEvent::Dtmf {
                digit: clip(&digit),
                duration_ms,
            },
            StreamMessage::Mark { name, .. } => StreamEvent::Mark { name },
            StreamMessage::Stop { .. } => {
                self.stopped = true;
                StreamEvent::Stopped
            }
        })
    }

    /// Reads the stream to its end (`stop`, the socket closing, or the byte limit) and
    /// returns what arrived. Keeps the first few bad messages and counts the rest.
    pub async fn collect(mut self) -> StreamRecording {
        let mut recording = StreamRecording::default();
        let keep = self.limits.max_kept_errors;
        while let Some(event) = self.next().await {
            let error = match event {
                Ok(StreamEvent::Connected { protocol, .. }) => {
                    recording.protocol = Some(protocol);
                    continue;
                }
                Ok(StreamEvent::Audio { .. }) => {
                    recording.media_messages += 1;
                    continue;
                }
                Ok(StreamEvent::Dtmf { digit, .. }) => {
                    if recording.dtmf.len() < MAX_KEPT_DIGITS {
                        recording.dtmf.push(digit);
                    }
                    continue;
                }
                Ok(StreamEvent::Stopped) => {
                    recording.stopped = true;
                    break;
                }
                Ok(_) => continue,
                Err(e) => e,
            };
            let fatal = matches!(error, ReceiveError::Socket(_));
            if recording.errors.len() < keep {
                recording.errors.push(error);
            } else {
                recording.errors_dropped += 1;
            }
            if fatal {
                break;
            }
        }
        if !self.closed {
            let close = std::pin::pin!(self.ws.close(None));
            let _ = future::select(close, self.runtime.sleep(CLOSE_GRACE)).await;
        }
        recording.messages = self.messages;
        recording.start = self.start;
        recording.assembler = self.assembler;
        recording
    }
}

/// Everything one stream delivered, from [`IncomingStream::collect`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct StreamRecording {
    /// The `connected` message's protocol, if it came.
    pub protocol: Option<String>,
    /// The `start` message, if a usable one came.
    pub start: Option<StartInfo>,
    /// The audio, placed by timestamp, with the gaps found (unless assembly is off).
    pub assembler: Option<StreamAssembler>,
    /// Messages read, good or bad.
    pub messages: u64,
    /// `media` messages read and decoded.
    pub media_messages: u64,
    /// DTMF digits, in order (as many as errors are kept).
    pub dtmf: Vec<String>,
    /// Whether the stream ended with `stop` (rather than the socket just closing).
    pub stopped: bool,
    /// The first bad messages and socket failures (up to the receiver's `max_kept_errors`).
    pub errors: Vec<ReceiveError>,
    /// Bad messages past those kept in `errors`, counted only.
    pub errors_dropped: u64,
}

impl StreamRecording {
    /// The media format from `start`.
    pub fn format(&self) -> Option<&MediaFormat> {
        self.start.as_ref().map(|s| &s.media_format)
    }
}
