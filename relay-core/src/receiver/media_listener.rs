//! A standalone two-way media server on our own listener (for apps without an HTTP server of
//! their own): a [`StreamReceiver`] whose streams open as [`MediaSession`]s, so the two-way
//! session is admitted by the receiver's own code (bearer check, time-outs, caps, budget).

use super::media_session::{MediaSession, MediaSessionBuilder};
use super::stream::{PendingStream, ReceiveError, ReceiverBuilder, ReceiverStats, StreamReceiver};
use crate::server::{HandshakeInfo, ServerRuntime};
use futures_rustls::rustls;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Accepts two-way media streams. Bind it, give its [`url`](Self::url) to the stream device.
pub struct MediaListener {
    receiver: StreamReceiver,
    builder: MediaSessionBuilder,
}

impl fmt::Debug for MediaListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaListener")
            .field("receiver", &self.receiver)
            .finish_non_exhaustive()
    }
}

impl MediaListener {
    /// Binds `addr` on `runtime`: `wss://` with `tls`, a `401` unless `Authorization` is
    /// `Bearer <bearer>` when one is given; each session gets `builder`'s settings, and the
    /// receiver's defaults bound the connections (see [`from_receiver`](Self::from_receiver)).
    pub async fn bind<R: ServerRuntime>(
        runtime: Arc<R>,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        bearer: Option<String>,
        builder: MediaSessionBuilder,
    ) -> std::io::Result<Self> {
        let mut settings = StreamReceiver::builder();
        if let Some(tls) = tls {
            settings = settings.tls(tls);
        }
        if let Some(bearer) = bearer {
            settings = settings.bearer_token(bearer);
        }
        Self::from_receiver(settings, runtime, addr, builder).await
    }

    /// Binds `addr` with every setting of a [`ReceiverBuilder`]: connection cap, handshake,
    /// start and idle time-outs, memory budget, message size.
    pub async fn from_receiver(
        settings: ReceiverBuilder,
        runtime: Arc<dyn ServerRuntime>,
        addr: SocketAddr,
        builder: MediaSessionBuilder,
    ) -> std::io::Result<Self> {
        let receiver = settings.bind(runtime, addr).await?;
        Ok(Self { receiver, builder })
    }

    /// Time a connection gets to finish TLS and the upgrade (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`](super::DEFAULT_HANDSHAKE_TIMEOUT)).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.receiver.set_handshake_timeout(timeout);
        self
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.receiver.local_addr()
    }

    /// `wss://…` with TLS, else `ws://…`.
    pub fn url(&self) -> std::io::Result<String> {
        self.receiver.url()
    }

    /// The receiver's live counters.
    pub fn stats(&self) -> ReceiverStats {
        self.receiver.stats()
    }

    /// The next connection, upgraded and checked, as a running session. Handshakes run one
    /// after another here; for many at once, run [`accept_pending`](Self::accept_pending)'s
    /// handshakes in tasks of their own.
    pub async fn accept(
        &mut self,
    ) -> std::io::Result<Result<(MediaSession, HandshakeInfo), ReceiveError>> {
        Ok(self.accept_pending().await?.open().await)
    }

    /// The next connection under the cap, before its handshake. Cancel-safe.
    pub async fn accept_pending(&mut self) -> std::io::Result<PendingMedia> {
        Ok(PendingMedia {
            pending: self.receiver.accept().await?,
            builder: self.builder.clone(),
        })
    }
}

/// An accepted connection before its handshake.
pub struct PendingMedia {
    pending: PendingStream,
    builder: MediaSessionBuilder,
}

impl fmt::Debug for PendingMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingMedia").finish_non_exhaustive()
    }
}

impl PendingMedia {
    /// Does the handshake and the token check within the time-out, then starts the session
    /// ([`PendingStream::open_media`]).
    pub async fn open(self) -> Result<(MediaSession, HandshakeInfo), ReceiveError> {
        self.pending.open_media(self.builder).await
    }
}
