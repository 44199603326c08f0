//! A borrowed view of a `calling.call.*` event: the members the engine routes by and judges
//! state with, read in place from the event's text (no tree; a name without escapes is not
//! copied). The rest of the event stays text, in its [`Payload`](crate::Payload).

use super::call::{CallInfo, CallState, Direction};
use super::params::lenient_text;
use crate::ids::{CallId, DialTag, NodeId};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::Arc;

/// The routing members of a call event. The ids must be strings when present (another type
/// makes the event unreadable, a typed protocol error); the descriptive members read as
/// absent when they are of another type, as they always have.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct EventView<'a> {
    #[serde(borrow, default, deserialize_with = "crate::frame::text")]
    pub call_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::frame::text")]
    pub node_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::frame::text")]
    pub control_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "crate::frame::text")]
    pub tag: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub end_reason: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub direction: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub context: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub dial_state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub reason: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub source: Option<Cow<'a, str>>,
    /// The far-end device, as its JSON text: a call keeps it so and reads it on first use.
    #[serde(borrow, default, deserialize_with = "raw_text")]
    pub device: Option<&'a str>,
    /// `calling.call.dial`'s answered call, as its JSON text.
    #[serde(borrow, default, deserialize_with = "raw_text")]
    pub call: Option<&'a str>,
}

/// A member's JSON text; `null` reads as absent.
fn raw_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de str>, D::Error> {
    <Option<&RawValue>>::deserialize(d).map(|raw| raw.map(RawValue::get))
}

impl CallInfo {
    /// Reads a call from a view of `calling.call.receive`, `calling.call.state` or the `call`
    /// of `calling.call.dial`, as [`CallInfo::from_wire`] reads one from a `Value`.
    pub(crate) fn from_view(view: &EventView<'_>) -> Option<Self> {
        let mut info = CallInfo::new(
            CallId::from(view.call_id.as_deref()?),
            NodeId::from(view.node_id.as_deref()?),
        );
        info.context = view.context.as_deref().map(Arc::from);
        info.tag = view.tag.as_deref().map(DialTag::new);
        info.direction = Direction::from_wire(view.direction.as_deref().unwrap_or("inbound"));
        info.fill_device(view.device);
        info.set_state(CallState::from_wire(
            view.call_state.as_deref().unwrap_or("created"),
        ));
        Some(info)
    }
}

#[cfg(test)]
mod tests {
    use super::super::data::read;
    use super::*;

    fn raw(text: &str) -> &RawValue {
        serde_json::from_str(text).expect("json")
    }

    #[test]
    fn a_call_reads_the_same_from_a_view_as_from_a_value() {
        let text = r#"{"call_id":"c1","node_id":"n1","context":"office","call_state":"ringing",
            "direction":"inbound","extra":[1,{"a":null}],
            "device":{"type":"phone","params":{"from_number":"+1555","to_number":"+1666"}}}"#;
        let view: EventView<'_> = read(Some(raw(text))).expect("view");
        let value: serde_json::Value = serde_json::from_str(text).expect("json");
        assert_eq!(CallInfo::from_view(&view), CallInfo::from_wire(&value));
        assert!(matches!(view.call_id, Some(Cow::Borrowed("c1"))));
        let escaped: EventView<'_> =
            read(Some(raw(r#"{"call_id":"c\u0031","tag":null}"#))).expect("ok");
        assert_eq!(
            (escaped.call_id.as_deref(), escaped.tag),
            (Some("c1"), None)
        );
    }

    #[test]
    fn an_id_of_another_type_is_an_error_and_a_state_of_another_type_is_absent() {
        let error = read::<EventView<'_>>(Some(raw(r#"{"call_id":5}"#))).expect_err("5");
        assert!(error.contains("invalid type"), "{error}");
        assert!(read::<EventView<'_>>(Some(raw(r#""text""#))).is_err());
        let view: EventView<'_> = read(Some(raw(r#"{"state":5,"call_state":[]}"#))).expect("ok");
        assert_eq!((view.state, view.call_state), (None, None));
        let empty: EventView<'_> = read(Some(raw("null"))).expect("null");
        assert!(empty.call_id.is_none());
    }
}
