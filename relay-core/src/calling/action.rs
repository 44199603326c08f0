//! What every call action shares: the request trait its options implement, its kind, the
//! states it reports and how it ended. Each family's own module says how it runs.

use super::descriptor::ActionDescriptor;
use super::lenient::ObjectOr;
use super::params::lenient_text;
use crate::error::{CommandError, RequestError};
use crate::ids::ControlId;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// The typed options of one action: what starts it and how it runs. Its `Serialize` form
/// is the start params without `control_id`, `node_id` and `call_id` (only the options that
/// are set); the engine writes it straight into the request frame after [`check`].
///
/// [`check`]: ActionRequest::check
pub trait ActionRequest: Serialize {
    /// The kind it starts.
    fn kind(&self) -> ActionKind;

    /// How it runs; the kind's own descriptor unless an option changes it (detect's
    /// `wait_for_beep`). Shared: a built-in kind's own descriptor is built once per process
    /// ([`ActionKind::shared_descriptor`]), not once per action started.
    fn descriptor(&self) -> Arc<ActionDescriptor> {
        self.kind().shared_descriptor()
    }

    /// The control id to use; one is generated when `None`.
    fn control_id(&self) -> Option<&ControlId>;

    /// Refuses options the service would refuse; nothing is sent then.
    fn check(&self) -> Result<(), CommandError> {
        Ok(())
    }
}

/// What kind of action runs under a control id. The kind is fixed by the method that
/// started it; [`ActionKind::descriptor`] says how it runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActionKind {
    /// `calling.stream`: call audio to a WebSocket.
    Stream,
    /// `calling.play`: media played into the call.
    Play,
    /// `calling.record`.
    Record,
    /// `calling.tap`.
    Tap,
    /// `calling.collect`: digits or speech, no prompt.
    Collect,
    /// `calling.play_and_collect`: a prompt, then digits or speech.
    PlayAndCollect,
    /// `calling.detect`: answering machine, fax tone or digit.
    Detect,
    /// `calling.send_fax`.
    SendFax,
    /// `calling.receive_fax`.
    ReceiveFax,
    /// `calling.pay`.
    Pay,
    /// `calling.transcribe`.
    Transcribe,
    /// `calling.send_digits`.
    SendDigits,
    /// `calling.ai`.
    Ai,
    /// Any other `calling.<name>` action, by name: start `calling.<name>`, stop
    /// `calling.<name>.stop`, events `calling.call.<name>`, ending on a `state` of
    /// `finished`, `error` or `failed`.
    Other(String),
    /// An action this library does not know, described in full by the caller.
    Custom(Box<ActionDescriptor>),
}

impl ActionKind {
    /// Its short name (`play_and_collect`, `send_fax`, …).
    pub fn name(&self) -> &str {
        match self {
            ActionKind::Stream => "stream",
            ActionKind::Play => "play",
            ActionKind::Record => "record",
            ActionKind::Tap => "tap",
            ActionKind::Collect => "collect",
            ActionKind::PlayAndCollect => "play_and_collect",
            ActionKind::Detect => "detect",
            ActionKind::SendFax => "send_fax",
            ActionKind::ReceiveFax => "receive_fax",
            ActionKind::Pay => "pay",
            ActionKind::Transcribe => "transcribe",
            ActionKind::SendDigits => "send_digits",
            ActionKind::Ai => "ai",
            ActionKind::Other(name) => name,
            ActionKind::Custom(descriptor) => &descriptor.name,
        }
    }

    /// [`ActionKind::descriptor`], shared: a built-in kind's descriptor is built once per
    /// process and every running action of that kind points at it.
    pub fn shared_descriptor(&self) -> Arc<ActionDescriptor> {
        static TABLE: OnceLock<Vec<Arc<ActionDescriptor>>> = OnceLock::new();
        let built_in = match self {
            ActionKind::Other(_) | ActionKind::Custom(_) => None,
            kind => super::BUILT_IN.iter().position(|k| k == kind),
        };
        match built_in {
            Some(index) => TABLE.get_or_init(|| {
                super::BUILT_IN
                    .iter()
                    .map(|k| Arc::new(k.descriptor()))
                    .collect()
            })[index]
                .clone(),
            None => Arc::new(self.descriptor()),
        }
    }

    /// `descriptor`, or the shared one when it is this kind's own (one descriptor per kind
    /// however many actions run).
    pub fn share(&self, descriptor: Arc<ActionDescriptor>) -> Arc<ActionDescriptor> {
        let shared = self.shared_descriptor();
        if Arc::ptr_eq(&shared, &descriptor) || *shared == *descriptor {
            shared
        } else {
            descriptor
        }
    }

    /// The method that starts the action.
    pub fn start_method(&self) -> String {
        self.descriptor().start_method
    }

    /// The method that stops the action, if any.
    pub fn stop_method(&self) -> Option<String> {
        self.descriptor().stop_method
    }
}

/// A state an action reports in its `calling.call.<kind>` events. Unknown states are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActionState {
    /// A stream's audio is flowing.
    Streaming,
    /// Media is playing.
    Playing,
    /// Playback is paused.
    Paused,
    /// Recording.
    Recording,
    /// A tap is running.
    Tapping,
    /// The action ended normally.
    Finished,
    /// The action ended with an error.
    Error,
    /// The action failed.
    Failed,
    /// A recording or a collect heard nothing.
    NoInput,
    /// A collect heard input that matched nothing.
    NoMatch,
    /// A collect is waiting for input.
    Collecting,
    /// A collect reported an interim (`final: false`) result.
    Partial,
    /// The caller started speaking or pressing (`start_of_input`).
    StartOfInput,
    /// A fax sent or received one page.
    Page,
    /// A state this library does not know yet, verbatim.
    Other(String),
}

impl ActionState {
    /// Reads the wire form; unknown values become `Other`.
    pub fn from_wire(value: &str) -> Self {
        match value {
            "streaming" => Self::Streaming,
            "playing" => Self::Playing,
            "paused" => Self::Paused,
            "recording" => Self::Recording,
            "tapping" => Self::Tapping,
            "finished" => Self::Finished,
            "error" => Self::Error,
            "failed" => Self::Failed,
            "no_input" => Self::NoInput,
            "no_match" => Self::NoMatch,
            "collecting" => Self::Collecting,
            "partial" => Self::Partial,
            "start_of_input" => Self::StartOfInput,
            "page" => Self::Page,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire form.
    pub fn as_wire(&self) -> &str {
        match self {
            Self::Streaming => "streaming",
            Self::Playing => "playing",
            Self::Paused => "paused",
            Self::Recording => "recording",
            Self::Tapping => "tapping",
            Self::Finished => "finished",
            Self::Error => "error",
            Self::Failed => "failed",
            Self::NoInput => "no_input",
            Self::NoMatch => "no_match",
            Self::Collecting => "collecting",
            Self::Partial => "partial",
            Self::StartOfInput => "start_of_input",
            Self::Page => "page",
            Self::Other(other) => other,
        }
    }
}

impl std::fmt::Display for ActionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_wire())
    }
}

impl PartialEq<str> for ActionState {
    fn eq(&self, other: &str) -> bool {
        self.as_wire() == other
    }
}

impl PartialEq<&str> for ActionState {
    fn eq(&self, other: &&str) -> bool {
        self.as_wire() == *other
    }
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ActionOutcome {
    /// The server reported a terminal state without a stop from us, and the action did its
    /// work (a stream that reached `streaming`, a play that was not an `error`).
    Finished {
        /// The terminal state.
        state: ActionState,
        /// The event's params.
        event: Payload,
    },
    /// The server ended the action without it doing its work: a terminal error state, or a
    /// stream that finished without ever reaching `streaming` (a URL nobody answers, a codec
    /// the far end refused).
    Unsuccessful {
        /// The terminal state.
        state: ActionState,
        /// The reason the event gave (`reason` or `error`), if any; often only the stream's
        /// `status_url` webhook carries it.
        reason: Option<String>,
        /// The event's params.
        event: Payload,
    },
    /// The server reported a terminal state after our `stop`.
    Stopped {
        /// The event's params.
        event: Payload,
    },
    /// The call ended while the action was running.
    CallEnded,
    /// The call is gone: the server said it does not exist or is gone (404/410).
    CallGone(crate::error::CallGone),
    /// The start request failed; the action never ran.
    Failed(RequestError),
    /// The session closed before the action ended.
    SessionClosed,
}

impl ActionOutcome {
    /// Whether the action did its work: it ran to its end after starting (a collect that
    /// heard input, a detect that detected), or we stopped it. Every other outcome (an error, a stream that never streamed, the call ending
    /// first, a failed start) is not a success.
    pub fn is_success(&self) -> bool {
        match self {
            ActionOutcome::Finished { state, .. } => !matches!(
                state,
                ActionState::NoInput
                    | ActionState::NoMatch
                    | ActionState::Error
                    | ActionState::Failed
            ),
            ActionOutcome::Stopped { .. } => true,
            _ => false,
        }
    }

    /// The outcome of a terminal event that we did not ask for; `failed` as the action's
    /// [`super::descriptor::Verdict`] said.
    pub(crate) fn from_end(state: ActionState, failed: bool, event: Payload) -> Self {
        if failed {
            ActionOutcome::Unsuccessful {
                reason: failure_reason(&event),
                state,
                event,
            }
        } else {
            ActionOutcome::Finished { state, event }
        }
    }

    /// The params of the event that ended the action, if one did.
    pub fn event(&self) -> Option<&Payload> {
        match self {
            ActionOutcome::Finished { event, .. }
            | ActionOutcome::Unsuccessful { event, .. }
            | ActionOutcome::Stopped { event } => Some(event),
            _ => None,
        }
    }
}

/// The reason an event gives for a failure: a `reason` or `error` string, or the `message`
/// of an `error` object; read from the event's text.
fn failure_reason(event: &Payload) -> Option<String> {
    #[derive(Default, Deserialize)]
    struct Failure<'a> {
        #[serde(borrow, default)]
        reason: Option<&'a RawValue>,
        #[serde(borrow, default)]
        error: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct ErrorObject<'a> {
        #[serde(borrow, default, deserialize_with = "lenient_text")]
        message: Option<Cow<'a, str>>,
    }
    let failure: Failure<'_> = event.parse().unwrap_or_default();
    [failure.reason, failure.error]
        .into_iter()
        .flatten()
        .find_map(|raw| {
            if let Ok(text) = serde_json::from_str::<Cow<'_, str>>(raw.get()) {
                return (!text.is_empty()).then(|| text.into_owned());
            }
            let ObjectOr(error) =
                serde_json::from_str::<ObjectOr<ErrorObject<'_>>>(raw.get()).ok()?;
            Some(error?.message?.into_owned())
        })
}

#[cfg(test)]
mod reason_tests {
    use super::*;

    fn reason(event: &str) -> Option<String> {
        failure_reason(&Payload::from_json(event).expect("json"))
    }

    #[test]
    fn a_failure_reason_is_read_from_the_events_text() {
        assert_eq!(reason(r#"{"reason":"busy"}"#).as_deref(), Some("busy"));
        assert_eq!(
            reason(r#"{"reason":"","error":"no route"}"#).as_deref(),
            Some("no route")
        );
        assert_eq!(
            reason(r#"{"error":{"code":4,"message":"bad url"}}"#).as_deref(),
            Some("bad url")
        );
        for none in [
            r#"{"reason":5,"error":["x"]}"#,
            r#"{"error":{"message":7}}"#,
            r#"{"state":"error"}"#,
            "[1]",
        ] {
            assert_eq!(reason(none), None, "{none}");
        }
    }
}
