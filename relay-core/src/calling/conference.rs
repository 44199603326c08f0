//! `calling.join_conference` / `calling.leave_conference` ([§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) and `calling.join_room` /
//! `calling.leave_room` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): every option of [§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), typed; unknown future values fit the
//! `Other` escape hatches.

use super::params::lenient_text;
use super::params::{check_status_url, serialize_as_wire, setters};
use super::stream::{Codec, HttpMethod, StreamOptions, StreamParams};
use super::{invalid, CallCommand};
use crate::error::CommandError;
use crate::ids::CallId;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The beep when someone enters or leaves (`beep`, default `"true"`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConferenceBeep {
    /// On enter and exit (`"true"`).
    Always,
    /// Never (`"false"`).
    Never,
    /// Only when someone enters (`onEnter`).
    OnEnter,
    /// Only when someone leaves (`onExit`).
    OnExit,
}

impl ConferenceBeep {
    /// The wire string.
    pub fn as_wire(&self) -> &'static str {
        match self {
            ConferenceBeep::Always => "true",
            ConferenceBeep::Never => "false",
            ConferenceBeep::OnEnter => "onEnter",
            ConferenceBeep::OnExit => "onExit",
        }
    }
}

/// Whether the conference is recorded (`record`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConferenceRecord {
    /// `do-not-record`.
    DoNotRecord,
    /// `record-from-start`.
    RecordFromStart,
}

impl ConferenceRecord {
    /// The wire string.
    pub fn as_wire(self) -> &'static str {
        match self {
            ConferenceRecord::DoNotRecord => "do-not-record",
            ConferenceRecord::RecordFromStart => "record-from-start",
        }
    }
}

/// Where the conference's media runs (`region`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConferenceRegion {
    /// `global`.
    Global,
    /// `us`.
    Us,
    /// `eu`.
    Eu,
    /// A region the service adds later.
    Other(String),
}

impl ConferenceRegion {
    /// The wire string.
    pub fn as_wire(&self) -> &str {
        match self {
            ConferenceRegion::Global => "global",
            ConferenceRegion::Us => "us",
            ConferenceRegion::Eu => "eu",
            ConferenceRegion::Other(other) => other,
        }
    }
}

/// Silence trimming of the recording (`trim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConferenceTrim {
    /// `trim-silence`.
    TrimSilence,
    /// `do-not-trim`.
    DoNotTrim,
}

impl ConferenceTrim {
    /// The wire string.
    pub fn as_wire(self) -> &'static str {
        match self {
            ConferenceTrim::TrimSilence => "trim-silence",
            ConferenceTrim::DoNotTrim => "do-not-trim",
        }
    }
}

/// The format of status callbacks (`*_event_type`, default `relay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackEventType {
    /// RELAY-style payloads.
    Relay,
    /// cXML-style payloads.
    Cxml,
}

impl CallbackEventType {
    /// The wire string.
    pub fn as_wire(self) -> &'static str {
        match self {
            CallbackEventType::Relay => "relay",
            CallbackEventType::Cxml => "cxml",
        }
    }
}

serialize_as_wire!(
    ConferenceBeep,
    ConferenceRecord,
    ConferenceRegion,
    ConferenceTrim,
    CallbackEventType
);

/// The conference events a status callback may ask for ([§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) `status_callback_event`).
const CONFERENCE_CALLBACK_EVENTS: &[&str] = &[
    "start",
    "end",
    "join",
    "leave",
    "mute",
    "hold",
    "modify",
    "speaker",
    "announcement",
];
/// The recording events ([§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) `recording_status_callback_event`).
const RECORDING_CALLBACK_EVENTS: &[&str] = &["in-progress", "completed", "absent"];

/// The conference's audio streamed to a WebSocket (`stream`, Python's `stream_obj`):
/// `{url, name?, codec?, …}` as [`StreamOptions`] writes it, without a control id.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConferenceStream {
    /// `wss://` URL.
    pub url: String,
    /// Its options (name, codec, track, status url, bearer token, custom parameters).
    pub options: StreamOptions,
}

impl ConferenceStream {
    /// Streams to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            options: StreamOptions::new(),
        }
    }

    /// With these options.
    pub fn options(mut self, options: StreamOptions) -> Self {
        self.options = options;
        self
    }

    /// With this codec.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.options = self.options.codec(codec);
        self
    }

    fn check(&self) -> Result<(), CommandError> {
        self.options.check_to(&self.url)
    }
}

/// `{url, name?, codec?, …}`, as `calling.stream` writes its params.
impl Serialize for ConferenceStream {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StreamParams {
            url: &self.url,
            options: &self.options,
        }
        .serialize(s)
    }
}

/// `calling.join_conference`: every option of [§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md); unset ones take the service's default.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct JoinConference {
    /// The conference's name, required.
    pub name: String,
    /// Join muted (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// The beep (default always).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beep: Option<ConferenceBeep>,
    /// Start the conference when this call enters (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_on_enter: Option<bool>,
    /// End the conference when this call leaves (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_on_exit: Option<bool>,
    /// Hold music while waiting: a cXML, mp3 or wav URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_url: Option<String>,
    /// 1 to 250 (default 250).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_participants: Option<u32>,
    /// Recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<ConferenceRecord>,
    /// Media region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<ConferenceRegion>,
    /// Trimming of the recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trim: Option<ConferenceTrim>,
    /// The call id this participant coaches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coach: Option<String>,
    /// Conference status webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
    /// Which conference events it gets (`start end join leave mute hold modify speaker
    /// announcement`).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "spaced")]
    pub status_callback_event: Vec<String>,
    /// Their format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback_event_type: Option<CallbackEventType>,
    /// `GET` or `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_callback_method: Option<HttpMethod>,
    /// Recording status webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_status_callback: Option<String>,
    /// Which recording events it gets (`in-progress completed absent`).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "spaced")]
    pub recording_status_callback_event: Vec<String>,
    /// Their format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_status_callback_event_type: Option<CallbackEventType>,
    /// `GET` or `POST`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_status_callback_method: Option<HttpMethod>,
    /// Stream the conference's audio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<ConferenceStream>,
}

/// An event list as the service takes it: one string, space separated.
fn spaced<S: serde::Serializer>(events: &[String], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&events.join(" "))
}

impl JoinConference {
    /// Joins (or starts) the conference `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            muted: None,
            beep: None,
            start_on_enter: None,
            end_on_exit: None,
            wait_url: None,
            max_participants: None,
            record: None,
            region: None,
            trim: None,
            coach: None,
            status_callback: None,
            status_callback_event: Vec::new(),
            status_callback_event_type: None,
            status_callback_method: None,
            recording_status_callback: None,
            recording_status_callback_event: Vec::new(),
            recording_status_callback_event_type: None,
            recording_status_callback_method: None,
            stream: None,
        }
    }

    setters! {
        /// Join muted.
        muted: bool;
        /// The beep.
        beep: ConferenceBeep;
        /// Start the conference on enter.
        start_on_enter: bool;
        /// End the conference on exit.
        end_on_exit: bool;
        /// Hold music URL.
        wait_url: impl String;
        /// Recording.
        record: ConferenceRecord;
        /// Media region.
        region: ConferenceRegion;
        /// Trimming.
        trim: ConferenceTrim;
        /// Coach this call id.
        coach: impl String;
        /// Conference status webhook.
        status_callback: impl String;
        /// Format of its payloads.
        status_callback_event_type: CallbackEventType;
        /// Its HTTP method.
        status_callback_method: HttpMethod;
        /// Recording status webhook.
        recording_status_callback: impl String;
        /// Format of its payloads.
        recording_status_callback_event_type: CallbackEventType;
        /// Its HTTP method.
        recording_status_callback_method: HttpMethod;
        /// Stream the conference.
        stream: ConferenceStream;
        /// At most this many participants, 1 to 250 (checked when sent).
        max_participants: u32;
    }

    /// The conference events the status webhook gets.
    pub fn status_callback_events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.status_callback_event = events.into_iter().map(Into::into).collect();
        self
    }

    /// The recording events the recording webhook gets.
    pub fn recording_status_callback_events<I, S>(mut self, events: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.recording_status_callback_event = events.into_iter().map(Into::into).collect();
        self
    }
}

fn check_events(what: &str, events: &[String], known: &[&str]) -> Result<(), CommandError> {
    if let Some(bad) = events.iter().find(|e| !known.contains(&e.as_str())) {
        return invalid(format!("{what} {bad:?} is not one of {}", known.join(" ")));
    }
    Ok(())
}

impl CallCommand for JoinConference {
    fn method(&self) -> &'static str {
        "calling.join_conference"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.name.trim().is_empty() {
            return invalid("conference name is empty");
        }
        if let Some(max) = self.max_participants {
            if !(1..=250).contains(&max) {
                return invalid(format!("max_participants {max} is outside 1..=250"));
            }
        }
        if self.coach.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return invalid("coach call id is empty");
        }
        for url in [
            &self.wait_url,
            &self.status_callback,
            &self.recording_status_callback,
        ] {
            check_status_url(url)?;
        }
        check_events(
            "status callback event",
            &self.status_callback_event,
            CONFERENCE_CALLBACK_EVENTS,
        )?;
        check_events(
            "recording status callback event",
            &self.recording_status_callback_event,
            RECORDING_CALLBACK_EVENTS,
        )?;
        self.stream.as_ref().map_or(Ok(()), ConferenceStream::check)
    }
}

/// What `calling.join_conference` answered.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JoinedConference {
    /// The conference's id, when the result carries one (TS-Gen); otherwise it comes in
    /// the `calling.conference` events.
    pub conference_id: Option<String>,
    /// The whole result.
    pub result: Payload,
}

impl JoinedConference {
    /// Reads a join result (from its text: a `conference_id` that is not a non-empty
    /// string reads as none).
    pub fn from_result(result: Payload) -> Self {
        #[derive(Deserialize)]
        struct Joined<'a> {
            #[serde(borrow, default, deserialize_with = "lenient_text")]
            conference_id: Option<Cow<'a, str>>,
        }
        let conference_id = result
            .parse::<Joined<'_>>()
            .ok()
            .and_then(|joined| joined.conference_id)
            .filter(|id| !id.is_empty())
            .map(Cow::into_owned);
        Self {
            conference_id,
            result,
        }
    }
}

/// `calling.leave_conference`: leaves the conference with this id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LeaveConference {
    /// From the join result or a `calling.conference` event.
    pub conference_id: String,
}

impl LeaveConference {
    /// Leaves `conference_id`.
    pub fn new(conference_id: impl Into<String>) -> Self {
        Self {
            conference_id: conference_id.into(),
        }
    }
}

impl CallCommand for LeaveConference {
    fn method(&self) -> &'static str {
        "calling.leave_conference"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.conference_id.trim().is_empty() {
            return invalid("conference id is empty");
        }
        Ok(())
    }
}

/// `calling.join_room`: joins a video room by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct JoinRoom {
    /// The room, required.
    pub name: String,
    /// HTTP(S) URL for status webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_url: Option<String>,
}

impl JoinRoom {
    /// Joins room `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            status_url: None,
        }
    }

    setters! {
        /// HTTP(S) URL for status webhooks.
        status_url: impl String;
    }
}

impl CallCommand for JoinRoom {
    fn method(&self) -> &'static str {
        "calling.join_room"
    }

    fn check(&self) -> Result<(), CommandError> {
        if self.name.trim().is_empty() {
            return invalid("room name is empty");
        }
        check_status_url(&self.status_url)?;
        Ok(())
    }
}

/// `calling.conference`: a conference's state, or one participant's. Conference-level
/// events have no `call_id`; participant events name the call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConferenceEvent {
    /// `conference_id`.
    pub conference_id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `status` (values undocumented, e.g. `join`, `leave`, `end`).
    pub status: Option<String>,
    /// The participant's call, on participant events.
    pub call_id: Option<CallId>,
    /// The event's params.
    pub params: Payload,
}

impl ConferenceEvent {
    /// Reads one event from its text (no tree); never fails: a member that is not a
    /// string, or params that are not an object, read as absent.
    pub fn from_wire(params: Payload) -> Self {
        #[derive(Default, Deserialize)]
        struct View<'a> {
            #[serde(borrow, default, deserialize_with = "lenient_text")]
            conference_id: Option<Cow<'a, str>>,
            #[serde(borrow, default, deserialize_with = "lenient_text")]
            name: Option<Cow<'a, str>>,
            #[serde(borrow, default, deserialize_with = "lenient_text")]
            status: Option<Cow<'a, str>>,
            #[serde(borrow, default, deserialize_with = "lenient_text")]
            call_id: Option<Cow<'a, str>>,
        }
        let (conference_id, name, status, call_id) = {
            let view: View<'_> = params.parse().unwrap_or_default();
            let owned = |text: Option<Cow<'_, str>>| text.map(Cow::into_owned);
            (
                owned(view.conference_id),
                owned(view.name),
                owned(view.status),
                view.call_id
                    .filter(|id| !id.is_empty())
                    .map(|id| CallId::new(&id)),
            )
        };
        Self {
            conference_id,
            name,
            status,
            call_id,
            params,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conference_event_is_read_from_its_text_and_kept_exactly() {
        let text =
            r#"{"conference_id":"conf-1", "name":5,"status":"join","call_id":"c\u0031","x":[1]}"#;
        let event = ConferenceEvent::from_wire(Payload::from_json(text).expect("json"));
        assert_eq!(event.conference_id.as_deref(), Some("conf-1"));
        assert_eq!(
            event.name, None,
            "a name that is not a string reads as absent"
        );
        assert_eq!(event.status.as_deref(), Some("join"));
        assert_eq!(event.call_id, Some(CallId::new("c1")));
        assert_eq!(event.params.as_str(), text);
        let odd = ConferenceEvent::from_wire(Payload::from_json("[1]").expect("json"));
        assert_eq!((odd.conference_id, odd.call_id), (None, None));
        let empty = Payload::from_json(r#"{"call_id":""}"#).expect("json");
        assert_eq!(ConferenceEvent::from_wire(empty).call_id, None);
    }
}
