//! The generic action mechanism (`control_id`, terminal states, stop) that stream, play,
//! record and tap share, and the typed options of each.

pub mod play;
pub mod stream_options;

use crate::error::RequestError;
use serde_json::Value;

/// What kind of action runs under a control id.
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
    /// Any other `calling.<name>` action, by name.
    Other(String),
}

impl ActionKind {
    /// The `<name>` of `calling.<name>`, `calling.<name>.stop` and `calling.call.<name>`.
    pub fn name(&self) -> &str {
        match self {
            ActionKind::Stream => "stream",
            ActionKind::Play => "play",
            ActionKind::Record => "record",
            ActionKind::Tap => "tap",
            ActionKind::Other(name) => name,
        }
    }

    /// The kind whose events are `calling.call.<name>`.
    pub fn from_event_type(event_type: &str) -> Option<Self> {
        let name = event_type.strip_prefix("calling.call.")?;
        Some(match name {
            "stream" => ActionKind::Stream,
            "play" => ActionKind::Play,
            "record" => ActionKind::Record,
            "tap" => ActionKind::Tap,
            "state" | "receive" | "dial" | "connect" => return None,
            other => ActionKind::Other(other.to_owned()),
        })
    }

    /// The method that starts the action.
    pub fn start_method(&self) -> String {
        format!("calling.{}", self.name())
    }

    /// The method that stops the action.
    pub fn stop_method(&self) -> String {
        format!("calling.{}.stop", self.name())
    }

    /// Whether `state` ends the action. Unknown kinds end on `finished`, `error`, `failed`.
    pub fn is_terminal(&self, state: &str) -> bool {
        match self {
            ActionKind::Stream | ActionKind::Tap => state == "finished",
            ActionKind::Play => matches!(state, "finished" | "error"),
            ActionKind::Record => matches!(state, "finished" | "no_input"),
            ActionKind::Other(_) => matches!(state, "finished" | "error" | "failed"),
        }
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
    /// A recording heard nothing.
    NoInput,
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
        event: Value,
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
        event: Value,
    },
    /// The server reported a terminal state after our `stop`.
    Stopped {
        /// The event's params.
        event: Value,
    },
    /// The call ended while the action was running.
    CallEnded,
    /// The server said the call does not exist or is gone (404/410).
    CallGone {
        /// `"404"` or `"410"`.
        code: String,
    },
    /// The start request failed; the action never ran.
    Failed(RequestError),
    /// The session closed before the action ended.
    SessionClosed,
}

impl ActionOutcome {
    /// Whether the action did its work: it ran to `finished` after starting, or we stopped
    /// it. Every other outcome (an error, a stream that never streamed, the call ending
    /// first, a failed start) is not a success.
    pub fn is_success(&self) -> bool {
        match self {
            ActionOutcome::Finished { state, .. } => *state == ActionState::Finished,
            ActionOutcome::Stopped { .. } => true,
            _ => false,
        }
    }

    /// The outcome of a terminal event that we did not ask for. `started` tells whether a
    /// non-terminal state was seen first.
    pub(crate) fn from_terminal(
        kind: &ActionKind,
        started: bool,
        state: ActionState,
        event: Value,
    ) -> Self {
        let failed = matches!(state, ActionState::Error | ActionState::Failed)
            || (*kind == ActionKind::Stream && !started);
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
}

/// The reason an event gives for a failure: a `reason` or `error` string, or the `message`
/// of an `error` object.
fn failure_reason(event: &Value) -> Option<String> {
    ["reason", "error"]
        .iter()
        .find_map(|key| match event.get(key)? {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            Value::Object(error) => error
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        })
}
