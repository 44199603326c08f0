//! Call control ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): typed commands on a call, the transfer that hands a call away, and
//! the routing of `calling.conference` events.

use super::requests::PendingKind;
use super::Engine;
use crate::action::ActionOutcome;
use crate::call_event::CallEvent;
use crate::control::{CallCommand, ConferenceEvent, QueueEnter, QueueLeave};
use crate::error::CommandError;
use crate::event::Event;
use crate::ids::{CallId, ControlId, RequestId};
use crate::payload::Payload;
use serde::Serialize;
use std::time::Instant;

impl Engine {
    /// Sends a typed call command ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) with `node_id` and `call_id`; invalid options are
    /// refused before anything is sent. A `calling.transfer` that succeeds is followed by
    /// [`Event::CallHandedOver`]; a 404/410 ends the call as gone.
    pub fn command<C: CallCommand + ?Sized>(
        &mut self,
        call_id: &CallId,
        command: &C,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        command.check()?;
        let kind = match command.method() {
            "calling.transfer" => PendingKind::HandOver(call_id.clone()),
            _ => PendingKind::Call(call_id.clone()),
        };
        let id = self.call_request_typed(call_id, command.method(), None, command, kind, now)?;
        if command.method() == "calling.bind_digit" {
            // Its bound method runs as the service's own action: events under control ids
            // this client never made are then expected, not protocol errors.
            self.calls.bind_digits(call_id);
        }
        Ok(id)
    }

    /// Hands an offered call back (`calling.pass`) so that another consumer of its context
    /// can take it (ending it would end it for everyone). The engine forgets the call once
    /// the service accepts ([`Event::CallHandedOver`]); a refusal leaves it tracked.
    pub fn pass(&mut self, call_id: &CallId, now: Instant) -> Result<RequestId, CommandError> {
        let kind = PendingKind::HandOver(call_id.clone());
        self.call_request_typed(call_id, "calling.pass", None, &(), kind, now)
    }

    /// `calling.queue.enter`: a command with a `control_id` (the given one, or a new one)
    /// that the call's `calling.call.queue` events carry ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 8).
    pub fn queue_enter(
        &mut self,
        call_id: &CallId,
        options: &QueueEnter,
        now: Instant,
    ) -> Result<(RequestId, ControlId), CommandError> {
        options.check()?;
        self.with_control(call_id, options.method(), options, &options.control_id, now)
    }

    /// `calling.queue.leave`, with a `control_id` as for the enter.
    pub fn queue_leave(
        &mut self,
        call_id: &CallId,
        options: &QueueLeave,
        now: Instant,
    ) -> Result<(RequestId, ControlId), CommandError> {
        options.check()?;
        self.with_control(call_id, options.method(), options, &options.control_id, now)
    }

    fn with_control<P: Serialize + ?Sized>(
        &mut self,
        call_id: &CallId,
        method: &'static str,
        params: &P,
        control_id: &Option<ControlId>,
        now: Instant,
    ) -> Result<(RequestId, ControlId), CommandError> {
        if control_id.as_ref().is_some_and(|id| id.as_str().is_empty()) {
            return Err(CommandError::InvalidOption("control id is empty".into()));
        }
        // Checked before an id is drawn, so a refused command leaves the id sequence alone.
        if !self.calls.contains_key(call_id) {
            return Err(self.no_call(call_id));
        }
        let control_id = control_id
            .clone()
            .unwrap_or_else(|| self.new_id::<ControlId>());
        let kind = PendingKind::Call(call_id.clone());
        let id = self.call_request_typed(call_id, method, Some(&control_id), params, kind, now)?;
        Ok((id, control_id))
    }

    /// The service took the call's control elsewhere: forget it here.
    pub(super) fn handed_over(&mut self, call_id: &CallId, method: &str) {
        if !self.calls.contains_key(call_id) {
            return;
        }
        self.end_call(call_id, ActionOutcome::CallEnded);
        self.out.events.push_back(Event::CallHandedOver {
            call_id: call_id.clone(),
            method: method.to_owned(),
        });
    }

    /// `calling.conference`: a participant event of a tracked call goes to that call; any
    /// other (conference-level, or about a call of someone else) is an [`Event::Conference`].
    pub(super) fn on_conference(&mut self, data: Payload) {
        let event = ConferenceEvent::from_wire(data);
        let tracked = event
            .call_id
            .clone()
            .filter(|call_id| self.calls.contains_key(call_id));
        match tracked {
            Some(call_id) => self.out.events.push_back(Event::CallEvent {
                call_id,
                event: CallEvent::Conference(event),
            }),
            None => self.out.events.push_back(Event::Conference(event)),
        }
    }
}
