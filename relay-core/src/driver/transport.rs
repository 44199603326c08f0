//! The WebSocket transport: TLS by rustls (webpki roots, plus extra CAs when given), the
//! handshake, and text frames in and out. Written once for every runtime.

use super::open_error::{tcp_error, OpenError, TlsFailure, TransportError};
use super::runtime::{ByteStream, Runtime};
use async_trait::async_trait;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use async_tungstenite::tungstenite::{Message, Utf8Bytes};
use async_tungstenite::WebSocketStream;
use futures_rustls::rustls;
use futures_util::{SinkExt, StreamExt};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A text-frame connection to the RELAY service. The client gets one from its
/// [`Connector`](super::Connector) for each connection attempt and splits it at once, so that
/// reading never waits on a write (a peer that stops reading must not stop us reading).
pub trait Transport: Send {
    /// The reading half and the writing half, usable at the same time.
    fn split(self: Box<Self>) -> (Box<dyn FrameReader>, Box<dyn FrameWriter>);
}

/// The reading half of a [`Transport`].
///
/// A poll method rather than an `async fn`: the event loop reads every frame already
/// buffered in a burst, and a boxed future per frame cost more than taking the frame.
pub trait FrameReader: Send {
    /// The next text frame: `Ready(None)` once the socket closed, `Pending` (with `cx` to be
    /// woken) while none is buffered. Cancel-safe, as `Stream::poll_next` is.
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, TransportError>>>;
}

impl dyn FrameReader {
    /// The next text frame; `None` when the socket closed. Cancel-safe.
    pub fn recv(&mut self) -> impl Future<Output = Option<Result<Frame, TransportError>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_recv(cx))
    }

    /// A frame already buffered, taken without waiting; `None` when none is.
    pub fn try_recv(&mut self) -> Option<Option<Result<Frame, TransportError>>> {
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        match self.poll_recv(&mut cx) {
            Poll::Ready(frame) => Some(frame),
            Poll::Pending => None,
        }
    }
}

/// One text frame as it was read. Over a WebSocket it is the bytes tungstenite received,
/// not a copy of them (a ~1 KiB allocation and copy per frame saved); the engine reads it
/// as `&str` and drops it before the next read, so tungstenite reuses its buffer in place.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame(Utf8Bytes);

impl Frame {
    /// The frame's text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl std::ops::Deref for Frame {
    type Target = str;

    fn deref(&self) -> &str {
        self.0.as_str()
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Frame(Utf8Bytes::from(text))
    }
}

impl From<&str> for Frame {
    fn from(text: &str) -> Self {
        Frame(Utf8Bytes::from(text))
    }
}

/// Its length only: a frame may carry credentials (the session's `signalwire.connect`).
impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame").field("len", &self.0.len()).finish()
    }
}

/// The writing half of a [`Transport`].
#[async_trait]
pub trait FrameWriter: Send {
    /// Queues a frame; [`FrameWriter::flush`] sends what is queued.
    async fn send(&mut self, text: String) -> Result<(), TransportError>;
    /// Queues every frame of `frames` in order, leaving `frames` empty on success. One call
    /// for a batch saves a boxed future per frame; by default it is one `send` each.
    async fn send_all(&mut self, frames: &mut Vec<String>) -> Result<(), TransportError> {
        for text in frames.drain(..) {
            self.send(text).await?;
        }
        Ok(())
    }
    /// Sends everything queued.
    async fn flush(&mut self) -> Result<(), TransportError>;
    /// Closes the socket politely.
    async fn close(&mut self);
}

/// Bytes tungstenite reads from the socket at once. Its default (128 KiB) is zero-filled
/// before every read, even one that brings a single small frame: that cost more than the TLS
/// decryption of the frame (see BENCHMARKS.md, "where the time goes"). A RELAY frame is
/// about 1 KiB; a larger one takes a few reads from rustls' own buffer, not more syscalls.
const READ_BUFFER_SIZE: usize = 4 * 1024;

/// Bytes tungstenite gathers before it writes to the socket.
const WRITE_BUFFER_SIZE: usize = 128 * 1024;

/// Where and how to connect.
#[derive(Clone)]
pub struct ConnectOptions {
    /// `wss://host[:port]` (or `ws://` when `allow_insecure` is set).
    pub url: String,
    /// Accept a plain `ws://` url (loopback testing only).
    pub allow_insecure: bool,
    /// Extra trusted CA certificates in PEM (for a local server with a test CA).
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Largest frame accepted, in bytes.
    pub max_frame_size: usize,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("url", &self.url)
            .field("allow_insecure", &self.allow_insecure)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(Vec::len))
            .field("max_frame_size", &self.max_frame_size)
            .finish()
    }
}

/// Splits `scheme://host[:port][/path]` into (secure, host, port), with the scheme's default
/// port.
pub(crate) fn split_url(url: &str) -> Result<(bool, String, u16), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not an absolute url"))?;
    let secure = match scheme.to_ascii_lowercase().as_str() {
        "wss" => true,
        "ws" => false,
        other => return Err(format!("scheme {other:?} is not ws or wss")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("bad IPv6 host in {url:?}"))?;
        (host.to_owned(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| format!("bad port in {url:?}"))?,
        None if secure => 443,
        None => 80,
    };
    Ok((secure, host, port))
}

/// The rustls client configuration: webpki roots plus any extra CA given in PEM.
pub fn tls_client_config(extra_ca_pem: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra_ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("bad CA PEM: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("bad CA certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err("the CA file holds no certificate".into());
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Opens `options.url` over TCP from `runtime`, adds TLS for `wss://`, and does the
/// WebSocket handshake. `headers` are added to the handshake request.
pub async fn connect_websocket(
    runtime: &dyn Runtime,
    options: &ConnectOptions,
    headers: &[(&str, &str)],
) -> Result<WebSocketStream<Box<dyn ByteStream>>, OpenError> {
    let (secure, host, port) = split_url(&options.url).map_err(OpenError::InvalidUrl)?;
    if !secure && !options.allow_insecure {
        return Err(OpenError::InvalidUrl(format!(
            "{} is not wss://; plain ws:// needs the insecure opt-in",
            options.url
        )));
    }
    let tcp = runtime
        .connect_tcp(&host, port)
        .await
        .map_err(|e| tcp_error(&host, port, &e))?;
    let stream: Box<dyn ByteStream> = if secure {
        let config = tls_client_config(options.extra_ca_pem.as_deref()).map_err(|message| {
            OpenError::Tls {
                host: host.clone(),
                failure: TlsFailure::Certificate,
                message,
            }
        })?;
        let name = ServerName::try_from(host.clone())
            .map_err(|e| OpenError::InvalidUrl(format!("{host}: {e}")))?;
        let tls = futures_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| tls_error(&host, &e))?;
        Box::new(tls)
    } else {
        tcp
    };
    let mut request = options
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| OpenError::InvalidUrl(e.to_string()))?;
    for (name, value) in headers {
        let name = async_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| OpenError::InvalidUrl(e.to_string()))?;
        let value = async_tungstenite::tungstenite::http::HeaderValue::from_str(value)
            .map_err(|e| OpenError::InvalidUrl(e.to_string()))?;
        request.headers_mut().insert(name, value);
    }
    // tungstenite's own write buffer is unbounded by default: past one frame over its
    // flush size, a write fails instead of growing it (the loop's queue holds the rest).
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_SIZE)
        .write_buffer_size(WRITE_BUFFER_SIZE)
        .max_write_buffer_size(WRITE_BUFFER_SIZE + options.max_frame_size)
        .max_frame_size(Some(options.max_frame_size))
        .max_message_size(Some(options.max_frame_size));
    let (ws, _) = async_tungstenite::client_async_with_config(request, stream, Some(config))
        .await
        .map_err(|e| handshake_error(e, secure, &host, port))?;
    Ok(ws)
}

fn tls_error(host: &str, e: &std::io::Error) -> OpenError {
    // futures-rustls wraps the rustls error in an io::Error of kind InvalidData.
    let failure = match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) => {
            TlsFailure::Certificate
        }
        // A plain-text answer (an HTTP response, say) where a TLS record was due.
        Some(rustls::Error::InvalidMessage(_)) => TlsFailure::NotTls,
        // A loopback server that hangs up on the ClientHello is, in practice, a plain ws://
        // one (a local simulator); elsewhere it may be a load balancer having a bad moment.
        None if e.kind() == std::io::ErrorKind::UnexpectedEof
            && crate::action::stream_options::is_loopback_host(host) =>
        {
            TlsFailure::NotTls
        }
        _ => TlsFailure::Handshake,
    };
    OpenError::Tls {
        host: host.to_owned(),
        failure,
        message: e.to_string(),
    }
}

fn handshake_error(
    e: async_tungstenite::tungstenite::Error,
    secure: bool,
    host: &str,
    port: u16,
) -> OpenError {
    use async_tungstenite::tungstenite::error::ProtocolError;
    use async_tungstenite::tungstenite::Error as WsError;
    match e {
        // A TLS server answers a plain HTTP request with a TLS alert record: bytes that do
        // not parse as HTTP. Over wss:// the same error is a broken server, nothing more.
        WsError::Protocol(ProtocolError::HttparseError(_)) if !secure => {
            OpenError::ServerSpeaksTls {
                addr: format!("{host}:{port}"),
                message: e.to_string(),
            }
        }
        WsError::Http(response) => OpenError::Handshake {
            status: Some(response.status().as_u16()),
            message: response
                .status()
                .canonical_reason()
                .unwrap_or("unexpected status")
                .to_owned(),
        },
        WsError::Io(io) => OpenError::Io(io.to_string()),
        other => OpenError::Handshake {
            status: None,
            message: other.to_string(),
        },
    }
}

/// [`Transport`] over an async-tungstenite WebSocket.
pub struct WsTransport<S> {
    ws: WebSocketStream<S>,
}

impl<S> WsTransport<S> {
    /// Wraps an open WebSocket.
    pub fn new(ws: WebSocketStream<S>) -> Self {
        Self { ws }
    }
}

fn ws_error(e: async_tungstenite::tungstenite::Error) -> TransportError {
    use async_tungstenite::tungstenite::Error as WsError;
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed => TransportError::Closed,
        WsError::Io(io) => TransportError::Io(io.to_string()),
        other => TransportError::Protocol(other.to_string()),
    }
}

impl<S> Transport for WsTransport<S>
where
    S: futures_util::io::AsyncRead + futures_util::io::AsyncWrite + Unpin + Send + 'static,
{
    fn split(self: Box<Self>) -> (Box<dyn FrameReader>, Box<dyn FrameWriter>) {
        // The futures split (a lock taken only while polling): either half can wait while
        // the other goes on.
        let (sink, stream) = StreamExt::split(self.ws);
        (Box::new(WsReader { stream }), Box::new(WsWriter { sink }))
    }
}

struct WsReader<S> {
    stream: futures_util::stream::SplitStream<WebSocketStream<S>>,
}

struct WsWriter<S> {
    sink: futures_util::stream::SplitSink<WebSocketStream<S>, Message>,
}

#[async_trait]
impl<S> FrameWriter for WsWriter<S>
where
    S: futures_util::io::AsyncRead + futures_util::io::AsyncWrite + Unpin + Send,
{
    async fn send(&mut self, text: String) -> Result<(), TransportError> {
        self.sink.feed(Message::text(text)).await.map_err(ws_error)
    }

    async fn send_all(&mut self, frames: &mut Vec<String>) -> Result<(), TransportError> {
        for text in frames.drain(..) {
            self.sink
                .feed(Message::text(text))
                .await
                .map_err(ws_error)?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        self.sink.flush().await.map_err(ws_error)
    }

    async fn close(&mut self) {
        let _ = self.sink.close().await;
    }
}

impl<S> FrameReader for WsReader<S>
where
    S: futures_util::io::AsyncRead + futures_util::io::AsyncWrite + Unpin + Send,
{
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame, TransportError>>> {
        loop {
            let Some(message) = futures_util::ready!(self.stream.poll_next_unpin(cx)) else {
                return Poll::Ready(None);
            };
            match message {
                Ok(Message::Text(text)) => return Poll::Ready(Some(Ok(Frame(text)))),
                Ok(Message::Binary(bytes)) => match Utf8Bytes::try_from(bytes.clone()) {
                    Ok(text) => return Poll::Ready(Some(Ok(Frame(text)))),
                    // RELAY sends text; one stray binary frame is not worth the session.
                    Err(_) => {
                        if let Some(held) = super::warn::allowed("binary_frame_dropped") {
                            tracing::warn!(
                                len = bytes.len(),
                                similar_held_back = held,
                                "dropped a binary frame that is not UTF-8"
                            );
                        }
                        continue;
                    }
                },
                Ok(Message::Close(_)) => return Poll::Ready(None),
                Ok(_) => continue, // ping/pong: tungstenite answers pings itself
                Err(e) => return Poll::Ready(Some(Err(ws_error(e)))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    #[test]
    fn urls_split_with_default_ports() {
        assert_eq!(
            split_url("wss://relay.signalwire.com"),
            Ok((true, "relay.signalwire.com".into(), 443))
        );
        assert_eq!(
            split_url("ws://127.0.0.1:8080/x"),
            Ok((false, "127.0.0.1".into(), 8080))
        );
        assert_eq!(split_url("ws://[::1]:9"), Ok((false, "::1".into(), 9)));
        assert!(split_url("http://h").is_err());
        assert!(split_url("wss://:9").is_err());
    }

    /// An unmasked (server) frame: FIN, `opcode`, a short payload.
    fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0x80 | opcode, payload.len() as u8];
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn frames_are_read_as_text_and_a_binary_one_that_is_not_utf8_is_dropped() {
        let mut wire = server_frame(0x2, "h\u{e9}llo".as_bytes());
        wire.extend(server_frame(0x2, &[0xff, 0xfe]));
        wire.extend(server_frame(0x1, br#"{"id":"1"}"#));
        let ws = WebSocketStream::from_raw_socket(
            futures_util::io::Cursor::new(wire),
            async_tungstenite::tungstenite::protocol::Role::Client,
            None,
        )
        .now_or_never()
        .expect("wrapping a socket does not wait");
        let (mut reader, _writer) = Box::new(WsTransport::new(ws)).split();
        let mut next = || match reader.try_recv() {
            Some(Some(Ok(frame))) => frame,
            other => panic!("expected a frame, got {other:?}"),
        };
        assert_eq!(next().as_str(), "h\u{e9}llo");
        assert_eq!(&*next(), r#"{"id":"1"}"#);
        // The bytes end without a close frame: a transport error, not a frame.
        assert!(matches!(reader.try_recv(), Some(Some(Err(_)))));
    }

    #[test]
    fn a_frame_debugs_as_its_length_only() {
        let frame = Frame::from(r#"{"token":"secret"}"#);
        assert_eq!(format!("{frame:?}"), "Frame { len: 18 }");
        assert_eq!(Frame::from(String::from("x")), Frame::from("x"));
    }
}
