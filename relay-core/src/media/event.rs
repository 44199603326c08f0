//! What a `calling.stream` WebSocket delivers, typed: one event type for both ends that
//! read one, the one-way [`StreamReceiver`](crate::receiver::StreamReceiver) and the
//! two-way [`MediaSessionCore`](crate::media::MediaSessionCore) (and its async session).

use super::{MarkId, MediaTrack, StartInfo};

/// Something the far end of a stream said, typed; audio decoded once to 16-bit PCM.
///
/// Both readers of a stream emit `Connected`, `Started`, `Audio`, `Dtmf` and `Stopped`.
/// The rest depend on who reads:
/// - the one-way receiver ([`IncomingStream::next`](crate::receiver::IncomingStream::next))
///   sends nothing back, so a `mark` message is only reported as [`StreamEvent::Mark`];
/// - the two-way session ([`MediaSessionCore::handle_text`](crate::media::MediaSessionCore::handle_text),
///   `MediaSession::next`) matches each `mark` to one it sent: [`StreamEvent::MarkPlayed`] or
///   [`StreamEvent::MarkCleared`] (a mark it never sent is an error), and reports the
///   service's answer to its `clear` as [`StreamEvent::ClearAcknowledged`].
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
    /// The `start` message: call and stream ids, tracks, media format, custom parameters.
    Started(StartInfo),
    /// One `media` chunk, decoded (once) as it arrived.
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
    /// A `mark` message (one-way receiver only).
    Mark {
        /// The mark's name.
        name: String,
    },
    /// The audio sent before this mark has played (two-way session only).
    MarkPlayed {
        /// The mark.
        id: MarkId,
        /// Its name.
        name: String,
    },
    /// This mark came back because its audio was cleared (two-way session only).
    MarkCleared {
        /// The mark.
        id: MarkId,
        /// Its name.
        name: String,
    },
    /// The far end flushed its playback queue after our `clear` (two-way session only).
    ClearAcknowledged,
    /// The `stop` message: the stream is over.
    Stopped,
}
