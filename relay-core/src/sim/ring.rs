//! Ringing a device plan (`docs/CALLING-API.md` [§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)), shared by `calling.dial` and
//! `calling.connect`: the groups are rung one after another, the devices of a group at once,
//! each device a new leg announced `created` then `ringing` with the plan's `tag`.
//!
//! The first leg to answer wins and the other ringing legs end `cancel`; a group in which
//! every leg ended lets the next group ring; with no group left the plan fails with the
//! reason the last leg ended for. Devices, as the dial model has them: a phone (or
//! sip/webrtc `to`) of [`BUSY_NUMBER`] ends `busy` at once; [`NO_ANSWER_NUMBER`] rings for
//! the device's `timeout` (30 s when unset, G's example) then ends `noAnswer`; every other
//! device answers at once. What a win or a failure means is the owner's (`connect.rs`,
//! `calls.rs`).

use super::actions::seconds;
use super::relay::{Call, FakeRelay, Timer};
use super::script::Dialed;
use super::{BUSY_NUMBER, NO_ANSWER_NUMBER};
use crate::ids::{CallId, NodeId};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// How long a leg rings when its device sets no `timeout`.
const DEFAULT_RING: Duration = Duration::from_secs(30);

/// Who rings a plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Ringer {
    /// A `calling.connect` of this call.
    Connect(CallId),
    /// A `calling.dial`, numbered: the client's tags need not be unique.
    Dial(u64),
}

/// A plan being rung.
#[derive(Debug, Clone)]
pub(super) struct Ring {
    pub(super) tag: String,
    /// The session (protocol) that owns the legs and hears their events.
    pub(super) session: String,
    /// The node every leg runs on (a dial's), or `None` for a node per leg (a connect's).
    pub(super) node: Option<NodeId>,
    /// The groups not rung yet, in order.
    groups: VecDeque<Vec<Value>>,
    /// The legs of the current group still ringing.
    ringing: Vec<CallId>,
    /// Why the last leg ended, for the failure's reason.
    pub(super) last_reason: String,
}

impl Ring {
    pub(super) fn new(
        tag: String,
        session: String,
        node: Option<NodeId>,
        groups: Vec<Vec<Value>>,
    ) -> Self {
        Self {
            tag,
            session,
            node,
            groups: groups.into(),
            ringing: Vec::new(),
            last_reason: "noAnswer".into(),
        }
    }
}

/// What a device does when rung.
enum Outcome {
    Answers,
    Busy,
    NoAnswer(Duration),
}

impl FakeRelay {
    /// Starts ringing a plan: its first group rings now.
    pub(super) fn start_ring(&mut self, ringer: Ringer, ring: Ring, now: Instant) {
        self.rings.insert(ringer.clone(), ring);
        self.ring_next_group(&ringer, now);
    }

    fn ring_next_group(&mut self, ringer: &Ringer, now: Instant) {
        let Some(ring) = self.rings.get_mut(ringer) else {
            return;
        };
        let Some(group) = ring.groups.pop_front() else {
            if let Some(ring) = self.rings.remove(ringer) {
                self.ring_failed(ringer, ring, now);
            }
            return;
        };
        let mut winner = None;
        for device in group {
            if let Ringer::Connect(original) = ringer {
                if device.get("type").and_then(Value::as_str) == Some("call") {
                    match self.existing_call(original, &device) {
                        Some(target) if winner.is_none() => winner = Some(target),
                        Some(_) => {}
                        None => self.set_last_reason(ringer, "not_found"),
                    }
                    continue;
                }
            }
            let Some(leg) = self.new_leg(ringer, device.clone(), now) else {
                return;
            };
            match outcome(&device, &self.config.dialed) {
                Outcome::Busy => self.end_leg(ringer, &leg, "busy", now),
                Outcome::NoAnswer(after) => {
                    self.ringing(ringer, &leg);
                    self.schedule(now + after, Timer::RingLeg(leg));
                }
                Outcome::Answers => {
                    self.ringing(ringer, &leg);
                    winner.get_or_insert(leg);
                }
            }
        }
        match winner {
            Some(winner) => self.ring_won(ringer, winner, now),
            None => self.group_over_if_silent(ringer, now),
        }
    }

    /// A new leg: a call of the ringer's session with the plan's tag, announced `created`
    /// then `ringing`.
    fn new_leg(&mut self, ringer: &Ringer, device: Value, now: Instant) -> Option<CallId> {
        let ring = self.rings.get(ringer)?;
        let (tag, session, node) = (ring.tag.clone(), ring.session.clone(), ring.node.clone());
        let leg = CallId::new(self.new_id());
        let call = Call {
            node_id: node.unwrap_or_else(|| NodeId::new(self.new_id())),
            session,
            tag: Some(tag),
            context: None,
            direction: "outbound",
            device,
            state: "created".into(),
            segment_id: self.new_id(),
            actions: BTreeMap::new(),
        };
        self.calls.insert(leg.clone(), call);
        self.ring_legs.insert(leg.clone(), ringer.clone());
        self.set_state(&leg, "created", None, now);
        self.set_state(&leg, "ringing", None, now);
        Some(leg)
    }

    fn ringing(&mut self, ringer: &Ringer, leg: &CallId) {
        if let Some(ring) = self.rings.get_mut(ringer) {
            ring.ringing.push(leg.clone());
        }
    }

    fn set_last_reason(&mut self, ringer: &Ringer, reason: &str) {
        if let Some(ring) = self.rings.get_mut(ringer) {
            ring.last_reason = reason.to_owned();
        }
    }

    /// Ends a leg that did not win, with `reason`.
    fn end_leg(&mut self, ringer: &Ringer, leg: &CallId, reason: &str, now: Instant) {
        if let Some(ring) = self.rings.get_mut(ringer) {
            ring.ringing.retain(|l| l != leg);
            ring.last_reason = reason.to_owned();
        }
        self.ring_legs.remove(leg);
        self.end_call(leg, reason, now);
    }

    /// When no leg of the group rings any more, the next group is rung.
    fn group_over_if_silent(&mut self, ringer: &Ringer, now: Instant) {
        if self.rings.get(ringer).is_some_and(|r| r.ringing.is_empty()) {
            self.ring_next_group(ringer, now);
        }
    }

    /// A leg answered: it is `answered`, the others ringing end `cancel`, the plan is over.
    fn ring_won(&mut self, ringer: &Ringer, winner: CallId, now: Instant) {
        let Some(ring) = self.rings.remove(ringer) else {
            return;
        };
        for leg in &ring.ringing {
            self.ring_legs.remove(leg);
        }
        if matches!(self.call_state(&winner), Some("created" | "ringing")) {
            self.set_state(&winner, "answered", None, now);
        }
        for loser in ring.ringing.iter().filter(|leg| **leg != winner) {
            self.end_call(loser, "cancel", now);
        }
        match ringer {
            Ringer::Connect(original) => self.connected(original, winner, now),
            Ringer::Dial(_) => self.dial_answered(&winner, now),
        }
    }

    /// No group answered.
    fn ring_failed(&mut self, ringer: &Ringer, ring: Ring, now: Instant) {
        match ringer {
            Ringer::Connect(original) => self.fail_bridge(original, &ring.last_reason, now),
            Ringer::Dial(_) => self.dial_failed(&ring, now),
        }
    }

    /// A ringing leg's `timeout` ran out: it ends `noAnswer`.
    pub(super) fn ring_leg_timer(&mut self, leg: &CallId, now: Instant) {
        let Some(ringer) = self.ring_legs.get(leg).cloned() else {
            return;
        };
        self.end_leg(&ringer, leg, "noAnswer", now);
        self.group_over_if_silent(&ringer, now);
    }

    /// A call ended (after its `ended` went out): a ringing leg's end (a hangup from either
    /// side) may finish its group; a connecting call's end cancels the legs it rings.
    pub(super) fn ring_call_ended(&mut self, call_id: &CallId, now: Instant) {
        if let Some(ringer) = self.ring_legs.remove(call_id) {
            if let Some(ring) = self.rings.get_mut(&ringer) {
                ring.ringing.retain(|l| l != call_id);
                ring.last_reason = "hangup".into();
            }
            self.group_over_if_silent(&ringer, now);
        }
        if let Some(ring) = self.rings.remove(&Ringer::Connect(call_id.clone())) {
            for leg in &ring.ringing {
                self.ring_legs.remove(leg);
            }
            for leg in &ring.ringing {
                self.end_call(leg, "cancel", now);
            }
        }
    }

    /// A call is dropped with its session: a plan it rings, or one it is a leg of, goes too,
    /// silently (its other legs belong to the same session and are dropped with it).
    pub(super) fn ring_call_dropped(&mut self, call_id: &CallId) {
        let ringer = self
            .ring_legs
            .get(call_id)
            .cloned()
            .unwrap_or_else(|| Ringer::Connect(call_id.clone()));
        self.ring_legs.remove(call_id);
        if let Some(ring) = self.rings.remove(&ringer) {
            for leg in &ring.ringing {
                self.ring_legs.remove(leg);
            }
        }
    }
}

/// The number a device rings (`to_number`, or `to` of sip and webrtc).
fn dialed_number(device: &Value) -> &str {
    device
        .get("params")
        .and_then(|p| p.get("to_number").or_else(|| p.get("to")))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// What a device does: as configured for its number, else the dial model's failure
/// numbers, else it answers.
fn outcome(device: &Value, dialed: &BTreeMap<String, Dialed>) -> Outcome {
    let params = device.get("params");
    let to = dialed_number(device);
    let no_answer = || {
        let timeout = params
            .and_then(Value::as_object)
            .and_then(|p| seconds(p, "timeout").ok().flatten())
            .unwrap_or(DEFAULT_RING);
        Outcome::NoAnswer(timeout)
    };
    match dialed.get(to).or_else(|| dialed.get("*")) {
        Some(Dialed::Busy) => return Outcome::Busy,
        Some(Dialed::NoAnswer) => return no_answer(),
        Some(Dialed::Answer | Dialed::HangUpAfter(_)) => return Outcome::Answers,
        None => {}
    }
    match to {
        BUSY_NUMBER => Outcome::Busy,
        NO_ANSWER_NUMBER => no_answer(),
        _ => Outcome::Answers,
    }
}

impl FakeRelay {
    /// A call just answered: schedules the far end's hang-up, if the script has one (the
    /// caller's for an inbound call, the dialed number's for a leg).
    pub(super) fn schedule_far_hangup(&mut self, call_id: &CallId, now: Instant) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let after = if call.direction == "inbound" {
            self.config.caller.hangup_after
        } else {
            let to = dialed_number(&call.device);
            match self
                .config
                .dialed
                .get(to)
                .or_else(|| self.config.dialed.get("*"))
            {
                Some(Dialed::HangUpAfter(after)) => Some(*after),
                _ => None,
            }
        };
        if let Some(after) = after {
            self.schedule(now + after, Timer::FarHangup(call_id.clone()));
        }
    }

    /// The far end's hang-up came due: the call ends `hangup` if it is still up.
    pub(super) fn far_hangup_timer(&mut self, call_id: &CallId, now: Instant) {
        if self.calls.contains_key(call_id) {
            self.end_call(call_id, "hangup", now);
        }
    }
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

/// One device of [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) with its required params; connect-only types only in a connect.
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
