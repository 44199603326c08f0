//! Serving WebSockets on a runtime's listener, with optional TLS (certificate and key in
//! PEM): shared by the stream receiver and the simulator, never needed by the client
//! (features `receiver` and `testkit`).

use crate::driver::{ByteStream, Runtime};
use async_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::WebSocketStream;
use futures_rustls::rustls;
use futures_util::future::BoxFuture;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::sync::Arc;

/// An accepted connection and its peer address.
pub type Accepted = (Box<dyn ByteStream>, SocketAddr);

/// A listening TCP socket.
pub trait Listener: Send {
    /// Waits for the next connection. Cancel-safe.
    fn accept(&mut self) -> BoxFuture<'_, std::io::Result<Accepted>>;
    /// The bound address.
    fn local_addr(&self) -> std::io::Result<SocketAddr>;
}

/// A [`Runtime`] that can also listen: what the stream receiver and the simulator need on
/// top of the client's runtime.
pub trait ServerRuntime: Runtime {
    /// Binds a TCP listener.
    fn bind_tcp(&self, addr: SocketAddr) -> BoxFuture<'static, std::io::Result<Box<dyn Listener>>>;
}

/// A TLS server configuration from PEM certificate chain and private key.
pub fn tls_server_config(
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad certificate PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the PEM".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("bad key PEM: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    Ok(Arc::new(config))
}

/// A bound listener that hands out upgraded WebSockets.
pub struct WsListener {
    listener: Box<dyn Listener>,
    tls: Option<futures_rustls::TlsAcceptor>,
    max_frame_size: usize,
}

/// What the handshake saw of the client's request. `Debug` hides the authorization value.
#[derive(Clone, Default)]
pub struct HandshakeInfo {
    /// The request path.
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The peer address.
    pub peer: Option<SocketAddr>,
}

impl std::fmt::Debug for HandshakeInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandshakeInfo")
            .field("path", &self.path)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("peer", &self.peer)
            .finish()
    }
}

/// Why an upgrade failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpgradeError {
    /// The TLS handshake or the WebSocket handshake failed.
    Handshake(String),
    /// The `Authorization` header did not pass the check; the client got `401`.
    Unauthorized,
}

impl std::fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpgradeError::Handshake(e) => f.write_str(e),
            UpgradeError::Unauthorized => f.write_str("refused: bad or missing bearer token"),
        }
    }
}

impl std::error::Error for UpgradeError {}

impl WsListener {
    /// Binds `addr` on `runtime`; with `tls`, serves `wss://`.
    pub async fn bind(
        runtime: &dyn ServerRuntime,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Self> {
        let listener = runtime.bind_tcp(addr).await?;
        Ok(Self {
            listener,
            tls: tls.map(futures_rustls::TlsAcceptor::from),
            max_frame_size: 1 << 20,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The largest message (and frame) a connection may send from now on; a bigger one
    /// fails that connection. What one connection can make the server buffer.
    pub fn set_max_message_size(&mut self, bytes: usize) {
        self.max_frame_size = bytes;
    }

    /// Whether connections are TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Accepts the next TCP connection. Cancel-safe; finish it with [`upgrade`] in a task
    /// of its own, so one slow handshake does not hold up the others.
    pub async fn accept(&mut self) -> std::io::Result<PendingUpgrade> {
        let (stream, peer) = self.listener.accept().await?;
        Ok(PendingUpgrade {
            stream,
            peer,
            tls: self.tls.clone(),
            max_frame_size: self.max_frame_size,
        })
    }
}

/// An accepted connection not yet upgraded to a WebSocket.
pub struct PendingUpgrade {
    stream: Box<dyn ByteStream>,
    peer: SocketAddr,
    tls: Option<futures_rustls::TlsAcceptor>,
    max_frame_size: usize,
}

/// Does TLS (when configured) and the WebSocket handshake, recording the request path and
/// `Authorization` header.
pub async fn upgrade(
    pending: PendingUpgrade,
) -> Result<(WebSocketStream<Box<dyn ByteStream>>, HandshakeInfo), UpgradeError> {
    upgrade_checked(pending, |_| true).await
}

/// Like [`upgrade`], but answers `401 Unauthorized` unless `authorized` accepts the
/// `Authorization` header (absent: `None`).
pub async fn upgrade_checked(
    pending: PendingUpgrade,
    authorized: impl FnOnce(Option<&str>) -> bool + Send,
) -> Result<(WebSocketStream<Box<dyn ByteStream>>, HandshakeInfo), UpgradeError> {
    let stream: Box<dyn ByteStream> = match &pending.tls {
        Some(acceptor) => Box::new(
            acceptor
                .accept(pending.stream)
                .await
                .map_err(|e| UpgradeError::Handshake(format!("TLS accept: {e}")))?,
        ),
        None => pending.stream,
    };
    let mut info = HandshakeInfo {
        peer: Some(pending.peer),
        ..HandshakeInfo::default()
    };
    let mut refused = false;
    // Boxed so the handshake callback is `Unpin` whatever the check captures.
    let authorized = Box::new(authorized);
    let seen = &mut info;
    let refused_flag = &mut refused;
    // The callback's signature is fixed by tungstenite's `Callback` trait.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        seen.path = request.uri().path().to_owned();
        seen.authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if authorized(seen.authorization.as_deref()) {
            return Ok(response);
        }
        *refused_flag = true;
        let mut refusal = ErrorResponse::new(Some("unauthorized".to_owned()));
        *refusal.status_mut() = async_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
        Err(refusal)
    };
    // tungstenite zero-fills its whole read buffer (128 KiB by default) before every read;
    // stream frames are small, and at 50 frames a second per stream that fill was half the
    // media session's CPU (media_flood under perf). 4 KiB, as the client uses.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_frame_size(Some(pending.max_frame_size))
        .max_message_size(Some(pending.max_frame_size));
    let result =
        async_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)).await;
    match result {
        Ok(ws) => Ok((ws, info)),
        Err(_) if refused => Err(UpgradeError::Unauthorized),
        Err(e) => Err(UpgradeError::Handshake(format!("WebSocket handshake: {e}"))),
    }
}
