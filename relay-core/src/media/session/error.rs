//! What can go wrong in a two-way media session: a message the far end sent (the session
//! goes on), the session ending, or audio and marks the app could not queue.

use crate::media::{FormatError, MediaTrack, MessageError};
use std::fmt;

/// A message from the far end that was refused (the session goes on), or the reason the
/// session ended (socket, write deadline). Peer strings in it are cut to a few dozen
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// A message could not be read.
    Message(MessageError),
    /// A message longer than the session's `max_message_bytes`; not parsed.
    MessageTooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// `media` before a usable `start`.
    MediaBeforeStart,
    /// The `start` message claims a format streams never carry.
    UnsupportedFormat(FormatError),
    /// The `start` message lists no track.
    NoTracks,
    /// A second `start`; the first one stands.
    DuplicateStart,
    /// `media` for a track `start` did not list.
    UnexpectedTrack(MediaTrack),
    /// A message after `stop`.
    AfterStop,
    /// A `mark` naming no mark this session has pending: ignored, counted in
    /// [`SessionStats::unknown_marks`](super::SessionStats::unknown_marks).
    UnknownMark(String),
    /// The far end did not take a message within the write deadline; the session closed.
    WriteTimeout,
    /// The socket failed or closed while writing or reading.
    Socket(String),
    /// No `start` within the start time-out of the receiver that admitted the session
    /// (`PendingStream::open_media`); the session was closed with a `1008` close frame.
    StartTimeout {
        /// The time-out, in ms.
        timeout_ms: u64,
    },
    /// No message at all within the idle time-out of the receiver that admitted the
    /// session; the session was closed with a `1008` close frame.
    IdleTimeout {
        /// The time-out, in ms.
        timeout_ms: u64,
    },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Message(e) => write!(f, "bad message: {e}"),
            SessionError::MessageTooLarge { len, limit } => {
                write!(f, "a message of {len} bytes, over the limit of {limit}")
            }
            SessionError::MediaBeforeStart => f.write_str("media before a usable start message"),
            SessionError::UnsupportedFormat(e) => write!(f, "unsupported media format: {e}"),
            SessionError::NoTracks => f.write_str("the start message lists no track"),
            SessionError::DuplicateStart => f.write_str("a second start message"),
            SessionError::UnexpectedTrack(track) => {
                write!(f, "media for the {} track, not started", track.as_wire())
            }
            SessionError::AfterStop => f.write_str("a message after stop"),
            SessionError::UnknownMark(name) => write!(f, "a mark never sent: {name:?}"),
            SessionError::WriteTimeout => {
                f.write_str("the far end stopped reading (write deadline)")
            }
            SessionError::Socket(e) => write!(f, "socket: {e}"),
            // The one-way receiver's words (`ReceiveError`), so both close alike.
            SessionError::StartTimeout { timeout_ms } => {
                write!(f, "no start message within {timeout_ms} ms")
            }
            SessionError::IdleTimeout { timeout_ms } => {
                write!(f, "no message within {timeout_ms} ms")
            }
        }
    }
}

impl std::error::Error for SessionError {}

/// Why audio, a mark or a clear could not be queued. Nothing was queued when this is
/// returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// No `start` yet: the stream id and codec are unknown.
    NotStarted,
    /// The outgoing queue has no room for this much; the far end reads slower than the app
    /// writes. Wait (the queue drains at the socket's pace) or `clear()`.
    QueueFull {
        /// Messages queued now.
        queued_messages: usize,
        /// Bytes queued now.
        queued_bytes: usize,
    },
    /// As many marks are pending (sent, not yet acknowledged) as the session allows.
    TooManyMarks {
        /// The limit.
        limit: usize,
    },
    /// The far end sent `stop`.
    Stopped,
    /// The session is closed.
    Closed,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::NotStarted => f.write_str("the stream has not started"),
            SendError::QueueFull {
                queued_messages,
                queued_bytes,
            } => write!(
                f,
                "outgoing queue full ({queued_messages} messages, {queued_bytes} bytes)"
            ),
            SendError::TooManyMarks { limit } => write!(f, "{limit} marks already pending"),
            SendError::Stopped => f.write_str("the stream stopped"),
            SendError::Closed => f.write_str("the session is closed"),
        }
    }
}

impl std::error::Error for SendError {}
