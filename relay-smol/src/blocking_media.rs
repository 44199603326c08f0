//! The two-way media session from plain threads: each call blocks on a small smol executor
//! until its result is in or its time-out passes. The session itself is the async one
//! (`relay_rs_core::receiver::MediaSession`), driven on smol's global executor. Get one
//! from [`BlockingMediaListener::accept_timeout`], or wrap a session accepted elsewhere
//! (`MediaSession::accept(ws, relay_smol::runtime())`) with `BlockingMediaSession::from`.

use crate::media::{SendError, SessionError, SessionStats, StartInfo, StreamEvent};
use crate::receiver::{
    HandshakeInfo, MarkHandle, MarkOutcome, MediaListener, MediaReceiver, MediaSender,
    MediaSession, MediaSessionBuilder, ReceiveError,
};
use futures_util::future::{self, Either};
use std::net::SocketAddr;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// Waits for `future` at most `timeout`; `None` when the time ran out.
fn block_on_timeout<T>(
    future: impl std::future::Future<Output = T>,
    timeout: Duration,
) -> Option<T> {
    smol::block_on(async {
        let future = std::pin::pin!(future);
        let timer = smol::Timer::after(timeout);
        match future::select(future, timer).await {
            Either::Left((value, _)) => Some(value),
            Either::Right(_) => None,
        }
    })
}

/// A [`MediaSession`] for threads.
#[derive(Debug)]
pub struct BlockingMediaSession {
    sender: MediaSender,
    receiver: MediaReceiver,
}

impl From<MediaSession> for BlockingMediaSession {
    fn from(session: MediaSession) -> Self {
        let (sender, receiver) = session.split();
        Self { sender, receiver }
    }
}

impl BlockingMediaSession {
    /// The next event, waiting at most `timeout`: [`RecvTimeoutError::Timeout`] when none
    /// came, [`RecvTimeoutError::Disconnected`] once the session is over. A refused message
    /// is an `Ok(Err(..))` and the session goes on.
    pub fn recv_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Result<StreamEvent, SessionError>, RecvTimeoutError> {
        match block_on_timeout(self.receiver.next(), timeout) {
            Some(Some(event)) => Ok(event),
            Some(None) => Err(RecvTimeoutError::Disconnected),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Queues `pcm` as 20 ms frames at once, or [`SendError::QueueFull`]; see
    /// [`MediaSender::send_audio`].
    pub fn send_audio(&self, pcm: &[i16]) -> Result<usize, SendError> {
        self.sender.send_audio(pcm)
    }

    /// Queues `pcm`, blocking up to `timeout` while the queue is full; past it (nothing
    /// queued) [`SendError::QueueFull`].
    pub fn send_audio_timeout(&self, pcm: &[i16], timeout: Duration) -> Result<usize, SendError> {
        block_on_timeout(self.sender.send_audio_wait(pcm), timeout).unwrap_or_else(|| {
            let (queued_messages, queued_bytes) = self.sender.queued();
            Err(SendError::QueueFull {
                queued_messages,
                queued_bytes,
            })
        })
    }

    /// Queues the kept remainder padded with silence to 20 ms.
    pub fn flush_audio(&self) -> Result<bool, SendError> {
        self.sender.flush_audio()
    }

    /// Queues a mark after the audio so far.
    pub fn mark(&self, name: &str) -> Result<BlockingMark, SendError> {
        self.sender.mark(name).map(BlockingMark)
    }

    /// Stops the far end's playback; pending marks resolve as cleared.
    pub fn clear(&self) -> Result<(), SendError> {
        self.sender.clear()
    }

    /// Ends the session once what is queued has been written.
    pub fn close(&self) {
        self.sender.close()
    }

    /// The `start` message, once it came.
    pub fn start(&self) -> Option<StartInfo> {
        self.sender.start()
    }

    /// The counters.
    pub fn stats(&self) -> SessionStats {
        self.sender.stats()
    }

    /// The sending half, to talk from another thread (it is `Clone + Send`).
    pub fn sender(&self) -> &MediaSender {
        &self.sender
    }
}

/// A mark, waited for from a thread.
#[derive(Debug)]
pub struct BlockingMark(MarkHandle);

impl BlockingMark {
    /// How the mark ended, waiting at most `timeout` (`None` then; the mark stays pending).
    /// `Some(Err(SendError::Closed))` when the session ended first.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<MarkOutcome, SendError>> {
        block_on_timeout(&mut self.0, timeout)
    }
}

/// A standalone two-way media server for threads.
#[derive(Debug)]
pub struct BlockingMediaListener(MediaListener);

impl BlockingMediaListener {
    /// Binds `addr` (plain `ws://`; put TLS in front, or use [`MediaListener`] with TLS),
    /// refusing connections without `Authorization: Bearer <bearer>` when one is given.
    pub fn bind(
        addr: SocketAddr,
        bearer: Option<String>,
        builder: MediaSessionBuilder,
    ) -> std::io::Result<Self> {
        smol::block_on(MediaListener::bind(
            crate::runtime(),
            addr,
            None,
            bearer,
            builder,
        ))
        .map(Self)
    }

    /// `ws://…` to give the stream device.
    pub fn url(&self) -> std::io::Result<String> {
        self.0.url()
    }

    /// The next session, waiting at most `timeout` (`None` then). Refused and failed
    /// handshakes come back as `Some(Err(..))`.
    pub fn accept_timeout(
        &mut self,
        timeout: Duration,
    ) -> Option<std::io::Result<Result<(BlockingMediaSession, HandshakeInfo), ReceiveError>>> {
        let accepted = block_on_timeout(self.0.accept(), timeout)?;
        Some(accepted.map(|result| result.map(|(session, info)| (session.into(), info))))
    }
}
