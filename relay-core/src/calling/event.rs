//! Every `calling.call.*` event of a call (and `calling.conference` naming it), typed: what the engine delivers for a tracked
//! call besides its own routing ([§4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) of `docs/CALLING-API.md`). Event types this library does
//! not know arrive as [`CallEvent::Other`] with their payload; none is dropped.

use super::call::{CallState, EndReason};
use super::collect::{CollectEvent, CollectInput};
use super::conference::ConferenceEvent;
use super::connect::ConnectUpdate;
use super::detect::Detection;
use super::params::{lenient_bool, lenient_text};
use super::queue::QueueEvent;
use super::transfer::ReferEvent;
use super::ActionState;
use crate::ids::ControlId;
use crate::payload::Payload;
use serde::Deserialize;
use std::borrow::Cow;

/// The common fields of an action's event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActionEvent {
    /// The action it belongs to, when the event names one.
    pub control_id: Option<ControlId>,
    /// Its `state`, when it has one.
    pub state: Option<ActionState>,
    /// The event's params, whole.
    pub params: Payload,
}

/// The members every action event shares, borrowed from its text.
#[derive(Default, Deserialize)]
struct Common<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    control_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    state: Option<Cow<'a, str>>,
}

impl Common<'_> {
    fn read(params: &Payload) -> Common<'_> {
        params.parse().unwrap_or_default()
    }
}

impl ActionEvent {
    fn from_wire(params: Payload) -> Self {
        let common = Common::read(&params);
        Self {
            control_id: common.control_id.as_deref().map(ControlId::from),
            state: common.state.as_deref().map(ActionState::from_wire),
            params,
        }
    }
}

/// One `calling.call.*` event of a call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CallEvent {
    /// `calling.call.state`.
    State {
        /// The new state.
        state: CallState,
        /// Why it ended, on `ended`.
        end_reason: Option<EndReason>,
        /// The event's params.
        params: Payload,
    },
    /// `calling.call.play`.
    Play(ActionEvent),
    /// `calling.call.record`.
    Record(ActionEvent),
    /// `calling.call.collect`, with its `result` read.
    Collect {
        /// The common fields.
        action: ActionEvent,
        /// What was heard, when a result came.
        input: Option<CollectInput>,
        /// `false` on an interim result.
        is_final: bool,
    },
    /// `calling.call.detect`, with `detect.params.event` read.
    Detect {
        /// The common fields.
        action: ActionEvent,
        /// What was found, when this event says.
        detection: Option<Detection>,
    },
    /// `calling.call.fax` (both directions).
    Fax(ActionEvent),
    /// `calling.call.tap`.
    Tap(ActionEvent),
    /// `calling.call.stream`.
    Stream(ActionEvent),
    /// `calling.call.send_digits`.
    SendDigits(ActionEvent),
    /// `calling.call.pay`.
    Pay(ActionEvent),
    /// `calling.call.transcribe`.
    Transcribe(ActionEvent),
    /// `calling.call.ai`.
    Ai(ActionEvent),
    /// `calling.call.connect`: `connect_state`, and the peer or why it failed ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
    Connect {
        /// The event, typed.
        update: ConnectUpdate,
        /// The event's params.
        params: Payload,
    },
    /// `calling.call.refer`: how a SIP REFER goes.
    Refer(ReferEvent),
    /// `calling.call.denoise`.
    Denoise {
        /// Whether noise reduction is on.
        denoised: Option<bool>,
        /// The event's params.
        params: Payload,
    },
    /// `calling.call.echo`.
    Echo(ActionEvent),
    /// `calling.call.hold` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), [§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 13: hold may be unsupported).
    Hold {
        /// `state` (values undocumented; the simulator says `hold` / `unhold`).
        state: Option<String>,
        /// The event's params.
        params: Payload,
    },
    /// `calling.call.queue` (its state is in `status`, with the queue's id, name, the
    /// call's position and the queue's size).
    Queue(QueueEvent),
    /// `calling.conference` naming this call: a participant event of a conference it is in.
    Conference(ConferenceEvent),
    /// Any other `calling.call.*` event, verbatim.
    Other {
        /// The `event_type`.
        event_type: String,
        /// The event's params.
        params: Payload,
    },
}

impl CallEvent {
    /// Types one event. Never fails: what cannot be read stays in `params`.
    pub fn from_wire(event_type: &str, params: Payload) -> Self {
        match event_type {
            "calling.call.state" => {
                #[derive(Default, Deserialize)]
                struct State<'a> {
                    #[serde(borrow, default, deserialize_with = "lenient_text")]
                    call_state: Option<Cow<'a, str>>,
                    #[serde(borrow, default, deserialize_with = "lenient_text")]
                    end_reason: Option<Cow<'a, str>>,
                }
                let view: State<'_> = params.parse().unwrap_or_default();
                let state = CallState::from_wire(view.call_state.as_deref().unwrap_or_default());
                let end_reason = view.end_reason.as_deref().map(EndReason::from_wire);
                drop(view);
                CallEvent::State {
                    state,
                    end_reason,
                    params,
                }
            }
            "calling.call.play" => CallEvent::Play(ActionEvent::from_wire(params)),
            "calling.call.record" => CallEvent::Record(ActionEvent::from_wire(params)),
            "calling.call.collect" => {
                let view = CollectEvent::read_str(params.as_str());
                let (input, is_final) = (view.input(), view.is_final());
                drop(view);
                CallEvent::Collect {
                    input,
                    is_final,
                    action: ActionEvent::from_wire(params),
                }
            }
            "calling.call.detect" => CallEvent::Detect {
                detection: Detection::from_wire(&params),
                action: ActionEvent::from_wire(params),
            },
            "calling.call.fax" => CallEvent::Fax(ActionEvent::from_wire(params)),
            "calling.call.tap" => CallEvent::Tap(ActionEvent::from_wire(params)),
            "calling.call.stream" => CallEvent::Stream(ActionEvent::from_wire(params)),
            "calling.call.send_digits" => CallEvent::SendDigits(ActionEvent::from_wire(params)),
            "calling.call.pay" => CallEvent::Pay(ActionEvent::from_wire(params)),
            "calling.call.transcribe" => CallEvent::Transcribe(ActionEvent::from_wire(params)),
            "calling.call.ai" => CallEvent::Ai(ActionEvent::from_wire(params)),
            "calling.call.connect" => CallEvent::Connect {
                update: ConnectUpdate::from_wire(&params),
                params,
            },
            "calling.call.refer" => CallEvent::Refer(ReferEvent::from_wire(params)),
            "calling.call.denoise" => {
                #[derive(Default, Deserialize)]
                struct Denoise {
                    #[serde(default, deserialize_with = "lenient_bool")]
                    denoised: Option<bool>,
                }
                let view: Denoise = params.parse().unwrap_or_default();
                CallEvent::Denoise {
                    denoised: view.denoised,
                    params,
                }
            }
            "calling.call.echo" => CallEvent::Echo(ActionEvent::from_wire(params)),
            "calling.call.hold" => CallEvent::Hold {
                state: Common::read(&params).state.map(Cow::into_owned),
                params,
            },
            "calling.call.queue" => CallEvent::Queue(QueueEvent::from_wire(params)),
            "calling.conference" => CallEvent::Conference(ConferenceEvent::from_wire(params)),
            other => CallEvent::Other {
                event_type: other.to_owned(),
                params,
            },
        }
    }

    /// The wire `event_type`.
    pub fn event_type(&self) -> &str {
        match self {
            CallEvent::State { .. } => "calling.call.state",
            CallEvent::Play(_) => "calling.call.play",
            CallEvent::Record(_) => "calling.call.record",
            CallEvent::Collect { .. } => "calling.call.collect",
            CallEvent::Detect { .. } => "calling.call.detect",
            CallEvent::Fax(_) => "calling.call.fax",
            CallEvent::Tap(_) => "calling.call.tap",
            CallEvent::Stream(_) => "calling.call.stream",
            CallEvent::SendDigits(_) => "calling.call.send_digits",
            CallEvent::Pay(_) => "calling.call.pay",
            CallEvent::Transcribe(_) => "calling.call.transcribe",
            CallEvent::Ai(_) => "calling.call.ai",
            CallEvent::Connect { .. } => "calling.call.connect",
            CallEvent::Refer(_) => "calling.call.refer",
            CallEvent::Denoise { .. } => "calling.call.denoise",
            CallEvent::Echo(_) => "calling.call.echo",
            CallEvent::Hold { .. } => "calling.call.hold",
            CallEvent::Queue(_) => "calling.call.queue",
            CallEvent::Conference(_) => "calling.conference",
            CallEvent::Other { event_type, .. } => event_type,
        }
    }

    /// The event's params, whole.
    pub fn params(&self) -> &Payload {
        match self {
            CallEvent::State { params, .. }
            | CallEvent::Connect { params, .. }
            | CallEvent::Denoise { params, .. }
            | CallEvent::Hold { params, .. }
            | CallEvent::Other { params, .. } => params,
            CallEvent::Refer(e) => &e.params,
            CallEvent::Queue(e) => &e.params,
            CallEvent::Conference(e) => &e.params,
            CallEvent::Collect { action, .. } | CallEvent::Detect { action, .. } => &action.params,
            CallEvent::Play(a)
            | CallEvent::Record(a)
            | CallEvent::Fax(a)
            | CallEvent::Tap(a)
            | CallEvent::Stream(a)
            | CallEvent::SendDigits(a)
            | CallEvent::Pay(a)
            | CallEvent::Transcribe(a)
            | CallEvent::Ai(a)
            | CallEvent::Echo(a) => &a.params,
        }
    }

    /// The control id the event names, if any.
    pub fn control_id(&self) -> Option<ControlId> {
        Common::read(self.params())
            .control_id
            .as_deref()
            .map(ControlId::from)
    }
}
