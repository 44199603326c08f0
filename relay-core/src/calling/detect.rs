//! `calling.detect` ([§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): answering machine, fax tone or digit detection, and the result.
//! `wait_for_beep` is client side: it changes when the action ends, never the wire.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::descriptor::{Judge, Progress, Verdict};
use super::lenient::{Nested, ObjectOr};
use super::params::{
    check_status_url, lenient_bool, lenient_text, secs, serialize_as_wire, setters,
};
use super::result::outcome_result;
use super::ActionState;
use super::{ActionKind, ActionOutcome, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

/// The fax tone to listen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaxTone {
    /// Called terminal: a fax machine answering (the default).
    Ced,
    /// Calling tone: a fax machine calling.
    Cng,
}

impl FaxTone {
    /// The wire form.
    pub fn as_wire(self) -> &'static str {
        match self {
            FaxTone::Ced => "CED",
            FaxTone::Cng => "CNG",
        }
    }
}

serialize_as_wire!(FaxTone);

/// What to detect. Its `Serialize` form is the `{type, params}` wire form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "params", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Detector {
    /// A person or an answering machine. Unset timings are the service's.
    Machine {
        /// Silence allowed before anything is heard.
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
        initial_timeout: Option<Duration>,
        /// Silence that ends a greeting.
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
        end_silence_timeout: Option<Duration>,
        /// Silence after a machine greeting before it counts as ready.
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
        machine_ready_timeout: Option<Duration>,
        /// Speech longer than this is a machine.
        #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
        machine_voice_threshold: Option<Duration>,
        /// More words than this is a machine.
        #[serde(skip_serializing_if = "Option::is_none")]
        machine_words_threshold: Option<u32>,
        /// Report a caller who talks over the greeting.
        #[serde(skip_serializing_if = "Option::is_none")]
        detect_interruptions: Option<bool>,
        /// Report the end of the greeting.
        #[serde(skip_serializing_if = "Option::is_none")]
        detect_message_end: Option<bool>,
    },
    /// A fax tone.
    Fax {
        /// Which tone; CED when unset.
        #[serde(skip_serializing_if = "Option::is_none")]
        tone: Option<FaxTone>,
    },
    /// DTMF digits.
    Digit {
        /// Which digits to listen for; all when unset.
        #[serde(skip_serializing_if = "Option::is_none")]
        digits: Option<String>,
    },
}

impl Detector {
    /// A person or a machine, with the service's timings.
    pub fn machine() -> Self {
        Detector::Machine {
            initial_timeout: None,
            end_silence_timeout: None,
            machine_ready_timeout: None,
            machine_voice_threshold: None,
            machine_words_threshold: None,
            detect_interruptions: None,
            detect_message_end: None,
        }
    }
}

/// Options of `calling.detect`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct DetectOptions {
    /// What to detect.
    #[serde(rename = "detect")]
    pub detector: Detector,
    /// How long to listen (30 s when unset).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub timeout: Option<Duration>,
    /// Machine detection only: after `MACHINE`, end on `READY` (the greeting's end), so
    /// that a message can be left. Never sent.
    #[serde(skip)]
    pub wait_for_beep: bool,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl DetectOptions {
    /// Detects as `detector` says.
    pub fn new(detector: Detector) -> Self {
        Self {
            detector,
            timeout: None,
            wait_for_beep: false,
            status_url: None,
            control_id: None,
        }
    }

    /// End a machine detection on the greeting's end.
    pub fn wait_for_beep(mut self, on: bool) -> Self {
        self.wait_for_beep = on;
        self
    }

    setters! {
        /// How long to listen.
        timeout: Duration;
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
        /// A control id of your own.
        control_id: impl ControlId;
    }
}

impl ActionRequest for DetectOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Detect
    }

    fn descriptor(&self) -> Arc<ActionDescriptor> {
        if self.wait_for_beep && matches!(self.detector, Detector::Machine { .. }) {
            let mut descriptor = ActionKind::Detect.descriptor();
            descriptor.terminal = TerminalRule::Judge(JUDGE_UNTIL_BEEP);
            return Arc::new(descriptor);
        }
        ActionKind::Detect.shared_descriptor()
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_status_url(&self.status_url)?;
        if let Detector::Digit { digits: Some(d) } = &self.detector {
            if d.is_empty()
                || !d
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '#' || c == '*')
            {
                return Err(CommandError::InvalidOption(format!(
                    "digits {d:?} are not DTMF digits"
                )));
            }
        }
        Ok(())
    }
}

/// What a detect found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detection {
    /// A person answered.
    Human,
    /// A machine answered; `beep` as the service reported it.
    Machine {
        /// Whether a beep was heard, when reported.
        beep: Option<bool>,
    },
    /// Could not tell.
    Unknown,
    /// A fax tone.
    Fax(FaxTone),
    /// A DTMF digit.
    Digit(String),
}

impl Detection {
    /// Reads `detect.params.event` (and `beep`) from a `calling.call.detect` event's params;
    /// `None` for progress and end markers. `READY` and `NOT_READY` are a machine's greeting
    /// ending or still playing.
    pub fn from_wire(event: &Payload) -> Option<Self> {
        Self::from_view(&DetectView::read(event.as_str()))
    }

    fn from_view(view: &DetectView<'_>) -> Option<Self> {
        let detect = view.detect()?;
        let params = detect.params()?;
        let what = params.event.as_deref()?;
        Some(match what {
            "HUMAN" => Detection::Human,
            "MACHINE" | "READY" | "NOT_READY" => Detection::Machine { beep: params.beep },
            "UNKNOWN" => Detection::Unknown,
            "CED" => Detection::Fax(FaxTone::Ced),
            "CNG" => Detection::Fax(FaxTone::Cng),
            "finished" | "error" => return None,
            digit if detect.kind.as_deref() == Some("digit") => Detection::Digit(digit.to_owned()),
            _ => return None,
        })
    }
}

fn detection_of(outcome: &ActionOutcome) -> Option<Detection> {
    match outcome {
        ActionOutcome::Finished { event, .. } => Detection::from_wire(event),
        _ => None,
    }
}

outcome_result!(
    /// How a detect ended: what it found, or `None` (stopped, timed out, call over).
    DetectResult {
        /// What was detected.
        detection: Option<Detection> = |o| detection_of(o),
    }
);

/// How `calling.detect` runs (with the default `wait_for_beep: false`).
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("detect", TerminalRule::Judge(JUDGE))
}

/// How a detect ends, its rule handed to the descriptor (with and without waiting for the
/// beep after `MACHINE`).
pub(crate) const JUDGE: Judge = Judge::new("detect", judge);
/// [`JUDGE`] for a machine detector with `wait_for_beep`.
pub(crate) const JUDGE_UNTIL_BEEP: Judge = Judge::new("detect until the beep", judge_until_beep);

fn judge(_: &str, event: &str, state: Option<&str>, progress: &mut Progress) -> Verdict {
    judge_outcome(event, state, false, progress)
}

fn judge_until_beep(_: &str, event: &str, state: Option<&str>, progress: &mut Progress) -> Verdict {
    judge_outcome(event, state, true, progress)
}

/// The members of a `calling.call.detect` event its rule and its result read, from the
/// event's text: `detect.type`, `detect.params.event` and `detect.params.beep`, each absent
/// when of another type.
#[derive(Default, Deserialize)]
struct DetectView<'a> {
    #[serde(borrow, default)]
    detect: Option<ObjectOr<Nested<'a, DetectParams<'a>>>>,
}

#[derive(Deserialize)]
struct DetectParams<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    event: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    beep: Option<bool>,
}

impl<'a> DetectView<'a> {
    /// The view of an event's text; empty when the text is not an object.
    fn read(event: &'a str) -> Self {
        serde_json::from_str(event).unwrap_or_default()
    }

    fn detect(&self) -> Option<&Nested<'a, DetectParams<'a>>> {
        self.detect.as_ref()?.0.as_ref()
    }
}

/// [§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): the outcome lives in `detect.params.event`; without one, the top-level
/// `state` says how it goes.
fn judge_outcome(
    event: &str,
    state: Option<&str>,
    wait_for_beep: bool,
    progress: &mut Progress,
) -> Verdict {
    let view = DetectView::read(event);
    let detect = view.detect();
    let kind = detect.and_then(|d| d.kind.as_deref());
    let Some(what) = detect
        .and_then(|d| d.params())
        .and_then(|p| p.event.as_deref())
        .or(state)
    else {
        return Verdict::Update(ActionState::from_wire(""));
    };
    match what {
        "finished" | "error" => Verdict::End {
            failed: true,
            state: ActionState::from_wire(what),
        },
        "MACHINE" if wait_for_beep => {
            progress.machine_seen = true;
            Verdict::Update(ActionState::from_wire(what))
        }
        "READY" if wait_for_beep && progress.machine_seen => Verdict::End {
            state: ActionState::from_wire(what),
            failed: false,
        },
        "MACHINE" | "HUMAN" | "UNKNOWN" | "CED" | "CNG" => Verdict::End {
            state: ActionState::from_wire(what),
            failed: false,
        },
        _ if kind == Some("digit") => Verdict::End {
            state: ActionState::from_wire(what),
            failed: false,
        },
        _ => Verdict::Update(ActionState::from_wire(what)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detection(text: &str) -> Option<Detection> {
        Detection::from_wire(&Payload::from_json(text).expect("json"))
    }

    /// A kind's own descriptor is the one built once and shared, not one built per action;
    /// `wait_for_beep` on a machine detector gets its own rule.
    #[test]
    fn a_detect_shares_its_kinds_descriptor_unless_it_waits_for_the_beep() {
        let shared = ActionKind::Detect.shared_descriptor();
        let plain = DetectOptions::new(Detector::machine());
        assert!(Arc::ptr_eq(&plain.descriptor(), &shared));
        let digits = DetectOptions::new(Detector::Digit { digits: None }).wait_for_beep(true);
        assert!(Arc::ptr_eq(&digits.descriptor(), &shared));
        let beep = DetectOptions::new(Detector::machine()).wait_for_beep(true);
        let own = beep.descriptor();
        assert!(matches!(own.terminal, TerminalRule::Judge(_)));
        assert_ne!(*own, *shared);
        assert!(Arc::ptr_eq(&ActionKind::Detect.share(own.clone()), &own));
        let equal = Arc::new(ActionKind::Detect.descriptor());
        assert!(Arc::ptr_eq(&ActionKind::Detect.share(equal), &shared));
    }

    #[test]
    fn a_detection_reads_from_the_events_text() {
        let machine = r#"{"detect":{"type":"machine","params":{"event":"MACHINE","beep":true}}}"#;
        assert_eq!(
            detection(machine),
            Some(Detection::Machine { beep: Some(true) })
        );
        let digit = r#"{"detect":{"type":"digit","params":{"event":"5"}}}"#;
        assert_eq!(detection(digit), Some(Detection::Digit("5".into())));
        let tone = r#"{"detect":{"type":"fax","params":{"event":"CED"}},"state":"x"}"#;
        assert_eq!(detection(tone), Some(Detection::Fax(FaxTone::Ced)));
        // A beep of another type is unreported; markers and other shapes are no detection.
        let odd_beep = r#"{"detect":{"type":"machine","params":{"event":"MACHINE","beep":"yes"}}}"#;
        assert_eq!(detection(odd_beep), Some(Detection::Machine { beep: None }));
        for odd in [
            r#"{"detect":{"type":"machine","params":{"event":"finished"}}}"#,
            r#"{"detect":{"type":"digit","params":{"event":7}}}"#,
            r#"{"detect":{"type":"machine","params":[1]}}"#,
            r#"{"detect":"HUMAN"}"#,
            r#"[1,2]"#,
            "null",
        ] {
            assert_eq!(detection(odd), None, "{odd}");
        }
    }
}
