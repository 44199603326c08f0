//! `calling.ai` ([§1.11](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): an AI agent on the call, and the commands that steer it
//! (`calling.ai_message`, `calling.ai_hold`, `calling.ai_unhold`, no control id). The agent's
//! prompt, functions and data are the service's JSON, passed through as given; the array
//! forms of `pronounce`, `hints` and `languages` are the ones the SDKs send.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, Params};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// Options of `calling.ai`; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AiOptions {
    /// The id of an agent stored at SignalWire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// `{text, temperature?, top_p?, …}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Value>,
    /// The prompt run after the call, same shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt: Option<Value>,
    /// Where the post-prompt result is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt_url: Option<String>,
    /// Basic-auth user for `post_prompt_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt_auth_user: Option<String>,
    /// Basic-auth password for `post_prompt_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt_auth_password: Option<String>,
    /// Data the agent can read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_data: Option<Value>,
    /// Pronunciation rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pronounce: Option<Value>,
    /// Words to expect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hints: Option<Value>,
    /// Languages and voices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<Value>,
    /// Functions the agent may call (`SWAIG`).
    #[serde(rename = "SWAIG", skip_serializing_if = "Option::is_none")]
    pub swaig: Option<Value>,
    /// Agent parameters (`params`).
    #[serde(rename = "params", skip_serializing_if = "Option::is_none")]
    pub ai_params: Option<Value>,
    /// The control id; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl AiOptions {
    /// Service defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A stored agent.
    pub fn agent(mut self, id: impl Into<String>) -> Self {
        self.agent = Some(id.into());
        self
    }

    /// The prompt object.
    pub fn prompt(mut self, prompt: Value) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// The post-prompt object.
    pub fn post_prompt(mut self, prompt: Value) -> Self {
        self.post_prompt = Some(prompt);
        self
    }

    /// Where the post-prompt result is sent.
    pub fn post_prompt_url(mut self, url: impl Into<String>) -> Self {
        self.post_prompt_url = Some(url.into());
        self
    }

    /// Data the agent can read.
    pub fn global_data(mut self, data: Value) -> Self {
        self.global_data = Some(data);
        self
    }

    /// Functions the agent may call.
    pub fn swaig(mut self, swaig: Value) -> Self {
        self.swaig = Some(swaig);
        self
    }

    /// Agent parameters.
    pub fn ai_params(mut self, params: Value) -> Self {
        self.ai_params = Some(params);
        self
    }

    /// A control id of your own.
    pub fn control_id(mut self, id: impl Into<ControlId>) -> Self {
        self.control_id = Some(id.into());
        self
    }
}

impl ActionRequest for AiOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Ai
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_status_url(&self.post_prompt_url)?;
        Ok(())
    }
}

/// `calling.ai_message`: a message into the running agent's conversation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AiMessage {
    /// The text.
    pub message_text: Option<String>,
    /// `system`, `user` or `assistant`.
    pub role: Option<String>,
    /// `{full_reset?, user_prompt?, system_prompt?}`.
    pub reset: Option<Value>,
    /// Data merged into the agent's global data.
    pub global_data: Option<Value>,
}

impl AiMessage {
    /// A message with `role`.
    pub fn new(role: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            message_text: Some(text.into()),
            role: Some(role.into()),
            ..Self::default()
        }
    }

    /// The params (without ids).
    pub fn to_params(&self) -> Map<String, Value> {
        Params::new()
            .opt("message_text", &self.message_text)
            .opt("role", &self.role)
            .opt("reset", &self.reset)
            .opt("global_data", &self.global_data)
            .done()
    }
}

/// `calling.ai_hold` params: how long, and what the agent says.
pub fn ai_hold_params(timeout: Option<Duration>, prompt: Option<&str>) -> Map<String, Value> {
    // The server schema and the SDKs send the time-out as a string of seconds.
    Params::new()
        .opt("timeout", &timeout.map(|t| t.as_secs().to_string()))
        .opt("prompt", &prompt.map(str::to_owned))
        .done()
}

/// `calling.ai_unhold` params: what the agent says.
pub fn ai_unhold_params(prompt: Option<&str>) -> Map<String, Value> {
    Params::new()
        .opt("prompt", &prompt.map(str::to_owned))
        .done()
}

/// How `calling.ai` runs: it ends on `finished` or `error`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("ai", TerminalRule::states(&["finished", "error"]))
}
