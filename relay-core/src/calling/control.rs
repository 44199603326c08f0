//! The smaller commands of [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): hold/unhold ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 13: possibly not supported), denoise,
//! leave_room, `calling.user_event` ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 9) and `calling.amazon_bedrock`.

use super::{invalid, CallCommand};
use crate::error::CommandError;
use serde::Serialize;
use serde_json::{Map, Value};

/// The commands of [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) that take no params beyond the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    fn check(&self) -> Result<(), CommandError> {
        self.wire_params().map(drop)
    }
}

impl SimpleControl {
    /// The params (without ids), or why the options cannot be sent.
    fn wire_params(&self) -> Result<Map<String, Value>, CommandError> {
        Ok(Map::new())
    }
}

super::params::serialize_via_map!(SimpleControl);

/// `calling.user_event`: an event of your own through the service. `event` goes on the wire
/// as given: the server schema (TS-Gen) declares a required object, the guide and the SDKs
/// an optional string ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 9).
#[derive(Debug, Clone, PartialEq)]
pub struct UserEvent {
    /// The event.
    pub event: Value,
    /// Keys sent alongside `event` (the SDKs pass extras through).
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
        self.wire_params().map(drop)
    }
}

impl UserEvent {
    /// The params (without ids), or why the options cannot be sent.
    fn wire_params(&self) -> Result<Map<String, Value>, CommandError> {
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
        let mut params = self.extra.clone();
        params.insert("event".into(), self.event.clone());
        Ok(params)
    }
}

super::params::serialize_via_map!(UserEvent);

/// `calling.amazon_bedrock`: an Amazon Bedrock agent on the call ("AI started"). Its
/// settings are the service's JSON, passed through as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AmazonBedrock {
    /// The prompt (G: a string; TS-Gen: an object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Value>,
    /// Functions the agent may call (`SWAIG`).
    #[serde(rename = "SWAIG", skip_serializing_if = "Option::is_none")]
    pub swaig: Option<Value>,
    /// Agent parameters (`params`, the SDK option `ai_params`).
    #[serde(rename = "params", skip_serializing_if = "Option::is_none")]
    pub ai_params: Option<Value>,
    /// Data the agent can read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_data: Option<Value>,
    /// The prompt run after the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt: Option<Value>,
    /// Where the post-prompt result is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt_url: Option<String>,
}

impl AmazonBedrock {
    /// Service defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The prompt.
    pub fn prompt(mut self, prompt: impl Into<Value>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Functions (`SWAIG`).
    pub fn swaig(mut self, swaig: Value) -> Self {
        self.swaig = Some(swaig);
        self
    }

    /// Agent parameters.
    pub fn ai_params(mut self, params: Value) -> Self {
        self.ai_params = Some(params);
        self
    }

    /// Data the agent can read.
    pub fn global_data(mut self, data: Value) -> Self {
        self.global_data = Some(data);
        self
    }

    /// The post-prompt.
    pub fn post_prompt(mut self, prompt: impl Into<Value>) -> Self {
        self.post_prompt = Some(prompt.into());
        self
    }

    /// Where the post-prompt result goes.
    pub fn post_prompt_url(mut self, url: impl Into<String>) -> Self {
        self.post_prompt_url = Some(url.into());
        self
    }
}

impl CallCommand for AmazonBedrock {
    fn method(&self) -> &'static str {
        "calling.amazon_bedrock"
    }

    fn check(&self) -> Result<(), CommandError> {
        super::params::check_status_url(&self.post_prompt_url)?;
        Ok(())
    }
}
