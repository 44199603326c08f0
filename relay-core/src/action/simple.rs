//! Small actions: `calling.transcribe` (§1.9) and `calling.send_digits` (§1.10, an action
//! ending on `finished`, as the older Python SDK had it), and the `calling.echo` command
//! (§1.12).

use super::params::{check_status_url, status_url_options, Params};
use super::result::{count, field, number, outcome_result, text};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde_json::{Map, Value};
use std::time::Duration;

status_url_options!(
    /// Options of `calling.transcribe`.
    TranscribeOptions => Transcribe
);

outcome_result!(
    /// How a transcription ended.
    TranscribeResult {
        /// Where the transcription is.
        url: Option<String> = |o| text(field(o, "transcribe", "url")),
        /// The recording it was made from.
        recording_id: Option<String> = |o| text(field(o, "transcribe", "recording_id")),
        /// Length in seconds.
        duration: Option<f64> = |o| number(field(o, "transcribe", "duration")),
        /// Size in bytes.
        size: Option<u64> = |o| count(field(o, "transcribe", "size")),
    }
);

/// `calling.send_digits`: DTMF into the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendDigitsOptions {
    /// `0-9 # * A-D`, `w` a half-second pause, `W` a one-second pause.
    pub digits: String,
    /// The control id; generated when unset.
    pub control_id: Option<ControlId>,
}

impl SendDigitsOptions {
    /// Sends `digits`.
    pub fn new(digits: impl Into<String>) -> Self {
        Self {
            digits: digits.into(),
            control_id: None,
        }
    }

    /// A control id of your own.
    pub fn control_id(mut self, id: impl Into<ControlId>) -> Self {
        self.control_id = Some(id.into());
        self
    }
}

impl ActionRequest for SendDigitsOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::SendDigits
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn to_params(&self) -> Result<Map<String, Value>, CommandError> {
        let valid = |c: char| c.is_ascii_digit() || "#*ABCDwW".contains(c);
        if self.digits.is_empty() || !self.digits.chars().all(valid) {
            return Err(CommandError::InvalidOption(format!(
                "digits {:?} are not DTMF (0-9 # * A-D w W)",
                self.digits
            )));
        }
        Ok(Params::new().set("digits", self.digits.as_str()).done())
    }
}

/// `calling.echo`: the caller hears themselves (a command, not an action).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EchoOptions {
    /// How long; until the call ends when unset or zero.
    pub timeout: Option<Duration>,
    /// HTTP(S) URL for status webhooks.
    pub status_url: Option<String>,
}

impl EchoOptions {
    /// Until the call ends.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// The `calling.echo` params (without ids).
    pub fn to_params(&self) -> Result<Map<String, Value>, CommandError> {
        check_status_url(&self.status_url)?;
        Ok(Params::new()
            .secs("timeout", self.timeout)
            .opt("status_url", &self.status_url)
            .done())
    }
}
