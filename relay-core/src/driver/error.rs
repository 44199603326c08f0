//! The one error type of the async client.

use super::open_error::OpenError;
use crate::config::ConfigError;
use crate::error::{CallGone, CommandError, RequestError, SessionError};
use crate::event::DialError;
use std::fmt;

/// Anything the async client can fail with.
///
/// Its `Debug` form starts with the `Display` text (what went wrong and what to change),
/// then gives the structure: `fn main() -> Result<(), Error>` prints the helpful text when
/// `run()` fails, and test assertions still show the variant.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is incomplete or invalid (names the setting or variable).
    Config(ConfigError),
    /// A command was refused before anything was sent.
    Command(CommandError),
    /// The server did not accept a request.
    Request(RequestError),
    /// The session ended for good (auth rejected, or shut down).
    Session(SessionError),
    /// The client has stopped (shut down, or `run` returned).
    Closed,
    /// A wait with a time-out elapsed; the thing waited for may still complete.
    WaitTimedOut,
    /// The dial produced no call: it failed (no answer, busy…), timed out, or its session
    /// was replaced by a fresh one.
    Dial(DialError),
    /// `run` was called while the client is already running, or after it stopped.
    AlreadyRunning,
    /// The client gave up opening its connection (socket, TLS, WebSocket handshake): the
    /// failure cannot heal without a change of configuration (see [`OpenError::is_permanent`]).
    Open(OpenError),
    /// The call has ended or no longer exists on the server; the command was not carried
    /// out. Hanging up such a call is not an error. Every "call gone" the library reports
    /// (refused command, failed request) arrives as this variant: ask [`Error::is_call_gone`].
    CallGone(CallGone),
    /// The runtime could not run the client (e.g. its thread could not start).
    Runtime(String),
    /// A message was refused by the server, or did not arrive (`undelivered` / `failed`
    /// with the service's reason), or its session was lost before its end.
    Message(crate::message::MessageError),
    /// `calling.connect` bridged nothing: no device of the plan answered (busy, no answer,
    /// …), as its `failed` event said ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)). Not a socket failure (that is
    /// [`Error::Open`]).
    ConnectFailed {
        /// The event's `failed_reason`, when it gave one.
        reason: Option<String>,
    },
    /// The frames waiting for the socket already fill
    /// [`ClientBuilder::max_outgoing_bytes`](super::ClientBuilder::max_outgoing_bytes): the
    /// server is not reading. Nothing was sent; try again later (the connection is given up
    /// and made again if the server stays silent).
    SendQueueFull {
        /// Bytes waiting.
        queued: usize,
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => write!(f, "configuration: {e}"),
            Error::Command(e) => write!(f, "refused: {e}"),
            Error::Request(e) => write!(f, "request failed: {e}"),
            Error::Session(e @ SessionError::AuthRejected { .. }) => write!(
                f,
                "session ended: {e}; check SIGNALWIRE_PROJECT_ID and SIGNALWIRE_API_TOKEN (or \
                 SIGNALWIRE_JWT_TOKEN) and that the token may use RELAY"
            ),
            Error::Session(e) => write!(f, "session ended: {e}"),
            Error::Closed => f.write_str("the client is closed"),
            Error::WaitTimedOut => f.write_str("timed out waiting"),
            Error::Dial(e) => write!(f, "dial: {e}"),
            Error::AlreadyRunning => f.write_str("the client is already running or has stopped"),
            Error::Open(e) => write!(f, "cannot open the connection: {e}"),
            Error::CallGone(gone) => write!(f, "{gone}"),
            Error::Runtime(e) => write!(f, "runtime: {e}"),
            Error::Message(e) => write!(f, "message: {e}"),
            Error::SendQueueFull { queued, limit } => write!(
                f,
                "{queued} bytes already wait for the socket (limit {limit}): the server is not reading"
            ),
            Error::ConnectFailed { reason } => match reason {
                Some(reason) => write!(f, "the call could not be connected: {reason}"),
                None => f.write_str("the call could not be connected"),
            },
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} (")?;
        match self {
            Error::Config(e) => write!(f, "Config({e:?})"),
            Error::Command(e) => write!(f, "Command({e:?})"),
            Error::Request(e) => write!(f, "Request({e:?})"),
            Error::Session(e) => write!(f, "Session({e:?})"),
            Error::Closed => f.write_str("Closed"),
            Error::WaitTimedOut => f.write_str("WaitTimedOut"),
            Error::Dial(e) => write!(f, "Dial({e:?})"),
            Error::AlreadyRunning => f.write_str("AlreadyRunning"),
            Error::Open(e) => write!(f, "Open({e:?})"),
            Error::CallGone(gone) => write!(f, "CallGone({gone:?})"),
            Error::Runtime(e) => write!(f, "Runtime({e:?})"),
            Error::Message(e) => write!(f, "Message({e:?})"),
            Error::ConnectFailed { reason } => write!(f, "ConnectFailed {{ reason: {reason:?} }}"),
            Error::SendQueueFull { queued, limit } => {
                write!(f, "SendQueueFull {{ queued: {queued}, limit: {limit} }}")
            }
        }?;
        f.write_str(")")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Open(e) => Some(e),
            Error::CallGone(e) => Some(e),
            Error::Dial(e) => Some(e),
            Error::Message(e) => Some(e),
            _ => None,
        }
    }
}

impl Error {
    /// Whether the call this command was for has ended or is gone: the normal end of a
    /// call, not a failure of the program.
    pub fn is_call_gone(&self) -> bool {
        matches!(self, Error::CallGone(_))
    }

    /// The details when the call is gone: which call, and the server's code when the
    /// server said so.
    pub fn call_gone(&self) -> Option<&CallGone> {
        match self {
            Error::CallGone(gone) => Some(gone),
            _ => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<CommandError> for Error {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Closed => Error::Closed,
            CommandError::CallGone(gone) => Error::CallGone(gone),
            other => Error::Command(other),
        }
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Closed => Error::Closed,
            RequestError::CallGone(gone) => Error::CallGone(gone),
            other => Error::Request(other),
        }
    }
}
