//! Call actions as `docs/CALLING-API.md` part 1 specifies them: what runs under each control
//! id, the requests that start and steer it, the timers of its simulated world, and how it
//! ends (on its own, on a stop, on the call's end).
//!
//! Each action kind lives in its own file; this one routes methods, timers and endings to
//! them and holds what they share (the event frame, the action table, param checks).

mod collect;
mod detect;
mod fax;
mod other;
mod play;
mod record;
mod stream;

use super::relay::{FakeRelay, Timer};
use super::ConnId;
use crate::ids::{CallId, ControlId};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

pub(super) use self::collect::Collect;
pub(super) use self::detect::Detect;
pub(super) use self::fax::Fax;
pub(super) use self::play::{playable, Play};
pub(super) use self::record::Record;

/// One open action on a call.
#[derive(Debug, Clone)]
pub(super) struct Action {
    /// Tells this action's timers from those of an earlier one with the same control id, and
    /// from its own timers made void by a pause.
    pub(super) serial: u64,
    pub(super) kind: ActionKind,
}

/// What runs under a control id.
#[derive(Debug, Clone)]
pub(super) enum ActionKind {
    Stream {
        job: Box<super::MediaJob>,
        streaming: bool,
        /// A `StartMedia` went out, so a `StopMedia` is owed when it ends early.
        driven: bool,
    },
    Play(Play),
    Record(Box<Record>),
    Collect(Box<Collect>),
    Detect(Detect),
    Tap {
        tap: Value,
        device: Value,
    },
    Fax(Box<Fax>),
    Pay,
    Transcribe {
        since: Instant,
    },
    SendDigits,
    Ai,
}

/// A step of an action's simulated world, due at a point of virtual time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// A play (all its loops) is over.
    PlayDone,
    /// The caller stopped speaking into a recording.
    RecordDone,
    /// A recording heard nothing before its `initial_timeout`.
    RecordNoInput,
    /// The prompt of a play_and_collect is over.
    PromptDone,
    /// The caller answers a collect.
    Input,
    /// A collect's `initial_timeout` ran out.
    InitialTimeout,
    /// A collect's `digit_timeout` ran out after some keys.
    DigitTimeout,
    /// A detector decides.
    Detected,
    /// A machine's greeting is over.
    GreetingOver,
    /// A detect's `timeout` ran out.
    DetectTimeout,
    /// A fax page went through.
    FaxPage,
    /// The caller finished entering the payment.
    PayDone,
    /// All the digits of a send_digits are sent.
    DigitsSent,
}

impl FakeRelay {
    /// The call actions of part 1 and their controls (`calling.stream` included). `false`
    /// when `method` is not one of them.
    pub(in crate::sim) fn action_command(&mut self, req: &Request<'_>, method: &str) -> bool {
        let req = *req;
        match method {
            "calling.stream" => {
                self.start_stream(req.conn, req.id, req.call_id, req.params, req.now)
            }
            "calling.play" => self.start_play(&req),
            "calling.play.pause" => self.pause_play(&req, true),
            "calling.play.resume" => self.pause_play(&req, false),
            "calling.play.volume" | "calling.play_and_collect.volume" => {
                self.set_volume(&req, method)
            }
            "calling.record" => self.start_record(&req),
            "calling.record.pause" => self.pause_record(&req, true),
            "calling.record.resume" => self.pause_record(&req, false),
            "calling.collect" => self.start_collect(&req),
            "calling.play_and_collect" => self.start_play_and_collect(&req),
            "calling.collect.start_input_timers" => self.start_input_timers(&req),
            "calling.detect" => self.start_detect(&req),
            "calling.tap" => self.start_tap(&req),
            "calling.send_fax" => self.start_fax(&req, true),
            "calling.receive_fax" => self.start_fax(&req, false),
            "calling.pay" => self.start_pay(&req),
            "calling.transcribe" => self.start_transcribe(&req),
            "calling.send_digits" => self.start_send_digits(&req),
            "calling.ai" => self.start_ai(&req),
            "calling.ai_message" | "calling.ai_hold" | "calling.ai_unhold" => {
                self.ai_command(&req, method)
            }
            "calling.echo" => self.echo(&req),
            _ => match stop_target(method) {
                Some(target) => self.stop_action(&req, target),
                None => return false,
            },
        }
        true
    }

    /// `calling.<action>.stop`: `200`, then the action's own terminal event(s).
    fn stop_action(&mut self, req: &Request<'_>, target: StopTarget) {
        let Some(control_id) = self.control_of(req, |kind| target.matches(kind)) else {
            return;
        };
        self.reply_code(req.conn, req.id, "200", target.message(), req.now);
        self.halt(req.call_id, &control_id, true, req.now);
    }

    /// Ends one action early (stop or call end): its media stop and, with `events`, it sends
    /// the terminal event(s) its kind sends when stopped.
    fn halt(&mut self, call_id: &CallId, control_id: &ControlId, events: bool, now: Instant) {
        let Some(action) = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
        else {
            return;
        };
        match action.kind.clone() {
            ActionKind::Stream { .. } => {
                self.end_stream(call_id, control_id, None, true, events, now)
            }
            ActionKind::Play(_) => self.halt_play(call_id, control_id, events, now),
            ActionKind::Record(record) => {
                self.halt_record(call_id, control_id, *record, events, now)
            }
            ActionKind::Collect(collect) => {
                self.halt_collect(call_id, control_id, *collect, events, now)
            }
            ActionKind::Detect(_) => self.halt_detect(call_id, control_id, events, now),
            ActionKind::Fax(fax) => self.halt_fax(call_id, control_id, *fax, events, now),
            kind => self.halt_other(call_id, control_id, kind, events, now),
        }
    }

    /// Closes every action of a call that is ending: media stops, status webhooks say
    /// `finished`, and with `events` each action also sends its own terminal event.
    pub(super) fn close_actions(&mut self, call_id: &CallId, events: bool, now: Instant) {
        let ids: Vec<ControlId> = self
            .calls
            .get(call_id)
            .map(|call| call.actions.keys().cloned().collect())
            .unwrap_or_default();
        for control_id in ids {
            self.halt(call_id, &control_id, events, now);
        }
    }

    /// A step of an action came due; void when the action is gone or was paused since.
    pub(super) fn action_timer(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        serial: u64,
        step: Step,
        now: Instant,
    ) {
        let live = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
            .is_some_and(|action| action.serial == serial);
        if !live {
            return;
        }
        match step {
            Step::PlayDone => self.play_done(call_id, control_id, now),
            Step::RecordDone | Step::RecordNoInput => {
                self.record_timer(call_id, control_id, step, now)
            }
            Step::PromptDone | Step::Input | Step::InitialTimeout | Step::DigitTimeout => {
                self.collect_timer(call_id, control_id, step, now)
            }
            Step::Detected | Step::GreetingOver | Step::DetectTimeout => {
                self.detect_timer(call_id, control_id, step, now)
            }
            Step::FaxPage => self.fax_page(call_id, control_id, now),
            Step::PayDone | Step::DigitsSent => self.other_timer(call_id, control_id, step, now),
        }
    }

    // ----- shared by the action kinds -----

    /// Sends `event_type` with `{call_id, node_id, control_id}` and `fields` to the call's
    /// session.
    pub(super) fn action_event(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        event_type: &str,
        fields: Value,
        now: Instant,
    ) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let mut params = Map::new();
        params.insert("call_id".into(), call_id.as_str().into());
        params.insert("node_id".into(), call.node_id.as_str().into());
        params.insert("control_id".into(), control_id.as_str().into());
        if let Value::Object(fields) = fields {
            params.extend(fields);
        }
        let protocol = call.session.clone();
        self.emit_event(&protocol, event_type, Value::Object(params), now);
    }

    /// Schedules `step` of the action with `serial` after `delay`.
    pub(super) fn schedule_step(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        serial: u64,
        step: Step,
        at: Instant,
    ) {
        let timer = Timer::Action(call_id.clone(), control_id.clone(), serial, step);
        self.schedule(at, timer);
    }

    /// The control id of a new action: `400` when missing, `409` when already in use on the
    /// call. `None` once answered.
    pub(super) fn new_control(&mut self, req: &Request<'_>) -> Option<ControlId> {
        let Some(control_id) = control_id_of(req.params) else {
            self.bad_params(req, "Missing control_id");
            return None;
        };
        if self.has_action(req.call_id, &control_id) {
            self.reply_code(
                req.conn,
                req.id,
                "409",
                "Control id already in use",
                req.now,
            );
            return None;
        }
        Some(control_id)
    }

    /// The control id of an open action whose kind `fits`: `400` when missing, `404` when no
    /// such action is open on the call. `None` once answered.
    pub(super) fn control_of(
        &mut self,
        req: &Request<'_>,
        fits: impl Fn(&ActionKind) -> bool,
    ) -> Option<ControlId> {
        let Some(control_id) = control_id_of(req.params) else {
            self.bad_params(req, "Missing control_id");
            return None;
        };
        let found = self
            .calls
            .get(req.call_id)
            .and_then(|call| call.actions.get(&control_id))
            .is_some_and(|action| fits(&action.kind));
        if !found {
            self.reply_code(
                req.conn,
                req.id,
                "404",
                "Control id does not exist",
                req.now,
            );
            return None;
        }
        Some(control_id)
    }

    pub(super) fn bad_params(&mut self, req: &Request<'_>, message: &str) {
        self.reply_code(req.conn, req.id, "400", message, req.now);
    }

    /// `{code: "200", message, call_id, control_id}` and any `extra` fields.
    pub(super) fn reply_started(
        &mut self,
        req: &Request<'_>,
        control_id: &ControlId,
        message: &str,
        extra: Map<String, Value>,
    ) {
        let mut result = Map::new();
        result.insert("code".into(), "200".into());
        result.insert("message".into(), message.into());
        result.insert("call_id".into(), req.call_id.as_str().into());
        result.insert("control_id".into(), control_id.as_str().into());
        result.extend(extra);
        self.reply(req.conn, req.id, Value::Object(result), req.now);
    }

    pub(super) fn has_action(&self, call_id: &CallId, control_id: &ControlId) -> bool {
        self.calls
            .get(call_id)
            .is_some_and(|call| call.actions.contains_key(control_id))
    }

    /// Opens an action and returns its serial.
    pub(super) fn insert_action(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        kind: ActionKind,
    ) -> u64 {
        let serial = self.serial();
        if let Some(call) = self.calls.get_mut(call_id) {
            call.actions
                .insert(control_id.clone(), Action { serial, kind });
        }
        serial
    }

    pub(super) fn remove_action(&mut self, call_id: &CallId, control_id: &ControlId) {
        if let Some(call) = self.calls.get_mut(call_id) {
            call.actions.remove(control_id);
        }
    }

    pub(super) fn action_mut(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
    ) -> Option<&mut Action> {
        self.calls.get_mut(call_id)?.actions.get_mut(control_id)
    }

    /// A new serial for an open action, voiding the timers it had.
    pub(super) fn reserial(&mut self, call_id: &CallId, control_id: &ControlId) -> u64 {
        let serial = self.serial();
        if let Some(action) = self.action_mut(call_id, control_id) {
            action.serial = serial;
        }
        serial
    }
}

/// One `calling.*` request on a known call, as its handler sees it.
#[derive(Clone, Copy)]
pub(in crate::sim) struct Request<'a> {
    pub(super) conn: ConnId,
    pub(super) id: &'a Option<Value>,
    pub(super) call_id: &'a CallId,
    pub(super) params: &'a Map<String, Value>,
    pub(super) now: Instant,
}

/// Which actions a `calling.<action>.stop` may stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopTarget {
    Stream,
    Play,
    Record,
    Collect,
    PlayAndCollect,
    Detect,
    Tap,
    SendFax,
    ReceiveFax,
    Pay,
    Transcribe,
    Ai,
}

/// The stops of part 1 ([§1.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)–[§1.13](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): each names its own action kind. `send_digits` and
/// `echo` have none.
fn stop_target(method: &str) -> Option<StopTarget> {
    Some(match method {
        "calling.stream.stop" => StopTarget::Stream,
        "calling.play.stop" => StopTarget::Play,
        "calling.record.stop" => StopTarget::Record,
        "calling.collect.stop" => StopTarget::Collect,
        "calling.play_and_collect.stop" => StopTarget::PlayAndCollect,
        "calling.detect.stop" => StopTarget::Detect,
        "calling.tap.stop" => StopTarget::Tap,
        "calling.send_fax.stop" => StopTarget::SendFax,
        "calling.receive_fax.stop" => StopTarget::ReceiveFax,
        "calling.pay.stop" => StopTarget::Pay,
        "calling.transcribe.stop" => StopTarget::Transcribe,
        "calling.ai.stop" => StopTarget::Ai,
        _ => return None,
    })
}

impl StopTarget {
    fn matches(self, kind: &ActionKind) -> bool {
        match (self, kind) {
            (StopTarget::Stream, ActionKind::Stream { .. })
            | (StopTarget::Play, ActionKind::Play(_))
            | (StopTarget::Record, ActionKind::Record(_))
            | (StopTarget::Detect, ActionKind::Detect(_))
            | (StopTarget::Tap, ActionKind::Tap { .. })
            | (StopTarget::Pay, ActionKind::Pay)
            | (StopTarget::Transcribe, ActionKind::Transcribe { .. })
            | (StopTarget::Ai, ActionKind::Ai) => true,
            (StopTarget::Collect, ActionKind::Collect(c)) => !c.is_prompt(),
            (StopTarget::PlayAndCollect, ActionKind::Collect(c)) => c.is_prompt(),
            (StopTarget::SendFax, ActionKind::Fax(f)) => f.send,
            (StopTarget::ReceiveFax, ActionKind::Fax(f)) => !f.send,
            _ => false,
        }
    }

    fn message(self) -> &'static str {
        match self {
            StopTarget::Stream => "Stream stopped",
            StopTarget::Play => "Play stopped",
            StopTarget::Record => "Record stopped",
            StopTarget::Collect => "Collect stopped",
            StopTarget::PlayAndCollect => "Prompt stopped",
            StopTarget::Detect => "Detect stopped",
            StopTarget::Tap => "Tap stopped",
            StopTarget::SendFax | StopTarget::ReceiveFax => "Fax stopped",
            StopTarget::Pay => "Pay stopped",
            StopTarget::Transcribe => "Transcribe stopped",
            StopTarget::Ai => "AI stopped",
        }
    }
}

pub(super) fn control_id_of(params: &Map<String, Value>) -> Option<ControlId> {
    params
        .get("control_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(ControlId::from)
}

/// An optional non-negative number of seconds: `Ok(None)` when absent, `Err` when it is not
/// a number ≥ 0. Strings holding a number are accepted, as the server schema types several
/// timeouts as strings.
pub(super) fn seconds(params: &Map<String, Value>, key: &str) -> Result<Option<Duration>, ()> {
    let number = match params.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match number {
        Some(secs) if secs.is_finite() && (0.0..=86_400.0).contains(&secs) => {
            Ok(Some(Duration::from_secs_f64(secs)))
        }
        _ => Err(()),
    }
}

/// An optional string among `allowed`.
pub(super) fn one_of(params: &Map<String, Value>, key: &str, allowed: &[&str]) -> Result<(), ()> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(_) => Err(()),
    }
}

/// An optional volume in dB, -40 to +40 ([§1.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
pub(super) fn volume(params: &Map<String, Value>, key: &str) -> Result<(), ()> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(n)) if n.as_f64().is_some_and(|v| (-40.0..=40.0).contains(&v)) => Ok(()),
        Some(_) => Err(()),
    }
}

/// An optional JSON object; `Err` when present and not an object.
pub(super) fn object<'a>(
    params: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, ()> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(()),
    }
}

/// Seconds as an event's JSON number.
pub(super) fn secs(duration: Duration) -> Value {
    let millis = duration.as_millis() as f64;
    Value::from(millis / 1000.0)
}
