//! `calling.record` ([§1.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): audio recording options, and the result (url, duration, size).

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, secs};
use super::result::{outcome_result, Fields, Nest};
use super::{ActionKind, ActionRequest, MediaDirection};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// The file format of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordFormat {
    /// MP3 (the service's default).
    Mp3,
    /// WAV.
    Wav,
}

impl Serialize for RecordFormat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            RecordFormat::Mp3 => "mp3",
            RecordFormat::Wav => "wav",
        })
    }
}

impl From<RecordFormat> for Value {
    fn from(format: RecordFormat) -> Self {
        match format {
            RecordFormat::Mp3 => "mp3".into(),
            RecordFormat::Wav => "wav".into(),
        }
    }
}

/// Options of `calling.record`; every one left unset stays off the wire.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct RecordOptions {
    /// Beep before recording.
    pub beep: Option<bool>,
    /// mp3 or wav.
    pub format: Option<RecordFormat>,
    /// Each side on its own channel.
    pub stereo: Option<bool>,
    /// Which side to record; `speak` (the caller) when unset.
    pub direction: Option<MediaDirection>,
    /// Silence allowed before anything is heard; zero disables.
    pub initial_timeout: Option<Duration>,
    /// Silence that ends the recording; zero disables.
    pub end_silence_timeout: Option<Duration>,
    /// DTMF digits that stop the recording (`#*` when unset).
    pub terminators: Option<String>,
    /// Sensitivity to sound, 0–100.
    pub input_sensitivity: Option<u8>,
    /// HTTP(S) URL for status webhooks.
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    pub control_id: Option<ControlId>,
}

impl RecordOptions {
    /// Service defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Beep before recording.
    pub fn beep(mut self, beep: bool) -> Self {
        self.beep = Some(beep);
        self
    }

    /// mp3 or wav.
    pub fn format(mut self, format: RecordFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Each side on its own channel.
    pub fn stereo(mut self, stereo: bool) -> Self {
        self.stereo = Some(stereo);
        self
    }

    /// Which side to record.
    pub fn direction(mut self, direction: MediaDirection) -> Self {
        self.direction = Some(direction);
        self
    }

    /// Silence allowed before anything is heard.
    pub fn initial_timeout(mut self, timeout: Duration) -> Self {
        self.initial_timeout = Some(timeout);
        self
    }

    /// Silence that ends the recording.
    pub fn end_silence_timeout(mut self, timeout: Duration) -> Self {
        self.end_silence_timeout = Some(timeout);
        self
    }

    /// DTMF digits that stop the recording.
    pub fn terminators(mut self, digits: impl Into<String>) -> Self {
        self.terminators = Some(digits.into());
        self
    }

    /// Sensitivity to sound, 0–100.
    pub fn input_sensitivity(mut self, value: u8) -> Self {
        self.input_sensitivity = Some(value);
        self
    }

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
    }

    /// A control id of your own.
    pub fn control_id(mut self, id: impl Into<ControlId>) -> Self {
        self.control_id = Some(id.into());
        self
    }
}

impl ActionRequest for RecordOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Record
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_status_url(&self.status_url)?;
        if self.input_sensitivity.is_some_and(|s| s > 100) {
            return Err(CommandError::InvalidOption(
                "input_sensitivity is above 100".into(),
            ));
        }
        if let Some(t) = &self.terminators {
            if !t
                .chars()
                .all(|c| c.is_ascii_digit() || c == '#' || c == '*')
            {
                return Err(CommandError::InvalidOption(format!(
                    "terminators {t:?} are not DTMF digits"
                )));
            }
        }
        Ok(())
    }
}

/// The wire form: the audio options nested in `record.audio`, then the status url.
impl Serialize for RecordOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Audio<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            beep: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            format: Option<RecordFormat>,
            #[serde(skip_serializing_if = "Option::is_none")]
            stereo: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            direction: Option<MediaDirection>,
            #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
            initial_timeout: Option<Duration>,
            #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
            end_silence_timeout: Option<Duration>,
            #[serde(skip_serializing_if = "Option::is_none")]
            terminators: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            input_sensitivity: Option<u8>,
        }
        #[derive(Serialize)]
        struct Record<'a> {
            audio: Audio<'a>,
        }
        #[derive(Serialize)]
        struct Wire<'a> {
            record: Record<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            status_url: Option<&'a str>,
        }
        Wire {
            record: Record {
                audio: Audio {
                    beep: self.beep,
                    format: self.format,
                    stereo: self.stereo,
                    direction: self.direction,
                    initial_timeout: self.initial_timeout,
                    end_silence_timeout: self.end_silence_timeout,
                    terminators: self.terminators.as_deref(),
                    input_sensitivity: self.input_sensitivity,
                },
            },
            status_url: self.status_url.as_deref(),
        }
        .serialize(s)
    }
}

/// How to treat the paused span of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PauseBehavior {
    /// Cut it out (the service's default).
    Skip,
    /// Fill it with silence.
    Silence,
}

impl PauseBehavior {
    /// The wire form.
    pub fn as_wire(self) -> &'static str {
        match self {
            PauseBehavior::Skip => "skip",
            PauseBehavior::Silence => "silence",
        }
    }
}

outcome_result!(
    /// How a recording ended: its url, length and size when the service reported them
    /// (read from `record.*` first, then the top level).
    RecordResult reads |o| event = Fields::read(o, Nest::Record); {
        /// Where the recording is.
        url: Option<String> = event.url(),
        /// Its length in seconds.
        duration: Option<f64> = event.duration(),
        /// Its size in bytes.
        size: Option<u64> = event.size(),
    }
);

/// How `calling.record` runs: it ends on `finished` or `no_input`, and can be paused.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("record", TerminalRule::states(&["finished", "no_input"]))
        .control("pause")
        .control("resume")
}
