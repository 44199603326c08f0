//! `calling.transcribe` ([§1.9](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the options and the result.

use super::descriptor::{ActionDescriptor, TerminalRule};
use super::params::{check_status_url, status_url_options};
use super::result::{count, field, number, outcome_result, text};
use super::{ActionKind, ActionRequest};
use crate::error::CommandError;
use crate::ids::ControlId;
status_url_options!(
    /// Options of `calling.transcribe`.
    TranscribeOptions => Transcribe
);

outcome_result!(
    /// How a transcription ended.
    TranscribeResult {
        /// Where the transcription is.
        url: Option<String> = |o| text(field(o, "transcribe", "url")),
        /// The recording it was made from.
        recording_id: Option<String> = |o| text(field(o, "transcribe", "recording_id")),
        /// Length in seconds.
        duration: Option<f64> = |o| number(field(o, "transcribe", "duration")),
        /// Size in bytes.
        size: Option<u64> = |o| count(field(o, "transcribe", "size")),
    }
);

/// How `calling.transcribe` runs: it ends on `finished`.
pub(crate) fn descriptor() -> ActionDescriptor {
    ActionDescriptor::simple("transcribe", TerminalRule::states(&["finished"]))
}
