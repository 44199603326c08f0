//! Sans-IO engine for SignalWire's RELAY protocol: call control and call audio streaming.
//!
//! No IO, no async and no clock in the default build: time is a parameter and every input
//! and output is a value. Most users want a runtime crate (`relay-tokio`, `relay-smol`),
//! which re-exports what they need from here.
//!
//! # Features
//! | feature | what it adds |
//! |---|---|
//! | (default) | [`Engine`] and the protocol types |
//! | `sim` | `sim`: the fake RELAY service (sans-IO) and `sim::Pair` |
//! | `media` | `media`: stream messages, G.711, the per-track assembler, WAV |
//! | `driver` | `driver`: the async client, written once for every runtime |
//! | `receiver` | `receiver`: a WebSocket server receiving `calling.stream` audio |
//! | `testkit` | `testkit`: the client in memory on virtual time, and the simulator server |
//!
//! # The run loop
//! Whoever drives the engine owns the socket and the clock. After any input, drain every
//! output (transmits, then events) before waiting again; wait until the next frame or
//! [`Engine::poll_timeout`], whichever comes first. Calling `handle_timeout` early is a
//! harmless no-op.
//!
//! ```no_run
//! use relay_rs_core::{Credentials, Engine, EngineConfig, Event, Transmit};
//! use std::time::Instant;
//!
//! # fn open_socket() {}
//! # fn send(_: &str) {}
//! # fn close_socket() {}
//! # fn next_frame_until(_: Option<Instant>) -> Option<String> { None }
//! let config = EngineConfig::new(Credentials::token("project", "token")).contexts(["office"]);
//! let mut engine = Engine::new(config);
//! engine.open(Instant::now());
//! loop {
//!     // 1. Carry out what the engine asks: open the socket, send, close.
//!     while let Some(transmit) = engine.poll_transmit() {
//!         match transmit {
//!             Transmit::Open => {
//!                 open_socket();
//!                 engine.handle_connected(Instant::now()); // or handle_disconnected
//!             }
//!             Transmit::Send(text) => send(&text),
//!             Transmit::Close => close_socket(),
//!             // `Transmit` is `#[non_exhaustive]`: a later kind is logged and skipped.
//!             other => eprintln!("unknown transmit {other:?}"),
//!         }
//!     }
//!     // 2. Hand events to the application.
//!     while let Some(event) = engine.poll_event() {
//!         if let Event::IncomingCall(call) = &event {
//!             let _ = engine.answer(&call.call_id, Instant::now());
//!         }
//!     }
//!     if engine.is_closed() {
//!         break;
//!     }
//!     // 3. Wait for a frame or the next deadline, and feed what happened in.
//!     match next_frame_until(engine.poll_timeout()) {
//!         Some(frame) => engine.handle_frame(&frame, Instant::now()),
//!         None => engine.handle_timeout(Instant::now()),
//!     }
//! }
//! ```
#![warn(missing_docs)]
// Library code logs through `tracing`; only examples' programs print.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod action;
pub mod calling;
pub mod config;
pub mod control;
#[cfg(feature = "driver")]
pub mod driver;
pub mod engine;
pub mod error;
pub mod event;
mod frame;
pub mod ids;
#[cfg(feature = "media")]
pub mod media;
mod payload;
#[cfg(feature = "receiver")]
pub mod receiver;
#[cfg(any(feature = "receiver", feature = "testkit"))]
pub mod server;
#[cfg(feature = "sim")]
pub mod sim;
#[cfg(feature = "testkit")]
pub mod testkit;

/// The former path of [`calling::call`].
pub mod call {
    pub use crate::calling::call::*;
}
/// The former path of [`calling::event`].
pub mod call_event {
    pub use crate::calling::event::*;
}
/// The former path of [`calling::messaging`].
pub mod message {
    pub use crate::calling::messaging::*;
}
// Former private paths, while code moves into `calling`.
use calling::{connect, dial};

/// What the runtime crates' macro-generated re-exports reach through.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "driver")]
    pub use futures_util;
    pub use serde_json;
}

pub use action::ai::{AgentConfig, AgentPrompt, AiHold, AiMessage, AiOptions, AiReset, AiUnhold};
pub use action::collect::{
    CollectInput, CollectOptions, CollectResult, DigitsOptions, PromptOptions, SpeechOptions,
};
pub use action::descriptor::{ActionDescriptor, Judge, TerminalRule};
pub use action::detect::{DetectOptions, DetectResult, Detection, Detector, FaxTone};
pub use action::fax::{FaxResult, ReceiveFaxOptions, SendFaxOptions};
pub use action::pay::{PayOptions, PayPrompt, PayPromptAction};
pub use action::play::{Gender, PlayMedia, PlayOptions};
pub use action::record::{PauseBehavior, RecordFormat, RecordOptions, RecordResult};
pub use action::result::ActionResult;
pub use action::simple::{EchoOptions, SendDigitsOptions, TranscribeOptions, TranscribeResult};
pub use action::stream_options::{Codec, HttpMethod, StreamOptions, Track};
pub use action::tap::{TapDevice, TapOptions};
pub use action::{ActionKind, ActionOutcome, ActionRequest, ActionState, MediaDirection};
pub use call::{
    AgoraDevice, CallCodec, CallDevice, CallInfo, CallState, Device, Direction, EndReason,
    LegOptions, PhoneDevice, QueueDevice, SipDevice, StreamDevice, WebRtcDevice,
};
pub use call_event::{ActionEvent, CallEvent};
pub use calling::ai_speech::{AiHint, AiLanguage, AiPronounce};
pub use config::{BackoffConfig, ConfigError, Credentials, EngineConfig};
pub use connect::{ConnectPlan, ConnectState, ConnectUpdate};
pub use control::{
    AmazonBedrock, BindDigit, CallCommand, CallbackEventType, ClearDigitBindings, ConferenceBeep,
    ConferenceEvent, ConferenceRecord, ConferenceRegion, ConferenceStream, ConferenceTrim,
    JoinConference, JoinRoom, JoinedConference, LeaveConference, LiveAction, LiveTranscribe,
    LiveTranslate, QueueEnter, QueueEvent, QueueLeave, Refer, ReferDevice, ReferEvent,
    SimpleControl, Transfer, TransferDest, UserEvent,
};
pub use dial::DialState;
pub use engine::{ActionStart, DialPlan, Engine, EngineStats};
pub use error::{CallGone, CommandError, ProtocolError, RequestError, SessionError};
pub use event::{DialError, Event, Transmit};
pub use ids::{CallId, ControlId, DialTag, NodeId, RequestId};
pub use message::{Message, MessageError, MessageId, MessageState, SendMessage};
pub use payload::Payload;
