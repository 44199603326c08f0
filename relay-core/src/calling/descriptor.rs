//! One descriptor per action: the methods that start, stop and steer it, the event types it
//! listens to, and the rule that says which event ends it.
//!
//! The kind of a running action comes from the method that started it, never from the name
//! of an event: `play_and_collect` hears `calling.call.play` *and* `calling.call.collect` on
//! one control id, and both fax actions hear `calling.call.fax`. Choices taken where
//! SignalWire's texts disagree (see `docs/CALLING-API.md`):
//! - collect ends on a *final* `result` (not `final: false`, not `start_of_input`), or on a
//!   `state` of `finished`/`error` ([§1.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) correction);
//! - detect ends on its first outcome in `detect.params.event` (`MACHINE`, `HUMAN`,
//!   `UNKNOWN`, `CED`, `CNG`, a digit), on `finished`/`error` without one, and, with
//!   `wait_for_beep` (client side, never sent), on `READY` after `MACHINE` ([§1.5](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md));
//! - fax ends when `fax.type` or a top-level `state` is `finished`/`error`; success is
//!   `fax.params.success` ([§6.7](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
//!
//! Those three rules live in their family's module, handed to the descriptor as a
//! [`Judge`]; this module imports no family.

use super::params::lenient_text;
use super::ActionState;
use serde::Deserialize;
use std::borrow::Cow;

/// Which events end an action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TerminalRule {
    /// The event's `state` is one of these. A state in `failures` ends it unsuccessfully.
    States {
        /// States that end the action.
        terminal: Vec<String>,
        /// Those of them that mean it failed.
        failures: Vec<String>,
        /// Ending without a non-terminal state first counts as a failure (a stream that
        /// never streamed).
        must_start: bool,
    },
    /// A family's own reading of its events (collect, detect, fax nest their outcome):
    /// the judge it gives, so that this module knows no family.
    Judge(Judge),
}

/// The signature of a family's judge: the event's type, its JSON text, its top-level
/// `state` (already read) and what the action remembers.
pub type JudgeFn = fn(&str, &str, Option<&str>, &mut Progress) -> Verdict;

/// A judge of an action's events, named so that descriptors compare and print: a family
/// module makes one from its judging function ([`Judge::new`]); a custom action may too.
#[derive(Clone, Copy)]
pub struct Judge {
    name: &'static str,
    judge: JudgeFn,
}

impl Judge {
    /// The judge `judge`, known as `name` (one name per function: descriptors with the same
    /// name compare equal).
    pub const fn new(name: &'static str, judge: JudgeFn) -> Self {
        Self { name, judge }
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Judge").field(&self.name).finish()
    }
}

/// By name: comparing function addresses is unreliable across codegen units.
impl PartialEq for Judge {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Judge {}

impl std::hash::Hash for Judge {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl TerminalRule {
    /// Ends on any of `terminal`; `error` and `failed` are failures.
    pub fn states(terminal: &[&str]) -> Self {
        TerminalRule::States {
            terminal: terminal.iter().map(|s| (*s).to_owned()).collect(),
            failures: vec!["error".into(), "failed".into()],
            must_start: false,
        }
    }
}

/// Everything the engine needs to run one kind of action.
///
/// Exhaustive on purpose: a custom action's descriptor is built by literal or by
/// [`ActionDescriptor::simple`] and edited field by field (a literal names every field,
/// `keeps_last_event` included; `simple` sets each to its default).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActionDescriptor {
    /// A short name, e.g. `play_and_collect`.
    pub name: String,
    /// The method that starts it, e.g. `calling.play_and_collect`.
    pub start_method: String,
    /// The method that stops it, if it can be stopped.
    pub stop_method: Option<String>,
    /// Other methods that steer it with its `control_id` (pause, volume, …).
    pub control_methods: Vec<String>,
    /// The event types routed to it by `control_id`.
    pub event_types: Vec<String>,
    /// Which event ends it.
    pub terminal: TerminalRule,
    /// Its progress events carry data beyond their state (a collect's partial result, a
    /// detect's `MACHINE`, a fax's page count, a tap's device): a running action keeps the
    /// last one for the driver's `ActionHandle::last_event`.
    /// Off for families whose progress says only its state (stream, play, send_digits): the
    /// state is kept either way, and 10,000 running streams would otherwise each hold the
    /// text of an event that says `streaming`.
    pub keeps_last_event: bool,
}

/// What one event means to an action.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Verdict {
    /// Not this action's event type: it is only a call event.
    NotMine,
    /// Progress; the state to report.
    Update(ActionState),
    /// The end: the state to report and whether the action did its work.
    End {
        /// The terminal state.
        state: ActionState,
        /// Whether it failed.
        failed: bool,
    },
}

/// What an action remembers between its events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// A non-terminal event was seen.
    pub started: bool,
    /// Detect with `wait_for_beep` saw `MACHINE`.
    pub machine_seen: bool,
}

impl ActionDescriptor {
    /// The `calling.<name>` family: start `calling.<name>`, stop `calling.<name>.stop`,
    /// events `calling.call.<name>`, terminal `state` as given. Add control methods with
    /// [`ActionDescriptor::control`].
    pub fn simple(name: &str, terminal: TerminalRule) -> Self {
        Self {
            name: name.to_owned(),
            start_method: format!("calling.{name}"),
            stop_method: Some(format!("calling.{name}.stop")),
            control_methods: Vec::new(),
            event_types: vec![format!("calling.call.{name}")],
            terminal,
            // An unknown family's progress may carry data: kept unless it says otherwise.
            keeps_last_event: true,
        }
    }

    /// Its progress events say only its state: a running action keeps the state, not the
    /// event (see [`ActionDescriptor::keeps_last_event`]).
    pub fn without_last_event(mut self) -> Self {
        self.keeps_last_event = false;
        self
    }

    /// Adds a control method (`calling.<name>.<suffix>`).
    pub fn control(mut self, suffix: &str) -> Self {
        self.control_methods
            .push(format!("{}.{suffix}", self.start_method));
        self
    }

    /// Removes the stop method.
    pub fn without_stop(mut self) -> Self {
        self.stop_method = None;
        self
    }

    /// Whether `method` may be sent with this action's control id.
    pub fn allows(&self, method: &str) -> bool {
        self.stop_method.as_deref() == Some(method)
            || self.control_methods.iter().any(|m| m == method)
    }

    /// Judges one event of type `event_type` routed to this action by its control id;
    /// `event` is the JSON text of its params (a [`Payload`](crate::Payload)'s
    /// [`as_str`](crate::Payload::as_str)).
    pub fn judge(&self, event_type: &str, event: &str, progress: &mut Progress) -> Verdict {
        #[derive(Default, Deserialize)]
        struct StateView<'a> {
            #[serde(borrow, default, deserialize_with = "lenient_text")]
            state: Option<Cow<'a, str>>,
        }
        let raw = serde_json::from_str(event).ok();
        let view: StateView<'_> = super::data::read(raw).unwrap_or_default();
        self.judge_read(event_type, event, view.state.as_deref(), progress)
    }

    /// [`ActionDescriptor::judge`] with the event's top-level `state` already read (the
    /// engine's view has it): only collect, detect and fax read more of the event.
    pub(crate) fn judge_read(
        &self,
        event_type: &str,
        event: &str,
        state: Option<&str>,
        progress: &mut Progress,
    ) -> Verdict {
        if !self.event_types.iter().any(|t| t == event_type) {
            return Verdict::NotMine;
        }
        let verdict = match &self.terminal {
            TerminalRule::States {
                terminal,
                failures,
                must_start,
            } => {
                let state = state.unwrap_or_default();
                if terminal.iter().any(|t| t == state) {
                    let failed =
                        failures.iter().any(|f| f == state) || (*must_start && !progress.started);
                    Verdict::End {
                        state: ActionState::from_wire(state),
                        failed,
                    }
                } else {
                    Verdict::Update(ActionState::from_wire(state))
                }
            }
            TerminalRule::Judge(judge) => (judge.judge)(event_type, event, state, progress),
        };
        if matches!(verdict, Verdict::Update(_)) {
            progress.started = true;
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActionKind;

    /// Ends on an event whose `level` is over 9: a rule no family has.
    fn loud(_: &str, event: &str, _: Option<&str>, _: &mut Progress) -> Verdict {
        let level = serde_json::from_str::<serde_json::Value>(event).ok();
        match level.and_then(|v| v.get("level")?.as_u64()) {
            Some(level) if level > 9 => Verdict::End {
                state: ActionState::from_wire("loud"),
                failed: false,
            },
            _ => Verdict::Update(ActionState::from_wire("quiet")),
        }
    }

    #[test]
    fn a_descriptor_runs_the_judge_it_carries() {
        let rule = TerminalRule::Judge(Judge::new("loud", loud));
        let hum = ActionDescriptor::simple("hum", rule.clone());
        let mut progress = Progress::default();
        let verdict = hum.judge("calling.call.hum", r#"{"level":3}"#, &mut progress);
        assert_eq!(verdict, Verdict::Update(ActionState::from_wire("quiet")));
        assert!(progress.started);
        let verdict = hum.judge("calling.call.hum", r#"{"level":12}"#, &mut progress);
        assert!(matches!(verdict, Verdict::End { failed: false, .. }));
        assert_eq!(
            hum.judge("calling.call.play", "{}", &mut progress),
            Verdict::NotMine
        );
        // Judges compare and print by name.
        assert_eq!(rule, TerminalRule::Judge(Judge::new("loud", loud)));
        assert_eq!(format!("{rule:?}"), r#"Judge(Judge("loud"))"#);
    }

    #[test]
    fn detect_and_fax_judge_their_nested_outcome_from_the_text() {
        let detect = ActionKind::Detect.descriptor();
        let fax = ActionKind::SendFax.descriptor();
        let judge = |d: &ActionDescriptor, event_type: &str, event: &str| {
            d.judge(event_type, event, &mut Progress::default())
        };
        let human = r#"{"detect":{"type":"machine","params":{"event":"HUMAN"}}}"#;
        assert!(matches!(
            judge(&detect, "calling.call.detect", human),
            Verdict::End { failed: false, state } if state == ActionState::from_wire("HUMAN")
        ));
        // A nested outcome of another shape reads as absent: the top-level state decides.
        for odd in [
            r#"{"detect":5,"state":"finished"}"#,
            r#"{"detect":{"type":1,"params":[1]},"state":"finished"}"#,
            r#"{"detect":{"params":{"event":7}},"state":"finished"}"#,
        ] {
            assert!(
                matches!(
                    judge(&detect, "calling.call.detect", odd),
                    Verdict::End { failed: true, .. }
                ),
                "{odd}"
            );
        }
        let sent = r#"{"fax":{"type":"finished","params":{"success":true}}}"#;
        assert!(matches!(
            judge(&fax, "calling.call.fax", sent),
            Verdict::End { failed: false, .. }
        ));
        let unsure = r#"{"fax":{"type":"finished","params":{"success":"yes"}}}"#;
        assert!(matches!(
            judge(&fax, "calling.call.fax", unsure),
            Verdict::End { failed: true, .. }
        ));
        let page = r#"{"fax":{"type":"page","params":{"pages":1}}}"#;
        assert_eq!(
            judge(&fax, "calling.call.fax", page),
            Verdict::Update(ActionState::from_wire("page"))
        );
    }
}
