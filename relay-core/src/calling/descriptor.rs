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
    /// `calling.collect` / `calling.play_and_collect`: a final `result` on a
    /// `calling.call.collect` event.
    Collect,
    /// `calling.detect`: the first outcome in `detect.params.event`.
    Detect {
        /// Wait for `READY` after `MACHINE` (the end of the greeting).
        wait_for_beep: bool,
    },
    /// `calling.send_fax` / `calling.receive_fax`: `fax.type` or `state`.
    Fax,
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
/// [`ActionDescriptor::simple`] and edited field by field.
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
        }
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
        let view: StateView<'_> = super::view::read(raw).unwrap_or_default();
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
            TerminalRule::Collect => super::collect::judge(event_type, event, state),
            // Detect and fax nest their outcome; their events are few, read as a tree.
            TerminalRule::Detect { wait_for_beep } => {
                super::detect::judge(&tree(event), *wait_for_beep, progress)
            }
            TerminalRule::Fax => super::fax::judge(&tree(event), state.map(str::to_owned)),
        };
        if matches!(verdict, Verdict::Update(_)) {
            progress.started = true;
        }
        verdict
    }
}

fn tree(event: &str) -> serde_json::Value {
    serde_json::from_str(event).unwrap_or_default()
}
