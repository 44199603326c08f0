//! `calling.connect` and `calling.disconnect` (`docs/CALLING-API.md` [§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): the bridge of a
//! call to the devices of a plan, its `calling.call.connect` events, and the peer legs it
//! creates, which become calls of their own so that they can be controlled and their end seen.

use super::requests::PendingKind;
use super::{log, Engine};
use crate::call::{CallInfo, CallState};
use crate::calling::data::read_text;
use crate::connect::{ConnectPlan, ConnectState, ConnectUpdate, ConnectView};
use crate::error::{CommandError, ProtocolError};
use crate::event::Event;
use crate::ids::{CallId, DialTag, RequestId};
use std::sync::Arc;
use std::time::Instant;

impl Engine {
    /// Bridges a call to the devices of `plan` (`calling.connect`); returns the request and
    /// the tag of the new legs. How it goes arrives as [`Event::Connect`]: `connecting`, then
    /// `connected` with the peer (tracked as a call from then on) or `failed` with a reason;
    /// later `disconnected`.
    ///
    /// Named `connect_call` because [`Engine::open`] opens the session.
    pub fn connect_call(
        &mut self,
        call_id: &CallId,
        plan: &ConnectPlan,
        now: Instant,
    ) -> Result<(RequestId, DialTag), CommandError> {
        let mut params = plan.to_params()?;
        if !self.calls.contains_key(call_id) {
            return Err(self.no_call(call_id));
        }
        let tag = match plan.get_tag() {
            Some(tag) => DialTag::new(tag),
            None => self.new_id::<DialTag>(),
        };
        params.tag = Some(tag.as_str());
        let kind = PendingKind::Call(call_id.clone());
        let id = self.call_request_typed(call_id, "calling.connect", None, &params, kind, now)?;
        // Registered before anything comes back, so that the first leg is recognised. A tag
        // reused while its connect is in progress replaces it.
        let max_legs = plan.devices().iter().map(Vec::len).sum();
        self.connects.insert(tag.clone(), call_id.clone(), max_legs);
        Ok((id, tag))
    }

    /// Ends the bridge of a call without hanging up either leg (`calling.disconnect`). A
    /// `disconnected` [`Event::Connect`] follows.
    pub fn disconnect_call(
        &mut self,
        call_id: &CallId,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        self.call_request(call_id, "calling.disconnect", Default::default(), now)
    }

    /// A `calling.call.connect`, read from its text: reports it, tracks the peer it names,
    /// and forgets the tag of a connect that is over. Returns the call when it is tracked (so
    /// its `CallEvent` goes out too).
    pub(super) fn on_call_connect(&mut self, data: Option<&str>) -> Option<CallId> {
        let view: ConnectView<'_> = match read_text(data) {
            Ok(view) => view,
            Err(reason) => {
                self.invalid_event("calling.call.connect", &reason);
                return None;
            }
        };
        let Some(call_id) = view.call_id.as_deref().map(CallId::from) else {
            self.invalid_event("calling.call.connect", "no call_id");
            return None;
        };
        if !self.calls.contains_key(&call_id) {
            if !self.calls.has_ended(&call_id) {
                self.protocol_error(ProtocolError::UnknownCall {
                    event_type: "calling.call.connect".into(),
                    call_id,
                });
            }
            return None;
        }
        let mut update = ConnectUpdate::from_view(&view);
        log::debug!(%call_id, state = %update.state, "connect");
        if update.state == ConnectState::Connected && update.peer.is_none() {
            // No `peer` named: the answered leg announced under this call's connect tag is it.
            update.peer = self.answered_leg_of(&call_id);
        }
        if let Some(peer) = &update.peer {
            if update.state == ConnectState::Connected {
                self.track_peer(&call_id, peer);
            }
            // A tracked peer is announced with its one record, not the copy just read.
            if let Some(entry) = self.calls.get(&peer.call_id) {
                update.peer = Some(entry.info.clone());
            }
        }
        if matches!(
            update.state,
            ConnectState::Failed | ConnectState::Disconnected
        ) {
            // No leg will come for this call's connects any more.
            self.forget_connects_of(&call_id);
        }
        self.out.events.push_back(Event::Connect {
            call_id: call_id.clone(),
            update,
        });
        Some(call_id)
    }

    /// Tracks the peer of a bridge as a call, unless it is already (its state events came
    /// first) or has ended. Only for a connect the app asked for, at most as many peers as
    /// its plan rings, and within the hard bound: forged peers are not tracked.
    fn track_peer(&mut self, owner: &CallId, peer: &CallInfo) {
        if self.calls.contains_key(&peer.call_id) || self.calls.has_ended(&peer.call_id) {
            return;
        }
        let slot = match self.connects.free_slot(owner) {
            Ok(_) if self.calls.len() >= self.config.max_tracked_calls => {
                Err("max_tracked_calls reached")
            }
            slot => slot,
        };
        let tag = match slot {
            Ok(tag) => tag,
            Err(reason) => {
                self.protocol_error(ProtocolError::UntrackedLeg {
                    event_type: "calling.call.connect".into(),
                    call_id: peer.call_id.clone(),
                    reason,
                });
                return;
            }
        };
        self.connects.add_peer(&tag);
        let info = peer.clone();
        info.mark_answered();
        self.calls.insert(info);
    }

    /// A tracked, answered leg carrying one of the connect tags of `call_id`: found through
    /// the index of legs by tag, at most the devices of the call's connects (never a scan
    /// of every call).
    fn answered_leg_of(&self, call_id: &CallId) -> Option<Arc<CallInfo>> {
        self.connects
            .tags_of(call_id)
            .iter()
            .flat_map(|tag| self.calls.legs_of(tag))
            .filter_map(|leg| self.calls.get(leg))
            .map(|call| &call.info)
            .find(|info| info.state() == CallState::Answered)
            .cloned()
    }

    /// Forgets the connect tags of a call (it ended, or its connect is over).
    pub(super) fn forget_connects_of(&mut self, call_id: &CallId) {
        for tag in self.connects.remove_of(call_id) {
            self.calls.forget_legs(&tag);
        }
    }
}
