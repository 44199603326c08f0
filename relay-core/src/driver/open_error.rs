//! Why a connection to the RELAY service failed or broke, down to the cause, so a user can
//! tell a typo in the host from a certificate problem from a server that went away.

use std::fmt;
use std::io;

/// Why opening the connection failed. Carried by [`ClientEvent::OpenFailed`] and by
/// [`Error::Open`](super::Error::Open) when the client gives up.
///
/// [`ClientEvent::OpenFailed`]: super::ClientEvent::OpenFailed
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// The url cannot be used (bad scheme, no host, `ws://` without the loopback opt-in).
    InvalidUrl(String),
    /// The host name did not resolve.
    Dns {
        /// The host.
        host: String,
        /// The resolver's message.
        message: String,
    },
    /// The TCP connection failed (refused, unreachable, reset).
    Tcp {
        /// `host:port`.
        addr: String,
        /// The kind of IO error.
        kind: io::ErrorKind,
        /// Its message.
        message: String,
    },
    /// The TLS handshake failed.
    Tls {
        /// The host.
        host: String,
        /// What kind of failure.
        failure: TlsFailure,
        /// rustls's message.
        message: String,
    },
    /// The server answered the WebSocket upgrade with something other than `101`.
    Handshake {
        /// The HTTP status, when the server sent a response.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
    /// A plain `ws://` upgrade was answered with bytes that are not HTTP: the server speaks
    /// TLS and wants `wss://`.
    ServerSpeaksTls {
        /// `host:port`.
        addr: String,
        /// The WebSocket library's message.
        message: String,
    },
    /// The connection did not open within the request time-out.
    Timeout,
    /// No session (socket open and authenticated) within
    /// [`ClientBuilder::first_session_timeout`](super::ClientBuilder::first_session_timeout),
    /// and no connection failure to blame: the server took the socket but did not answer.
    NoSession {
        /// The time-out.
        waited: std::time::Duration,
    },
    /// Any other IO failure.
    Io(String),
}

impl OpenError {
    /// Whether retrying cannot help without a change of configuration: a host that does not
    /// resolve, a certificate that does not verify, a url that cannot be used. Before the
    /// first session such a failure ends [`Client::run`](super::Client::run) after a few tries.
    pub fn is_permanent(&self) -> bool {
        match self {
            OpenError::InvalidUrl(_)
            | OpenError::Dns { .. }
            | OpenError::ServerSpeaksTls { .. } => true,
            OpenError::Tls { failure, .. } => {
                matches!(failure, TlsFailure::Certificate | TlsFailure::NotTls)
            }
            OpenError::Handshake { status, .. } => {
                matches!(status, Some(400..=499))
            }
            OpenError::Tcp { .. }
            | OpenError::Timeout
            | OpenError::NoSession { .. }
            | OpenError::Io(_) => false,
        }
    }
}

/// Each message ends with what to change, so that a newcomer who sees only `run()`'s error
/// (no tracing subscriber) knows which setting is wrong.
impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::InvalidUrl(m) => write!(
                f,
                "invalid url: {m}; SIGNALWIRE_SPACE takes a host[:port] (no scheme, no path)"
            ),
            OpenError::Dns { host, message } => write!(
                f,
                "cannot resolve {host}: {message}; check SIGNALWIRE_SPACE (e.g. example.signalwire.com)"
            ),
            OpenError::Tcp {
                addr,
                kind: io::ErrorKind::ConnectionRefused,
                ..
            } => write!(
                f,
                "connection refused at {addr}: nothing listens there; check the host and port in \
                 SIGNALWIRE_SPACE"
            ),
            OpenError::Tcp { addr, message, .. } => write!(
                f,
                "TCP to {addr}: {message}; check SIGNALWIRE_SPACE and the network"
            ),
            OpenError::Tls {
                host,
                failure: TlsFailure::Certificate,
                message,
            } => write!(
                f,
                "TLS with {host}: certificate not trusted: {message}; for a server with a test CA \
                 set SIGNALWIRE_RELAY_CA_FILE to the CA's PEM file"
            ),
            OpenError::Tls {
                host,
                failure: TlsFailure::NotTls,
                message,
            } => write!(
                f,
                "TLS with {host}: the server does not speak TLS ({message}); \
                 for a plain ws:// server on loopback use \
                 ClientBuilder::allow_insecure_loopback(true) or set SIGNALWIRE_RELAY_SCHEME=ws"
            ),
            OpenError::Tls { host, message, .. } => write!(f, "TLS with {host}: {message}"),
            OpenError::ServerSpeaksTls { addr, message } => write!(
                f,
                "ws:// to {addr}: the server speaks TLS ({message}); use wss://: unset \
                 SIGNALWIRE_RELAY_SCHEME (or drop allow_insecure_loopback(true))"
            ),
            OpenError::Handshake {
                status: Some(status @ 400..=499),
                message,
            } => write!(
                f,
                "WebSocket handshake answered HTTP {status}: {message}; this is not a RELAY \
                 endpoint: check SIGNALWIRE_SPACE (a host[:port], no path)"
            ),
            OpenError::Handshake {
                status: Some(status),
                message,
            } => write!(f, "WebSocket handshake answered HTTP {status}: {message}"),
            OpenError::Handshake { message, .. } => {
                write!(f, "WebSocket handshake: {message}")
            }
            OpenError::Timeout => f.write_str(
                "no connection within the request time-out; check SIGNALWIRE_SPACE and the network",
            ),
            OpenError::NoSession { waited } => write!(
                f,
                "no session within {waited:?}: the server took the socket but did not \
                 authenticate us; check that SIGNALWIRE_SPACE names a RELAY service"
            ),
            OpenError::Io(m) => write!(f, "IO: {m}"),
        }
    }
}

impl std::error::Error for OpenError {}

/// What went wrong in a TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate did not verify (unknown CA, wrong name, expired), or the
    /// extra CA given could not be read.
    Certificate,
    /// The server answered with something that is not TLS: most likely a plain `ws://`
    /// server reached as `wss://`.
    NotTls,
    /// Any other handshake failure.
    Handshake,
}

/// Why an open connection broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// Reading or writing failed.
    Io(String),
    /// A write did not complete within its deadline: the peer stopped reading.
    WriteTimeout,
    /// The peer broke the WebSocket protocol.
    Protocol(String),
    /// The server closed the connection.
    Closed,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Io(m) => write!(f, "IO: {m}"),
            TransportError::WriteTimeout => {
                f.write_str("the server stopped reading (write timed out)")
            }
            TransportError::Protocol(m) => write!(f, "WebSocket protocol: {m}"),
            TransportError::Closed => f.write_str("the server closed the connection"),
        }
    }
}

impl std::error::Error for TransportError {}

/// Sorts a TCP connect error: a failed lookup is DNS, the rest is TCP.
pub(crate) fn tcp_error(host: &str, port: u16, e: &io::Error) -> OpenError {
    // Runtimes resolve inside `connect`; a lookup failure surfaces as an error of kind
    // `Other`/`Uncategorized` whose message names the resolver (getaddrinfo) and no errno.
    let message = e.to_string();
    let lookup = e.raw_os_error().is_none()
        && !matches!(
            e.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::TimedOut
                | io::ErrorKind::AddrNotAvailable
        )
        && (message.contains("lookup")
            || message.contains("resolve")
            || message.contains("Name or service")
            || message.contains("No address")
            || message.contains("nodename")
            || message.contains("known"));
    if lookup {
        OpenError::Dns {
            host: host.to_owned(),
            message,
        }
    } else {
        OpenError::Tcp {
            addr: format!("{host}:{port}"),
            kind: e.kind(),
            message,
        }
    }
}
