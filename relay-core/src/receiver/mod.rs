//! The other end of `calling.stream`: a WebSocket server that receives a call's audio,
//! checks the bearer token, bounds each connection, and hands each stream over as typed
//! messages and decoded PCM, or, for a two-way stream, as a [`MediaSession`] admitted by the
//! same code ([`PendingStream::open_media`]).

mod close;
mod stream;

pub use crate::media::StreamEvent;
pub use crate::server::{tls_server_config, HandshakeInfo, Listener, ServerRuntime, UpgradeError};
pub use stream::{
    bearer_matches, IncomingStream, PendingStream, ReceiveError, ReceiverBuilder, ReceiverStats,
    StreamReceiver, StreamRecording, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_BYTES_PER_CONNECTION, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_KEPT_ERRORS,
    DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MEMORY_BUDGET, DEFAULT_START_TIMEOUT,
};
mod media_session;
pub use media_session::{
    MarkHandle, MarkOutcome, MediaReceiver, MediaSender, MediaSession, MediaSessionBuilder,
    DEFAULT_EVENT_CAPACITY, DEFAULT_WRITE_TIMEOUT,
};
mod media_listener;
pub use media_listener::{MediaListener, PendingMedia};
