//! The other end of `calling.stream`: a WebSocket server that checks the bearer token in
//! constant time and hands each stream over as typed messages and decoded PCM.

use crate::driver::ByteStream;
use crate::media::{
    MediaFormat, MediaTrack, MessageError, StartInfo, StreamAssembler, StreamMessage,
};
use crate::server::{
    upgrade_checked, HandshakeInfo, PendingUpgrade, ServerRuntime, UpgradeError, WsListener,
};
use async_tungstenite::tungstenite::Message;
use async_tungstenite::WebSocketStream;
use futures_rustls::rustls;
use futures_util::StreamExt;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Accepts stream connections. Bind it, give its [`url`](Self::url) to `call.stream`.
pub struct StreamReceiver {
    listener: WsListener,
    bearer: Option<Arc<str>>,
}

impl fmt::Debug for StreamReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReceiver")
            .field("addr", &self.listener.local_addr().ok())
            .field("tls", &self.listener.is_tls())
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl StreamReceiver {
    /// Binds `addr`; with `tls` it serves `wss://`. With `bearer_token`, a connection whose
    /// `Authorization` header is not `Bearer <token>` is refused with `401`.
    pub async fn bind(
        runtime: &dyn ServerRuntime,
        addr: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        bearer_token: Option<String>,
    ) -> std::io::Result<Self> {
        let listener = WsListener::bind(runtime, addr, tls).await?;
        Ok(Self {
            listener,
            bearer: bearer_token.map(Arc::from),
        })
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

    /// Waits for the next connection. Cancel-safe; finish it with [`PendingStream::open`],
    /// ideally in a task of its own.
    pub async fn accept(&mut self) -> std::io::Result<PendingStream> {
        let upgrade = self.listener.accept().await?;
        Ok(PendingStream {
            upgrade,
            bearer: self.bearer.clone(),
        })
    }

    /// Accepts connections for ever, running `handler` on each opened stream in its own task.
    /// Refused and failed handshakes are skipped. Returns when the listener fails.
    pub async fn serve<F, Fut>(
        mut self,
        runtime: Arc<dyn ServerRuntime>,
        handler: F,
    ) -> std::io::Error
    where
        F: Fn(Result<IncomingStream, ReceiveError>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        loop {
            let pending = match self.accept().await {
                Ok(pending) => pending,
                Err(e) => return e,
            };
            let handler = handler.clone();
            runtime.spawn(Box::pin(async move {
                handler(pending.open().await).await;
            }));
        }
    }
}

/// An accepted connection, before the handshake.
pub struct PendingStream {
    upgrade: PendingUpgrade,
    bearer: Option<Arc<str>>,
}

impl PendingStream {
    /// Does the handshake and the token check.
    pub async fn open(self) -> Result<IncomingStream, ReceiveError> {
        let bearer = self.bearer;
        let check = move |header: Option<&str>| match &bearer {
            None => true,
            Some(expected) => bearer_matches(header, expected),
        };
        let (ws, handshake) = upgrade_checked(self.upgrade, check)
            .await
            .map_err(|e| match e {
                UpgradeError::Unauthorized => ReceiveError::Unauthorized,
                other => ReceiveError::Handshake(other.to_string()),
            })?;
        Ok(IncomingStream {
            ws,
            handshake,
            start: None,
            assembler: None,
            messages: 0,
            stopped: false,
        })
    }
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

/// Something a stream delivered, typed; audio is decoded to 16-bit PCM.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// The `connected` greeting.
    Connected {
        /// Always `Call` today.
        protocol: String,
        /// The stream protocol version.
        version: String,
    },
    /// The `start` message: tracks, media format, custom parameters.
    Started(StartInfo),
    /// One `media` message, decoded.
    Audio {
        /// Which side of the call.
        track: MediaTrack,
        /// Per-track counter from 1.
        chunk: u64,
        /// Milliseconds since the stream started.
        timestamp_ms: u64,
        /// The samples, at the start message's rate.
        pcm: Vec<i16>,
    },
    /// A DTMF digit.
    Dtmf {
        /// The digit.
        digit: String,
        /// How long it was pressed, in ms.
        duration_ms: u64,
    },
    /// A `mark` message.
    Mark {
        /// The mark's name.
        name: String,
    },
    /// The `stop` message: the stream is over.
    Stopped,
}

/// Why a stream connection or message failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The `Authorization` header did not carry the expected bearer token (answered `401`).
    Unauthorized,
    /// The TLS or WebSocket handshake failed.
    Handshake(String),
    /// The socket failed.
    Socket(String),
    /// A message could not be read; the stream goes on.
    Message(MessageError),
    /// `media` arrived before `start`, so its format is unknown; the stream goes on.
    MediaBeforeStart,
    /// A media chunk could not be placed (e.g. a timestamp absurdly far ahead).
    Assemble(String),
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiveError::Unauthorized => f.write_str("bad or missing bearer token"),
            ReceiveError::Handshake(e) => write!(f, "handshake: {e}"),
            ReceiveError::Socket(e) => write!(f, "socket: {e}"),
            ReceiveError::Message(e) => write!(f, "bad message: {e}"),
            ReceiveError::MediaBeforeStart => f.write_str("media before the start message"),
            ReceiveError::Assemble(e) => write!(f, "cannot place audio: {e}"),
        }
    }
}

impl std::error::Error for ReceiveError {}

/// One open stream.
pub struct IncomingStream {
    ws: WebSocketStream<Box<dyn ByteStream>>,
    handshake: HandshakeInfo,
    start: Option<StartInfo>,
    assembler: Option<StreamAssembler>,
    messages: u64,
    stopped: bool,
}

impl fmt::Debug for IncomingStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingStream")
            .field("handshake", &self.handshake)
            .field("started", &self.start.is_some())
            .field("messages", &self.messages)
            .field("stopped", &self.stopped)
            .finish()
    }
}

impl IncomingStream {
    /// What the handshake saw (path, peer; the authorization value is redacted in `Debug`).
    pub fn handshake(&self) -> &HandshakeInfo {
        &self.handshake
    }

    /// The `start` message, once it arrived.
    pub fn start(&self) -> Option<&StartInfo> {
        self.start.as_ref()
    }

    /// The audio so far, placed by timestamp, once `start` arrived.
    pub fn assembler(&self) -> Option<&StreamAssembler> {
        self.assembler.as_ref()
    }

    /// The next event; `None` once the socket closed. A bad message is an `Err` item and the
    /// stream goes on. Cancel-safe.
    pub async fn next(&mut self) -> Option<Result<StreamEvent, ReceiveError>> {
        loop {
            let text = match self.ws.next().await? {
                Ok(Message::Text(text)) => text.as_str().to_owned(),
                Ok(Message::Binary(bytes)) => match String::from_utf8(bytes.to_vec()) {
                    Ok(text) => text,
                    Err(_) => {
                        return Some(Err(ReceiveError::Message(MessageError::InvalidJson(
                            "binary frame is not UTF-8".into(),
                        ))))
                    }
                },
                Ok(Message::Close(_)) => return None,
                Ok(_) => continue,
                Err(e) => return Some(Err(ReceiveError::Socket(e.to_string()))),
            };
            self.messages += 1;
            return Some(self.accept_message(&text));
        }
    }

    fn accept_message(&mut self, text: &str) -> Result<StreamEvent, ReceiveError> {
        let message = StreamMessage::parse(text).map_err(ReceiveError::Message)?;
        Ok(match message {
            StreamMessage::Connected { protocol, version } => {
                StreamEvent::Connected { protocol, version }
            }
            StreamMessage::Start { start, .. } => {
                self.assembler = Some(StreamAssembler::new(start.media_format.clone()));
                self.start = Some(start.clone());
                StreamEvent::Started(start)
            }
            StreamMessage::Media { media, .. } => {
                let (Some(assembler), Some(start)) = (&mut self.assembler, &self.start) else {
                    return Err(ReceiveError::MediaBeforeStart);
                };
                assembler
                    .push(&media)
                    .map_err(|e| ReceiveError::Assemble(e.to_string()))?;
                StreamEvent::Audio {
                    track: media.track,
                    chunk: media.chunk,
                    timestamp_ms: media.timestamp_ms,
                    pcm: start.media_format.encoding.decode(&media.payload),
                }
            }
            StreamMessage::Dtmf {
                digit, duration_ms, ..
            } => StreamEvent::Dtmf { digit, duration_ms },
            StreamMessage::Mark { name, .. } => StreamEvent::Mark { name },
            StreamMessage::Stop { .. } => {
                self.stopped = true;
                StreamEvent::Stopped
            }
        })
    }

    /// Reads the stream to its end (`stop`, or the socket closing) and returns what arrived.
    pub async fn collect(mut self) -> StreamRecording {
        let mut recording = StreamRecording::default();
        while let Some(event) = self.next().await {
            match event {
                Ok(StreamEvent::Connected { protocol, .. }) => recording.protocol = Some(protocol),
                Ok(StreamEvent::Audio { .. }) => recording.media_messages += 1,
                Ok(StreamEvent::Dtmf { digit, .. }) => recording.dtmf.push(digit),
                Ok(StreamEvent::Stopped) => {
                    recording.stopped = true;
                    break;
                }
                Ok(_) => {}
                Err(ReceiveError::Socket(e)) => {
                    recording.errors.push(ReceiveError::Socket(e));
                    break;
                }
                Err(e) => recording.errors.push(e),
            }
        }
        let _ = self.ws.close(None).await;
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
    /// The `start` message, if it came.
    pub start: Option<StartInfo>,
    /// The audio, placed by timestamp, with the gaps found.
    pub assembler: Option<StreamAssembler>,
    /// Messages read, good or bad.
    pub messages: u64,
    /// `media` messages read.
    pub media_messages: u64,
    /// DTMF digits, in order.
    pub dtmf: Vec<String>,
    /// Whether the stream ended with `stop` (rather than the socket just closing).
    pub stopped: bool,
    /// Bad messages and socket failures.
    pub errors: Vec<ReceiveError>,
}

impl StreamRecording {
    /// The media format from `start`.
    pub fn format(&self) -> Option<&MediaFormat> {
        self.start.as_ref().map(|s| &s.media_format)
    }
}
