//! `calling.send_digits` ([§1.10](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): an action ending on `finished`, as the older Python SDK
//! had it.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
use serde::Serialize;

/// `calling.send_digits`: DTMF into the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SendDigitsOptions {
    /// `0-9 # * A-D`, `w` a half-second pause, `W` a one-second pause.
    pub digits: String,
    /// The control id; generated when unset.
    #[serde(skip)]
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

    fn check(&self) -> Result<(), CommandError> {
        let valid = |c: char| c.is_ascii_digit() || "#*ABCDwW".contains(c);
        if self.digits.is_empty() || !self.digits.chars().all(valid) {
            return Err(CommandError::InvalidOption(format!(
                "digits {:?} are not DTMF (0-9 # * A-D w W)",
                self.digits
            )));
        }
        Ok(())
    }
}

/// How `calling.send_digits` runs: it ends on `finished` or `error` and has no stop.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("send_digits", TerminalRule::states(&["finished", "error"]))
        .without_stop()
        // Its one event ends it: no progress to keep.
        .without_last_event()
}
