//! `calling.collect` ([§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) and `calling.play_and_collect` ([§1.4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): digit and speech input,
//! the prompt, and the result (digits, speech, no input, no match, error).

use super::descriptor::{ActionDescriptor, Judge, Progress, TerminalRule, Verdict};
use super::params::{check_status_url, check_volume, secs, setters};
use super::params::{lenient_bool, lenient_number, lenient_text};
use super::play::{check_media, PlayMedia};
use super::result::outcome_result;
use super::{ActionKind, ActionOutcome, ActionRequest, ActionState};
use crate::error::CommandError;
use crate::ids::ControlId;
use crate::payload::Payload;
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::time::Duration;

/// Collect DTMF digits; its `Serialize` form is collect's `digits` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DigitsOptions {
    /// Most digits to collect (required by the service, at least 1).
    pub max: u32,
    /// Digits that end the input, e.g. `#`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminators: Option<String>,
    /// Longest pause between digits (5 s when unset).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub digit_timeout: Option<Duration>,
}

impl DigitsOptions {
    /// Up to `max` digits.
    pub fn new(max: u32) -> Self {
        Self {
            max,
            terminators: None,
            digit_timeout: None,
        }
    }

    setters! {
        /// Digits that end the input.
        terminators: impl String;
        /// Longest pause between digits.
        digit_timeout: Duration;
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.max == 0 {
            return Err(CommandError::InvalidOption("digits max is 0".into()));
        }
        Ok(())
    }
}

/// Collect speech; its `Serialize` form is collect's `speech` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SpeechOptions {
    /// Silence that ends the utterance (1 s when unset).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub end_silence_timeout: Option<Duration>,
    /// Longest utterance (60 s when unset).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub speech_timeout: Option<Duration>,
    /// Language, e.g. `en-US`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Words or phrases to expect.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
    /// Recognition engine (`Deepgram`, `Google`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Recognition model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl SpeechOptions {
    /// Service defaults.
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Silence that ends the utterance.
        end_silence_timeout: Duration;
        /// Longest utterance.
        speech_timeout: Duration;
        /// Language, e.g. `en-US`.
        language: impl String;
        /// Recognition engine.
        engine: impl String;
        /// Recognition model.
        model: impl String;
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

/// What to collect and when to give up; used alone (`collect`) or after a prompt
/// (`play_and_collect`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CollectOptions {
    /// Digits to collect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digits: Option<DigitsOptions>,
    /// Speech to collect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speech: Option<SpeechOptions>,
    /// Silence allowed before any input (4 s when unset).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
    pub initial_timeout: Option<Duration>,
    /// Report interim results (`final: false`) as they come.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_results: Option<bool>,
    /// Keep collecting after a result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuous: Option<bool>,
    /// Report `start_of_input` when the caller starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_start_of_input: Option<bool>,
    /// Start the input timers at once; when false they start on
    /// `start_input_timers` (standalone collect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_input_timers: Option<bool>,
    /// HTTP(S) URL for status webhooks (standalone collect only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
    /// The control id; generated when unset (standalone collect only).
    #[serde(skip)]
    pub control_id: Option<ControlId>,
}

impl CollectOptions {
    /// Collect digits.
    pub fn digits(digits: DigitsOptions) -> Self {
        Self {
            digits: Some(digits),
            ..Self::default()
        }
    }

    /// Collect speech.
    pub fn speech(speech: SpeechOptions) -> Self {
        Self {
            speech: Some(speech),
            ..Self::default()
        }
    }

    /// Also collect speech.
    pub fn and_speech(mut self, speech: SpeechOptions) -> Self {
        self.speech = Some(speech);
        self
    }

    /// Also collect digits.
    pub fn and_digits(mut self, digits: DigitsOptions) -> Self {
        self.digits = Some(digits);
        self
    }

    setters! {
        /// Silence allowed before any input.
        initial_timeout: Duration;
        /// Report interim results.
        partial_results: bool;
        /// Keep collecting after a result.
        continuous: bool;
        /// Report `start_of_input`.
        send_start_of_input: bool;
        /// Start the input timers at once (or later with `start_input_timers`).
        start_input_timers: bool;
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
        /// A control id of your own.
        control_id: impl ControlId;
    }

    /// `digits` and `speech`: at least one, each valid (what both methods check).
    fn check_inputs(&self) -> Result<(), CommandError> {
        if self.digits.is_none() && self.speech.is_none() {
            return Err(CommandError::InvalidOption(
                "collect needs digits or speech".into(),
            ));
        }
        self.digits.as_ref().map_or(Ok(()), DigitsOptions::check)
    }
}

impl ActionRequest for CollectOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::Collect
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_status_url(&self.status_url)?;
        self.check_inputs()
    }
}

/// Options of `calling.play_and_collect`: a prompt, then input.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PromptOptions {
    /// The prompt.
    pub media: Vec<PlayMedia>,
    /// What to collect: `digits`, `speech`, `initial_timeout` and `partial_results`, sent
    /// inside `collect`. Its other options are refused (`CommandError::InvalidOption`):
    /// `calling.play_and_collect` has no place for them.
    pub collect: CollectOptions,
    /// Gain of the prompt in dB, -40…+40.
    pub volume: Option<f64>,
    /// HTTP(S) URL for status webhooks.
    pub status_url: Option<String>,
    /// The control id; generated when unset.
    pub control_id: Option<ControlId>,
}

impl PromptOptions {
    /// Plays `media`, then collects as `collect` says.
    pub fn new(media: impl IntoIterator<Item = PlayMedia>, collect: CollectOptions) -> Self {
        Self {
            media: media.into_iter().collect(),
            collect,
            ..Self::default()
        }
    }

    setters! {
        /// Gain of the prompt in dB.
        volume: f64;
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
        /// A control id of your own.
        control_id: impl ControlId;
    }
}

impl ActionRequest for PromptOptions {
    fn kind(&self) -> ActionKind {
        ActionKind::PlayAndCollect
    }

    fn control_id(&self) -> Option<&ControlId> {
        self.control_id.as_ref()
    }

    fn check(&self) -> Result<(), CommandError> {
        check_media(&self.media)?;
        check_volume(self.volume)?;
        check_status_url(&self.status_url)?;
        // `calling.play_and_collect`'s `collect` object carries only these four (§1.4): an
        // option set on the collect that the prompt cannot send is refused, never dropped.
        let c = &self.collect;
        let unsendable = [
            ("continuous", c.continuous.is_some()),
            ("send_start_of_input", c.send_start_of_input.is_some()),
            ("start_input_timers", c.start_input_timers.is_some()),
            (
                "status_url (use PromptOptions::status_url)",
                c.status_url.is_some(),
            ),
            (
                "control_id (use PromptOptions::control_id)",
                c.control_id.is_some(),
            ),
        ];
        if let Some((name, _)) = unsendable.iter().find(|(_, set)| *set) {
            return Err(CommandError::InvalidOption(format!(
                "a prompt's collect cannot carry {name}: play_and_collect has no such option"
            )));
        }
        self.collect.check_inputs()
    }
}

/// The wire form: the play list and its volume, the `collect` object with the four
/// options it carries (§1.4), then the status url.
impl Serialize for PromptOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Collect<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            digits: Option<&'a DigitsOptions>,
            #[serde(skip_serializing_if = "Option::is_none")]
            speech: Option<&'a SpeechOptions>,
            #[serde(skip_serializing_if = "Option::is_none", serialize_with = "secs")]
            initial_timeout: Option<Duration>,
            #[serde(skip_serializing_if = "Option::is_none")]
            partial_results: Option<bool>,
        }
        #[derive(Serialize)]
        struct Wire<'a> {
            play: &'a [PlayMedia],
            #[serde(skip_serializing_if = "Option::is_none")]
            volume: Option<f64>,
            collect: Collect<'a>,
            #[serde(skip_serializing_if = "Option::is_none")]
            status_url: Option<&'a str>,
        }
        let c = &self.collect;
        Wire {
            play: &self.media,
            volume: self.volume,
            collect: Collect {
                digits: c.digits.as_ref(),
                speech: c.speech.as_ref(),
                initial_timeout: c.initial_timeout,
                partial_results: c.partial_results,
            },
            status_url: self.status_url.as_deref(),
        }
        .serialize(s)
    }
}

/// What a collect heard.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CollectInput {
    /// DTMF digits.
    Digits {
        /// The digits pressed.
        digits: String,
        /// The terminator pressed, if any.
        terminator: Option<String>,
    },
    /// Speech.
    Speech {
        /// What was said.
        text: String,
        /// How sure the recognizer is, 0 to 100 as the service sends it (e.g. `83.2`), the
        /// scale of the simulator's `CallerInput::speech` too.
        confidence: Option<f64>,
    },
    /// Nothing before the time-out.
    NoInput,
    /// Input that matched nothing.
    NoMatch,
    /// The collect failed.
    Error,
    /// The caller started (only with `send_start_of_input`).
    StartOfInput,
    /// A result type this library does not know, verbatim.
    Other(String),
}

impl CollectInput {
    /// Reads a `result` object (`{type, params}`) from its JSON text. `None` when it has no
    /// type, or when it is malformed: a `digit` result whose `digits` (or a `speech` one
    /// whose `text`) is not a string, which must never pass for a success with empty input.
    pub fn from_wire(result: &Payload) -> Option<Self> {
        result.parse::<CollectResultView<'_>>().ok()?.input()
    }
}

/// One `calling.call.collect` event, borrowed: the only reading of collect's JSON, used to
/// judge its end, to type it as a call event and to read the result of a finished collect.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CollectEvent<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_result")]
    result: Option<CollectResultView<'a>>,
    #[serde(rename = "final", default, deserialize_with = "lenient_bool")]
    is_final: Option<bool>,
}

/// The `result` object: `{type, params: {digits, terminator, text, confidence}}`.
#[derive(Debug, Default, Deserialize)]
struct CollectResultView<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "lenient_text")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_params")]
    params: ResultParams<'a>,
}

#[derive(Debug, Default, Deserialize)]
struct ResultParams<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    digits: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    terminator: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    text: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_number")]
    confidence: Option<f64>,
}

/// A `result` or its `params` of the wrong type read as absent, as before the views.
fn lenient_result<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<CollectResultView<'de>>, D::Error> {
    Ok(Option::<CollectResultView<'de>>::deserialize(d).unwrap_or(None))
}

fn lenient_params<'de, D: Deserializer<'de>>(d: D) -> Result<ResultParams<'de>, D::Error> {
    Ok(ResultParams::deserialize(d).unwrap_or_default())
}

impl CollectResultView<'_> {
    fn input(&self) -> Option<CollectInput> {
        let text = |v: &Option<Cow<'_, str>>| v.as_deref().map(str::to_owned);
        let params = &self.params;
        Some(match self.kind.as_deref()? {
            "digit" => CollectInput::Digits {
                digits: text(&params.digits)?,
                terminator: text(&params.terminator).filter(|t| !t.is_empty()),
            },
            "speech" => CollectInput::Speech {
                text: text(&params.text)?,
                confidence: params.confidence,
            },
            "no_input" => CollectInput::NoInput,
            "no_match" => CollectInput::NoMatch,
            "error" => CollectInput::Error,
            "start_of_input" => CollectInput::StartOfInput,
            other => CollectInput::Other(other.to_owned()),
        })
    }
}

impl<'a> CollectEvent<'a> {
    /// Reads an event's params from their JSON text, borrowing from it; what cannot be read
    /// is absent, never an error.
    pub(crate) fn read_str(event: &'a str) -> Self {
        serde_json::from_str(event).unwrap_or_default()
    }

    /// What its `result` says was heard.
    pub(crate) fn input(&self) -> Option<CollectInput> {
        self.result.as_ref()?.input()
    }

    /// `false` only on an interim (`final: false`) result.
    pub(crate) fn is_final(&self) -> bool {
        self.is_final != Some(false)
    }

    /// What a collect that ended on this event heard: its result, or its terminal state.
    fn outcome_input(&self) -> Option<CollectInput> {
        match &self.result {
            Some(result) => result.input(),
            None => match self.state.as_deref()? {
                "no_input" => Some(CollectInput::NoInput),
                "no_match" => Some(CollectInput::NoMatch),
                "error" => Some(CollectInput::Error),
                _ => None,
            },
        }
    }

    /// [§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)/[§1.4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): a final `result` ends it (`start_of_input` and interim results do not),
    /// or a terminal `state` without a result.
    fn verdict(&self) -> Verdict {
        let state = self.state.as_deref();
        let result_type = self.result.as_ref().and_then(|r| r.kind.as_deref());
        match result_type {
            Some("start_of_input") => Verdict::Update(ActionState::StartOfInput),
            Some(_) if !self.is_final() => Verdict::Update(ActionState::Partial),
            // A final result that cannot be read (digits or text that are not a string) ends
            // the collect as a failure carrying the raw event: no source says a valid one
            // may follow it.
            Some(_) if self.input().is_none() => Verdict::End {
                state: ActionState::Error,
                failed: true,
            },
            Some(kind) => Verdict::End {
                state: match kind {
                    "digit" | "speech" => ActionState::Finished,
                    other => ActionState::from_wire(other),
                },
                failed: kind == "error",
            },
            None => match state {
                Some(s @ ("finished" | "error" | "no_input" | "no_match")) => Verdict::End {
                    state: ActionState::from_wire(s),
                    failed: s == "error",
                },
                _ => Verdict::Update(ActionState::from_wire(state.unwrap_or("collecting"))),
            },
        }
    }
}

/// Judges one event routed to a collect or a prompt (`event` is its JSON text, `state` its
/// top-level `state`): only `calling.call.collect` can end it; a play event is the
/// prompt's progress.
fn judge(event_type: &str, event: &str, state: Option<&str>, _: &mut Progress) -> Verdict {
    if event_type != "calling.call.collect" {
        return Verdict::Update(ActionState::from_wire(state.unwrap_or("prompting")));
    }
    CollectEvent::read_str(event).verdict()
}

/// How a collect (or a prompt) ends, its rule handed to the descriptor.
pub(crate) const JUDGE: Judge = Judge::new("collect", judge);

/// How `calling.collect` runs: it ends on a final result; its input timers can be started.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("collect", TerminalRule::Judge(JUDGE)).control("start_input_timers")
}

/// How `calling.play_and_collect` runs: it hears the prompt's play events and the collect's
/// on one control id, and ends as a collect does.
pub(crate) fn prompt_descriptor() -> ActionDescriptor {
    let mut d =
        ActionDescriptor::simple("play_and_collect", TerminalRule::Judge(JUDGE)).control("volume");
    d.control_methods
        .push("calling.collect.start_input_timers".into());
    d.event_types = vec!["calling.call.collect".into(), "calling.call.play".into()];
    d
}

fn input_of(outcome: &ActionOutcome) -> Option<CollectInput> {
    CollectEvent::read_str(outcome.event()?.as_str()).outcome_input()
}

outcome_result!(
    /// How a collect (or a prompt) ended: what it heard, if it ended on a result.
    CollectResult {
        /// What it heard; `None` when it was stopped before a result, or the call ended.
        input: Option<CollectInput> = |o| input_of(o),
    }
);

impl CollectResult {
    /// The digits collected, if digits were.
    pub fn digits(&self) -> Option<&str> {
        match &self.input {
            Some(CollectInput::Digits { digits, .. }) => Some(digits),
            _ => None,
        }
    }

    /// The speech recognized, if speech was.
    pub fn speech(&self) -> Option<&str> {
        match &self.input {
            Some(CollectInput::Speech { text, .. }) => Some(text),
            _ => None,
        }
    }
}

#[cfg(test)]
mod view_tests {
    use super::*;
    use crate::calling::event::CallEvent;
    use crate::calling::result::ActionResult;
    use crate::calling::ActionState;
    use serde_json::json;

    /// The verdict, the call event and the result all come from one reading.
    #[test]
    fn one_reading_of_a_collect_event_serves_judge_event_and_result() {
        let event = json!({"control_id": "c", "final": true,
            "result": {"type": "speech", "params": {"text": "yes", "confidence": "0.5"}}});
        let descriptor = descriptor();
        let event = crate::Payload::from_value(&event);
        let verdict = descriptor.judge(
            "calling.call.collect",
            event.as_str(),
            &mut Default::default(),
        );
        assert_eq!(
            verdict,
            Verdict::End {
                state: ActionState::Finished,
                failed: false
            }
        );
        let speech = CollectInput::Speech {
            text: "yes".into(),
            confidence: Some(0.5),
        };
        let CallEvent::Collect {
            input, is_final, ..
        } = CallEvent::from_wire("calling.call.collect", event.clone())
        else {
            panic!("not a collect event");
        };
        assert_eq!((input.as_ref(), is_final), (Some(&speech), true));
        let outcome = ActionOutcome::from_end(ActionState::Finished, false, event);
        assert_eq!(
            CollectResult::from_outcome(outcome).input,
            Some(speech.clone())
        );
        // The public reader of a `result` object reads it the same way, from its text.
        let result = r#"{"type":"speech","params":{"text":"yes","confidence":"0.5"}}"#;
        let read = |text: &str| CollectInput::from_wire(&crate::Payload::from_json(text).unwrap());
        assert_eq!(read(result), Some(speech));
        assert_eq!(read(r#"{"type":"digit","params":{"digits":5}}"#), None);
        assert_eq!(read("[1]"), None);
    }

    #[test]
    fn odd_members_read_as_absent() {
        let event = json!({"state": 5, "final": "no", "result": "digit"});
        let event = event.to_string();
        let view = CollectEvent::read_str(&event);
        assert_eq!((view.input(), view.is_final()), (None, true));
        let interim = json!({"final": false, "result": {"type": "digit", "params": []}});
        assert_eq!(
            CollectEvent::read_str(&interim.to_string()).verdict(),
            Verdict::Update(ActionState::Partial)
        );
    }
}
