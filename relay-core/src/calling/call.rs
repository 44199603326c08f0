//! Typed call data: states, end reasons, direction, devices and the call snapshot.
//!
//! Every enum keeps an `Other` escape hatch so values the server adds later still parse.

pub use super::devices::{
    AgoraDevice, CallCodec, CallDevice, Device, LegOptions, PhoneDevice, QueueDevice, SipDevice,
    StreamDevice, WebRtcDevice,
};
use crate::ids::{CallId, DialTag, NodeId};
use serde_json::Value;

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this library does not know yet, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Reads the wire form; unknown values become `Other`.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
            /// The wire form.
            pub fn as_wire(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(other) => other,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_wire())
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum!(
    /// The state of a call as the server reports it in `calling.call.state`.
    CallState {
        /// The call exists but is not ringing yet.
        Created = "created",
        /// The far end is ringing.
        Ringing = "ringing",
        /// The call is up.
        Answered = "answered",
        /// The call is being torn down.
        Ending = "ending",
        /// The call is over; its state is freed.
        Ended = "ended",
    }
);

impl CallState {
    /// Whether no further state can follow.
    pub fn is_ended(&self) -> bool {
        matches!(self, CallState::Ended)
    }
}

wire_enum!(
    /// Why a call ended (`end_reason`), or the reason given to `calling.end`.
    EndReason {
        /// A party hung up.
        Hangup = "hangup",
        /// The caller cancelled before answer.
        Cancel = "cancel",
        /// The far end was busy.
        Busy = "busy",
        /// Nobody answered.
        NoAnswer = "noAnswer",
        /// The far end declined.
        Decline = "decline",
        /// The call failed.
        Error = "error",
        /// The call was abandoned.
        Abandoned = "abandoned",
        /// The call reached its maximum duration.
        MaxDuration = "max_duration",
        /// The destination does not exist.
        NotFound = "not_found",
    }
);

wire_enum!(
    /// Which way a call goes.
    Direction {
        /// Arrived at one of our contexts.
        Inbound = "inbound",
        /// Dialled by us.
        Outbound = "outbound",
    }
);

/// What the engine knows about one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallInfo {
    /// The server's call id.
    pub call_id: CallId,
    /// The node hosting the call; every command on the call carries it.
    pub node_id: NodeId,
    /// The context the call arrived on (inbound calls).
    pub context: Option<String>,
    /// The correlation tag (outbound calls, and the server's tag on inbound ones).
    pub tag: Option<DialTag>,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The far-end device.
    pub device: Option<Device>,
    /// The latest state reported.
    pub state: CallState,
}

impl CallInfo {
    /// Reads a call from the params of `calling.call.receive`, `calling.call.state` or the
    /// `call` object of `calling.call.dial`. `None` without `call_id` and `node_id`.
    pub fn from_wire(params: &Value) -> Option<Self> {
        let text = |key: &str| params.get(key).and_then(Value::as_str);
        Some(CallInfo {
            call_id: CallId::from(text("call_id")?),
            node_id: NodeId::from(text("node_id")?),
            context: text("context").map(str::to_owned),
            tag: text("tag").map(DialTag::new),
            direction: Direction::from_wire(text("direction").unwrap_or("inbound")),
            device: params.get("device").and_then(Device::from_wire),
            state: CallState::from_wire(text("call_state").unwrap_or("created")),
        })
    }

    /// The calling number, when the device is a phone.
    pub fn from_number(&self) -> Option<&str> {
        self.device.as_ref().and_then(Device::from_number)
    }

    /// The called number, when the device is a phone.
    pub fn to_number(&self) -> Option<&str> {
        self.device.as_ref().and_then(Device::to_number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_states_are_kept() {
        assert_eq!(CallState::from_wire("answered"), CallState::Answered);
        assert_eq!(
            CallState::from_wire("parked"),
            CallState::Other("parked".into())
        );
        assert_eq!(EndReason::from_wire("noAnswer").as_wire(), "noAnswer");
    }

    #[test]
    fn reads_an_inbound_call() {
        let params = json!({
            "call_id": "c1", "node_id": "n1", "context": "office", "call_state": "ringing",
            "direction": "inbound",
            "device": {"type": "phone", "params": {"from_number": "+1555", "to_number": "+1666"}}
        });
        let call = CallInfo::from_wire(&params).expect("call");
        assert_eq!(call.call_id.as_str(), "c1");
        assert_eq!(call.state, CallState::Ringing);
        assert_eq!(call.from_number(), Some("+1555"));
        assert_eq!(call.to_number(), Some("+1666"));
        assert_eq!(call.context.as_deref(), Some("office"));
        assert!(CallInfo::from_wire(&json!({"call_id": "c1"})).is_none());
    }
}
