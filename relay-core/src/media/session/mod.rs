//! The two-way media session with no IO: incoming messages in, typed events out; outgoing
//! PCM encoded to the stream's codec and cut into 20 ms frames, marks tracked, and a
//! bounded queue of messages for whatever writes the socket.

mod codec;
mod core;
mod error;

pub use self::core::{MarkId, MediaSessionCore, SessionConfig, SessionStats};
pub use codec::{FrameEncoder, L16Order, FRAME_MS};
pub use error::{SendError, SessionError};
