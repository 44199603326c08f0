//! What a `calling.stream` WebSocket carries, with no IO: the stream messages, G.711 and L16
//! codecs, a per-track assembler that places audio by timestamp, WAV files, a test signal,
//! and the sender's message script.

mod assembler;
mod budget;
mod encoding;
mod event;
pub mod g711;
mod message;
mod script;
mod signal;
mod wav;

pub use assembler::{
    AssembleError, Gap, StreamAssembler, DEFAULT_MAX_GAP_MS, DEFAULT_SILENCE_ALLOWANCE_MS,
    MAX_CHANNELS, MAX_SAMPLE_RATE,
};
pub use budget::MemoryBudget;
pub use encoding::{Encoding, FormatError, MediaFormat, STREAM_SAMPLE_RATES};
pub use event::StreamEvent;
pub use message::{
    clip, MediaChunk, MediaTrack, MessageError, StartInfo, StreamMessage, MAX_ECHO_CHARS,
};
pub use script::MediaScript;
pub use signal::{test_signal, Packetizer};
pub use wav::{read_wav, write_wav, Wav, WavError};
mod session;
pub use message::{push_media_head, push_media_tail, OutgoingMessage, ServiceMessage};
pub use session::{
    FrameEncoder, L16Order, MarkId, MediaSessionCore, SendError, SessionConfig, SessionError,
    SessionStats, FRAME_MS,
};
