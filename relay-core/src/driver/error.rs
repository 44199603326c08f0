//! The one error type of the async client.

use crate::config::ConfigError;
use crate::error::{CommandError, RequestError, SessionError};
use std::fmt;

/// Anything the async client can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The dial produced no call.
    DialFailed,
    /// `run` was called while the client is already running, or after it stopped.
    AlreadyRunning,
    /// Opening the connection failed.
    Transport(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => write!(f, "configuration: {e}"),
            Error::Command(e) => write!(f, "refused: {e}"),
            Error::Request(e) => write!(f, "request failed: {e}"),
            Error::Session(e) => write!(f, "session ended: {e}"),
            Error::Closed => f.write_str("the client is closed"),
            Error::WaitTimedOut => f.write_str("timed out waiting"),
            Error::DialFailed => f.write_str("the dial failed"),
            Error::AlreadyRunning => f.write_str("the client is already running or has stopped"),
            Error::Transport(e) => write!(f, "transport: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<CommandError> for Error {
    fn from(e: CommandError) -> Self {
        match e {
            CommandError::Closed => Error::Closed,
            other => Error::Command(other),
        }
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Closed => Error::Closed,
            other => Error::Request(other),
        }
    }
}
