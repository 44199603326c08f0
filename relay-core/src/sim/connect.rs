//! `calling.connect` and `calling.disconnect` (`docs/CALLING-API.md` [§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
//!
//! A connect rings its plan as `sim/ring.rs` does (groups one after another, the devices of
//! a group at once, each a new leg with `calling.call.state` events carrying the connect's
//! `tag`; the first leg to answer wins, the others of its group end `cancel`). The original
//! call hears `calling.call.connect` `connecting`, then `connected` with the `peer`, or
//! `failed` with a `failed_reason` when no group answers. A peer that hangs up sends
//! `disconnected` to the original call, which goes on; the original call ending ends its
//! legs; `calling.disconnect` un-bridges both legs and leaves them up.
//!
//! [`Fault::FailConnect`](super::Fault::FailConnect) fails the next connect after its `200`.
//! Documented choices: a `call` device bridges that existing call (`failed`, reason
//! `not_found`, when it does not exist); `queue` and `stream` devices answer as a leg of
//! their own; a second connect on a call that is connecting or connected is `409` (G: 409 is
//! "call already connected"); `calling.disconnect` of a call with no bridge is `400`.

use super::actions::playable;
use super::relay::FakeRelay;
use super::ring::{check_plan, Ring, Ringer};
use super::ConnId;
use crate::ids::CallId;
use serde_json::{json, Map, Value};
use std::time::Instant;

/// One connect of one call.
#[derive(Debug, Clone)]
pub(super) struct Bridge {
    tag: String,
    /// The leg that answered, once connected.
    peer: Option<CallId>,
    /// The `peer` object of its events, kept for `disconnected` after the peer is gone.
    peer_wire: Option<Value>,
    ringback: Vec<Value>,
}

impl FakeRelay {
    // ----- getters -----

    /// The connect state of a call: `connecting` or `connected` while it has a bridge.
    pub fn connect_state(&self, call_id: &CallId) -> Option<&'static str> {
        let bridge = self.bridges.get(call_id)?;
        Some(if bridge.peer.is_some() {
            "connected"
        } else {
            "connecting"
        })
    }

    /// The peer a call is bridged to.
    pub fn peer_of(&self, call_id: &CallId) -> Option<CallId> {
        self.bridges.get(call_id)?.peer.clone()
    }

    /// The ringback the caller hears while the call connects (empty when none or connected).
    pub fn ringback(&self, call_id: &CallId) -> Vec<Value> {
        match self.bridges.get(call_id) {
            Some(bridge) if bridge.peer.is_none() => bridge.ringback.clone(),
            _ => Vec::new(),
        }
    }

    // ----- requests -----

    /// `calling.connect` on a call of the session.
    pub(super) fn connect_call(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        call_id: &CallId,
        params: &Map<String, Value>,
        now: Instant,
    ) {
        let groups = match check_plan(params, true) {
            Ok(groups) => groups,
            Err(message) => return self.reply_code(conn, id, "400", message, now),
        };
        let ringback = match params.get("ringback") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) if list.iter().all(playable) => list.clone(),
            Some(_) => return self.reply_code(conn, id, "400", "Invalid ringback", now),
        };
        let bad_minutes = matches!(params.get("max_duration"),
            Some(v) if !v.as_f64().is_some_and(|m| m > 0.0));
        let bad_text = |key: &str| matches!(params.get(key), Some(v) if !v.is_string());
        if bad_minutes || bad_text("tag") || bad_text("status_url") {
            return self.reply_code(conn, id, "400", "Invalid params", now);
        }
        if self.bridges.contains_key(call_id) {
            return self.reply_code(conn, id, "409", "Call is already connected", now);
        }
        self.reply_code(conn, id, "200", "connecting", now);
        let tag = match params.get("tag").and_then(Value::as_str) {
            Some(tag) => tag.to_owned(),
            None => self.new_id(),
        };
        let bridge = Bridge {
            tag: tag.clone(),
            peer: None,
            peer_wire: None,
            ringback,
        };
        self.bridges.insert(call_id.clone(), bridge);
        self.connect_event(call_id, "connecting", None, now);
        if let Some(reason) = self.take_connect_fault() {
            return self.fail_bridge(call_id, &reason, now);
        }
        let Some(session) = self.calls.get(call_id).map(|c| c.session.clone()) else {
            return;
        };
        let ring = Ring::new(tag, session, None, groups);
        self.start_ring(Ringer::Connect(call_id.clone()), ring, now);
    }

    /// `calling.disconnect`: on either leg of a bridge, un-bridges them; both stay up.
    pub(super) fn disconnect_call(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        call_id: &CallId,
        now: Instant,
    ) {
        let original = match self.bridge_legs.get(call_id) {
            Some(original) => original.clone(),
            None => call_id.clone(),
        };
        let Some(peer) = self.bridges.get(&original).and_then(|b| b.peer.clone()) else {
            return self.reply_code(conn, id, "400", "Call is not connected", now);
        };
        self.reply_code(conn, id, "200", "Disconnecting", now);
        self.unbridge(&original, &peer, now);
    }

    // ----- the bridge -----

    /// The existing call a `call` device names, when it exists and is not the caller.
    pub(super) fn existing_call(&self, original: &CallId, device: &Value) -> Option<CallId> {
        device
            .get("params")
            .and_then(|p| p.get("call_id"))
            .and_then(Value::as_str)
            .map(CallId::from)
            .filter(|c| c != original && self.calls.contains_key(c))
    }

    /// A leg of the plan answered (`sim/ring.rs`): it is the peer.
    pub(super) fn connected(&mut self, original: &CallId, peer: CallId, now: Instant) {
        let Some(bridge) = self.bridges.get_mut(original) else {
            return;
        };
        bridge.peer = Some(peer.clone());
        self.bridge_legs.insert(peer.clone(), original.clone());
        let wire = self.peer_wire(&peer);
        if let Some(bridge) = self.bridges.get_mut(original) {
            bridge.peer_wire = wire.clone();
        }
        self.connect_event(original, "connected", wire, now);
        self.start_two_way(original, &peer);
    }

    /// No group answered, or a scripted failure.
    pub(super) fn fail_bridge(&mut self, original: &CallId, reason: &str, now: Instant) {
        let mut params = self.connect_params(original, "failed", None);
        self.bridges.remove(original);
        if let Some(map) = params.as_object_mut() {
            map.insert("failed_reason".into(), reason.into());
        }
        self.send_connect(original, params, now);
    }

    /// The bridge is over (`calling.disconnect`, or the peer hung up): `disconnected` on the
    /// original call, which goes on.
    fn unbridge(&mut self, original: &CallId, peer: &CallId, now: Instant) {
        self.stop_two_way(original, peer);
        self.bridge_legs.remove(peer);
        self.disconnected(original, now);
    }

    /// `disconnected` with the peer that was, and the bridge forgotten.
    fn disconnected(&mut self, original: &CallId, now: Instant) {
        let wire = self.bridges.get(original).and_then(|b| b.peer_wire.clone());
        let params = self.connect_params(original, "disconnected", wire);
        self.bridges.remove(original);
        self.send_connect(original, params, now);
    }

    /// A call ended (after its `ended` went out; its ring, if any, is done with): a peer's
    /// end un-bridges; the original's end ends its peer.
    pub(super) fn bridged_call_ended(&mut self, call_id: &CallId, now: Instant) {
        if let Some(bridge) = self.bridges.remove(call_id) {
            if let Some(peer) = bridge.peer {
                self.stop_two_way(call_id, &peer);
                self.bridge_legs.remove(&peer);
                self.end_call(&peer, "hangup", now);
            }
            return;
        }
        let Some(original) = self.bridge_legs.remove(call_id) else {
            return;
        };
        let is_peer = self
            .bridges
            .get(&original)
            .is_some_and(|b| b.peer.as_ref() == Some(call_id));
        if is_peer {
            self.stop_two_way(&original, call_id);
            self.disconnected(&original, now);
        }
    }

    /// A call is dropped with its session: its bridge goes too, silently.
    pub(super) fn bridged_call_dropped(&mut self, call_id: &CallId) {
        if let Some(bridge) = self.bridges.remove(call_id) {
            if let Some(peer) = bridge.peer {
                self.bridge_legs.remove(&peer);
            }
        }
        if let Some(original) = self.bridge_legs.remove(call_id) {
            if let Some(bridge) = self.bridges.get_mut(&original) {
                if bridge.peer.as_ref() == Some(call_id) {
                    bridge.peer = None;
                }
            }
        }
    }

    // ----- events -----

    /// The `peer` object of a connect event: the leg's ids, tag and device (JS-Types).
    fn peer_wire(&self, peer: &CallId) -> Option<Value> {
        let call = self.calls.get(peer)?;
        Some(json!({
            "call_id": peer.as_str(),
            "node_id": call.node_id.as_str(),
            "tag": call.tag,
            "device": call.device,
        }))
    }

    fn connect_params(&self, original: &CallId, state: &str, peer: Option<Value>) -> Value {
        let node = self
            .calls
            .get(original)
            .map(|c| c.node_id.as_str().to_owned())
            .unwrap_or_default();
        let tag = self.bridges.get(original).map(|b| b.tag.clone());
        let mut params = json!({
            "call_id": original.as_str(),
            "node_id": node,
            "connect_state": state,
        });
        if let Some(map) = params.as_object_mut() {
            if let Some(peer) = peer {
                map.insert("peer".into(), peer);
            }
            if let Some(tag) = tag {
                map.insert("tag".into(), tag.into());
            }
        }
        params
    }

    fn connect_event(&mut self, original: &CallId, state: &str, peer: Option<Value>, now: Instant) {
        let params = self.connect_params(original, state, peer);
        self.send_connect(original, params, now);
    }

    fn send_connect(&mut self, original: &CallId, params: Value, now: Instant) {
        let Some(session) = self.calls.get(original).map(|c| c.session.clone()) else {
            return;
        };
        self.emit_event(&session, "calling.call.connect", params, now);
    }
}
