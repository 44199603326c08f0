//! Typed call data: states, end reasons, direction, devices and the call snapshot.
//!
//! Every enum keeps an `Other` escape hatch so values the server adds later still parse.

pub use super::call_state::{CallState, Direction, EndReason};
pub use super::devices::{
    AgoraDevice, CallCodec, CallDevice, Device, LegOptions, PhoneDevice, QueueDevice, SipDevice,
    StreamDevice, WebRtcDevice,
};
use crate::ids::{CallId, DialTag, NodeId};
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

/// One call, read once from the wire and shared by everyone who holds it: the engine's
/// call table, the events that announce the call ([`Event::IncomingCall`](crate::Event),
/// `DialCompleted`, a connect's peer) and the driver's `Call` all hold the same
/// `Arc<CallInfo>`, so a call costs one record however many places name it.
///
/// The identity (ids, context, tag, direction) never changes. The state is kept here
/// once: the engine writes what `calling.call.state` reports, and every holder reads it
/// with [`CallInfo::state`]. The device, when the first event did not carry it, is filled
/// in once by a later one.
#[non_exhaustive]
pub struct CallInfo {
    /// The server's call id.
    pub call_id: CallId,
    /// The node hosting the call; every command on the call carries it.
    pub node_id: NodeId,
    /// The context the call arrived on (inbound calls). Shared with every call of the
    /// same context.
    pub context: Option<Arc<str>>,
    /// The correlation tag (outbound calls, and the server's tag on inbound ones).
    pub tag: Option<DialTag>,
    /// Inbound or outbound.
    pub direction: Direction,
    device: OnceLock<Device>,
    state: Mutex<CallState>,
}

impl CallInfo {
    /// A call with these ids: inbound, in state `created`, no context, tag or device.
    pub fn new(call_id: CallId, node_id: NodeId) -> Self {
        Self {
            call_id,
            node_id,
            context: None,
            tag: None,
            direction: Direction::Inbound,
            device: OnceLock::new(),
            state: Mutex::new(CallState::Created),
        }
    }

    /// Reads a call from the params of `calling.call.receive`, `calling.call.state` or the
    /// `call` object of `calling.call.dial`. `None` without `call_id` and `node_id`.
    pub fn from_wire(params: &Value) -> Option<Self> {
        let text = |key: &str| params.get(key).and_then(Value::as_str);
        let mut info = Self::new(
            CallId::from(text("call_id")?),
            NodeId::from(text("node_id")?),
        );
        info.context = text("context").map(Arc::from);
        info.tag = text("tag").map(DialTag::new);
        info.direction = Direction::from_wire(text("direction").unwrap_or("inbound"));
        if let Some(device) = params.get("device").and_then(Device::from_wire) {
            info.device = OnceLock::from(device);
        }
        *info.state.get_mut().unwrap_or_else(PoisonError::into_inner) =
            CallState::from_wire(text("call_state").unwrap_or("created"));
        Some(info)
    }

    /// The latest state reported (or, for a call answered through the driver, `answered`
    /// as soon as the server accepted the answer).
    pub fn state(&self) -> CallState {
        self.lock_state().clone()
    }

    /// Records a new state.
    pub(crate) fn set_state(&self, state: CallState) {
        *self.lock_state() = state;
    }

    /// Moves a call that is not up yet (`created`, `ringing`) to `answered`.
    pub(crate) fn mark_answered(&self) {
        let mut state = self.lock_state();
        if matches!(*state, CallState::Created | CallState::Ringing) {
            *state = CallState::Answered;
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, CallState> {
        // Held only to copy or replace the state: a poisoned lock still holds a valid one.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The far-end device, when an event of the call carried one.
    pub fn device(&self) -> Option<&Device> {
        self.device.get()
    }

    /// Sets the device if none was known yet (a later event may carry it).
    pub(crate) fn fill_device(&self, device: impl FnOnce() -> Option<Device>) {
        if self.device.get().is_none() {
            if let Some(device) = device() {
                let _ = self.device.set(device);
            }
        }
    }

    /// This record with another state (for a record not shared yet).
    pub(crate) fn with_state(mut self, state: CallState) -> Self {
        *self.state.get_mut().unwrap_or_else(PoisonError::into_inner) = state;
        self
    }

    /// The calling number, when the device is a phone.
    pub fn from_number(&self) -> Option<&str> {
        self.device().and_then(Device::from_number)
    }

    /// The called number, when the device is a phone.
    pub fn to_number(&self) -> Option<&str> {
        self.device().and_then(Device::to_number)
    }
}

/// A copy of the record at this moment (its state included), not shared with the original.
impl Clone for CallInfo {
    fn clone(&self) -> Self {
        Self {
            call_id: self.call_id.clone(),
            node_id: self.node_id.clone(),
            context: self.context.clone(),
            tag: self.tag.clone(),
            direction: self.direction.clone(),
            device: self.device.clone(),
            state: Mutex::new(self.state()),
        }
    }
}

/// Equal when every field and the current state are.
impl PartialEq for CallInfo {
    fn eq(&self, other: &Self) -> bool {
        self.call_id == other.call_id
            && self.node_id == other.node_id
            && self.context == other.context
            && self.tag == other.tag
            && self.direction == other.direction
            && self.device() == other.device()
            && self.state() == other.state()
    }
}

impl fmt::Debug for CallInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallInfo")
            .field("call_id", &self.call_id)
            .field("node_id", &self.node_id)
            .field("context", &self.context)
            .field("tag", &self.tag)
            .field("direction", &self.direction)
            .field("device", &self.device())
            .field("state", &self.state())
            .finish()
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
        assert_eq!(call.state(), CallState::Ringing);
        assert_eq!(call.from_number(), Some("+1555"));
        assert_eq!(call.to_number(), Some("+1666"));
        assert_eq!(call.context.as_deref(), Some("office"));
        assert!(CallInfo::from_wire(&json!({"call_id": "c1"})).is_none());
    }
}
