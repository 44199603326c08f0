//! The smaller commands of [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): hold/unhold ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 13: possibly not supported), denoise,
//! leave_room, `calling.user_event` ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 9) and `calling.amazon_bedrock`.

use super::ai::{agent_setters, AgentConfig};
use super::{invalid, CallCommand};
use crate::error::CommandError;
use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::{Map, Value};

/// The commands of [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) that take no params beyond the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SimpleControl {
    /// `calling.hold`. G marks it "NOT IMPLEMENTED in spec" and the server schema lacks it:
    /// a service may answer with a 4xx.
    Hold,
    /// `calling.unhold`; as `Hold`, possibly unsupported.
    Unhold,
    /// `calling.denoise`: noise reduction on (`calling.call.denoise` follows).
    Denoise,
    /// `calling.denoise.stop`: noise reduction off.
    DenoiseStop,
    /// `calling.leave_room`.
    LeaveRoom,
}

impl CallCommand for SimpleControl {
    fn method(&self) -> &'static str {
        match self {
            SimpleControl::Hold => "calling.hold",
            SimpleControl::Unhold => "calling.unhold",
            SimpleControl::Denoise => "calling.denoise",
            SimpleControl::DenoiseStop => "calling.denoise.stop",
            SimpleControl::LeaveRoom => "calling.leave_room",
        }
    }
}

/// No params of its own: an empty object, to which the engine adds the ids.
impl Serialize for SimpleControl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

/// `calling.user_event`: an event of your own through the service. `event` goes on the wire
/// as given: the server schema (TS-Gen) declares a required object, the guide and the SDKs
/// an optional string ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 9).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UserEvent {
    /// The event, JSON of your own: the service relays it as it is, so it has no schema
    /// this library could type (and the sources disagree on string or object, §6 item 9).
    pub event: Value,
    /// Keys sent alongside `event` (the SDKs pass extras through), the user's own too.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UserEvent {
    /// Sends `event`.
    pub fn new(event: impl Into<Value>) -> Self {
        Self {
            event: event.into(),
            extra: Map::new(),
        }
    }

    /// One more key beside `event`.
    pub fn extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }
}

impl CallCommand for UserEvent {
    fn method(&self) -> &'static str {
        "calling.user_event"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.event.is_null() {
            return invalid("user event is null");
        }
        if let Some(key) = self
            .extra
            .keys()
            .find(|k| matches!(k.as_str(), "event" | "node_id" | "call_id"))
        {
            return invalid(format!("extra key {key:?} is reserved"));
        }
        Ok(())
    }
}

/// `calling.amazon_bedrock`: an Amazon Bedrock agent on the call ("AI started"), given what
/// a `calling.ai` agent is given ([`AgentConfig`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AmazonBedrock {
    /// Prompts, functions (`SWAIG`), parameters (`params`) and data.
    #[serde(flatten)]
    pub config: AgentConfig,
}

impl AmazonBedrock {
    /// Service defaults.
    pub fn new() -> Self {
        Self::default()
    }

    agent_setters!();
}

impl CallCommand for AmazonBedrock {
    fn method(&self) -> &'static str {
        "calling.amazon_bedrock"
    }

    fn check(&self) -> Result<(), CommandError> {
        self.config.check()
    }
}
