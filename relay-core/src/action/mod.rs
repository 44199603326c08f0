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

/// How an action ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ActionOutcome {
    /// The server reported a terminal state (`finished` for a stream) without a stop from us.
    Finished {
        /// The terminal state.
        state: String,
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
    /// Whether the action ran to its end or was stopped by us (as opposed to ended by
    /// something else).
    pub fn is_success(&self) -> bool {
        match self {
            ActionOutcome::Finished { state, .. } => state == "finished",
            ActionOutcome::Stopped { .. } => true,
            _ => false,
        }
    }
}
