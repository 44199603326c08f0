//! A standalone two-way media server on our own listener (for apps without an HTTP server of
//! their own): bearer check in constant time, handshake time-out, a cap on open sessions,
//! and a [`MediaSession`] for each accepted stream.

use super::media_session::{MediaSession, MediaSessionBuilder};
use super::stream::{bearer_matches, ReceiveError};
use crate::driver::Runtime;
use crate::media::clip;
use crate::server::{upgrade_checked, HandshakeInfo, ServerRuntime, UpgradeError, WsListener};
use futures_rustls::rustls;
use futures_util::future::{self, Either};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Default time a connection gets to finish TLS and the WebSocket upgrade.
pub const DEFAULT_MEDIA_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on connections handshaking at once; over it, new ones are closed at once.
pub const DEFAULT_MAX_HANDSHAKES: usize = 1024;

/// Accepts two-way media streams. Bind it, give its [`url`](Self::url) to the stream device.
pub struct MediaListener {
    listener: WsListener,
    runtime: Arc<dyn Runtime>,
    bearer: Option<Arc<str>>,
    handshake_timeout: Duration,
    max_handshakes: usize,
    handshaking: Arc<AtomicUsize>,
    builder: MediaSessionBuilder,
}

impl fmt::Debug for MediaListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaListener")
            .field("addr", &self.listener.local_addr().ok())
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl MediaListener {
    /// Binds `addr` on `runtime`: `wss://` with `tls`, a `401` unless `Authorization` is
    /// `Bearer <bearer>` when one is given; each session gets `builder`'s settings.
    pub async fn bind<R: ServerRuntime>(
        runtime: Arc<R>,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        bearer: Option<String>,
        builder: MediaSessionBuilder,
    ) -> std::io::Result<Self> {
        let listener = WsListener::bind(runtime.as_ref(), addr, tls).await?;
        Ok(Self {
            listener,
            runtime,
            bearer: bearer.map(Arc::from),
            handshake_timeout: DEFAULT_MEDIA_HANDSHAKE_TIMEOUT,
            max_handshakes: DEFAULT_MAX_HANDSHAKES,
            handshaking: Arc::new(AtomicUsize::new(0)),
            builder,
        })
    }

    /// Time a connection gets to finish TLS and the upgrade (default
    /// [`DEFAULT_MEDIA_HANDSHAKE_TIMEOUT`]).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `wss://…` with TLS, else `ws://…`.
    pub fn url(&self) -> std::io::Result<String> {
        let scheme = if self.listener.is_tls() { "wss" } else { "ws" };
        Ok(format!("{scheme}://{}", self.local_addr()?))
    }

    /// The next connection, upgraded and checked, as a running session. Handshakes run one
    /// after another here; for many at once, run [`accept_pending`](Self::accept_pending)'s
    /// handshakes in tasks of their own.
    pub async fn accept(
        &mut self,
    ) -> std::io::Result<Result<(MediaSession, HandshakeInfo), ReceiveError>> {
        Ok(self.accept_pending().await?.open().await)
    }

    /// The next TCP connection, before its handshake. Cancel-safe.
    pub async fn accept_pending(&mut self) -> std::io::Result<PendingMedia> {
        loop {
            let upgrade = self.listener.accept().await?;
            if self.handshaking.load(Ordering::SeqCst) >= self.max_handshakes {
                tracing::debug!("media listener at its handshake cap; closing a connection");
                continue;
            }
            self.handshaking.fetch_add(1, Ordering::SeqCst);
            return Ok(PendingMedia {
                upgrade,
                bearer: self.bearer.clone(),
                runtime: self.runtime.clone(),
                timeout: self.handshake_timeout,
                builder: self.builder.clone(),
                handshaking: HandshakeSlot(self.handshaking.clone()),
            });
        }
    }
}

struct HandshakeSlot(Arc<AtomicUsize>);

impl Drop for HandshakeSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An accepted connection before its handshake.
pub struct PendingMedia {
    upgrade: crate::server::PendingUpgrade,
    bearer: Option<Arc<str>>,
    runtime: Arc<dyn Runtime>,
    timeout: Duration,
    builder: MediaSessionBuilder,
    handshaking: HandshakeSlot,
}

impl fmt::Debug for PendingMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingMedia").finish_non_exhaustive()
    }
}

impl PendingMedia {
    /// Does the handshake and the token check within the time-out, then starts the session.
    pub async fn open(self) -> Result<(MediaSession, HandshakeInfo), ReceiveError> {
        let bearer = self.bearer;
        let check = move |header: Option<&str>| match &bearer {
            None => true,
            Some(expected) => bearer_matches(header, expected),
        };
        let upgrade = Box::pin(upgrade_checked(self.upgrade, check));
        let timer = self.runtime.sleep(self.timeout);
        let result = match future::select(upgrade, timer).await {
            Either::Left((Ok((ws, info)), _)) => Ok((self.builder.accept(ws, self.runtime), info)),
            Either::Left((Err(UpgradeError::Unauthorized), _)) => Err(ReceiveError::Unauthorized),
            Either::Left((Err(e), _)) => Err(ReceiveError::Handshake(clip(&e.to_string()))),
            Either::Right(_) => Err(ReceiveError::HandshakeTimeout),
        };
        drop(self.handshaking);
        if let Err(error) = &result {
            tracing::debug!(%error, "media handshake refused or failed");
        }
        result
    }
}
