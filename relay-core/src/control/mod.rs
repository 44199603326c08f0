//! Call control (§2 of `docs/CALLING-API.md`): the typed options of every command that is not
//! an action, and the typed events some of them emit. Each command puts exactly the spec's
//! params on the wire (only the options that are set) and is refused locally when invalid.
//!
//! One file per family: transfer and refer, conferences and rooms, queues, digit bindings,
//! live transcription and translation, and the small rest (hold, denoise, user events,
//! Amazon Bedrock). [`CallCommand`] is what the engine sends them through.

mod conference;
mod digits;
mod events;
mod live;
mod misc;
mod queue;
mod transfer;

pub use conference::{
    CallbackEventType, ConferenceBeep, ConferenceRecord, ConferenceRegion, ConferenceStream,
    ConferenceTrim, JoinConference, JoinRoom, JoinedConference, LeaveConference,
};
#[cfg(feature = "sim")]
pub(crate) use digits::is_dtmf;
pub use digits::{BindDigit, ClearDigitBindings};
pub use events::{ConferenceEvent, QueueEvent, ReferEvent};
pub use live::{LiveAction, LiveTranscribe, LiveTranslate};
pub use misc::{AmazonBedrock, SimpleControl, UserEvent};
pub use queue::{QueueEnter, QueueLeave};
pub use transfer::{Refer, ReferDevice, Transfer, TransferDest};

use crate::error::CommandError;
use serde_json::{Map, Value};

/// A call command of §2: one request, a `{code, message}` result, no action object.
pub trait CallCommand {
    /// The RELAY method (`calling.transfer`, …).
    fn method(&self) -> &'static str;

    /// The params without `node_id` and `call_id` (the engine adds them), or why the
    /// options cannot be sent.
    fn to_params(&self) -> Result<Map<String, Value>, CommandError>;
}

/// `Err(InvalidOption)` with `what`.
pub(crate) fn invalid<T>(what: impl Into<String>) -> Result<T, CommandError> {
    Err(CommandError::InvalidOption(what.into()))
}

/// A text read from an event field that may be a string or a number (SIP codes).
pub(crate) fn text_of(params: &Value, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
