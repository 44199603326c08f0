//! What the simulated far end does during call actions: the keys it presses, what it says,
//! who (or what) answers, its fax machine, the recording it leaves and the payment it makes.
//!
//! Set it with [`SimConfig::caller`](super::SimConfig::caller), or change it between actions
//! with [`FakeRelay::caller_mut`](super::FakeRelay::caller_mut). Every time is virtual.

use serde_json::{Map, Value};
use std::time::Duration;

/// The far end's behaviour, read when an action needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerScript {
    /// What the caller answers to `calling.collect` and `calling.play_and_collect`, and the
    /// keys a digit detector hears (default: presses `1#`).
    pub input: CallerInput,
    /// How long after it may answer the caller does so: from the start of a standalone
    /// collect or a detect, from the end of the prompt of a play_and_collect (default 1 s).
    pub input_delay: Duration,
    /// Who answers, as a machine detector sees it (default a human).
    pub answered_by: AnsweredBy,
    /// How long a machine's greeting plays before it is ready for a message (default 3 s).
    pub greeting: Duration,
    /// The tone a fax detector hears; `None` for none (default `CED`).
    pub fax_tone: Option<FaxTone>,
    /// How long a detector takes to decide (default 1 s).
    pub detect_delay: Duration,
    /// Whether the detector fails (a `detect` `error` event at `detect_delay`).
    pub detect_error: bool,
    /// The recording a `calling.record` makes.
    pub recording: RecordingScript,
    /// The far end's fax machine, for `send_fax` and `receive_fax`.
    pub fax: FaxScript,
    /// The payment the caller makes during `calling.pay`.
    pub pay: PayScript,
    /// The caller of an inbound call hangs up this long after the call is answered
    /// (default `None`: never, the app ends the call).
    pub hangup_after: Option<Duration>,
}

/// What a dialed number does when a `calling.dial` or `calling.connect` rings it (set per
/// number with [`SimConfig::dialed`](super::SimConfig::dialed)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialed {
    /// Answers at once and stays (the default for any number).
    Answer,
    /// Ends `busy` at once.
    Busy,
    /// Rings for the device's `timeout` (30 s when unset), then ends `noAnswer`.
    NoAnswer,
    /// Answers at once, then hangs up this long after answering.
    HangUpAfter(Duration),
}

impl std::str::FromStr for Dialed {
    type Err = String;

    /// `answer`, `busy`, `no-answer` or `hangup:SECS`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "answer" => Ok(Dialed::Answer),
            "busy" => Ok(Dialed::Busy),
            "no-answer" | "noanswer" => Ok(Dialed::NoAnswer),
            other => {
                let secs = other
                    .strip_prefix("hangup:")
                    .and_then(|s| s.parse::<f64>().ok())
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| {
                        format!("{other:?}: expected answer, busy, no-answer or hangup:SECS")
                    })?;
                Ok(Dialed::HangUpAfter(secs))
            }
        }
    }
}

impl Default for CallerScript {
    fn default() -> Self {
        Self {
            input: CallerInput::Digits("1#".into()),
            input_delay: Duration::from_secs(1),
            answered_by: AnsweredBy::Human,
            greeting: Duration::from_secs(3),
            fax_tone: Some(FaxTone::Ced),
            detect_delay: Duration::from_secs(1),
            detect_error: false,
            recording: RecordingScript::default(),
            fax: FaxScript::default(),
            pay: PayScript::default(),
            hangup_after: None,
        }
    }
}

/// What the caller does when the service listens for input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CallerInput {
    /// Presses these keys, in order (`0-9`, `#`, `*`). A key among the collect's
    /// `terminators` ends the input; `max` keys end it too; fewer keys end it after the
    /// `digit_timeout`. A collect with no `digits` ignores them.
    Digits(String),
    /// Says this; a collect with no `speech` ignores it.
    Speech {
        /// The words recognised.
        text: String,
        /// The recogniser's confidence, 0 to 100.
        confidence: f64,
    },
    /// Says nothing: the collect ends with `no_input` when its initial timer runs out.
    Silence,
    /// Says something the recogniser cannot match: `no_match`.
    NoMatch,
    /// The recogniser fails: an `error` result.
    Error,
}

impl CallerInput {
    /// Speech with this text, at confidence 90.
    pub fn speech(text: impl Into<String>) -> Self {
        CallerInput::Speech {
            text: text.into(),
            confidence: 90.0,
        }
    }
}

/// Who picks up, for `calling.detect` of type `machine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnsweredBy {
    /// A person: `HUMAN`.
    Human,
    /// An answering machine: `MACHINE`, `NOT_READY` while its greeting plays, then `READY`
    /// (with `beep: true` when `beep`).
    Machine {
        /// Whether the greeting ends with a beep.
        beep: bool,
    },
    /// The detector cannot tell: `UNKNOWN`.
    Unknown,
}

/// A fax tone: `CED` (the answering fax) or `CNG` (the calling fax).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaxTone {
    /// Called station identification.
    Ced,
    /// Calling tone.
    Cng,
}

impl FaxTone {
    pub(super) fn wire(self) -> &'static str {
        match self {
            FaxTone::Ced => "CED",
            FaxTone::Cng => "CNG",
        }
    }
}

/// The recording `calling.record` produces when it runs to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingScript {
    /// How long the caller speaks before the recording finishes (default 3 s). A stop or a
    /// call end before that finishes it with the time recorded so far.
    pub duration: Duration,
    /// The size in bytes of the whole recording (default 48,000); scaled down when it is cut
    /// short.
    pub size: u64,
    /// The url of the file; by default `https://files.sim.example/recordings/<control_id>.<format>`.
    pub url: Option<String>,
    /// The caller says nothing: `no_input` after the `initial_timeout` (default 5 s).
    pub no_input: bool,
}

impl Default for RecordingScript {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(3),
            size: 48_000,
            url: None,
            no_input: false,
        }
    }
}

/// The far end of a fax.
#[derive(Debug, Clone, PartialEq)]
pub struct FaxScript {
    /// Pages the document has (default 1).
    pub pages: u32,
    /// How long each page takes (default 2 s).
    pub page_duration: Duration,
    /// Whether the transfer succeeds (default `true`); a failure ends with `fax.type`
    /// `error` after the pages.
    pub success: bool,
    /// The far machine's identity (default `+15550001111`).
    pub remote_identity: String,
}

impl Default for FaxScript {
    fn default() -> Self {
        Self {
            pages: 1,
            page_duration: Duration::from_secs(2),
            success: true,
            remote_identity: "+15550001111".into(),
        }
    }
}

/// The payment made during `calling.pay`.
#[derive(Debug, Clone, PartialEq)]
pub struct PayScript {
    /// How long the caller takes to enter the card (default 5 s).
    pub duration: Duration,
    /// Whether the payment fails: the action ends with `state` `error`.
    pub error: bool,
    /// Extra fields of the final `calling.call.pay` event (default
    /// `{"payment_result": "success"}`; the service's fields are not documented).
    pub fields: Map<String, Value>,
}

impl Default for PayScript {
    fn default() -> Self {
        let mut fields = Map::new();
        fields.insert("payment_result".into(), Value::from("success"));
        Self {
            duration: Duration::from_secs(5),
            error: false,
            fields,
        }
    }
}
