//! `calling.live_transcribe` / `calling.live_translate` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the `action` object has exactly
//! one key, `start`, `stop`, `summarize` or (translate only) `inject`.

use super::params::{check_status_url, setters};
use super::{invalid, CallCommand};
use crate::error::CommandError;
use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::{Map, Value};

/// The one thing a live transcription or translation is asked to do. Its settings are JSON
/// objects of your own, not a typed struct, because SignalWire's texts disagree on their
/// keys: the RELAY call-methods guide shows `{start: {language}}` and `{start: {source,
/// target}}` (what [`LiveAction::start_transcription`] and
/// [`LiveAction::start_translation`] write), while SignalWire's REST calling docs and SWML
/// schema for the same actions name `lang`, `from_lang`/`to_lang`, `webhook`, `direction`,
/// … (`docs/CALLING-API.md` [§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 26). Typing either set would guess.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LiveAction {
    /// `{start: {…}}`: its settings (`language`, or `source`/`target` for a translation…).
    Start(Map<String, Value>),
    /// `{stop: {}}`.
    Stop,
    /// `{summarize: {…}}`: its settings (may be empty).
    Summarize(Map<String, Value>),
    /// `{inject: {…}}` (translation only): a message into the translation.
    Inject(Map<String, Value>),
}

impl LiveAction {
    /// Starts a transcription in `language` (`en-US`).
    pub fn start_transcription(language: impl Into<String>) -> Self {
        let mut settings = Map::new();
        settings.insert("language".into(), Value::String(language.into()));
        LiveAction::Start(settings)
    }

    /// Starts a translation from `source` to `target` (`en-US` → `es`).
    pub fn start_translation(source: impl Into<String>, target: impl Into<String>) -> Self {
        let mut settings = Map::new();
        settings.insert("source".into(), Value::String(source.into()));
        settings.insert("target".into(), Value::String(target.into()));
        LiveAction::Start(settings)
    }

    /// The key of its one-key object.
    pub fn key(&self) -> &'static str {
        match self {
            LiveAction::Start(_) => "start",
            LiveAction::Stop => "stop",
            LiveAction::Summarize(_) => "summarize",
            LiveAction::Inject(_) => "inject",
        }
    }
}

/// The `action` object: `{<key>: {settings}}`, one key.
impl Serialize for LiveAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Empty {}
        let mut map = s.serialize_map(Some(1))?;
        match self {
            LiveAction::Stop => map.serialize_entry(self.key(), &Empty {})?,
            LiveAction::Start(m) | LiveAction::Summarize(m) | LiveAction::Inject(m) => {
                map.serialize_entry(self.key(), m)?
            }
        }
        map.end()
    }
}

/// `calling.live_transcribe`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LiveTranscribe {
    /// Start, stop or summarize (`inject` is refused: only translations take it).
    pub action: LiveAction,
}

impl LiveTranscribe {
    /// Does `action`.
    pub fn new(action: LiveAction) -> Self {
        Self { action }
    }
}

impl CallCommand for LiveTranscribe {
    fn method(&self) -> &'static str {
        "calling.live_transcribe"
    }

    fn check(&self) -> Result<(), CommandError> {
        if let LiveAction::Inject(_) = self.action {
            return invalid("live_transcribe has no inject action");
        }
        Ok(())
    }
}

/// `calling.live_translate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LiveTranslate {
    /// Start, stop, summarize or inject.
    pub action: LiveAction,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
}

impl LiveTranslate {
    /// Does `action`.
    pub fn new(action: LiveAction) -> Self {
        Self {
            action,
            status_url: None,
        }
    }

    setters! {
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
    }
}

impl CallCommand for LiveTranslate {
    fn method(&self) -> &'static str {
        "calling.live_translate"
    }

    fn check(&self) -> Result<(), CommandError> {
        if let LiveAction::Inject(message) = &self.action {
            if message.is_empty() {
                return invalid("inject has nothing to inject");
            }
        }
        check_status_url(&self.status_url)
    }
}
