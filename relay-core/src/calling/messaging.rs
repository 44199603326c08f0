//! Typed messaging data (`docs/CALLING-API.md` [§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): message states, the message snapshot
//! read from `messaging.state` / `messaging.receive`, the `messaging.send` options and the
//! ways a message can fail to arrive.

use super::call::Direction;
use super::lenient;
use crate::error::{CommandError, RequestError};
use crate::payload::Payload;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

crate::ids::string_id!(
    /// The server's id of one message (`message_id`).
    MessageId
);

/// The state of a message (`message_state`). Unknown values are kept as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageState {
    /// Accepted by the service, waiting to go out. A sent message starts here locally.
    Queued,
    /// Handed to the carrier.
    Initiated,
    /// The carrier took it.
    Sent,
    /// The handset got it (terminal).
    Delivered,
    /// The carrier could not deliver it (terminal; see the reason).
    Undelivered,
    /// It could not be sent (terminal; see the reason).
    Failed,
    /// An inbound message.
    Received,
    /// A state this library does not know yet, kept verbatim.
    Other(String),
}

impl MessageState {
    /// Reads the wire form; unknown values become `Other`.
    pub fn from_wire(value: &str) -> Self {
        match value {
            "queued" => Self::Queued,
            "initiated" => Self::Initiated,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "undelivered" => Self::Undelivered,
            "failed" => Self::Failed,
            "received" => Self::Received,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire form.
    pub fn as_wire(&self) -> &str {
        match self {
            Self::Queued => "queued",
            Self::Initiated => "initiated",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
            Self::Received => "received",
            Self::Other(other) => other,
        }
    }

    /// Whether no further state follows: `delivered`, `undelivered` or `failed` (the SDKs'
    /// `MESSAGE_TERMINAL_STATES`).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Delivered | Self::Undelivered | Self::Failed)
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_wire())
    }
}

/// What is known of one message: the payload of `messaging.state` / `messaging.receive`, or,
/// for a message just sent, what was asked for with the server's `message_id`.
///
/// Its `Deserialize` reads such a payload leniently (a member of the wrong JSON type reads as
/// unset); [`Message::from_wire`] also wants a non-empty `message_id`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// The server's id.
    #[serde(rename = "message_id", default = "no_id", deserialize_with = "read_id")]
    pub id: MessageId,
    /// The context its events go to (outbound) or it arrived on (inbound).
    #[serde(default, deserialize_with = "lenient::text")]
    pub context: String,
    /// `Outbound` for a message we sent, `Inbound` for one we received.
    #[serde(default = "inbound", deserialize_with = "read_direction")]
    pub direction: Direction,
    /// The sending number (`from_number`).
    #[serde(rename = "from_number", default, deserialize_with = "lenient::text")]
    pub from: String,
    /// The receiving number (`to_number`).
    #[serde(rename = "to_number", default, deserialize_with = "lenient::text")]
    pub to: String,
    /// The text, if any.
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub body: Option<String>,
    /// Media URLs (MMS).
    #[serde(default, deserialize_with = "read_strings")]
    pub media: Vec<String>,
    /// How many segments the service split it into, when it says.
    #[serde(default, deserialize_with = "read_count")]
    pub segments: Option<u64>,
    /// The latest state.
    #[serde(
        rename = "message_state",
        default = "no_state",
        deserialize_with = "read_state"
    )]
    pub state: MessageState,
    /// Why it was not delivered (on `undelivered` / `failed`).
    #[serde(default, deserialize_with = "lenient::opt_text")]
    pub reason: Option<String>,
    /// The tags given at send.
    #[serde(default, deserialize_with = "read_strings")]
    pub tags: Vec<String>,
}

fn no_id() -> MessageId {
    MessageId::new("")
}

fn read_id<'de, D: Deserializer<'de>>(d: D) -> Result<MessageId, D::Error> {
    lenient::text(d).map(MessageId::new)
}

/// Only inbound messages arrive unasked; a state event names its direction.
fn inbound() -> Direction {
    Direction::Inbound
}

fn read_direction<'de, D: Deserializer<'de>>(d: D) -> Result<Direction, D::Error> {
    Ok(lenient::opt_cow(d)?.map_or(Direction::Inbound, |dir| Direction::from_wire(&dir)))
}

fn no_state() -> MessageState {
    MessageState::Other(String::new())
}

fn read_state<'de, D: Deserializer<'de>>(d: D) -> Result<MessageState, D::Error> {
    Ok(MessageState::from_wire(
        lenient::opt_cow(d)?.as_deref().unwrap_or_default(),
    ))
}

fn read_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    lenient::strings(d, str::to_owned)
}

/// A whole, non-negative JSON number; anything else (a string, a fraction) reads as unset,
/// and an array or object is skipped without building it.
fn read_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<u64>, E> {
            Ok(u64::try_from(v).ok())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<u64>, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<u64>, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<u64>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<u64>, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<u64>, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<u64>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<u64>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(Count)
}

impl Message {
    /// Reads a `messaging.state` or `messaging.receive` payload. `None` without a non-empty
    /// `message_id` (nothing could be routed by it); other fields default when missing.
    pub fn from_wire(data: &Payload) -> Option<Self> {
        data.parse::<Message>()
            .ok()
            .filter(|message| !message.id.as_str().is_empty())
    }

    /// Whether the message reached a terminal state.
    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }
}

/// The options of `messaging.send` ([§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)). A body, media, or both are required; only the
/// options that are set go on the wire.
///
/// ```
/// # mod relay_tokio { pub use relay_rs_core::*; } // the runtime crate re-exports these
/// use relay_tokio::SendMessage;
/// let message = SendMessage::new("+15550001111", "+15550002222")
///     .body("Your code is 1234")
///     .tags(["otp"]);
/// # let _ = message;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SendMessage {
    /// The sending number, E.164 (`from_number`).
    pub from: String,
    /// The receiving number, E.164 (`to_number`).
    pub to: String,
    /// The text.
    pub body: Option<String>,
    /// Media URLs (MMS).
    pub media: Vec<String>,
    /// Tags, echoed in the message's events.
    pub tags: Vec<String>,
    /// The region to send from.
    pub region: Option<String>,
    /// The context the message's `messaging.state` events go to. Default, as in both SDKs:
    /// the session's `protocol`; before the first session, the first context the client
    /// receives on (the SDKs use `"default"`, which only that is used for here when there
    /// is none).
    pub context: Option<String>,
}

impl SendMessage {
    /// A message from one number to another; add a body and/or media.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
            ..Self::default()
        }
    }

    /// The text.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Media URLs (MMS), added to those already set.
    pub fn media<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.media.extend(urls.into_iter().map(Into::into));
        self
    }

    /// Tags, added to those already set.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// The region to send from.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The context for this message's state events (default: the session's protocol).
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Checks the options: both numbers set, and a body or media.
    pub fn validate(&self) -> Result<(), CommandError> {
        if self.from.trim().is_empty() {
            return Err(CommandError::InvalidOption("from_number is empty".into()));
        }
        if self.to.trim().is_empty() {
            return Err(CommandError::InvalidOption("to_number is empty".into()));
        }
        if self.context.as_deref().is_some_and(str::is_empty) {
            return Err(CommandError::InvalidOption("context is empty".into()));
        }
        let no_body = self.body.as_deref().is_none_or(str::is_empty);
        if no_body && self.media.is_empty() {
            return Err(CommandError::EmptyMessage);
        }
        Ok(())
    }

    /// Checks the message and gives the `messaging.send` params, with `default_context`
    /// when none was set, written straight into the request.
    pub(crate) fn to_params<'a>(
        &'a self,
        default_context: &'a str,
    ) -> Result<SendParams<'a>, CommandError> {
        self.validate()?;
        Ok(SendParams {
            context: self.context.as_deref().unwrap_or(default_context),
            from_number: &self.from,
            to_number: &self.to,
            body: self.body.as_deref().filter(|b| !b.is_empty()),
            media: &self.media,
            tags: &self.tags,
            region: self.region.as_deref(),
        })
    }

    /// The local snapshot of this message once the server accepted it: state `queued`.
    pub(crate) fn accepted(&self, id: MessageId, context: String) -> Message {
        Message {
            id,
            context,
            direction: Direction::Outbound,
            from: self.from.clone(),
            to: self.to.clone(),
            body: self.body.clone().filter(|b| !b.is_empty()),
            media: self.media.clone(),
            segments: None,
            state: MessageState::Queued,
            reason: None,
            tags: self.tags.clone(),
        }
    }
}

/// The `messaging.send` params: only what is set is written.
#[derive(Debug, Serialize)]
pub(crate) struct SendParams<'a> {
    /// Where the message's state events go.
    pub(crate) context: &'a str,
    from_number: &'a str,
    to_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    media: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
}

/// Why a message did not arrive, or could not be followed to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageError {
    /// The `messaging.send` request failed (refused with a 4xx/5xx, timed out, or its
    /// connection was lost: then whether it went out is unknown).
    Request(RequestError),
    /// The server accepted the send but gave no `message_id`: its state cannot be followed.
    NoMessageId,
    /// The carrier could not deliver it (`undelivered`).
    Undelivered {
        /// The message.
        message_id: MessageId,
        /// The service's `reason`.
        reason: Option<String>,
    },
    /// It could not be sent (`failed`).
    Failed {
        /// The message.
        message_id: MessageId,
        /// The service's `reason`.
        reason: Option<String>,
    },
    /// The session that sent it was replaced by a fresh one, which hears nothing of it.
    SessionLost {
        /// The message.
        message_id: MessageId,
    },
    /// The session closed first.
    Closed,
}

impl MessageError {
    /// The service's reason, for `Undelivered` and `Failed`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Undelivered { reason, .. } | Self::Failed { reason, .. } => reason.as_deref(),
            _ => None,
        }
    }

    /// The error for a message that ended in `state`, if it was not delivered.
    pub(crate) fn from_terminal(message: &Message) -> Option<Self> {
        let message_id = message.id.clone();
        let reason = message.reason.clone();
        match message.state {
            MessageState::Undelivered => Some(Self::Undelivered { message_id, reason }),
            MessageState::Failed => Some(Self::Failed { message_id, reason }),
            _ => None,
        }
    }
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = |r: &Option<String>| r.clone().unwrap_or_else(|| "no reason given".into());
        match self {
            Self::Request(e) => write!(f, "messaging.send failed: {e}"),
            Self::NoMessageId => f.write_str("the send was accepted without a message_id"),
            Self::Undelivered {
                message_id,
                reason: r,
            } => {
                write!(f, "message {message_id} undelivered: {}", reason(r))
            }
            Self::Failed {
                message_id,
                reason: r,
            } => {
                write!(f, "message {message_id} failed: {}", reason(r))
            }
            Self::SessionLost { message_id } => {
                write!(f, "the session that sent message {message_id} was lost")
            }
            Self::Closed => f.write_str("the session closed before the message ended"),
        }
    }
}

impl std::error::Error for MessageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Request(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn states_read_and_write_their_wire_form() {
        for wire in [
            "queued",
            "initiated",
            "sent",
            "delivered",
            "undelivered",
            "failed",
            "received",
            "carrier_hold",
        ] {
            assert_eq!(MessageState::from_wire(wire).as_wire(), wire);
        }
        let terminal: Vec<&str> = ["queued", "sent", "delivered", "undelivered", "failed"]
            .into_iter()
            .filter(|s| MessageState::from_wire(s).is_terminal())
            .collect();
        assert_eq!(terminal, ["delivered", "undelivered", "failed"]);
    }

    fn read(data: &Value) -> Option<Message> {
        Message::from_wire(&Payload::from(data))
    }

    #[test]
    fn a_payload_needs_only_a_message_id() {
        assert_eq!(read(&json!({"body": "x"})), None);
        assert_eq!(read(&json!({"message_id": ""})), None);
        let message = read(&json!({"message_id": "m", "media": ["u", 3]})).expect("a message");
        assert_eq!(message.direction, Direction::Inbound);
        assert_eq!(message.state, MessageState::Other(String::new()));
        assert_eq!(message.media, ["u"]);
        assert_eq!(message.segments, None);
    }

    #[test]
    fn a_payload_reads_the_same_from_text_and_odd_members_read_as_unset() {
        let text = r#"{"message_id": "m1", "context": "office", "direction": "outbound",
            "from_number": "+1", "to_number": "+2", "body": "hi", "media": ["u1"],
            "segments": 2, "message_state": "delivered", "reason": null, "tags": ["t"],
            "extra": {"nested": [1]}}"#;
        let from_text: Message = serde_json::from_str(text).expect("a message");
        let value: Value = serde_json::from_str(text).expect("json");
        assert_eq!(read(&value), Some(from_text.clone()));
        assert_eq!(from_text.direction, Direction::Outbound);
        assert_eq!(from_text.segments, Some(2));
        assert_eq!(from_text.state, MessageState::Delivered);
        assert_eq!(from_text.tags, ["t"]);
        let odd = json!({"message_id": "m2", "context": 3, "body": ["x"], "segments": "2",
                         "message_state": 7, "tags": "t", "direction": false});
        let odd = read(&odd).expect("a message");
        assert_eq!(odd.context, "");
        assert_eq!(odd.body, None);
        assert_eq!(odd.segments, None);
        for (segments, read_as) in [
            (json!(3), Some(3)),
            (json!(-1), None),
            (json!(2.5), None),
            (json!({"n": [1, 2]}), None),
        ] {
            let data = json!({"message_id": "m3", "segments": segments});
            assert_eq!(read(&data).expect("a message").segments, read_as, "{data}");
        }
        assert_eq!(odd.state, MessageState::Other(String::new()));
        assert!(odd.tags.is_empty());
        assert_eq!(odd.direction, Direction::Inbound);
        assert_eq!(read(&json!({"message_id": 5})), None);
    }

    #[test]
    fn a_send_is_checked_before_any_frame() {
        let ok = SendMessage::new("+1555", "+1666").body("x");
        assert!(ok.validate().is_ok());
        assert_eq!(
            SendMessage::new("+1555", "+1666").validate(),
            Err(CommandError::EmptyMessage)
        );
        assert!(matches!(
            SendMessage::new(" ", "+1666").body("x").validate(),
            Err(CommandError::InvalidOption(_))
        ));
        assert!(matches!(
            ok.clone().context("").validate(),
            Err(CommandError::InvalidOption(_))
        ));
    }
}
