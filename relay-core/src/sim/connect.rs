//! `calling.connect` and `calling.disconnect` (`docs/CALLING-API.md` §2.1), and the device
//! checks `calling.dial` shares (§2.3).
//!
//! A connect rings the groups of its plan one after another, the devices of a group at once
//! (each a new leg with `calling.call.state` events carrying the connect's `tag`); the first
//! leg to answer wins and the others of its group end (`cancel`). The original call hears
//! `calling.call.connect` `connecting`, then `connected` with the `peer`, or `failed` with a
//! `failed_reason` when no group answers. A peer that hangs up sends `disconnected` to the
//! original call, which goes on; the original call ending ends its legs;
//! `calling.disconnect` un-bridges both legs and leaves them up.
//!
//! Faults, as the dial model has them: a phone (or sip/webrtc `to`) of [`BUSY_NUMBER`] ends
//! `busy` at once; [`NO_ANSWER_NUMBER`] rings for the device's `timeout` (30 s when unset,
//! G's example) then ends `noAnswer`; every other device answers at once.
//! [`Fault::FailConnect`](super::Fault::FailConnect) fails the next connect after its `200`.
//! Documented choices: a `call` device bridges that existing call (`failed`, reason
//! `not_found`, when it does not exist); `queue` and `stream` devices answer as a leg of
//! their own; a second connect on a call that is connecting or connected is `409` (G: 409 is
//! "call already connected"); `calling.disconnect` of a call with no bridge is `400`.

use super::actions::{playable, seconds};
use super::relay::{Call, FakeRelay, Timer};
use super::{ConnId, BUSY_NUMBER, NO_ANSWER_NUMBER};
use crate::ids::{CallId, NodeId};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a leg rings when its device sets no `timeout`.
const DEFAULT_RING: Duration = Duration::from_secs(30);

/// One connect of one call.
#[derive(Debug, Clone)]
pub(super) struct Bridge {
    tag: String,
    /// The groups not tried yet, in order.
    groups: Vec<Vec<Value>>,
    /// The ringing legs of the current group.
    ringing: Vec<CallId>,
    /// The leg that answered, once connected.
    peer: Option<CallId>,
    /// The `peer` object of its events, kept for `disconnected` after the peer is gone.
    peer_wire: Option<Value>,
    ringback: Vec<Value>,
    /// Why the last leg ended, for `failed_reason`.
    last_reason: String,
}

/// What a device does when rung.
enum Outcome {
    Answers,
    Busy,
    NoAnswer(Duration),
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
            tag,
            groups,
            ringing: Vec::new(),
            peer: None,
            peer_wire: None,
            ringback,
            last_reason: "noAnswer".into(),
        };
        self.bridges.insert(call_id.clone(), bridge);
        self.connect_event(call_id, "connecting", None, now);
        if let Some(reason) = self.take_connect_fault() {
            return self.fail_bridge(call_id, &reason, now);
        }
        self.ring_next_group(call_id, now);
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

    fn ring_next_group(&mut self, original: &CallId, now: Instant) {
        let Some(bridge) = self.bridges.get_mut(original) else {
            return;
        };
        if bridge.groups.is_empty() {
            let reason = bridge.last_reason.clone();
            return self.fail_bridge(original, &reason, now);
        }
        let group = bridge.groups.remove(0);
        let tag = bridge.tag.clone();
        let Some(session) = self.calls.get(original).map(|c| c.session.clone()) else {
            return;
        };
        let mut winner = None;
        for device in group {
            if device.get("type").and_then(Value::as_str) == Some("call") {
                // An existing call: bridged as it is, when it exists.
                let target = device
                    .get("params")
                    .and_then(|p| p.get("call_id"))
                    .and_then(Value::as_str)
                    .map(CallId::from)
                    .filter(|c| c != original && self.calls.contains_key(c));
                match target {
                    Some(target) if winner.is_none() => {
                        self.bridge_legs.insert(target.clone(), original.clone());
                        winner = Some(target);
                    }
                    Some(_) => {}
                    None => self.set_last_reason(original, "not_found"),
                }
                continue;
            }
            let leg = self.new_leg(original, &session, &tag, device.clone(), now);
            match outcome(&device) {
                Outcome::Busy => self.end_leg(original, &leg, "busy", now),
                Outcome::NoAnswer(after) => {
                    self.ring(original, &leg);
                    self.schedule(now + after, Timer::ConnectLeg(leg));
                }
                Outcome::Answers if winner.is_none() => {
                    self.ring(original, &leg);
                    winner = Some(leg);
                }
                Outcome::Answers => self.ring(original, &leg),
            }
        }
        match winner {
            Some(peer) => self.connected(original, peer, now),
            None => self.group_over_if_silent(original, now),
        }
    }

    /// A new leg of a connect: a call of the original's session with the connect's tag,
    /// announced `created` then `ringing`.
    fn new_leg(
        &mut self,
        original: &CallId,
        session: &str,
        tag: &str,
        device: Value,
        now: Instant,
    ) -> CallId {
        let leg = CallId::new(self.new_id());
        let call = Call {
            node_id: NodeId::new(self.new_id()),
            session: session.to_owned(),
            tag: Some(tag.to_owned()),
            context: None,
            direction: "outbound",
            device,
            state: "created".into(),
            segment_id: self.new_id(),
            actions: BTreeMap::new(),
        };
        self.calls.insert(leg.clone(), call);
        self.bridge_legs.insert(leg.clone(), original.clone());
        self.set_state(&leg, "created", None, now);
        self.set_state(&leg, "ringing", None, now);
        leg
    }

    fn ring(&mut self, original: &CallId, leg: &CallId) {
        if let Some(bridge) = self.bridges.get_mut(original) {
            bridge.ringing.push(leg.clone());
        }
    }

    fn set_last_reason(&mut self, original: &CallId, reason: &str) {
        if let Some(bridge) = self.bridges.get_mut(original) {
            bridge.last_reason = reason.to_owned();
        }
    }

    /// Ends a leg that did not win, with `reason`.
    fn end_leg(&mut self, original: &CallId, leg: &CallId, reason: &str, now: Instant) {
        if let Some(bridge) = self.bridges.get_mut(original) {
            bridge.ringing.retain(|l| l != leg);
            bridge.last_reason = reason.to_owned();
        }
        self.bridge_legs.remove(leg);
        self.end_call(leg, reason, now);
    }

    /// When no leg of the group rings any more, the next group is rung.
    fn group_over_if_silent(&mut self, original: &CallId, now: Instant) {
        let silent = self
            .bridges
            .get(original)
            .is_some_and(|b| b.peer.is_none() && b.ringing.is_empty());
        if silent {
            self.ring_next_group(original, now);
        }
    }

    /// A ringing leg's `timeout` ran out: it ends `noAnswer`.
    pub(super) fn connect_leg_timer(&mut self, leg: &CallId, now: Instant) {
        let Some(original) = self.bridge_legs.get(leg).cloned() else {
            return;
        };
        let ringing = self
            .bridges
            .get(&original)
            .is_some_and(|b| b.ringing.contains(leg));
        if ringing {
            self.end_leg(&original, leg, "noAnswer", now);
            self.group_over_if_silent(&original, now);
        }
    }

    fn connected(&mut self, original: &CallId, peer: CallId, now: Instant) {
        let losers: Vec<CallId> = match self.bridges.get_mut(original) {
            Some(bridge) => {
                bridge.peer = Some(peer.clone());
                bridge.groups.clear();
                std::mem::take(&mut bridge.ringing)
                    .into_iter()
                    .filter(|leg| *leg != peer)
                    .collect()
            }
            None => return,
        };
        if matches!(self.call_state(&peer), Some("created" | "ringing")) {
            self.set_state(&peer, "answered", None, now);
        }
        for leg in losers {
            self.bridge_legs.remove(&leg);
            self.end_call(&leg, "cancel", now);
        }
        let wire = self.peer_wire(&peer);
        if let Some(bridge) = self.bridges.get_mut(original) {
            bridge.peer_wire = wire.clone();
        }
        self.connect_event(original, "connected", wire, now);
    }

    fn fail_bridge(&mut self, original: &CallId, reason: &str, now: Instant) {
        let mut params = self.connect_params(original, "failed", None);
        if let Some(bridge) = self.bridges.remove(original) {
            for leg in bridge.ringing {
                self.bridge_legs.remove(&leg);
                self.end_call(&leg, "cancel", now);
            }
        }
        if let Some(map) = params.as_object_mut() {
            map.insert("failed_reason".into(), reason.into());
        }
        self.send_connect(original, params, now);
    }

    /// The bridge is over (`calling.disconnect`, or the peer hung up): `disconnected` on the
    /// original call, which goes on.
    fn unbridge(&mut self, original: &CallId, peer: &CallId, now: Instant) {
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

    /// A call ended (after its `ended` went out): a peer's end un-bridges; a ringing leg's
    /// end may finish its group; the original's end ends its legs.
    pub(super) fn bridged_call_ended(&mut self, call_id: &CallId, now: Instant) {
        if let Some(bridge) = self.bridges.remove(call_id) {
            for leg in bridge.ringing.iter().chain(bridge.peer.iter()) {
                self.bridge_legs.remove(leg);
            }
            for leg in bridge.ringing {
                self.end_call(&leg, "cancel", now);
            }
            if let Some(peer) = bridge.peer {
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
            self.disconnected(&original, now);
        } else if let Some(bridge) = self.bridges.get_mut(&original) {
            bridge.ringing.retain(|l| l != call_id);
            bridge.last_reason = "hangup".into();
            self.group_over_if_silent(&original, now);
        }
    }

    /// A call is dropped with its session: its bridge goes too, silently.
    pub(super) fn bridged_call_dropped(&mut self, call_id: &CallId) {
        if let Some(bridge) = self.bridges.remove(call_id) {
            for leg in bridge.ringing.iter().chain(bridge.peer.iter()) {
                self.bridge_legs.remove(leg);
            }
        }
        if let Some(original) = self.bridge_legs.remove(call_id) {
            if let Some(bridge) = self.bridges.get_mut(&original) {
                bridge.ringing.retain(|l| l != call_id);
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

/// What a device does: the dial model's failure numbers, else it answers.
fn outcome(device: &Value) -> Outcome {
    let params = device.get("params");
    let to = params
        .and_then(|p| p.get("to_number").or_else(|| p.get("to")))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match to {
        BUSY_NUMBER => Outcome::Busy,
        NO_ANSWER_NUMBER => {
            let timeout = params
                .and_then(Value::as_object)
                .and_then(|p| seconds(p, "timeout").ok().flatten())
                .unwrap_or(DEFAULT_RING);
            Outcome::NoAnswer(timeout)
        }
        _ => Outcome::Answers,
    }
}

/// The number a dialled device reaches (phone `to_number`, sip/webrtc `to`).
pub(super) fn destination(device: &Value) -> &str {
    device
        .get("params")
        .and_then(|p| p.get("to_number").or_else(|| p.get("to")))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Checks the `devices` of a dial (`connect: false`) or a connect, and the options both take
/// (`region`, `max_price_per_minute`); returns the groups.
pub(super) fn check_plan(
    params: &Map<String, Value>,
    connect: bool,
) -> Result<Vec<Vec<Value>>, &'static str> {
    let Some(Value::Array(groups)) = params.get("devices") else {
        return Err("Invalid devices");
    };
    let mut plan = Vec::new();
    for group in groups {
        let Value::Array(devices) = group else {
            return Err("Invalid devices");
        };
        if devices.is_empty() {
            return Err("Invalid devices");
        }
        for device in devices {
            check_device(device, connect)?;
        }
        plan.push(devices.clone());
    }
    if plan.is_empty() {
        return Err("Invalid devices");
    }
    if matches!(params.get("region"), Some(v) if v.as_str().is_none_or(str::is_empty)) {
        return Err("Invalid region");
    }
    if matches!(params.get("max_price_per_minute"),
        Some(v) if !v.as_f64().is_some_and(|p| p >= 0.0))
    {
        return Err("Invalid max_price_per_minute");
    }
    Ok(plan)
}

/// One device of §2.3 with its required params; connect-only types only in a connect.
fn check_device(device: &Value, connect: bool) -> Result<(), &'static str> {
    let kind = device.get("type").and_then(Value::as_str);
    let params = device.get("params").and_then(Value::as_object);
    let (Some(kind), Some(params)) = (kind, params) else {
        return Err("Invalid device");
    };
    let text = |key: &str| {
        params
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let required: &[&str] = match kind {
        "phone" => &["to_number"],
        "sip" | "webrtc" => &["from", "to"],
        "agora" => &["from", "appid", "channel"],
        "call" if connect => &["node_id", "call_id"],
        "queue" if connect => &["queue_name"],
        "stream" if connect => &["url"],
        "call" | "queue" | "stream" => return Err("Device type is for connect only"),
        _ => return Err("Unknown device type"),
    };
    if !required.iter().all(|key| text(key)) {
        return Err("Invalid device params");
    }
    if seconds(params, "timeout").is_err() || seconds(params, "max_duration").is_err() {
        return Err("Invalid device params");
    }
    if kind == "stream" {
        let url = params
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !(url.starts_with("wss://") || url.starts_with("ws://")) {
            return Err("Invalid stream url");
        }
    }
    Ok(())
}
