//! `calling.detect` ([§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): every event is `calling.call.detect` with
//! `detect: {type, params: {event, beep?}}` and no top-level `state`.
//!
//! After the scripted delay: machine → `HUMAN`, `UNKNOWN`, or `MACHINE` then `NOT_READY`
//! and, when the greeting ends, `READY` (`beep: true` if it beeped); fax → `CED`/`CNG`;
//! digit → one event per key the caller presses. The detector then keeps running, as [§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)
//! says the service does, until its `timeout` (`finished`), a stop or the call's end.

use super::{object, seconds, ActionKind, Request, Step};
use crate::ids::{CallId, ControlId};
use crate::sim::relay::FakeRelay;
use crate::sim::script::{AnsweredBy, CallerInput};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// G: a detect times out after 30 s by default.
const TIMEOUT: Duration = Duration::from_secs(30);
/// [§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): the digits a digit detector listens for by default.
const ALL_DIGITS: &str = "0123456789#*";

/// A detector in progress.
#[derive(Debug, Clone)]
pub(in crate::sim) enum Detect {
    Machine,
    Fax,
    /// The keys it listens for.
    Digit(String),
}

impl Detect {
    fn wire(&self) -> &'static str {
        match self {
            Detect::Machine => "machine",
            Detect::Fax => "fax",
            Detect::Digit(_) => "digit",
        }
    }
}

impl FakeRelay {
    pub(super) fn start_detect(&mut self, req: &Request<'_>) {
        let Ok(Some(spec)) = object(req.params, "detect") else {
            return self.bad_params(req, "Missing detect");
        };
        let (Ok(params), Ok(timeout)) = (object(spec, "params"), seconds(req.params, "timeout"))
        else {
            return self.bad_params(req, "Invalid detect");
        };
        let params = params.cloned().unwrap_or_default();
        let detect = match spec.get("type").and_then(Value::as_str) {
            Some("machine") => Detect::Machine,
            Some("fax") => match params.get("tone") {
                None | Some(Value::Null) => Detect::Fax,
                Some(tone) if tone == "CED" || tone == "CNG" => Detect::Fax,
                Some(_) => return self.bad_params(req, "Invalid tone"),
            },
            Some("digit") => match params.get("digits") {
                None | Some(Value::Null) => Detect::Digit(ALL_DIGITS.into()),
                Some(Value::String(keys)) if !keys.is_empty() => Detect::Digit(keys.clone()),
                Some(_) => return self.bad_params(req, "Invalid digits"),
            },
            _ => return self.bad_params(req, "Invalid detect type"),
        };
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "Detecting", Map::new());
        let serial = self.insert_action(req.call_id, &control_id, ActionKind::Detect(detect));
        let (call_id, now) = (req.call_id, req.now);
        let at = now + self.config.caller.detect_delay;
        self.schedule_step(call_id, &control_id, serial, Step::Detected, at);
        // `timeout: 0` leaves the detector running until stopped.
        let timeout = timeout.unwrap_or(TIMEOUT);
        if !timeout.is_zero() {
            let step = Step::DetectTimeout;
            self.schedule_step(call_id, &control_id, serial, step, now + timeout);
        }
    }

    pub(super) fn detect_timer(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        step: Step,
        now: Instant,
    ) {
        let Some((serial, detect)) = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
            .and_then(|action| match &action.kind {
                ActionKind::Detect(detect) => Some((action.serial, detect.clone())),
                _ => None,
            })
        else {
            return;
        };
        let caller = self.config.caller.clone();
        let kind = detect.wire();
        match step {
            Step::Detected if caller.detect_error => {
                self.remove_action(call_id, control_id);
                self.detect_event(call_id, control_id, kind, "error", None, now);
            }
            Step::Detected => match &detect {
                Detect::Machine => match caller.answered_by {
                    AnsweredBy::Human => {
                        self.detect_event(call_id, control_id, kind, "HUMAN", None, now)
                    }
                    AnsweredBy::Unknown => {
                        self.detect_event(call_id, control_id, kind, "UNKNOWN", None, now)
                    }
                    AnsweredBy::Machine { .. } => {
                        self.detect_event(call_id, control_id, kind, "MACHINE", None, now);
                        self.detect_event(call_id, control_id, kind, "NOT_READY", None, now);
                        let at = now + caller.greeting;
                        self.schedule_step(call_id, control_id, serial, Step::GreetingOver, at);
                    }
                },
                Detect::Fax => {
                    if let Some(tone) = caller.fax_tone {
                        self.detect_event(call_id, control_id, kind, tone.wire(), None, now);
                    }
                }
                Detect::Digit(allowed) => {
                    if let CallerInput::Digits(keys) = &caller.input {
                        for key in keys.chars().filter(|k| allowed.contains(*k)) {
                            let event = key.to_string();
                            self.detect_event(call_id, control_id, kind, &event, None, now);
                        }
                    }
                }
            },
            Step::GreetingOver => {
                let beep = matches!(caller.answered_by, AnsweredBy::Machine { beep: true });
                let beep = beep.then_some(true);
                self.detect_event(call_id, control_id, kind, "READY", beep, now);
            }
            Step::DetectTimeout => {
                self.remove_action(call_id, control_id);
                self.detect_event(call_id, control_id, kind, "finished", None, now);
            }
            _ => {}
        }
    }

    /// A stopped detector, or one on a call that ends: `finished`.
    pub(super) fn halt_detect(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        events: bool,
        now: Instant,
    ) {
        let kind = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
            .and_then(|action| match &action.kind {
                ActionKind::Detect(detect) => Some(detect.wire()),
                _ => None,
            });
        self.remove_action(call_id, control_id);
        if let (Some(kind), true) = (kind, events) {
            self.detect_event(call_id, control_id, kind, "finished", None, now);
        }
    }

    /// `calling.call.detect` with `detect: {type, params: {event, beep?}}`. The beep rides on
    /// `READY`, the event a client waiting for the beep ends on (JS-Detect).
    fn detect_event(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        kind: &str,
        event: &str,
        beep: Option<bool>,
        now: Instant,
    ) {
        let mut params = json!({ "event": event });
        if let (Some(beep), Some(map)) = (beep, params.as_object_mut()) {
            map.insert("beep".into(), beep.into());
        }
        let fields = json!({"detect": {"type": kind, "params": params}});
        self.action_event(call_id, control_id, "calling.call.detect", fields, now);
    }
}
