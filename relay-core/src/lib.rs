//! Sans-IO engine for SignalWire's RELAY protocol: call control and call audio streaming.
//!
//! No IO, no async and no clock: time is a parameter and every input and output is a value.
//! [`Engine`] is the client; [`sim::FakeRelay`] is a fake server to test against.
#![warn(missing_docs)]

pub mod action;
pub mod call;
pub mod config;
#[cfg(feature = "driver")]
pub mod driver;
pub mod engine;
pub mod error;
pub mod event;
mod frame;
pub mod ids;
pub mod media;
pub mod sim;

pub use action::play::PlayMedia;
pub use action::stream_options::{Codec, HttpMethod, StreamOptions, Track};
pub use action::{ActionKind, ActionOutcome, ActionState};
pub use call::{CallInfo, CallState, Device, Direction, EndReason};
pub use config::{BackoffConfig, ConfigError, Credentials, EngineConfig};
pub use engine::{ActionStart, DialPlan, Engine, EngineStats};
pub use error::{CommandError, ProtocolError, RequestError, SessionError};
pub use event::{DialError, Event, Transmit};
pub use ids::{CallId, ControlId, DialTag, NodeId, RequestId};
