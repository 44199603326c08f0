//! `calling.join_conference` / `calling.leave_conference` ([§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) and `calling.join_room` /
//! `calling.leave_room` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): every option of [§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), typed; unknown future values fit the
//! `Other` escape hatches.

use super::params::{check_status_url, Params};
use super::stream::{Codec, StreamOptions, StreamParams};
use super::text_of;
use super::{invalid, CallCommand};
use crate::error::CommandError;
use crate::ids::CallId;
use crate::payload::Payload;
use serde::Serialize;
use serde_json::{Map, Value};

/// The beep when someone enters or leaves (`beep`, default `"true"`).
#[derive(Debug, Clone, PartialEq, Eq)]
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

    fn to_wire(&self) -> Result<Value, CommandError> {
        self.options.check(&self.url)?;
        let params = StreamParams {
            url: &self.url,
            options: &self.options,
        };
        serde_json::to_value(params).map_err(|e| CommandError::InvalidOption(e.to_string()))
    }
}

/// `calling.join_conference`: every option of [§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md); unset ones take the service's default.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinConference {
    /// The conference's name, required.
    pub name: String,
    /// Join muted (default false).
    pub muted: Option<bool>,
    /// The beep (default always).
    pub beep: Option<ConferenceBeep>,
    /// Start the conference when this call enters (default true).
    pub start_on_enter: Option<bool>,
    /// End the conference when this call leaves (default false).
    pub end_on_exit: Option<bool>,
    /// Hold music while waiting: a cXML, mp3 or wav URL.
    pub wait_url: Option<String>,
    /// 1 to 250 (default 250).
    pub max_participants: Option<u32>,
    /// Recording.
    pub record: Option<ConferenceRecord>,
    /// Media region.
    pub region: Option<ConferenceRegion>,
    /// Trimming of the recording.
    pub trim: Option<ConferenceTrim>,
    /// The call id this participant coaches.
    pub coach: Option<String>,
    /// Conference status webhook.
    pub status_callback: Option<String>,
    /// Which conference events it gets (`start end join leave mute hold modify speaker
    /// announcement`).
    pub status_callback_event: Vec<String>,
    /// Their format.
    pub status_callback_event_type: Option<CallbackEventType>,
    /// `GET` or `POST`.
    pub status_callback_method: Option<super::stream::HttpMethod>,
    /// Recording status webhook.
    pub recording_status_callback: Option<String>,
    /// Which recording events it gets (`in-progress completed absent`).
    pub recording_status_callback_event: Vec<String>,
    /// Their format.
    pub recording_status_callback_event_type: Option<CallbackEventType>,
    /// `GET` or `POST`.
    pub recording_status_callback_method: Option<super::stream::HttpMethod>,
    /// Stream the conference's audio.
    pub stream: Option<ConferenceStream>,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                self.$name = Some(value.into());
                self
            }
        )*
    };
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
        wait_url: String;
        /// Recording.
        record: ConferenceRecord;
        /// Media region.
        region: ConferenceRegion;
        /// Trimming.
        trim: ConferenceTrim;
        /// Coach this call id.
        coach: String;
        /// Conference status webhook.
        status_callback: String;
        /// Format of its payloads.
        status_callback_event_type: CallbackEventType;
        /// Its HTTP method.
        status_callback_method: super::stream::HttpMethod;
        /// Recording status webhook.
        recording_status_callback: String;
        /// Format of its payloads.
        recording_status_callback_event_type: CallbackEventType;
        /// Its HTTP method.
        recording_status_callback_method: super::stream::HttpMethod;
        /// Stream the conference.
        stream: ConferenceStream;
    }

    /// At most this many participants, 1 to 250 (checked when sent).
    pub fn max_participants(mut self, max: u32) -> Self {
        self.max_participants = Some(max);
        self
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

fn event_list(
    what: &str,
    events: &[String],
    known: &[&str],
) -> Result<Option<String>, CommandError> {
    if let Some(bad) = events.iter().find(|e| !known.contains(&e.as_str())) {
        return invalid(format!("{what} {bad:?} is not one of {}", known.join(" ")));
    }
    Ok((!events.is_empty()).then(|| events.join(" ")))
}

impl CallCommand for JoinConference {
    fn method(&self) -> &'static str {
        "calling.join_conference"
    }

    fn check(&self) -> Result<(), CommandError> {
        self.wire_params().map(drop)
    }
}

impl JoinConference {
    /// The params (without ids), or why the options cannot be sent.
    fn wire_params(&self) -> Result<Map<String, Value>, CommandError> {
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
        let events = event_list(
            "status callback event",
            &self.status_callback_event,
            CONFERENCE_CALLBACK_EVENTS,
        )?;
        let recording_events = event_list(
            "recording status callback event",
            &self.recording_status_callback_event,
            RECORDING_CALLBACK_EVENTS,
        )?;
        let stream = self
            .stream
            .as_ref()
            .map(ConferenceStream::to_wire)
            .transpose()?;
        let wire = |m: &Option<super::stream::HttpMethod>| m.map(|m| Value::from(m.as_wire()));
        Ok(Params::new()
            .set("name", self.name.as_str())
            .opt("muted", &self.muted)
            .opt("beep", &self.beep.as_ref().map(ConferenceBeep::as_wire))
            .opt("start_on_enter", &self.start_on_enter)
            .opt("end_on_exit", &self.end_on_exit)
            .opt("wait_url", &self.wait_url)
            .opt("max_participants", &self.max_participants)
            .opt("record", &self.record.map(ConferenceRecord::as_wire))
            .opt(
                "region",
                &self.region.as_ref().map(|r| r.as_wire().to_owned()),
            )
            .opt("trim", &self.trim.map(ConferenceTrim::as_wire))
            .opt("coach", &self.coach)
            .opt("status_callback", &self.status_callback)
            .opt("status_callback_event", &events)
            .opt(
                "status_callback_event_type",
                &self
                    .status_callback_event_type
                    .map(CallbackEventType::as_wire),
            )
            .opt(
                "status_callback_method",
                &wire(&self.status_callback_method),
            )
            .opt("recording_status_callback", &self.recording_status_callback)
            .opt("recording_status_callback_event", &recording_events)
            .opt(
                "recording_status_callback_event_type",
                &self
                    .recording_status_callback_event_type
                    .map(CallbackEventType::as_wire),
            )
            .opt(
                "recording_status_callback_method",
                &wire(&self.recording_status_callback_method),
            )
            .opt("stream", &stream)
            .done())
    }
}

super::params::serialize_via_map!(JoinConference);

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
    /// Reads a join result.
    pub fn from_result(result: Value) -> Self {
        Self {
            conference_id: result
                .get("conference_id")
                .and_then(Value::as_str)
                .filter(|id| !id.is_empty())
                .map(str::to_owned),
            result: Payload::from_value(&result),
        }
    }
}

/// `calling.leave_conference`: leaves the conference with this id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

    /// HTTP(S) URL for status webhooks.
    pub fn status_url(mut self, url: impl Into<String>) -> Self {
        self.status_url = Some(url.into());
        self
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
    /// Reads one event; never fails.
    pub fn from_wire(params: Payload) -> Self {
        let value = params.to_value();
        Self {
            conference_id: text_of(&value, "conference_id"),
            name: text_of(&value, "name"),
            status: text_of(&value, "status"),
            call_id: text_of(&value, "call_id")
                .filter(|id| !id.is_empty())
                .map(CallId::new),
            params,
        }
    }
}
