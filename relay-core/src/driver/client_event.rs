//! What the client reports besides the engine's own events: connection failures with their
//! cause, and user callbacks that panicked. Subscribe with [`Client::on_event`].
//!
//! [`Client::on_event`]: super::Client::on_event

use super::open_error::{OpenError, TransportError};
use crate::event::Event;
use std::time::Duration;

/// One thing the client saw happen.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// An event of the protocol engine (session ready, call state, action finished, …).
    Engine(Event),
    /// A connection attempt failed; the client retries after `retry_in` unless it gives up
    /// (then [`Client::run`](super::Client::run) returns the error).
    OpenFailed {
        /// Why.
        error: OpenError,
        /// Consecutive failed attempts, this one included.
        attempt: u32,
        /// The backoff before the next attempt, if there is one.
        retry_in: Option<Duration>,
    },
    /// The open connection broke; a reconnect follows (see the engine's `Disconnected`).
    ConnectionLost(DisconnectReason),
    /// A user callback panicked. The client and every other call go on.
    CallbackPanicked {
        /// Which callback: `"on_call"`, `"on_completed"`, `"on_event"`, `"on_message"`.
        callback: &'static str,
        /// The panic message.
        message: String,
    },
}

/// Why an open connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// Reading or writing failed.
    Transport(TransportError),
    /// The server closed the socket.
    ServerClosed,
}
