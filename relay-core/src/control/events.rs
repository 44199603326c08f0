//! The typed events of call control (§4): `calling.call.refer`, `calling.call.queue` and
//! `calling.conference`. Undocumented values stay strings, never rejected; every payload is
//! kept whole in `params`.

use super::text_of;
use crate::ids::{CallId, ControlId};
use serde_json::Value;

/// `calling.call.refer`: how a SIP REFER goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferEvent {
    /// `state` (values undocumented).
    pub state: Option<String>,
    /// `sip_refer_to`: where the call was referred.
    pub sip_refer_to: Option<String>,
    /// `sip_refer_response_code`: the far end's answer to the REFER.
    pub sip_refer_response_code: Option<String>,
    /// `sip_notify_response_code`: the outcome the far end reported by NOTIFY.
    pub sip_notify_response_code: Option<String>,
    /// The event's params.
    pub params: Value,
}

impl ReferEvent {
    /// Reads one event; never fails.
    pub fn from_wire(params: Value) -> Self {
        Self {
            state: text_of(&params, "state"),
            sip_refer_to: text_of(&params, "sip_refer_to"),
            sip_refer_response_code: text_of(&params, "sip_refer_response_code"),
            sip_notify_response_code: text_of(&params, "sip_notify_response_code"),
            params,
        }
    }
}

/// `calling.call.queue`: where the call stands in a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEvent {
    /// The control id of the enter (or leave) it belongs to.
    pub control_id: Option<ControlId>,
    /// `status` (not `state`; values undocumented).
    pub status: Option<String>,
    /// `id`: the queue's id.
    pub queue_id: Option<String>,
    /// `name`: the queue's name.
    pub queue_name: Option<String>,
    /// `position`: the call's place in the queue (1 is next).
    pub position: Option<u64>,
    /// `size`: calls in the queue.
    pub size: Option<u64>,
    /// The event's params.
    pub params: Value,
}

fn count(params: &Value, key: &str) -> Option<u64> {
    match params.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl QueueEvent {
    /// Reads one event; never fails.
    pub fn from_wire(params: Value) -> Self {
        Self {
            control_id: text_of(&params, "control_id").map(ControlId::new),
            status: text_of(&params, "status"),
            queue_id: text_of(&params, "id"),
            queue_name: text_of(&params, "name"),
            position: count(&params, "position"),
            size: count(&params, "size"),
            params,
        }
    }
}

/// `calling.conference`: a conference's state, or one participant's. Conference-level
/// events have no `call_id`; participant events name the call.
#[derive(Debug, Clone, PartialEq)]
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
    pub params: Value,
}

impl ConferenceEvent {
    /// Reads one event; never fails.
    pub fn from_wire(params: Value) -> Self {
        Self {
            conference_id: text_of(&params, "conference_id"),
            name: text_of(&params, "name"),
            status: text_of(&params, "status"),
            call_id: text_of(&params, "call_id")
                .filter(|id| !id.is_empty())
                .map(CallId::new),
            params,
        }
    }
}
