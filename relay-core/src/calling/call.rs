//! Typed call data: states, end reasons, direction, devices and the call snapshot.
//!
//! Every enum keeps an `Other` escape hatch so values the server adds later still parse.

pub use super::call_state::{CallState, Direction, EndReason};
use super::devices::device_from_text;
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
/// `DialCompleted`, a connect's peer), the client's table and its `Call` handles all hold
/// the same `Arc<CallInfo>`, so a call costs one record however many places name it. With
/// the `driver` feature the record also carries the client's part of the call (its end,
/// its event subscribers, a bridge), so a call the client tracks is one allocation.
///
/// The identity (ids, context, tag, direction) never changes. The state is kept here
/// once: the engine writes what `calling.call.state` reports, and every holder reads it
/// with [`CallInfo::state`]. The device is kept as the JSON text an event carried and read
/// on first use ([`CallInfo::device`]): most apps never look at it, and reading it costs
/// more than the rest of the call. When the first event did not carry a device (or one
/// that is not a device), a later event fills it in.
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
    /// Boxed: a record holds it from the first read on, and the pointer leaves room for the
    /// unread text in a record as small as before (see `call_records_stay_small`).
    device: OnceLock<Box<Device>>,
    state: Mutex<Mutable>,
    /// The client's part of the call, in the same allocation (see `driver/call.rs`).
    #[cfg(feature = "driver")]
    pub(crate) driver: crate::driver::call::CallShared,
}

/// What changes after a call is recorded, under one lock.
pub(crate) struct Mutable {
    state: StateSlot,
    /// The device's JSON text, not read yet: taken (and read) by the first
    /// [`CallInfo::device`]. A phone in the shape the service sends is kept as its two
    /// numbers alone ([`DeviceText`]).
    device_text: Option<Box<str>>,
    /// What few calls of the client use (event subscribers, a bridge), boxed: a pointer
    /// until used, under this lock rather than one of its own.
    #[cfg(feature = "driver")]
    pub(crate) rare: Option<Box<crate::driver::call::Rare>>,
}

/// A [`CallState`] in two words where the enum takes three: a state this library does not
/// know (rare) is boxed. With it the record, counts included, is 200 bytes (malloc's 208-byte
/// chunk) rather than 216 (a 224-byte one) (see `call_records_stay_small`).
#[derive(Clone)]
enum StateSlot {
    Created,
    Ringing,
    Answered,
    Ending,
    Ended,
    Other(Box<CallState>),
}

impl StateSlot {
    fn of(state: CallState) -> Self {
        match state {
            CallState::Created => Self::Created,
            CallState::Ringing => Self::Ringing,
            CallState::Answered => Self::Answered,
            CallState::Ending => Self::Ending,
            CallState::Ended => Self::Ended,
            other => Self::Other(Box::new(other)),
        }
    }

    fn get(&self) -> CallState {
        match self {
            Self::Created => CallState::Created,
            Self::Ringing => CallState::Ringing,
            Self::Answered => CallState::Answered,
            Self::Ending => CallState::Ending,
            Self::Ended => CallState::Ended,
            Self::Other(other) => CallState::clone(other),
        }
    }
}

impl Mutable {
    fn new(state: CallState, device_text: Option<Box<str>>) -> Self {
        Self {
            state: StateSlot::of(state),
            device_text,
            #[cfg(feature = "driver")]
            rare: None,
        }
    }
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
            state: Mutex::new(Mutable::new(CallState::Created, None)),
            #[cfg(feature = "driver")]
            driver: Default::default(),
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
            info.device = OnceLock::from(Box::new(device));
        }
        info.mutable().state = StateSlot::of(CallState::from_wire(
            text("call_state").unwrap_or("created"),
        ));
        Some(info)
    }

    /// The latest state reported (or, for a call answered through the driver, `answered`
    /// as soon as the server accepted the answer).
    pub fn state(&self) -> CallState {
        self.lock().state.get()
    }

    /// Records a new state.
    pub(crate) fn set_state(&self, state: CallState) {
        self.lock().state = StateSlot::of(state);
    }

    /// Moves a call that is not up yet (`created`, `ringing`) to `answered`.
    pub(crate) fn mark_answered(&self) {
        let mut mutable = self.lock();
        if matches!(mutable.state, StateSlot::Created | StateSlot::Ringing) {
            mutable.state = StateSlot::Answered;
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Mutable> {
        // Held only to copy or replace a value, or to read the device text once (and by
        // the client, to hand an event to its subscribers): a poisoned lock still holds a
        // valid record.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn mutable(&mut self) -> &mut Mutable {
        self.state.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// The far-end device, when an event of the call carried one. Read from the event's
    /// text on the first call, once; `None` when the member was absent or not a device.
    pub fn device(&self) -> Option<&Device> {
        if let Some(device) = self.device.get() {
            return Some(&**device);
        }
        // The text is read under the lock so that a second reader waits for the first
        // rather than finding the text taken and the device not set yet.
        let mut mutable = self.lock();
        if let Some(text) = mutable.device_text.take() {
            if let Some(device) = DeviceText::read(&text) {
                let _ = self.device.set(Box::new(device));
            }
        }
        drop(mutable);
        self.device.get().map(|device| &**device)
    }

    /// Keeps an event's `device` text if no device is known yet (a later event may carry
    /// it): the first that reads as a device wins, as if each were read on arrival.
    pub(crate) fn fill_device(&self, text: Option<&str>) {
        let Some(text) = text else { return };
        if self.device.get().is_some() {
            return;
        }
        let mut mutable = self.lock();
        // A `device()` may have read the kept text while this waited for the lock.
        if self.device.get().is_some() {
            return;
        }
        match mutable.device_text.as_deref() {
            // Most state events repeat the device the call arrived with; a phone kept as
            // its numbers is a device, which wins over any later text (read when asked).
            Some(kept) if DeviceText::is_phone(kept) || kept == text => {}
            Some(_) => {
                // Another text while the first is unread: the first wins if it is a device.
                let first = mutable.device_text.take().unwrap_or_default();
                match DeviceText::read(&first) {
                    Some(device) => drop(self.device.set(Box::new(device))),
                    None => mutable.device_text = Some(DeviceText::keep(text)),
                }
            }
            None => mutable.device_text = Some(DeviceText::keep(text)),
        }
    }

    /// This record with another state (for a record not shared yet).
    pub(crate) fn with_state(mut self, state: CallState) -> Self {
        self.mutable().state = StateSlot::of(state);
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

/// How a record keeps a device's text until it is read. Nearly every inbound call carries
/// a phone as `{"type":"phone","params":{"from_number":"…","to_number":"…"}}` (or with
/// `type` last, as the simulator writes it): that is kept as its two numbers
/// (`\0from\0to`, a third of the text: ~56 bytes less in each of 10,000 records) and read
/// without a parser into the device the text reads as. Any other text (another shape,
/// member order or device, an escape) is kept as sent.
struct DeviceText;

impl DeviceText {
    /// The phone's text around its numbers, `type` first or last.
    const SHAPES: [(&'static str, &'static str); 2] = [
        (r#"{"type":"phone","params":{"from_number":""#, r#""}}"#),
        (r#"{"params":{"from_number":""#, r#""},"type":"phone"}"#),
    ];
    const MIDDLE: &'static str = r#"","to_number":""#;

    /// The two numbers of a phone in the service's shape: JSON strings without escapes or
    /// control characters, so their text is their value.
    fn phone(text: &str) -> Option<(&str, &str)> {
        // The two shapes differ at their third byte (`t` or `p`).
        let (open, close) = match text.as_bytes().get(2)? {
            b't' => Self::SHAPES[0],
            _ => Self::SHAPES[1],
        };
        let rest = text.strip_prefix(open)?;
        let (from, rest) = Self::plain_string(rest)?;
        let (to, rest) = Self::plain_string(rest.strip_prefix(Self::MIDDLE)?)?;
        (rest == close).then_some((from, to))
    }

    /// The text before the first quote, split off, when it holds no escape or control
    /// character.
    fn plain_string(text: &str) -> Option<(&str, &str)> {
        let (value, rest) = text.split_at(text.find('"')?);
        let plain = value
            .bytes()
            .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'\\'));
        plain.then_some((value, rest))
    }

    /// What a record keeps of an event's device text.
    fn keep(text: &str) -> Box<str> {
        match Self::phone(text) {
            Some((from, to)) => {
                let mut kept = String::with_capacity(2 + from.len() + to.len());
                kept.push('\0');
                kept.push_str(from);
                kept.push('\0');
                kept.push_str(to);
                kept.into()
            }
            None => text.into(),
        }
    }

    /// Whether a kept text is a phone's two numbers (always a device).
    fn is_phone(kept: &str) -> bool {
        // A JSON text never starts with a NUL: the mark is the two numbers'.
        kept.starts_with('\0')
    }

    /// The device a kept text reads as.
    fn read(kept: &str) -> Option<Device> {
        // A JSON text never starts with a NUL: the mark is the two numbers'.
        match kept
            .strip_prefix('\0')
            .and_then(|numbers| numbers.split_once('\0'))
        {
            Some((from, to)) => Some(Device::Phone(Box::new(PhoneDevice {
                from_number: from.to_owned(),
                to_number: to.to_owned(),
                ..PhoneDevice::default()
            }))),
            None => device_from_text(kept),
        }
    }
}

/// A copy of the record at this moment (its state included), not shared with the original
/// (nor is the client's part: the copy is a call no client tracks).
impl Clone for CallInfo {
    fn clone(&self) -> Self {
        // The device and the kept text are copied under the lock, which `device()` holds
        // while it moves one into the other: the copy gets one or the other, never neither.
        let mutable = self.lock();
        Self {
            call_id: self.call_id.clone(),
            node_id: self.node_id.clone(),
            context: self.context.clone(),
            tag: self.tag.clone(),
            direction: self.direction.clone(),
            device: self.device.clone(),
            state: Mutex::new(Mutable {
                state: mutable.state.clone(),
                device_text: mutable.device_text.clone(),
                #[cfg(feature = "driver")]
                rare: None,
            }),
            #[cfg(feature = "driver")]
            driver: Default::default(),
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

    #[test]
    fn a_record_keeps_any_state_in_two_words() {
        assert_eq!(std::mem::size_of::<StateSlot>(), 16);
        let call = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
        for state in [
            "created", "ringing", "answered", "ending", "ended", "parked",
        ] {
            call.set_state(CallState::from_wire(state));
            assert_eq!(call.state().as_wire(), state);
        }
        assert_eq!(call.clone().state(), CallState::Other("parked".into()));
        call.mark_answered();
        assert_eq!(call.state(), CallState::Other("parked".into()));
        call.set_state(CallState::Ringing);
        call.mark_answered();
        assert_eq!(call.state(), CallState::Answered);
    }

    /// A phone in the service's shape is kept as its numbers and reads as the same device
    /// as its text; anything else is kept as sent.
    #[test]
    fn a_phone_in_the_services_shape_is_kept_as_its_two_numbers() {
        let shaped = |from: &str, to: &str| {
            format!(r#"{{"type":"phone","params":{{"from_number":"{from}","to_number":"{to}"}}}}"#)
        };
        let last = |from: &str, to: &str| {
            format!(r#"{{"params":{{"from_number":"{from}","to_number":"{to}"}},"type":"phone"}}"#)
        };
        let cases = [("+15551110000", "+15552220000"), ("", ""), ("sip:a@b", "ü")];
        for text in cases.iter().flat_map(|(f, t)| [shaped(f, t), last(f, t)]) {
            let (from, to) = DeviceText::phone(&text).expect("the service's shape");
            let kept = DeviceText::keep(&text);
            assert_eq!(&*kept, format!("\0{from}\0{to}"));
            assert!(kept.len() < text.len() / 2, "{kept:?}");
            assert_eq!(DeviceText::read(&kept), device_from_text(&text), "{text}");
            assert!(DeviceText::is_phone(&kept));
        }
        // Kept as sent: escapes, other members, another order, another type, not JSON.
        for text in [
            shaped(r"+1\u0035", "+2"),
            shaped(r#"+1\""#, "+2"),
            r#"{"type":"phone","params":{"from_number":"+1","to_number":"+2","timeout":5}}"#.into(),
            r#"{"type":"phone","params":{"to_number":"+2","from_number":"+1"}}"#.into(),
            r#"{"type":"sip","params":{"from_number":"+1","to_number":"+2"}}"#.into(),
            shaped("+1", "+2") + " ",
            last("+1", "+2").replace("phone", "sip"),
            shaped("+1\n", "+2"),
        ] {
            let kept = DeviceText::keep(&text);
            assert_eq!(&*kept, text.as_str());
            assert_eq!(DeviceText::read(&kept), device_from_text(&text), "{text}");
            assert!(!DeviceText::is_phone(&kept));
        }
        // Through a record: read as the same device, once; it wins over a later text, as a
        // device read on arrival would.
        let call = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
        call.fill_device(Some(PHONE));
        call.fill_device(Some(PHONE));
        call.fill_device(Some(r#"{"type":"sip","params":{"from":"a","to":"b"}}"#));
        assert_eq!(call.lock().device_text.as_deref(), Some("\0+1555\0+1666"));
        assert_eq!(call.device(), Some(&phone()));
    }

    const PHONE: &str = r#"{"type":"phone","params":{"from_number":"+1555","to_number":"+1666"}}"#;

    fn phone() -> Device {
        Device::from_wire(&serde_json::from_str(PHONE).expect("json")).expect("phone")
    }

    #[test]
    fn the_device_is_read_on_first_use_once() {
        let call = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
        call.fill_device(Some(PHONE));
        assert!(
            call.device.get().is_none(),
            "not read before it is asked for"
        );
        let first = call.device().expect("a device");
        assert_eq!(first, &phone());
        // Read once: the text is gone and a second look returns the same value in place.
        assert!(call.lock().device_text.is_none());
        assert!(std::ptr::eq(first, call.device().expect("still")));
        // A later event's device does not replace a known one.
        call.fill_device(Some(r#"{"type":"sip","params":{"from":"a","to":"b"}}"#));
        assert_eq!(call.device(), Some(&phone()));
        assert_eq!(call.from_number(), Some("+1555"));
    }

    #[test]
    fn a_malformed_device_reads_as_none_and_a_later_device_fills_it_in() {
        for bad in ["5", r#""phone""#, "[]", r#"{"params":{}}"#, r#"{"type":7}"#] {
            // Read before the next event comes ...
            let call = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
            call.fill_device(Some(bad));
            assert_eq!(call.device(), None, "{bad}");
            call.fill_device(None);
            assert_eq!(call.device(), None, "{bad}");
            call.fill_device(Some(PHONE));
            assert_eq!(call.device(), Some(&phone()), "{bad}");
            // ... or after: the same device either way.
            let call = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
            call.fill_device(Some(bad));
            call.fill_device(Some(bad));
            call.fill_device(Some(PHONE));
            assert_eq!(call.device(), Some(&phone()), "{bad}");
        }
        // An unknown type is a device, kept as sent, and wins over a later one.
        let call = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
        call.fill_device(Some(r#"{"type":"pigeon","params":{"loft":7}}"#));
        call.fill_device(Some(PHONE));
        assert!(
            matches!(call.device(), Some(Device::Other { kind, .. }) if kind == "pigeon"),
            "{call:?}"
        );
    }

    #[test]
    fn a_copy_and_equality_see_the_unread_device() {
        let call = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
        call.fill_device(Some(PHONE));
        let copy = call.clone();
        assert_eq!(copy.device(), Some(&phone()));
        assert_eq!(copy, call);
        let other = CallInfo::new(CallId::from("c1"), NodeId::from("n1"));
        assert_ne!(other, call);
    }
}
