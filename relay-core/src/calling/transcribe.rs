//! `calling.transcribe` ([§1.9](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the options and the result.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, status_url_options};
use super::result::{outcome_result, Fields, Nest};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
status_url_options!(
    /// Options of `calling.transcribe`.
    TranscribeOptions => Transcribe
);

outcome_result!(
    /// How a transcription ended.
    TranscribeResult reads |o| event = Fields::read(o, Nest::Transcribe); {
        /// Where the transcription is.
        url: Option<String> = event.url(),
        /// The recording it was made from.
        recording_id: Option<String> = event.recording_id(),
        /// Length in seconds.
        duration: Option<f64> = event.duration(),
        /// Size in bytes.
        size: Option<u64> = event.size(),
    }
);

/// How `calling.transcribe` runs: it ends on `finished`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("transcribe", TerminalRule::states(&["finished"]))
}
