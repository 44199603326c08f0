//! Calls: inbound offers, `calling.dial`, answer and end (from either side), the `404`/`409`/
//! `410` checks every `calling.*` command goes through, and the state events.

use super::actions::Request;
use super::relay::{Call, FakeRelay};
use super::ring::{check_plan, Ring, Ringer};
use super::ConnId;
use crate::ids::{CallId, NodeId};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Instant;

impl FakeRelay {
    // ----- commands -----

    /// Offers an inbound call to a session receiving `context` (round robin over sessions
    /// with a socket; a session waiting for a resume only when none has one). `None` when no
    /// session receives the context.
    pub fn offer_inbound_call(
        &mut self,
        context: &str,
        from: &str,
        to: &str,
        now: Instant,
    ) -> Option<CallId> {
        let device = json!({"type": "phone", "params": {"from_number": from, "to_number": to}});
        self.offer_inbound_device(context, device, now)
    }

    /// Offers an inbound call from any `device` (e.g. `{type: "sip", params: {from, to}}`),
    /// as [`FakeRelay::offer_inbound_call`] does.
    pub fn offer_inbound_device(
        &mut self,
        context: &str,
        device: Value,
        now: Instant,
    ) -> Option<CallId> {
        let receiving = |connected: bool| -> Vec<String> {
            self.sessions
                .iter()
                .filter(|(_, s)| s.contexts.contains(context) && s.conn.is_some() == connected)
                .map(|(p, _)| p.clone())
                .collect()
        };
        let mut candidates = receiving(true);
        if candidates.is_empty() {
            candidates = receiving(false);
        }
        if candidates.is_empty() {
            return None;
        }
        let protocol = candidates[self.offer_turn % candidates.len()].clone();
        self.offer_turn = self.offer_turn.wrapping_add(1);
        let call_id = CallId::new(self.new_id());
        let call = Call {
            node_id: NodeId::new(self.new_id()),
            session: protocol.clone(),
            tag: Some(self.new_id()),
            context: Some(context.to_owned()),
            direction: "inbound",
            device,
            state: "ringing".into(),
            segment_id: self.new_id(),
            actions: BTreeMap::new(),
        };
        self.calls.insert(call_id.clone(), call);
        self.send_offer(&call_id, &protocol, now);
        Some(call_id)
    }

    /// `calling.call.receive` for a call, to the session that now owns it.
    pub(super) fn send_offer(&mut self, call_id: &CallId, protocol: &str, now: Instant) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let params = json!({
            "call_id": call_id.as_str(),
            "node_id": call.node_id.as_str(),
            "context": call.context,
            "tag": call.tag,
            "call_state": call.state,
            "direction": call.direction,
            "device": call.device,
            "segment_id": call.segment_id,
            "project_id": self.config.project_id,
        });
        self.emit_event(protocol, "calling.call.receive", params, now);
    }

    /// `calling.pass`: the session gives the offer up. It goes to another connected session
    /// receiving its context, or, with none, stays ringing with no owner.
    fn pass_call(&mut self, call_id: &CallId, passer: &str, now: Instant) {
        let context = self.calls.get(call_id).and_then(|c| c.context.clone());
        let next = context.and_then(|context| {
            self.sessions
                .iter()
                .find(|(p, s)| *p != passer && s.conn.is_some() && s.contexts.contains(&context))
                .map(|(p, _)| p.clone())
        });
        if let Some(call) = self.calls.get_mut(call_id) {
            call.session = next.clone().unwrap_or_default();
        }
        if let Some(protocol) = next {
            self.send_offer(call_id, &protocol, now);
        }
    }

    /// The far end hangs up: `ending`, then `ended` with `reason`. Open actions stop (their
    /// media and status webhooks end) without events of their own.
    pub fn end_call(&mut self, call_id: &CallId, reason: &str, now: Instant) {
        if !self.calls.contains_key(call_id) {
            return;
        }
        self.close_actions(call_id, false, now);
        self.finish_call(call_id, reason, now);
    }

    // ----- requests -----

    /// `calling.dial`: the plan rings as `sim/ring.rs` does, every leg on one node of the
    /// dial; the winner or the failure is announced by `calling.call.dial`.
    pub(super) fn dial(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        protocol: &str,
        params: &Map<String, Value>,
        now: Instant,
    ) {
        let Some(tag) = params.get("tag").and_then(Value::as_str).map(str::to_owned) else {
            return self.reply_code(conn, id, "400", "Missing tag", now);
        };
        // §2.3: every device and option is checked (sip and webrtc ring like phones).
        let groups = match check_plan(params, false) {
            Ok(groups) => groups,
            Err(message) => return self.reply_code(conn, id, "400", message, now),
        };
        self.reply_code(conn, id, "200", "Dialing", now);
        let ringer = Ringer::Dial(self.next_dial);
        self.next_dial = self.next_dial.wrapping_add(1);
        let node = NodeId::new(self.new_id());
        let ring = Ring::new(tag, protocol.to_owned(), Some(node), groups);
        self.start_ring(ringer, ring, now);
    }

    /// Every `calling.*` command other than dial: finds the call, then does the command.
    pub(super) fn call_command(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        protocol: &str,
        method: &str,
        params: &Map<String, Value>,
        now: Instant,
    ) {
        let Some(call_id) = params
            .get("call_id")
            .and_then(Value::as_str)
            .map(CallId::from)
        else {
            return self.reply_code(conn, id, "400", "Missing call_id", now);
        };
        let Some(call) = self.calls.get(&call_id) else {
            return if self.recently_ended(&call_id) {
                self.reply_code(conn, id, "410", "Call has ended", now)
            } else {
                self.reply_code(conn, id, "404", "Call does not exist", now)
            };
        };
        if call.session != protocol {
            return self.reply_code(
                conn,
                id,
                "409",
                "Call is controlled by another session",
                now,
            );
        }
        match method {
            "calling.answer" => {
                self.reply_code(conn, id, "200", "Answering call", now);
                if matches!(self.call_state(&call_id), Some("created" | "ringing")) {
                    self.set_state(&call_id, "answered", None, now);
                }
            }
            "calling.pass" => {
                self.reply_code(conn, id, "200", "Call passed", now);
                self.pass_call(&call_id, protocol, now);
            }
            "calling.end" => {
                let reason = params
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("hangup")
                    .to_owned();
                self.reply_code(conn, id, "200", "Ending call", now);
                self.close_actions(&call_id, true, now);
                self.finish_call(&call_id, &reason, now);
            }
            "calling.connect" => self.connect_call(conn, id, &call_id, params, now),
            "calling.disconnect" => self.disconnect_call(conn, id, &call_id, now),
            _ => {
                let req = Request {
                    conn,
                    id,
                    call_id: &call_id,
                    params,
                    now,
                };
                if !self.action_command(&req, method)
                    && !self.control_command(&req, protocol, method)
                {
                    // Only a method listed in `methods.rs` with no model behind it gets here.
                    self.rpc_error(conn, id, -32601, "Method not found", now);
                }
            }
        }
    }

    // ----- state -----

    /// `ending` then `ended`; the call is gone afterwards.
    fn finish_call(&mut self, call_id: &CallId, reason: &str, now: Instant) {
        self.set_state(call_id, "ending", None, now);
        self.set_state(call_id, "ended", Some(reason), now);
        self.remove_call(call_id);
        self.ring_call_ended(call_id, now);
        self.bridged_call_ended(call_id, now);
    }

    /// Ends a call whose session is gone: media stops, nothing is sent.
    pub(super) fn drop_call(&mut self, call_id: &CallId, now: Instant) {
        self.close_actions(call_id, false, now);
        self.remove_call(call_id);
        self.ring_call_dropped(call_id);
        self.bridged_call_dropped(call_id);
    }

    fn remove_call(&mut self, call_id: &CallId) {
        // While the call is still known: its conferences and queues hear that it left.
        let now = self.now_or_start();
        self.control_call_ended(call_id, now);
        if self.calls.remove(call_id).is_some() {
            self.remember_ended(call_id.clone());
        }
    }

    /// Records a new state and sends `calling.call.state`.
    pub(super) fn set_state(
        &mut self,
        call_id: &CallId,
        state: &str,
        end_reason: Option<&str>,
        now: Instant,
    ) {
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        call.state = state.to_owned();
        let mut params = json!({
            "call_id": call_id.as_str(),
            "node_id": call.node_id.as_str(),
            "tag": call.tag,
            "call_state": state,
            "direction": call.direction,
            "device": call.device,
            "segment_id": call.segment_id,
        });
        if let (Some(reason), Some(map)) = (end_reason, params.as_object_mut()) {
            map.insert("end_reason".into(), reason.into());
        }
        let protocol = call.session.clone();
        self.emit_event(&protocol, "calling.call.state", params, now);
        if state == "answered" {
            self.schedule_far_hangup(call_id, now);
        }
    }

    /// `calling.call.dial` `answered` with the winning leg as `call`, `dial_winner` set
    /// (G's example has it `true`).
    pub(super) fn dial_answered(&mut self, call_id: &CallId, now: Instant) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let params = json!({
            "tag": call.tag,
            "node_id": call.node_id.as_str(),
            "dial_state": "answered",
            "call": {
                "call_id": call_id.as_str(),
                "node_id": call.node_id.as_str(),
                "tag": call.tag,
                "call_state": call.state,
                "device": call.device,
                "direction": call.direction,
                "segment_id": call.segment_id,
                "dial_winner": true,
            },
        });
        let protocol = call.session.clone();
        self.emit_event(&protocol, "calling.call.dial", params, now);
    }

    /// `calling.call.dial` `failed` with the `reason` and `source` JS-Types names ([§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), [§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)
    /// item 16): the reason the last leg ended for; `source` is a direction there, so the
    /// dialled legs' (`outbound`).
    pub(super) fn dial_failed(&mut self, ring: &Ring, now: Instant) {
        let params = json!({
            "tag": ring.tag,
            "node_id": ring.node.as_ref().map(NodeId::as_str),
            "dial_state": "failed",
            "reason": ring.last_reason,
            "source": "outbound",
        });
        self.emit_event(&ring.session, "calling.call.dial", params, now);
    }
}
