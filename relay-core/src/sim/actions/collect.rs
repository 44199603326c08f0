//! `calling.collect` ([§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) and `calling.play_and_collect` ([§1.4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
//!
//! A collect answers with one `calling.call.collect` whose `result` is `digit`, `speech`,
//! `no_input`, `no_match` or `error`, `final: true`. Asked for, interim results come first
//! (`partial_results`: `final: false`, `state: collecting`) and `start_of_input` when the
//! caller starts (`send_start_of_input`). A play_and_collect also sends `calling.call.play`
//! for its prompt, on the same control id; only the collect event ends it.

use super::play::playable;
use super::{object, seconds, volume, ActionKind, Request, Step};
use crate::ids::{CallId, ControlId};
use crate::sim::relay::FakeRelay;
use crate::sim::script::CallerInput;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// G: `initial_timeout` defaults to 4 s, `digit_timeout` to 5 s.
const INITIAL_TIMEOUT: Duration = Duration::from_secs(4);
const DIGIT_TIMEOUT: Duration = Duration::from_secs(5);

/// A collect (or the collect half of a play_and_collect) in progress.
#[derive(Debug, Clone)]
pub(in crate::sim) struct Collect {
    /// For a play_and_collect: whether its prompt still plays.
    prompt: Option<bool>,
    digits: Option<Digits>,
    speech: bool,
    initial_timeout: Duration,
    partial_results: bool,
    continuous: bool,
    start_of_input: bool,
    timers_started: bool,
    /// The caller has started (keys or words): the initial timer no longer applies.
    heard: bool,
    /// Keys gathered so far.
    pressed: String,
}

#[derive(Debug, Clone)]
struct Digits {
    max: usize,
    terminators: String,
    digit_timeout: Duration,
}

impl Collect {
    pub(super) fn is_prompt(&self) -> bool {
        self.prompt.is_some()
    }
}

/// How a collect ends or reports.
enum Outcome {
    Digits(String, String),
    Speech(String, f64),
    NoInput,
    NoMatch,
    Error,
}

impl Outcome {
    fn result(&self) -> Value {
        match self {
            Outcome::Digits(digits, terminator) => json!({"type": "digit",
                "params": {"digits": digits, "terminator": terminator}}),
            Outcome::Speech(text, confidence) => json!({"type": "speech",
                "params": {"text": text, "confidence": confidence}}),
            Outcome::NoInput => json!({"type": "no_input"}),
            Outcome::NoMatch => json!({"type": "no_match"}),
            Outcome::Error => json!({"type": "error"}),
        }
    }
}

impl FakeRelay {
    pub(super) fn start_collect(&mut self, req: &Request<'_>) {
        let Ok(mut collect) = read_collect(req.params, None) else {
            return self.bad_params(req, "Invalid collect");
        };
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "Collecting", Map::new());
        let timers = std::mem::take(&mut collect.timers_started);
        let kind = ActionKind::Collect(Box::new(collect));
        let serial = self.insert_action(req.call_id, &control_id, kind);
        // The caller may answer from the start; the no-input timer waits for
        // `start_input_timers` (G: `initial_timeout` is "used when start_input_timers is true").
        let at = req.now + self.config.caller.input_delay;
        self.schedule_step(req.call_id, &control_id, serial, Step::Input, at);
        if timers {
            self.arm_initial_timer(req.call_id, &control_id, req.now);
        }
    }

    pub(super) fn start_play_and_collect(&mut self, req: &Request<'_>) {
        let list = req.params.get("play").and_then(Value::as_array);
        let Some(list) = list.filter(|l| !l.is_empty()) else {
            return self.bad_params(req, "Nothing to play");
        };
        let collect = match object(req.params, "collect") {
            Ok(Some(inner)) => read_collect(inner, Some(true)),
            _ => Err(()),
        };
        let (Ok(collect), Ok(())) = (collect, volume(req.params, "volume")) else {
            return self.bad_params(req, "Invalid collect");
        };
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        self.reply_started(req, &control_id, "Prompting", Map::new());
        let good = list.iter().all(playable);
        let mut collect = collect;
        collect.prompt = Some(good);
        let timers = std::mem::take(&mut collect.timers_started);
        let kind = ActionKind::Collect(Box::new(collect));
        let serial = self.insert_action(req.call_id, &control_id, kind);
        if timers {
            self.arm_initial_timer(req.call_id, &control_id, req.now);
        }
        if good {
            self.play_event(req.call_id, &control_id, "playing", req.now);
            let at = req.now + self.config.play_duration;
            self.schedule_step(req.call_id, &control_id, serial, Step::PromptDone, at);
        } else {
            // A prompt that cannot play fails as a play does (§1.1), and the collect goes on
            // as if it had ended.
            self.play_event(req.call_id, &control_id, "error", req.now);
            self.prompt_over(req.call_id, &control_id, serial, req.now);
        }
    }

    /// `calling.collect.start_input_timers`, for a collect or a play_and_collect ([§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), [§1.4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)):
    /// starts the `initial_timeout` now unless it runs already.
    pub(super) fn start_input_timers(&mut self, req: &Request<'_>) {
        let fits = |kind: &ActionKind| matches!(kind, ActionKind::Collect(_));
        let Some(control_id) = self.control_of(req, fits) else {
            return;
        };
        self.reply_code(req.conn, req.id, "200", "Input timers started", req.now);
        self.arm_initial_timer(req.call_id, &control_id, req.now);
    }

    pub(super) fn collect_timer(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        step: Step,
        now: Instant,
    ) {
        let Some((serial, collect)) = self.collect_of(call_id, control_id) else {
            return;
        };
        match step {
            Step::PromptDone => {
                if let Some(c) = self.collect_mut(call_id, control_id) {
                    c.prompt = Some(false);
                }
                self.play_event(call_id, control_id, "finished", now);
                self.prompt_over(call_id, control_id, serial, now);
            }
            Step::Input => self.caller_answers(call_id, control_id, now),
            Step::InitialTimeout if !collect.heard => {
                self.end_collect(call_id, control_id, Outcome::NoInput, now)
            }
            Step::DigitTimeout => {
                let outcome = Outcome::Digits(collect.pressed.clone(), String::new());
                self.end_collect(call_id, control_id, outcome, now);
            }
            _ => {}
        }
    }

    /// A stopped collect, or one on a call that ends: the prompt (if it still plays)
    /// `finished`, then a final collect event with `state: finished` and no `result` — the
    /// spec names no result for a stop, and an invented `no_input` would lie about the caller.
    pub(super) fn halt_collect(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        collect: Collect,
        events: bool,
        now: Instant,
    ) {
        self.remove_action(call_id, control_id);
        if !events {
            return;
        }
        if collect.prompt == Some(true) {
            self.play_event(call_id, control_id, "finished", now);
        }
        let fields = json!({"final": true, "state": "finished"});
        self.action_event(call_id, control_id, "calling.call.collect", fields, now);
    }

    // ----- the caller -----

    /// The prompt is over: the caller answers after its delay, and the input timers start
    /// unless `start_input_timers` started them already.
    fn prompt_over(&mut self, call_id: &CallId, control_id: &ControlId, serial: u64, now: Instant) {
        let at = now + self.config.caller.input_delay;
        self.schedule_step(call_id, control_id, serial, Step::Input, at);
        self.arm_initial_timer(call_id, control_id, now);
    }

    fn arm_initial_timer(&mut self, call_id: &CallId, control_id: &ControlId, now: Instant) {
        let Some((serial, collect)) = self.collect_of(call_id, control_id) else {
            return;
        };
        if collect.timers_started {
            return;
        }
        if let Some(c) = self.collect_mut(call_id, control_id) {
            c.timers_started = true;
        }
        let at = now + collect.initial_timeout;
        self.schedule_step(call_id, control_id, serial, Step::InitialTimeout, at);
    }

    /// What the scripted caller does, against what the collect listens for.
    fn caller_answers(&mut self, call_id: &CallId, control_id: &ControlId, now: Instant) {
        let Some((serial, collect)) = self.collect_of(call_id, control_id) else {
            return;
        };
        match self.config.caller.input.clone() {
            // Keys a collect does not listen for go unheard, as words do with no recogniser.
            CallerInput::Digits(keys) => {
                let Some(digits) = collect.digits.clone() else {
                    return;
                };
                if keys.is_empty() {
                    return;
                }
                self.heard(call_id, control_id, &collect, now);
                let mut pressed = collect.pressed.clone();
                for key in keys.chars() {
                    if digits.terminators.contains(key) {
                        let outcome = Outcome::Digits(pressed, key.to_string());
                        return self.end_collect(call_id, control_id, outcome, now);
                    }
                    pressed.push(key);
                    if pressed.chars().count() >= digits.max {
                        let outcome = Outcome::Digits(pressed, String::new());
                        return self.end_collect(call_id, control_id, outcome, now);
                    }
                    if collect.partial_results {
                        let partial = Outcome::Digits(pressed.clone(), String::new());
                        self.collect_event(call_id, control_id, &partial, false, now);
                    }
                }
                if let Some(c) = self.collect_mut(call_id, control_id) {
                    c.pressed = pressed;
                }
                let at = now + digits.digit_timeout;
                self.schedule_step(call_id, control_id, serial, Step::DigitTimeout, at);
            }
            CallerInput::Speech { text, confidence } => {
                if !collect.speech {
                    return;
                }
                self.heard(call_id, control_id, &collect, now);
                if collect.partial_results {
                    let words: Vec<&str> = text.split_whitespace().collect();
                    for n in 1..words.len() {
                        let partial = Outcome::Speech(words[..n].join(" "), confidence);
                        self.collect_event(call_id, control_id, &partial, false, now);
                    }
                }
                self.end_collect(call_id, control_id, Outcome::Speech(text, confidence), now);
            }
            CallerInput::Silence => {}
            CallerInput::NoMatch => {
                self.heard(call_id, control_id, &collect, now);
                self.end_collect(call_id, control_id, Outcome::NoMatch, now);
            }
            CallerInput::Error => self.end_collect(call_id, control_id, Outcome::Error, now),
        }
    }

    /// The caller started: `start_of_input` when asked, and the initial timer stops counting.
    fn heard(&mut self, call_id: &CallId, control_id: &ControlId, collect: &Collect, now: Instant) {
        if let Some(c) = self.collect_mut(call_id, control_id) {
            c.heard = true;
        }
        if collect.start_of_input && !collect.heard {
            let fields = json!({"result": {"type": "start_of_input"}, "final": false,
                                "state": "collecting"});
            self.action_event(call_id, control_id, "calling.call.collect", fields, now);
        }
    }

    /// A final result. With `continuous`, a digit or speech result is reported and the
    /// collect listens on ([§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): ends on stop or call end); anything else ends it.
    fn end_collect(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        outcome: Outcome,
        now: Instant,
    ) {
        let Some((_, collect)) = self.collect_of(call_id, control_id) else {
            return;
        };
        let goes_on =
            collect.continuous && matches!(outcome, Outcome::Digits(..) | Outcome::Speech(..));
        if goes_on {
            if let Some(c) = self.collect_mut(call_id, control_id) {
                c.pressed.clear();
                c.heard = false;
            }
            self.reserial(call_id, control_id);
        } else {
            self.remove_action(call_id, control_id);
            // The prompt stops when the collect ends before it (a no-input timer started
            // early by `start_input_timers`).
            if collect.prompt == Some(true) {
                self.play_event(call_id, control_id, "finished", now);
            }
        }
        self.collect_event(call_id, control_id, &outcome, true, now);
    }

    /// `calling.call.collect` with `result`, `final` and `state` (JS-Types, later version).
    fn collect_event(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        outcome: &Outcome,
        is_final: bool,
        now: Instant,
    ) {
        let state = match (is_final, outcome) {
            (false, _) => "collecting",
            (true, Outcome::Error) => "error",
            (true, _) => "finished",
        };
        let fields = json!({"result": outcome.result(), "final": is_final, "state": state});
        self.action_event(call_id, control_id, "calling.call.collect", fields, now);
    }

    fn collect_of(&self, call_id: &CallId, control_id: &ControlId) -> Option<(u64, Collect)> {
        let action = self.calls.get(call_id)?.actions.get(control_id)?;
        match &action.kind {
            ActionKind::Collect(collect) => Some((action.serial, (**collect).clone())),
            _ => None,
        }
    }

    fn collect_mut(&mut self, call_id: &CallId, control_id: &ControlId) -> Option<&mut Collect> {
        match &mut self.action_mut(call_id, control_id)?.kind {
            ActionKind::Collect(collect) => Some(collect),
            _ => None,
        }
    }
}

/// Reads a collect's settings ([§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) table): `digits` (with a positive `max`) or `speech` is
/// required. `prompt` is `Some` for the `collect` object of a play_and_collect, whose timers
/// start when the prompt ends. `timers_started` holds the `start_input_timers` flag until
/// the action opens.
fn read_collect(params: &Map<String, Value>, prompt: Option<bool>) -> Result<Collect, ()> {
    let digits = match object(params, "digits")? {
        None => None,
        Some(d) => {
            let max = d.get("max").and_then(Value::as_u64).filter(|m| *m > 0);
            let terminators = match d.get("terminators") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(t)) => t.clone(),
                Some(_) => return Err(()),
            };
            Some(Digits {
                max: max.ok_or(())?.min(1_000) as usize,
                terminators,
                digit_timeout: seconds(d, "digit_timeout")?.unwrap_or(DIGIT_TIMEOUT),
            })
        }
    };
    let speech = match object(params, "speech")? {
        None => false,
        Some(s) => {
            seconds(s, "end_silence_timeout")?;
            seconds(s, "speech_timeout")?;
            true
        }
    };
    if digits.is_none() && !speech {
        return Err(());
    }
    let flag = |key: &str| match params.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(()),
    };
    Ok(Collect {
        prompt,
        digits,
        speech,
        initial_timeout: seconds(params, "initial_timeout")?.unwrap_or(INITIAL_TIMEOUT),
        partial_results: flag("partial_results")?,
        continuous: flag("continuous")?,
        start_of_input: flag("send_start_of_input")?,
        timers_started: flag("start_input_timers")?,
        heard: false,
        pressed: String::new(),
    })
}
