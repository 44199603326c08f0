//! The Calling API, one module per RELAY family: each holds its options (with their checks
//! and wire form), the reading of its events, its terminal rule and its typed result.
//!
//! Adding an action is one module here, one line in [`ActionKind::descriptor`]'s registry
//! below, and its model in the simulator.

pub mod action;
pub mod call;
mod call_state;
pub mod command;
pub(crate) mod data;
pub mod descriptor;
pub mod event;
pub(crate) mod lenient;
pub mod params;
pub mod result;
pub(crate) mod view;

pub mod ai;
pub mod ai_speech;
pub mod collect;
pub mod conference;
pub mod connect;
pub mod control;
pub mod detect;
pub mod devices;
pub mod dial;
pub mod digits;
pub mod echo;
pub mod fax;
pub mod live;
pub mod messaging;
pub mod pay;
pub mod play;
pub mod queue;
pub mod record;
pub mod send_digits;
pub mod stream;
pub mod tap;
pub mod transcribe;
pub mod transfer;
mod wire_enum;

pub use action::{ActionKind, ActionOutcome, ActionRequest, ActionState};
pub(crate) use command::invalid;
pub use command::CallCommand;
use descriptor::{ActionDescriptor, TerminalRule};
pub use params::MediaDirection;

/// The family registry: how each kind of action runs, from its family's module.
impl ActionKind {
    /// The event types of the actions this library knows.
    pub const EVENT_TYPES: &'static [&'static str] = &[
        "calling.call.stream",
        "calling.call.play",
        "calling.call.record",
        "calling.call.tap",
        "calling.call.collect",
        "calling.call.detect",
        "calling.call.fax",
        "calling.call.pay",
        "calling.call.transcribe",
        "calling.call.send_digits",
        "calling.call.ai",
    ];

    /// How this kind runs (`calling.detect` with the default `wait_for_beep: false`).
    pub fn descriptor(&self) -> ActionDescriptor {
        match self {
            ActionKind::Stream => stream::descriptor(),
            ActionKind::Play => play::descriptor(),
            ActionKind::Record => record::descriptor(),
            ActionKind::Tap => tap::descriptor(),
            ActionKind::Collect => collect::descriptor(),
            ActionKind::PlayAndCollect => collect::prompt_descriptor(),
            ActionKind::Detect => detect::descriptor(),
            ActionKind::SendFax | ActionKind::ReceiveFax => fax::descriptor(self.name()),
            ActionKind::Pay => pay::descriptor(),
            ActionKind::Transcribe => transcribe::descriptor(),
            ActionKind::SendDigits => send_digits::descriptor(),
            ActionKind::Ai => ai::descriptor(),
            ActionKind::Other(name) => ActionDescriptor::simple(
                name,
                TerminalRule::states(&["finished", "error", "failed"]),
            ),
            ActionKind::Custom(descriptor) => (**descriptor).clone(),
        }
    }
}

/// The kinds built in, whose descriptors are built once and shared.
pub(crate) const BUILT_IN: [ActionKind; 13] = [
    ActionKind::Stream,
    ActionKind::Play,
    ActionKind::Record,
    ActionKind::Tap,
    ActionKind::Collect,
    ActionKind::PlayAndCollect,
    ActionKind::Detect,
    ActionKind::SendFax,
    ActionKind::ReceiveFax,
    ActionKind::Pay,
    ActionKind::Transcribe,
    ActionKind::SendDigits,
    ActionKind::Ai,
];
