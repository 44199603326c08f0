//! The JSON messages of a stream connection (`connected`, `start`, `media`, `dtmf`, `mark`,
//! `stop`): typed, parsed without panics, and written exactly in the wire form.

use super::encoding::{Encoding, MediaFormat};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value};
use std::fmt::{self, Write as _};

/// One side of the call's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MediaTrack {
    /// What the caller says.
    Inbound,
    /// What the call plays to the caller.
    Outbound,
}

impl MediaTrack {
    /// The wire name (`inbound` / `outbound`).
    pub fn as_wire(self) -> &'static str {
        match self {
            MediaTrack::Inbound => "inbound",
            MediaTrack::Outbound => "outbound",
        }
    }

    /// Reads `inbound`/`outbound`, or the `*_track` form.
    pub fn from_wire(value: &str) -> Option<Self> {
        match value {
            "inbound" | "inbound_track" => Some(MediaTrack::Inbound),
            "outbound" | "outbound_track" => Some(MediaTrack::Outbound),
            _ => None,
        }
    }
}

/// The `start` message's body. Made with [`StartInfo::new`]: the service may add fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StartInfo {
    /// The stream's id.
    pub stream_sid: String,
    /// The account (project) id.
    pub account_sid: String,
    /// The call id.
    pub call_sid: String,
    /// The tracks this connection carries.
    pub tracks: Vec<MediaTrack>,
    /// The `custom_parameters` of `calling.stream`.
    pub custom_parameters: Map<String, Value>,
    /// Encoding, rate, channels.
    pub media_format: MediaFormat,
}

impl StartInfo {
    /// A `start` body with no custom parameters (add them with
    /// [`with_custom_parameters`](Self::with_custom_parameters)).
    pub fn new(
        stream_sid: impl Into<String>,
        account_sid: impl Into<String>,
        call_sid: impl Into<String>,
        tracks: Vec<MediaTrack>,
        media_format: MediaFormat,
    ) -> Self {
        Self {
            stream_sid: stream_sid.into(),
            account_sid: account_sid.into(),
            call_sid: call_sid.into(),
            tracks,
            custom_parameters: Map::new(),
            media_format,
        }
    }

    /// Sets [`custom_parameters`](Self::custom_parameters).
    pub fn with_custom_parameters(mut self, parameters: Map<String, Value>) -> Self {
        self.custom_parameters = parameters;
        self
    }
}

/// One `media` message, its payload decoded from base64 (still encoded audio).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MediaChunk {
    /// Which side.
    pub track: MediaTrack,
    /// Per-track counter from 1.
    pub chunk: u64,
    /// Milliseconds since the stream started.
    pub timestamp_ms: u64,
    /// The audio bytes.
    pub payload: Bytes,
}

impl MediaChunk {
    /// A chunk of `track`'s audio: its per-track counter (from 1), milliseconds since the
    /// stream started, and the encoded bytes.
    pub fn new(
        track: MediaTrack,
        chunk: u64,
        timestamp_ms: u64,
        payload: impl Into<Bytes>,
    ) -> Self {
        Self {
            track,
            chunk,
            timestamp_ms,
            payload: payload.into(),
        }
    }
}

/// A message on a stream connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamMessage {
    /// The greeting.
    Connected {
        /// `Call`.
        protocol: String,
        /// The protocol version, e.g. `0.2.0`.
        version: String,
    },
    /// Stream metadata.
    Start {
        /// Message counter.
        sequence_number: u64,
        /// The metadata.
        start: StartInfo,
    },
    /// Audio.
    Media {
        /// Message counter.
        sequence_number: u64,
        /// The audio.
        media: MediaChunk,
    },
    /// A DTMF digit.
    Dtmf {
        /// Message counter.
        sequence_number: u64,
        /// The digit.
        digit: String,
        /// Its length in ms.
        duration_ms: u64,
    },
    /// The end of the stream.
    Stop {
        /// Message counter.
        sequence_number: u64,
    },
    /// A named mark.
    Mark {
        /// Message counter.
        sequence_number: u64,
        /// The mark's name.
        name: String,
    },
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageError {
    /// Not JSON, or not an object.
    InvalidJson(String),
    /// A required field is absent.
    MissingField(&'static str),
    /// A field has the wrong type or an unusable value.
    WrongType(&'static str),
    /// The `event` is not one this crate knows.
    UnknownEvent(String),
    /// The media payload is not base64.
    BadBase64,
    /// The media format names an unknown encoding.
    BadEncoding(String),
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::InvalidJson(e) => write!(f, "not a JSON object: {e}"),
            MessageError::MissingField(name) => write!(f, "missing field {name}"),
            MessageError::WrongType(name) => write!(f, "field {name} has the wrong type"),
            MessageError::UnknownEvent(event) => write!(f, "unknown event {event:?}"),
            MessageError::BadBase64 => f.write_str("media payload is not base64"),
            MessageError::BadEncoding(e) => write!(f, "unknown media encoding {e:?}"),
        }
    }
}

impl std::error::Error for MessageError {}

/// The most characters of a peer's string an error keeps: errors get logged and shown, and
/// must not carry a megabyte of the peer's text.
pub const MAX_ECHO_CHARS: usize = 64;

/// `text`, cut to [`MAX_ECHO_CHARS`] characters with `…` when longer.
pub fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO_CHARS) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

fn field<'a>(
    object: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a Value, MessageError> {
    object.get(name).ok_or(MessageError::MissingField(name))
}

fn string(object: &Map<String, Value>, name: &'static str) -> Result<String, MessageError> {
    field(object, name)?
        .as_str()
        .map(str::to_owned)
        .ok_or(MessageError::WrongType(name))
}

/// A counter written as a string (or, leniently, a number).
fn counter(object: &Map<String, Value>, name: &'static str) -> Result<u64, MessageError> {
    match field(object, name)? {
        Value::String(s) => s.trim().parse().map_err(|_| MessageError::WrongType(name)),
        Value::Number(n) => n.as_u64().ok_or(MessageError::WrongType(name)),
        _ => Err(MessageError::WrongType(name)),
    }
}

fn object<'a>(
    object: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a Map<String, Value>, MessageError> {
    field(object, name)?
        .as_object()
        .ok_or(MessageError::WrongType(name))
}

impl StreamMessage {
    /// Reads one message, in the plain form or inside the newest docs' envelope (the message
    /// under `rawEvent`). Never panics. `clear` (the service acknowledging one) is not a
    /// stream message: it is [`MessageError::UnknownEvent`] here, read it with
    /// [`ServiceMessage::parse`].
    pub fn parse(text: &str) -> Result<Self, MessageError> {
        match ServiceMessage::parse(text)? {
            ServiceMessage::Stream(message) => Ok(message),
            ServiceMessage::Cleared => Err(MessageError::UnknownEvent("clear".into())),
        }
    }

    /// The wire form, fields in the documented order: counters (`sequenceNumber`, `chunk`,
    /// `timestamp`) as strings; `sampleRate`, `channels` and the DTMF `duration` as numbers.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        match self {
            StreamMessage::Connected { protocol, version } => {
                out.push_str(r#"{"event":"connected","protocol":"#);
                push_str(&mut out, protocol);
                out.push_str(r#","version":"#);
                push_str(&mut out, version);
            }
            StreamMessage::Start {
                sequence_number,
                start,
            } => {
                push_head(&mut out, "start", *sequence_number);
                out.push_str(r#","start":{"streamSid":"#);
                push_str(&mut out, &start.stream_sid);
                out.push_str(r#","accountSid":"#);
                push_str(&mut out, &start.account_sid);
                out.push_str(r#","callSid":"#);
                push_str(&mut out, &start.call_sid);
                out.push_str(r#","tracks":["#);
                for (i, track) in start.tracks.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_str(&mut out, track.as_wire());
                }
                out.push_str(r#"],"customParameters":"#);
                // Serialising a map of JSON values cannot fail; `{}` is a safe fallback anyway.
                match serde_json::to_string(&start.custom_parameters) {
                    Ok(custom) => out.push_str(&custom),
                    Err(_) => out.push_str("{}"),
                }
                let format = &start.media_format;
                out.push_str(r#","mediaFormat":{"encoding":"#);
                push_str(&mut out, format.encoding.mime());
                let _ = write!(
                    out,
                    r#","sampleRate":{},"channels":{}}}}}"#,
                    format.sample_rate, format.channels
                );
            }
            StreamMessage::Media {
                sequence_number,
                media,
            } => {
                push_head(&mut out, "media", *sequence_number);
                out.push_str(r#","media":{"track":"#);
                push_str(&mut out, media.track.as_wire());
                let _ = write!(
                    out,
                    r#","chunk":"{}","timestamp":"{}","payload":""#,
                    media.chunk, media.timestamp_ms
                );
                BASE64.encode_string(&media.payload, &mut out);
                out.push_str("\"}");
            }
            StreamMessage::Dtmf {
                sequence_number,
                digit,
                duration_ms,
            } => {
                push_head(&mut out, "dtmf", *sequence_number);
                out.push_str(r#","dtmf":{"digit":"#);
                push_str(&mut out, digit);
                let _ = write!(out, r#","duration":{duration_ms}}}"#);
            }
            StreamMessage::Mark {
                sequence_number,
                name,
            } => {
                push_head(&mut out, "mark", *sequence_number);
                out.push_str(r#","mark":{"name":"#);
                push_str(&mut out, name);
                out.push('}');
            }
            StreamMessage::Stop { sequence_number } => {
                push_head(&mut out, "stop", *sequence_number)
            }
        }
        out.push('}');
        out
    }
}

/// What the service may send on a two-way stream: a [`StreamMessage`], or `clear`, its
/// acknowledgement of a `clear` the media server sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServiceMessage {
    /// `connected`, `start`, `media`, `dtmf`, `mark` or `stop`.
    Stream(StreamMessage),
    /// The service flushed its playback queue.
    Cleared,
}

impl ServiceMessage {
    /// Reads one message in either documented form: the plain object, or the envelope
    /// (`timestamp`, `direction`, `eventType`, `streamSid`, `rawEvent`) whose `rawEvent` holds
    /// the plain object. A `sequenceNumber` absent from `rawEvent` is taken from the
    /// envelope; `dtmf` and `mark`, which the envelope examples show without one, read `0`
    /// when neither has it. Never panics.
    pub fn parse(text: &str) -> Result<Self, MessageError> {
        let (message, envelope) = unwrap_envelope(text)?;
        parse_message(&message, envelope.as_ref())
    }
}

type Object = Map<String, Value>;

/// Reads `text` as a JSON object in either documented form and returns the plain message
/// and, for the envelope form, the envelope around it (its `sequenceNumber` stands in for
/// one the message lacks). An object with its own `event` is the plain form, whatever else
/// it carries; without one, a `rawEvent` that is not an object is
/// [`MessageError::WrongType`]`("rawEvent")` for every reader alike.
fn unwrap_envelope(text: &str) -> Result<(Object, Option<Object>), MessageError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| MessageError::InvalidJson(clip(&e.to_string())))?;
    let Value::Object(mut outer) = value else {
        return Err(MessageError::InvalidJson("not an object".into()));
    };
    if outer.contains_key("event") {
        return Ok((outer, None));
    }
    match outer.remove("rawEvent") {
        Some(Value::Object(inner)) => Ok((inner, Some(outer))),
        Some(_) => Err(MessageError::WrongType("rawEvent")),
        // Neither form: reading `event` then says it is missing.
        None => Ok((outer, None)),
    }
}

/// The `sequenceNumber` of `message`, else of its envelope.
fn sequence(
    message: &Map<String, Value>,
    envelope: Option<&Map<String, Value>>,
) -> Result<u64, MessageError> {
    match envelope {
        Some(envelope) if !message.contains_key("sequenceNumber") => {
            counter(envelope, "sequenceNumber")
        }
        _ => counter(message, "sequenceNumber"),
    }
}

/// Like [`sequence`], but `0` when neither carries one.
fn optional_sequence(
    message: &Map<String, Value>,
    envelope: Option<&Map<String, Value>>,
) -> Result<u64, MessageError> {
    match sequence(message, envelope) {
        Err(MessageError::MissingField(_)) => Ok(0),
        other => other,
    }
}

fn parse_message(
    message: &Map<String, Value>,
    envelope: Option<&Map<String, Value>>,
) -> Result<ServiceMessage, MessageError> {
    let event = string(message, "event")?;
    let stream = match event.as_str() {
        "connected" => StreamMessage::Connected {
            protocol: string(message, "protocol")?,
            version: string(message, "version")?,
        },
        "start" => StreamMessage::Start {
            sequence_number: sequence(message, envelope)?,
            start: parse_start(object(message, "start")?)?,
        },
        "media" => StreamMessage::Media {
            sequence_number: sequence(message, envelope)?,
            media: parse_media(object(message, "media")?)?,
        },
        "dtmf" => {
            let dtmf = object(message, "dtmf")?;
            StreamMessage::Dtmf {
                sequence_number: optional_sequence(message, envelope)?,
                digit: string(dtmf, "digit")?,
                duration_ms: counter(dtmf, "duration")?,
            }
        }
        "mark" => StreamMessage::Mark {
            sequence_number: optional_sequence(message, envelope)?,
            name: string(object(message, "mark")?, "name")?,
        },
        "stop" => StreamMessage::Stop {
            sequence_number: sequence(message, envelope)?,
        },
        "clear" => return Ok(ServiceMessage::Cleared),
        _ => return Err(MessageError::UnknownEvent(clip(&event))),
    };
    Ok(ServiceMessage::Stream(stream))
}

/// What a media server sends back on a two-way stream, always with the stream's
/// `streamSid`, in the plain form of SignalWire's "Sending WebSocket Messages".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutgoingMessage {
    /// Audio to queue for playing: raw samples in the stream's codec, no file header.
    Media {
        /// The stream's id.
        stream_sid: String,
        /// The encoded audio (base64 on the wire).
        payload: Bytes,
    },
    /// Asks for `name` back once the audio queued before it has played (or was cleared).
    Mark {
        /// The stream's id.
        stream_sid: String,
        /// The mark's name.
        name: String,
    },
    /// Stop playing and flush the queue.
    Clear {
        /// The stream's id.
        stream_sid: String,
    },
}

impl OutgoingMessage {
    /// The wire form, e.g. `{"event":"mark","streamSid":"s","mark":{"name":"n"}}`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(96);
        match self {
            OutgoingMessage::Media {
                stream_sid,
                payload,
            } => {
                push_media_head(&mut out, stream_sid);
                BASE64.encode_string(payload, &mut out);
                out.push_str("\"}}");
            }
            OutgoingMessage::Mark { stream_sid, name } => {
                out.push_str(r#"{"event":"mark","streamSid":"#);
                push_str(&mut out, stream_sid);
                out.push_str(r#","mark":{"name":"#);
                push_str(&mut out, name);
                out.push_str("}}");
            }
            OutgoingMessage::Clear { stream_sid } => {
                out.push_str(r#"{"event":"clear","streamSid":"#);
                push_str(&mut out, stream_sid);
                out.push('}');
            }
        }
        out
    }

    /// Reads what a media server sent (the service's side, and tests), in the plain form or
    /// under `rawEvent` (read as [`ServiceMessage::parse`] reads it). Never panics.
    pub fn parse(text: &str) -> Result<Self, MessageError> {
        // The envelope carries nothing a reply needs: its `streamSid` must be inside too.
        let (message, _envelope) = unwrap_envelope(text)?;
        let event = string(&message, "event")?;
        let stream_sid = string(&message, "streamSid")?;
        match event.as_str() {
            "media" => {
                let payload = string(object(&message, "media")?, "payload")?;
                Ok(OutgoingMessage::Media {
                    stream_sid,
                    payload: Bytes::from(
                        BASE64
                            .decode(payload.as_bytes())
                            .map_err(|_| MessageError::BadBase64)?,
                    ),
                })
            }
            "mark" => Ok(OutgoingMessage::Mark {
                stream_sid,
                name: string(object(&message, "mark")?, "name")?,
            }),
            "clear" => Ok(OutgoingMessage::Clear { stream_sid }),
            _ => Err(MessageError::UnknownEvent(clip(&event))),
        }
    }
}

/// `{"event":"media","streamSid":"<sid>","media":{"payload":"`: what every outgoing media
/// message starts with, so a session can write it once and append each frame's base64.
pub fn push_media_head(out: &mut String, stream_sid: &str) {
    out.push_str(r#"{"event":"media","streamSid":"#);
    push_str(out, stream_sid);
    out.push_str(r#","media":{"payload":""#);
}

/// Appends `payload` in base64 and closes a message opened by [`push_media_head`].
pub fn push_media_tail(out: &mut String, payload: &[u8]) {
    BASE64.encode_string(payload, out);
    out.push_str("\"}}");
}

// The `let _ = write!(..)`s in this file write to a `String`, which cannot fail.

/// `{"event":"<event>","sequenceNumber":"<n>"`, the opening every counted message shares.
fn push_head(out: &mut String, event: &str, sequence_number: u64) {
    let _ = write!(
        out,
        r#"{{"event":"{event}","sequenceNumber":"{sequence_number}""#
    );
}

/// Appends `value` as a JSON string literal.
fn push_str(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn parse_start(start: &Map<String, Value>) -> Result<StartInfo, MessageError> {
    let tracks = field(start, "tracks")?
        .as_array()
        .ok_or(MessageError::WrongType("tracks"))?
        .iter()
        .map(|t| {
            t.as_str()
                .and_then(MediaTrack::from_wire)
                .ok_or(MessageError::WrongType("tracks"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let custom_parameters = match start.get("customParameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(MessageError::WrongType("customParameters")),
    };
    let format = object(start, "mediaFormat")?;
    let mime = string(format, "encoding")?;
    let encoding =
        Encoding::from_mime(&mime).ok_or_else(|| MessageError::BadEncoding(clip(&mime)))?;
    let sample_rate = u32::try_from(counter(format, "sampleRate")?)
        .map_err(|_| MessageError::WrongType("sampleRate"))?;
    let channels = match format.get("channels") {
        None => 1,
        Some(_) => u16::try_from(counter(format, "channels")?)
            .map_err(|_| MessageError::WrongType("channels"))?,
    };
    Ok(StartInfo {
        stream_sid: string(start, "streamSid")?,
        account_sid: string(start, "accountSid").unwrap_or_default(),
        call_sid: string(start, "callSid")?,
        tracks,
        custom_parameters,
        media_format: MediaFormat {
            encoding,
            sample_rate,
            channels,
        },
    })
}

fn parse_media(media: &Map<String, Value>) -> Result<MediaChunk, MessageError> {
    let track = string(media, "track")?;
    let payload = string(media, "payload")?;
    Ok(MediaChunk {
        track: MediaTrack::from_wire(&track).ok_or(MessageError::WrongType("track"))?,
        chunk: counter(media, "chunk")?,
        timestamp_ms: counter(media, "timestamp")?,
        payload: Bytes::from(
            BASE64
                .decode(payload.as_bytes())
                .map_err(|_| MessageError::BadBase64)?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn start() -> StartInfo {
        let mut custom = Map::new();
        custom.insert("app".into(), json!("demo"));
        StartInfo {
            stream_sid: "s-1".into(),
            account_sid: "a-1".into(),
            call_sid: "c-1".into(),
            tracks: vec![MediaTrack::Inbound, MediaTrack::Outbound],
            custom_parameters: custom,
            media_format: MediaFormat::pcmu(),
        }
    }

    #[test]
    fn every_kind_round_trips() {
        let messages = [
            StreamMessage::Connected {
                protocol: "Call".into(),
                version: "0.2.0".into(),
            },
            StreamMessage::Start {
                sequence_number: 1,
                start: start(),
            },
            StreamMessage::Media {
                sequence_number: 2,
                media: MediaChunk {
                    track: MediaTrack::Outbound,
                    chunk: 1,
                    timestamp_ms: 20,
                    payload: Bytes::from_static(&[0xFF, 0x7F, 0x00]),
                },
            },
            StreamMessage::Dtmf {
                sequence_number: 3,
                digit: "5".into(),
                duration_ms: 2000,
            },
            StreamMessage::Mark {
                sequence_number: 4,
                name: "m".into(),
            },
            StreamMessage::Stop { sequence_number: 5 },
        ];
        for message in messages {
            assert_eq!(StreamMessage::parse(&message.to_json()), Ok(message));
        }
    }

    #[test]
    fn media_is_written_in_the_wire_form() {
        let message = StreamMessage::Media {
            sequence_number: 2,
            media: MediaChunk {
                track: MediaTrack::Inbound,
                chunk: 1,
                timestamp_ms: 0,
                payload: Bytes::from_static(&[0xFF, 0xFF]),
            },
        };
        assert_eq!(
            message.to_json(),
            r#"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"//8="}}"#
        );
    }

    #[test]
    fn the_other_kinds_are_written_in_the_wire_form() {
        let written = [
            StreamMessage::Connected {
                protocol: "Call".into(),
                version: "0.2.0".into(),
            },
            StreamMessage::Start {
                sequence_number: 1,
                start: start(),
            },
            StreamMessage::Dtmf {
                sequence_number: 7,
                digit: "5".into(),
                duration_ms: 2000,
            },
            StreamMessage::Mark {
                sequence_number: 8,
                name: "m".into(),
            },
            StreamMessage::Stop { sequence_number: 9 },
        ]
        .map(|m| m.to_json());
        assert_eq!(
            written,
            [
                r#"{"event":"connected","protocol":"Call","version":"0.2.0"}"#,
                concat!(
                    r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"s-1","#,
                    r#""accountSid":"a-1","callSid":"c-1","tracks":["inbound","outbound"],"#,
                    r#""customParameters":{"app":"demo"},"#,
                    r#""mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#
                ),
                r#"{"event":"dtmf","sequenceNumber":"7","dtmf":{"digit":"5","duration":2000}}"#,
                r#"{"event":"mark","sequenceNumber":"8","mark":{"name":"m"}}"#,
                r#"{"event":"stop","sequenceNumber":"9"}"#,
            ]
        );
    }

    #[test]
    fn errors_never_echo_a_huge_string_whole() {
        let name = "x".repeat(500_000);
        let text = format!(
            r#"{{"event":"start","sequenceNumber":"1","start":{{"streamSid":"s","callSid":"c","tracks":["inbound"],"mediaFormat":{{"encoding":"{name}","sampleRate":8000}}}}}}"#
        );
        let expected = format!("{}…", "x".repeat(MAX_ECHO_CHARS));
        assert_eq!(
            StreamMessage::parse(&text),
            Err(MessageError::BadEncoding(expected.clone()))
        );
        let text = format!(r#"{{"event":"{name}"}}"#);
        assert_eq!(
            StreamMessage::parse(&text),
            Err(MessageError::UnknownEvent(expected))
        );
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn strings_are_escaped() {
        let message = StreamMessage::Mark {
            sequence_number: 1,
            name: "a\"b\\c\n\u{1}é😀".into(),
        };
        let text = message.to_json();
        assert!(text.contains(r#""a\"b\\c\n\u0001é😀""#), "{text}");
        assert_eq!(StreamMessage::parse(&text), Ok(message));
    }

    #[test]
    fn counters_may_be_numbers_and_track_names_long() {
        let text = r#"{"event":"media","sequenceNumber":3,"media":{"track":"outbound_track",
            "chunk":2,"timestamp":" 40","payload":""}}"#;
        assert_eq!(
            StreamMessage::parse(text),
            Ok(StreamMessage::Media {
                sequence_number: 3,
                media: MediaChunk {
                    track: MediaTrack::Outbound,
                    chunk: 2,
                    timestamp_ms: 40,
                    payload: Bytes::new(),
                },
            })
        );
    }

    #[test]
    fn the_documented_start_message_parses() {
        let text = r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"x",
            "accountSid":"y","callSid":"z","tracks":["inbound"],"customParameters":{"k":"v"},
            "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#;
        let Ok(StreamMessage::Start { start, .. }) = StreamMessage::parse(text) else {
            panic!("start expected");
        };
        assert_eq!(start.tracks, [MediaTrack::Inbound]);
        assert_eq!(start.media_format, MediaFormat::pcmu());
        assert_eq!(start.custom_parameters["k"], "v");
    }

    #[test]
    fn bad_input_gets_the_right_error() {
        let cases = [
            ("nope", "json"),
            ("[1]", "json"),
            (r#"{"x":1}"#, "missing event"),
            (r#"{"event":"media","sequenceNumber":"1"}"#, "missing media"),
            (r#"{"event":"warp"}"#, "unknown"),
            (
                r#"{"event":"media","sequenceNumber":"1","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"***"}}"#,
                "base64",
            ),
            (r#"{"event":"stop","sequenceNumber":"minus one"}"#, "type"),
            (
                r#"{"event":"start","sequenceNumber":"1","start":{"streamSid":"s","callSid":"c","tracks":["inbound"],"mediaFormat":{"encoding":"audio/opus","sampleRate":48000}}}"#,
                "encoding",
            ),
            (
                r#"{"event":"media","sequenceNumber":"1","media":{"track":"sideways","chunk":"1","timestamp":"0","payload":""}}"#,
                "track",
            ),
            (r#"{"event":"stop","sequenceNumber":"-1"}"#, "negative"),
            (r#"{"event":7}"#, "event type"),
        ];
        let got: Vec<MessageError> = cases
            .iter()
            .map(|(text, _)| StreamMessage::parse(text).unwrap_err())
            .collect();
        assert!(matches!(got[0], MessageError::InvalidJson(_)));
        assert!(matches!(got[1], MessageError::InvalidJson(_)));
        assert_eq!(got[2], MessageError::MissingField("event"));
        assert_eq!(got[3], MessageError::MissingField("media"));
        assert_eq!(got[4], MessageError::UnknownEvent("warp".into()));
        assert_eq!(got[5], MessageError::BadBase64);
        assert_eq!(got[6], MessageError::WrongType("sequenceNumber"));
        assert_eq!(got[7], MessageError::BadEncoding("audio/opus".into()));
        assert_eq!(got[8], MessageError::WrongType("track"));
        assert_eq!(got[9], MessageError::WrongType("sequenceNumber"));
        assert_eq!(got[10], MessageError::WrongType("event"));
    }

    /// The envelope of the newest docs around `inner` (a JSON object's text).
    fn envelope(inner: &str, sequence: Option<&str>) -> String {
        let sequence = sequence.map_or(String::new(), |n| format!(r#""sequenceNumber":"{n}","#));
        format!(
            r#"{{"timestamp":"2024-01-01T00:00:00Z","direction":"inbound","eventType":"x",{sequence}"streamSid":"s-1","rawEvent":{inner}}}"#
        )
    }

    #[test]
    fn the_plain_and_the_rawevent_form_read_alike() {
        let stop = r#"{"event":"stop","sequenceNumber":"9"}"#;
        let mark = r#"{"event":"mark","streamSid":"s-1","mark":{"name":"m"}}"#;
        let want_stop = ServiceMessage::Stream(StreamMessage::Stop { sequence_number: 9 });
        let want_mark = OutgoingMessage::Mark {
            stream_sid: "s-1".into(),
            name: "m".into(),
        };

        assert_eq!(ServiceMessage::parse(stop), Ok(want_stop.clone()));
        assert_eq!(ServiceMessage::parse(&envelope(stop, None)), Ok(want_stop));
        assert_eq!(OutgoingMessage::parse(mark), Ok(want_mark.clone()));
        assert_eq!(OutgoingMessage::parse(&envelope(mark, None)), Ok(want_mark));
    }

    #[test]
    fn a_rawevent_that_is_not_an_object_is_the_same_typed_error_for_both_readers() {
        for raw in [r#""stop""#, "[1]", "7", "null"] {
            let text = format!(r#"{{"streamSid":"s-1","rawEvent":{raw}}}"#);
            assert_eq!(
                ServiceMessage::parse(&text),
                Err(MessageError::WrongType("rawEvent")),
                "{text}"
            );
            assert_eq!(
                OutgoingMessage::parse(&text),
                Err(MessageError::WrongType("rawEvent")),
                "{text}"
            );
        }
    }

    #[test]
    fn an_object_with_its_own_event_is_the_plain_form_whatever_its_rawevent() {
        let text = r#"{"event":"clear","streamSid":"s-1","rawEvent":"junk"}"#;
        assert_eq!(ServiceMessage::parse(text), Ok(ServiceMessage::Cleared));
        assert_eq!(
            OutgoingMessage::parse(text),
            Ok(OutgoingMessage::Clear {
                stream_sid: "s-1".into()
            })
        );
    }

    #[test]
    fn the_sequence_number_inside_wins_and_the_envelopes_stands_in_for_a_missing_one() {
        let inside = r#"{"event":"stop","sequenceNumber":"5"}"#;
        let without = r#"{"event":"stop"}"#;
        let stop = |n| {
            Ok(ServiceMessage::Stream(StreamMessage::Stop {
                sequence_number: n,
            }))
        };

        assert_eq!(ServiceMessage::parse(&envelope(inside, Some("8"))), stop(5));
        assert_eq!(
            ServiceMessage::parse(&envelope(without, Some("8"))),
            stop(8)
        );
        assert_eq!(
            ServiceMessage::parse(&envelope(without, None)),
            Err(MessageError::MissingField("sequenceNumber"))
        );
        // A plain message never borrows one: there is no envelope.
        assert_eq!(
            ServiceMessage::parse(without),
            Err(MessageError::MissingField("sequenceNumber"))
        );
    }
}
