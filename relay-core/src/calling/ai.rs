//! `calling.ai` ([§1.11](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): an AI agent on the call, and the commands that steer it
//! (`calling.ai_message`, `calling.ai_hold`, `calling.ai_unhold`, no control id). The agent's
//! prompts are typed ([`AgentPrompt`], shared with `calling.amazon_bedrock` through
//! [`AgentConfig`]), and so is what it hears and says (`calling::ai_speech`); its functions,
//! parameters and data are the user's own JSON.

use super::ai_speech::{self, AiHint, AiLanguage, AiPronounce};
use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, secs_text, setters};
use super::{invalid, ActionKind, ActionRequest, CallCommand};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::ser::SerializeStruct;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// A prompt of an AI agent (its `prompt` or `post_prompt`): the text and, optionally, the
/// model's tuning, the object `{text, temperature?, top_p?, …}` of [§1.11](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md).
///
/// [`AgentPrompt::new`] writes that object. A prompt made from a bare string (`"…".into()`
/// or [`AgentPrompt::plain`]) is written as the string alone, the form SignalWire's guide
/// shows for `calling.amazon_bedrock`, as long as no tuning is set.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct AgentPrompt {
    /// What the agent is told.
    pub text: String,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Speech recognition confidence needed to act.
    pub confidence: Option<f64>,
    /// Confidence needed to let the caller interrupt.
    pub barge_confidence: Option<f64>,
    /// Presence penalty.
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    pub frequency_penalty: Option<f64>,
    /// The model.
    pub model: Option<String>,
    plain: bool,
}

impl AgentPrompt {
    /// The prompt object with `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// The text alone, written as a bare string.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            plain: true,
            ..Self::new(text)
        }
    }

    setters! {
        /// Sampling temperature.
        temperature: f64;
        /// Nucleus sampling.
        top_p: f64;
        /// Speech recognition confidence needed to act.
        confidence: f64;
        /// Confidence needed to let the caller interrupt.
        barge_confidence: f64;
        /// Presence penalty.
        presence_penalty: f64;
        /// Frequency penalty.
        frequency_penalty: f64;
        /// The model.
        model: impl String;
    }

    fn tuned(&self) -> bool {
        [
            self.temperature,
            self.top_p,
            self.confidence,
            self.barge_confidence,
            self.presence_penalty,
            self.frequency_penalty,
        ]
        .iter()
        .any(Option::is_some)
            || self.model.is_some()
    }

    fn check(&self, what: &str) -> Result<(), CommandError> {
        if self.text.trim().is_empty() {
            return invalid(format!("the agent's {what} has no text"));
        }
        Ok(())
    }
}

impl From<&str> for AgentPrompt {
    fn from(text: &str) -> Self {
        Self::plain(text)
    }
}

impl From<String> for AgentPrompt {
    fn from(text: String) -> Self {
        Self::plain(text)
    }
}

impl Serialize for AgentPrompt {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.plain && !self.tuned() {
            return s.serialize_str(&self.text);
        }
        let mut o = s.serialize_struct("AgentPrompt", 8)?;
        o.serialize_field("text", &self.text)?;
        let numbers = [
            ("temperature", self.temperature),
            ("top_p", self.top_p),
            ("confidence", self.confidence),
            ("barge_confidence", self.barge_confidence),
            ("presence_penalty", self.presence_penalty),
            ("frequency_penalty", self.frequency_penalty),
        ];
        for (key, value) in numbers {
            match value {
                Some(value) => o.serialize_field(key, &value)?,
                None => o.skip_field(key)?,
            }
        }
        match &self.model {
            Some(model) => o.serialize_field("model", model)?,
            None => o.skip_field("model")?,
        }
        o.end()
    }
}

/// What an AI agent is given, shared by `calling.ai` ([`AiOptions`]) and
/// `calling.amazon_bedrock` ([`AmazonBedrock`](super::control::AmazonBedrock)): its prompts,
/// typed, and its functions, parameters and data, JSON objects of the user's own (the server
/// schema types each as an open object).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AgentConfig {
    /// What the agent is told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<AgentPrompt>,
    /// The prompt run after the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt: Option<AgentPrompt>,
    /// Where the post-prompt result is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt_url: Option<String>,
    /// Functions the agent may call (`SWAIG`: `{defaults?, functions?, includes?,
    /// native_functions?}`), an object.
    ///
    /// This, `ai_params` and `global_data` stay the user's own JSON (`Value`): they hold the
    /// app's function definitions, model parameters and data, open sets the service passes
    /// on to the agent rather than fields this library could type.
    #[serde(rename = "SWAIG", skip_serializing_if = "Option::is_none")]
    pub swaig: Option<Value>,
    /// Agent parameters (`params`, the SDK option `ai_params`), an object.
    #[serde(rename = "params", skip_serializing_if = "Option::is_none")]
    pub ai_params: Option<Value>,
    /// Data the agent can read, an object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_data: Option<Value>,
}

impl AgentConfig {
    /// Nothing set: the service's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuses what the service would: an empty prompt, a post-prompt url that is not
    /// HTTP(S), functions, parameters or data that are not JSON objects.
    pub(crate) fn check(&self) -> Result<(), CommandError> {
        if let Some(prompt) = &self.prompt {
            prompt.check("prompt")?;
        }
        if let Some(prompt) = &self.post_prompt {
            prompt.check("post_prompt")?;
        }
        check_status_url(&self.post_prompt_url)?;
        let objects = [
            ("SWAIG", &self.swaig),
            ("params", &self.ai_params),
            ("global_data", &self.global_data),
        ];
        match objects
            .iter()
            .find(|(_, v)| v.as_ref().is_some_and(|v| !v.is_object()))
        {
            Some((key, _)) => invalid(format!("the agent's {key} is not a JSON object")),
            None => Ok(()),
        }
    }
}

/// The setters of [`AgentConfig`] on an options type holding one in `config`.
macro_rules! agent_setters {
    () => {
        /// All of the agent's settings at once (one [`AgentConfig`](crate::AgentConfig) can
        /// serve `calling.ai` and `calling.amazon_bedrock` alike).
        pub fn config(mut self, config: $crate::calling::ai::AgentConfig) -> Self {
            self.config = config;
            self
        }

        /// What the agent is told (a bare string, or an [`AgentPrompt`](crate::AgentPrompt)
        /// object).
        pub fn prompt(mut self, prompt: impl Into<$crate::calling::ai::AgentPrompt>) -> Self {
            self.config.prompt = Some(prompt.into());
            self
        }

        /// The prompt run after the call.
        pub fn post_prompt(mut self, prompt: impl Into<$crate::calling::ai::AgentPrompt>) -> Self {
            self.config.post_prompt = Some(prompt.into());
            self
        }

        /// Where the post-prompt result is sent.
        pub fn post_prompt_url(mut self, url: impl Into<String>) -> Self {
            self.config.post_prompt_url = Some(url.into());
            self
        }

        /// Functions the agent may call (`SWAIG`), a JSON object.
        pub fn swaig(mut self, swaig: serde_json::Value) -> Self {
            self.config.swaig = Some(swaig);
            self
        }

        /// Agent parameters (`params`), a JSON object.
        pub fn ai_params(mut self, params: serde_json::Value) -> Self {
            self.config.ai_params = Some(params);
            self
        }

        /// Data the agent can read, a JSON object.
        pub fn global_data(mut self, data: serde_json::Value) -> Self {
            self.config.global_data = Some(data);
            self
        }
    };
}
pub(crate) use agent_setters;

/// Options of `calling.ai`; every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AiOptions {
    /// The id of an agent stored at SignalWire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Prompts, functions, parameters and data.
    #[serde(flatten)]
    pub config: AgentConfig,
    /// Basic-auth user for `post_prompt_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt_auth_user: Option<String>,
    /// Basic-auth password for `post_prompt_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_prompt_auth_password: Option<String>,
    /// Pronunciation rules (`pronounce`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pronounce: Vec<AiPronounce>,
    /// Words to expect, or rewrites of what was heard (`hints`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<AiHint>,
    /// The languages the agent speaks, with their voices (`languages`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<AiLanguage>,
    /// The control id; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl AiOptions {
    /// Service defaults.
    pub fn new() -> Self {
        Self::default()
    }

    agent_setters!();

    setters! {
        /// A stored agent.
        agent: impl String;
        /// Basic-auth user for `post_prompt_url`.
        post_prompt_auth_user: impl String;
        /// Basic-auth password for `post_prompt_url`.
        post_prompt_auth_password: impl String;
        /// A control id of your own.
        control_id: impl ControlId;
    }

    /// Pronunciation rules.
    pub fn pronounce(mut self, rules: impl IntoIterator<Item = AiPronounce>) -> Self {
        self.pronounce = rules.into_iter().collect();
        self
    }

    /// Words to expect (`"SignalWire"`), or rewrites ([`AiHint::pattern`]).
    pub fn hints(mut self, hints: impl IntoIterator<Item = impl Into<AiHint>>) -> Self {
        self.hints = hints.into_iter().map(Into::into).collect();
        self
    }

    /// The languages the agent speaks.
    pub fn languages(mut self, languages: impl IntoIterator<Item = AiLanguage>) -> Self {
        self.languages = languages.into_iter().collect();
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
        self.config.check()?;
        ai_speech::check(&self.pronounce, &self.hints, &self.languages)
    }
}

/// `calling.ai_message`: a message into the running agent's conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AiMessage {
    /// The text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_text: Option<String>,
    /// `system`, `user` or `assistant`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// What of the conversation to reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset: Option<AiReset>,
    /// Data merged into the agent's global data, a JSON object of your own.
    #[serde(skip_serializing_if = "Option::is_none")]
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

    setters! {
        /// What of the conversation to reset.
        reset: AiReset;
        /// Data merged into the agent's global data.
        global_data: Value;
    }
}

impl CallCommand for AiMessage {
    fn method(&self) -> &'static str {
        "calling.ai_message"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.global_data.as_ref().is_some_and(|d| !d.is_object()) {
            return invalid("ai_message global_data is not a JSON object");
        }
        Ok(())
    }
}

/// The `reset` of `calling.ai_message`: `{full_reset?, user_prompt?, system_prompt?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AiReset {
    /// Forget the whole conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_reset: Option<bool>,
    /// A new user prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_prompt: Option<String>,
    /// A new system prompt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
}

impl AiReset {
    /// Nothing reset yet.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Forget the whole conversation.
        full_reset: bool;
        /// A new user prompt.
        user_prompt: impl String;
        /// A new system prompt.
        system_prompt: impl String;
    }
}

/// `calling.ai_hold`: the caller waits with the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AiHold {
    /// How long (whole seconds, a string on the wire as the server schema and the SDKs
    /// send it).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs_text")]
    pub timeout: Option<Duration>,
    /// What the agent says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

impl AiHold {
    /// The service's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// How long.
        timeout: Duration;
        /// What the agent says.
        prompt: impl String;
    }
}

impl CallCommand for AiHold {
    fn method(&self) -> &'static str {
        "calling.ai_hold"
    }
}

/// `calling.ai_unhold`: the caller is back with the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AiUnhold {
    /// What the agent says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

impl AiUnhold {
    /// The service's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// What the agent says.
        prompt: impl String;
    }
}

impl CallCommand for AiUnhold {
    fn method(&self) -> &'static str {
        "calling.ai_unhold"
    }
}

/// How `calling.ai` runs: it ends on `finished` or `error`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("ai", TerminalRule::states(&["finished", "error"]))
}
