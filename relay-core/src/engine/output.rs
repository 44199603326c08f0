//! The sink every part of the engine writes into: instructions for the IO layer, events for
//! the user, and the warnings' clock through which refused input is logged.

use super::log::{self, Warnings};
use crate::error::ProtocolError;
use crate::event::{Event, Transmit};
use std::collections::VecDeque;

/// What the engine has to say, drained by [`Engine::poll_transmit`](super::Engine::poll_transmit)
/// and [`Engine::poll_event`](super::Engine::poll_event).
#[derive(Debug)]
pub(super) struct Output {
    pub(super) transmits: VecDeque<Transmit>,
    pub(super) events: VecDeque<Event>,
    pub(super) warnings: Warnings,
}

impl Output {
    pub(super) fn new(warnings: Warnings) -> Self {
        Self {
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            warnings,
        }
    }

    /// A frame for the socket.
    pub(super) fn send(&mut self, text: String) {
        self.transmits.push_back(Transmit::Send(text));
    }

    pub(super) fn event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// Server input refused: a warning (rate-limited per kind) and an [`Event::Protocol`].
    pub(super) fn protocol_error(&mut self, error: ProtocolError) {
        if let Some(_held) = self.warnings.allow(error.kind()) {
            log::warning!(%error, similar_held_back = _held, "server input refused");
        }
        self.events.push_back(Event::Protocol(error));
    }
}
