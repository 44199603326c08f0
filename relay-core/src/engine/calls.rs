//! Calls and their actions: commands on a call, routing of `calling.*` events by
//! `call_id`, `control_id` and `tag`, and freeing state when a call ends.

use super::call_table::ActionEntry;
use super::requests::{Method, PendingKind};
use super::{later, log, DialEntry, Engine};
use crate::action::descriptor::{ActionDescriptor, Verdict};
use crate::action::{ActionKind, ActionOutcome, ActionRequest};
use crate::call::{CallInfo, CallState, Direction, EndReason};
use crate::call_event::CallEvent;
use crate::calling::data;
use crate::calling::params::check_volume;
use crate::calling::params::lenient_text;
use crate::calling::play::{check_media, PlayMedia, PlayParams};
use crate::calling::stream::StreamOptions;
use crate::calling::view::EventView;
use crate::dial::{DialPlan, DialState};
use crate::error::{CallGone, CommandError, ProtocolError};
use crate::event::{DialError, Event};
use crate::frame::Ids;
use crate::ids::{CallId, ControlId, DialTag, RequestId};
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

/// The ids of an action that was just started.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionStart {
    /// The start request; its `RequestCompleted` says whether the server took it. When the
    /// engine made the control id, the request goes out under the same text (both share
    /// one string); a control id of the caller's own gets a request id of its own.
    pub request_id: RequestId,
    /// The action's control id; its `ActionFinished` says how it ended.
    pub control_id: ControlId,
}

impl Engine {
    /// Answers an inbound call (`calling.answer`).
    pub fn answer(&mut self, call_id: &CallId, now: Instant) -> Result<RequestId, CommandError> {
        let kind = PendingKind::Call(call_id.clone());
        self.call_request_typed(call_id, "calling.answer", None, &(), kind, now)
    }

    /// Hangs up a call (`calling.end` with a reason).
    pub fn hangup(
        &mut self,
        call_id: &CallId,
        reason: EndReason,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        #[derive(Serialize)]
        struct End<'a> {
            reason: &'a str,
        }
        let params = End {
            reason: reason.as_wire(),
        };
        let kind = PendingKind::Call(call_id.clone());
        self.call_request_typed(call_id, "calling.end", None, &params, kind, now)
    }

    /// [`Engine::pass`] for an offer nobody will command (the driver's incoming queue is
    /// full): the call is forgotten at once, since a refusal would leave it tracked with
    /// nobody to end it.
    #[cfg(feature = "driver")]
    pub(crate) fn pass_and_forget(
        &mut self,
        call_id: &CallId,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let id = self.call_request(call_id, "calling.pass", Map::new(), now)?;
        self.calls.end(call_id);
        Ok(id)
    }

    /// Dials out (`calling.dial`). The call arrives as `DialCompleted`.
    pub fn dial(
        &mut self,
        plan: &DialPlan,
        now: Instant,
    ) -> Result<(RequestId, DialTag), CommandError> {
        let params = plan.to_params()?;
        self.check_call_cap()?;
        let tag = match plan.get_tag() {
            Some(tag) => {
                let tag = DialTag::new(tag);
                if tag.as_str().is_empty() || self.tag_in_use(&tag) {
                    return Err(CommandError::InvalidDialTag(tag));
                }
                tag
            }
            None => self.new_id::<DialTag>(),
        };
        let ids = Ids {
            tag: Some(tag.as_str()),
            ..Ids::default()
        };
        let kind = PendingKind::Dial(tag.clone());
        let id = self.submit_typed(None, "calling.dial", &ids, &params, kind, now)?;
        let timeout = plan.get_timeout().unwrap_or(self.config.dial_timeout);
        let deadline = later(now, timeout);
        self.dials.insert(
            tag.clone(),
            DialEntry {
                request_id: id.clone(),
                deadline,
                max_legs: plan.device_count(),
            },
        );
        Ok((id, tag))
    }

    /// Streams the call's audio to `url` (`calling.stream`): [`Engine::start`] with
    /// `options` whose url is `url`, so the same checks and the same start path as every
    /// action.
    pub fn stream(
        &mut self,
        call_id: &CallId,
        url: &str,
        options: &StreamOptions,
        now: Instant,
    ) -> Result<ActionStart, CommandError> {
        // The url argument wins; options that already carry it are sent as they are.
        if options.url == url {
            return self.start(call_id, options, now);
        }
        self.start(call_id, &options.clone().url(url), now)
    }

    /// Plays media into the call (`calling.play`).
    pub fn play(
        &mut self,
        call_id: &CallId,
        media: &[PlayMedia],
        volume: Option<f64>,
        now: Instant,
    ) -> Result<ActionStart, CommandError> {
        // The checks of `PlayOptions`: one rule for the same action, whichever way it starts.
        check_media(media)?;
        check_volume(volume)?;
        self.start_action(
            call_id,
            ActionKind::Play,
            PlayParams {
                play: media,
                volume,
            },
            None,
            now,
        )
    }

    /// Starts a typed action: its options are checked, then `calling.<kind>` goes out
    /// with a `control_id`. The action is registered before its request goes out.
    pub fn start<R: ActionRequest + ?Sized>(
        &mut self,
        call_id: &CallId,
        request: &R,
        now: Instant,
    ) -> Result<ActionStart, CommandError> {
        request.check()?;
        let kind = request.kind();
        let descriptor = kind.share(request.descriptor());
        self.start_with(
            call_id,
            kind,
            descriptor,
            request,
            request.control_id().cloned(),
            now,
        )
    }

    /// Starts any action with raw params, run as its kind's descriptor says (an
    /// [`ActionKind::Custom`] carries its own).
    pub fn start_action<P: Serialize>(
        &mut self,
        call_id: &CallId,
        kind: ActionKind,
        params: P,
        control_id: Option<ControlId>,
        now: Instant,
    ) -> Result<ActionStart, CommandError> {
        let descriptor = kind.shared_descriptor();
        self.start_with(call_id, kind, descriptor, &params, control_id, now)
    }

    fn start_with<P: Serialize + ?Sized>(
        &mut self,
        call_id: &CallId,
        kind: ActionKind,
        descriptor: Arc<ActionDescriptor>,
        params: &P,
        control_id: Option<ControlId>,
        now: Instant,
    ) -> Result<ActionStart, CommandError> {
        let call = self
            .calls
            .get(call_id)
            .ok_or_else(|| self.no_call(call_id))?;
        if let Some(id) = &control_id {
            if id.as_str().is_empty() {
                return Err(CommandError::InvalidOption("control id is empty".into()));
            }
            if call.actions.contains_key(id) {
                return Err(CommandError::DuplicateControlId(id.clone()));
            }
        }
        // A control id we make is unique among our request ids too: the start goes out
        // under its text, one string for both. One the user chose (which may repeat on
        // another call) gets a request id of its own.
        let (control_id, request_id) = match control_id {
            Some(id) => (id, None),
            None => {
                let id = self.new_id::<ControlId>();
                let request_id = RequestId::of_action(&id);
                (id, Some(request_id))
            }
        };
        let request_id = self.call_request_as(
            request_id,
            call_id,
            Method::Start(descriptor.clone()),
            Some(&control_id),
            params,
            PendingKind::ActionStart(call_id.clone(), control_id.clone()),
            now,
        )?;
        if let Some(call) = self.calls.get_mut(call_id) {
            call.actions
                .insert(control_id.clone(), ActionEntry::new(kind, descriptor));
        }
        Ok(ActionStart {
            request_id,
            control_id,
        })
    }

    /// Stops an action (its descriptor's stop method). Its `ActionFinished` follows.
    pub fn stop_action(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let action = self.action(call_id, control_id)?;
        let Some(method) = action.descriptor.stop_method.clone() else {
            return Err(CommandError::UnsupportedControl {
                control_id: control_id.clone(),
                method: format!("{}.stop", action.descriptor.start_method),
            });
        };
        let id = self.call_request_typed(
            call_id,
            Method::from(method),
            Some(control_id),
            &(),
            PendingKind::ActionStop(call_id.clone(), control_id.clone()),
            now,
        )?;
        if let Some(action) = self
            .calls
            .get_mut(call_id)
            .and_then(|call| call.actions.get_mut(control_id))
        {
            action.stop_requested = true;
        }
        Ok(id)
    }

    /// Steers a running action with one of its descriptor's control methods
    /// (`calling.play.pause`, `calling.play.volume` with `{"volume": …}`, …).
    pub fn control_action<P: Serialize>(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        method: &str,
        params: P,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        if !self.action(call_id, control_id)?.descriptor.allows(method) {
            return Err(CommandError::UnsupportedControl {
                control_id: control_id.clone(),
                method: method.to_owned(),
            });
        }
        let kind = PendingKind::User;
        let method = Method::text(method);
        self.call_request_typed(call_id, method, Some(control_id), &params, kind, now)
    }

    /// Delivers every later `calling.call.*` event of this call as an
    /// [`Event::CallEvent`], also those reported as call state or action progress: what
    /// [`EngineConfig::every_call_event`](crate::EngineConfig::every_call_event) does for
    /// every call, for this one only (for a listener that appeared). Nothing goes out.
    pub fn watch_call_events(&mut self, call_id: &CallId) -> Result<(), CommandError> {
        match self.calls.get_mut(call_id) {
            Some(call) => {
                call.seldom.watch_every_event();
                Ok(())
            }
            None => Err(self.no_call(call_id)),
        }
    }

    /// Sets [`EngineConfig::every_call_event`](crate::EngineConfig::every_call_event) from
    /// now on, for every call (for a listener of all events that appeared).
    pub fn set_every_call_event(&mut self, on: bool) {
        self.config.every_call_event = on;
    }

    /// Sends any other command on a call (`calling.echo`, `calling.ai_message`, …) with
    /// `node_id` and `call_id` added. A 404/410 ends the call as gone.
    pub fn call_command<P: Serialize>(
        &mut self,
        call_id: &CallId,
        method: &str,
        params: P,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let kind = PendingKind::Call(call_id.clone());
        self.call_request_typed(call_id, Method::text(method), None, &params, kind, now)
    }

    fn action(
        &self,
        call_id: &CallId,
        control_id: &ControlId,
    ) -> Result<&ActionEntry, CommandError> {
        self.calls
            .get(call_id)
            .ok_or_else(|| self.no_call(call_id))?
            .actions
            .get(control_id)
            .ok_or_else(|| CommandError::UnknownAction(control_id.clone()))
    }

    pub(super) fn call_request(
        &mut self,
        call_id: &CallId,
        method: impl Into<Method>,
        params: Map<String, Value>,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let kind = PendingKind::Call(call_id.clone());
        self.call_request_with(call_id, method, params, kind, now)
    }

    pub(super) fn call_request_with(
        &mut self,
        call_id: &CallId,
        method: impl Into<Method>,
        params: Map<String, Value>,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        self.call_request_typed(call_id, method, None, &params, kind, now)
    }

    /// A request on a call: `params` written after the call's `node_id` and `call_id` (and
    /// the action's `control_id`), straight into the frame.
    pub(super) fn call_request_typed<P: Serialize + ?Sized>(
        &mut self,
        call_id: &CallId,
        method: impl Into<Method>,
        control_id: Option<&ControlId>,
        params: &P,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        self.call_request_as(None, call_id, method, control_id, params, kind, now)
    }

    /// [`Engine::call_request_typed`] under the request id `request_id` when given.
    #[allow(clippy::too_many_arguments)] // the request's parts, each of its own kind
    fn call_request_as<P: Serialize + ?Sized>(
        &mut self,
        request_id: Option<RequestId>,
        call_id: &CallId,
        method: impl Into<Method>,
        control_id: Option<&ControlId>,
        params: &P,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let call = self
            .calls
            .get(call_id)
            .ok_or_else(|| self.no_call(call_id))?;
        // The ids are copied out of the call so the engine can be borrowed mutably.
        let node_id = call.info.node_id.clone();
        let ids = Ids {
            node_id: Some(node_id.as_str()),
            call_id: Some(call_id.as_str()),
            control_id: control_id.map(ControlId::as_str),
            tag: None,
        };
        self.submit_typed(request_id, method, &ids, params, kind, now)
    }

    /// Why a call is not there: gone when it was seen ending, unknown otherwise.
    pub(super) fn no_call(&self, call_id: &CallId) -> CommandError {
        if self.calls.has_ended(call_id) {
            CommandError::CallGone(CallGone::ended(call_id.clone()))
        } else {
            CommandError::UnknownCall(call_id.clone())
        }
    }

    /// Whether a call ended recently (seen `ended`, or the server said it is gone). The
    /// last 10,000 such ids are remembered.
    pub fn call_has_ended(&self, call_id: &CallId) -> bool {
        self.calls.has_ended(call_id)
    }

    /// Whether a tag names a pending dial or a connect in progress.
    pub(super) fn tag_in_use(&self, tag: &DialTag) -> bool {
        self.dials.contains_key(tag) || self.connects.contains_key(tag)
    }

    /// The cap a new call would break, if any: `max_active_calls` (calls and pending dials)
    /// or the hard `max_tracked_calls`.
    fn cap_reached(&self) -> Option<usize> {
        let active = self.calls.len() + self.dials.len();
        match self.config.max_active_calls {
            Some(limit) if active >= limit => Some(limit),
            _ if active >= self.config.max_tracked_calls => Some(self.config.max_tracked_calls),
            _ => None,
        }
    }

    fn check_call_cap(&self) -> Result<(), CommandError> {
        match self.cap_reached() {
            Some(limit) => Err(CommandError::TooManyCalls { limit }),
            None => Ok(()),
        }
    }

    /// Routes the data of one `signalwire.event` (already acked); `authorization_state` is
    /// the one member beside the data that an event may carry.
    ///
    /// `calling.call.*` events are routed and judged on a borrowed [`EventView`] of their
    /// data; the data itself travels on as its text (a [`Payload`]), read further only by
    /// whoever receives it. Authorization and `calling.error` events are read from the text
    /// into small borrowed records of their own.
    pub(super) fn handle_event(
        &mut self,
        event_type: &str,
        raw: Option<&str>,
        view: Option<&EventView<'_>>,
        authorization_state: Option<Cow<'_, str>>,
        now: Instant,
    ) {
        match event_type {
            "signalwire.authorization.state" => {
                // In the event's data, or beside it.
                let data = data::read_text::<AuthorizationData<'_>>(raw).unwrap_or_default();
                let state = data.authorization_state.or(authorization_state);
                self.store_authorization_state(state.as_deref())
            }
            "calling.call.connect" => {
                if let Some(call_id) = self.on_call_connect(raw) {
                    self.tell_call(event_type, raw, Some(call_id.as_str()), true);
                }
            }
            "calling.error" => {
                let data = data::read_text::<CallingError<'_>>(raw).unwrap_or_default();
                self.out.events.push_back(Event::CallingError {
                    code: member_text(data.code),
                    message: member_text(data.message),
                });
            }
            _ if event_type.starts_with("calling.call.") => {
                // Read in the frame's one pass, or now from the text.
                let read;
                let view = match view {
                    Some(view) => view,
                    None => match data::read_text::<EventView<'_>>(raw) {
                        Ok(view) => {
                            read = view;
                            &read
                        }
                        Err(reason) => return self.invalid_event(event_type, &reason),
                    },
                };
                match event_type {
                    "calling.call.receive" => self.on_call_receive(view, now),
                    "calling.call.state" => self.on_call_state(raw, view),
                    "calling.call.dial" => self.on_call_dial(view),
                    _ => self.on_call_event(event_type, raw, view),
                }
            }
            "messaging.state" => self.on_message_state(payload(raw)),
            "messaging.receive" => self.on_message_receive(payload(raw)),
            "calling.conference" => self.on_conference(payload(raw)),
            _ => self.out.events.push_back(Event::Other {
                event_type: event_type.to_owned(),
                params: payload(raw),
            }),
        }
    }

    pub(super) fn invalid_event(&mut self, event_type: &str, reason: &str) {
        self.protocol_error(ProtocolError::InvalidEvent {
            event_type: event_type.to_owned(),
            reason: reason.to_owned(),
        });
    }

    fn on_call_receive(&mut self, view: &EventView<'_>, now: Instant) {
        let Some(info) = call_from_view(view) else {
            self.invalid_event("calling.call.receive", "no call_id or node_id");
            return;
        };
        if self.calls.has_ended(&info.call_id) {
            // A repeat of a call that is over (or, about once in 10^15 calls, a new id whose
            // fingerprint is an ended one's: see `Calls::fingerprint`).
            log::debug!(call_id = %info.call_id, "an offer of an ended call is ignored");
            return;
        }
        if let Some(limit) = self.cap_reached() {
            if !self.calls.contains_key(&info.call_id) {
                self.pass_over_cap(&info, limit, now);
            }
            return;
        }
        let Some(info) = self.calls.insert_new(info) else {
            return; // A repeat, e.g. after a resume.
        };
        self.out.events.push_back(Event::IncomingCall(info));
    }

    /// Over the cap: hand the offer back with `calling.pass` so that another consumer of the
    /// context can take it (ending it would end it for everyone), and do not track it.
    fn pass_over_cap(&mut self, info: &CallInfo, limit: usize, now: Instant) {
        if let Some(_held) = self.warn_allowed("offer_passed") {
            log::info!(call_id = %info.call_id, limit, similar_held_back = _held, "over the active-call cap: passing the offer");
        }
        let mut params = Map::new();
        params.insert("node_id".into(), info.node_id.as_str().into());
        params.insert("call_id".into(), info.call_id.as_str().into());
        // The queue can only be full while disconnected, and then no event arrives.
        let _ = self.submit("calling.pass", params, PendingKind::Internal, now);
        self.out.events.push_back(Event::CallPassed {
            call_id: info.call_id.clone(),
            limit,
        });
    }

    /// `calling.call.state`: the call's state recorded (a call event of it too, for whoever
    /// listens), or a dial's or connect's leg tracked.
    fn on_call_state(&mut self, raw: Option<&str>, view: &EventView<'_>) {
        let end_reason = || view.end_reason.as_deref().map(EndReason::from_wire);
        // Fast path: most state events are for calls we already track (one look-up; the
        // id is the record's, shared, not copied from the event).
        let known = view
            .call_id
            .as_deref()
            .and_then(|id| self.calls.get_mut_by_str(id));
        let call_state = view.call_state.as_deref();
        if let Some(call) = known {
            if self.config.every_call_event || call.seldom.every_event() {
                self.out.events.push_back(Event::CallEvent {
                    call_id: call.info.call_id.clone(),
                    event: CallEvent::from_wire("calling.call.state", payload(raw)),
                });
            }
            // Without a state there is nothing to record: keeping the call as it was is
            // safer than calling it `created` again.
            if let Some(call_state) = call_state {
                let state = CallState::from_wire(call_state);
                call.info.set_state(state.clone());
                call.info.fill_device(view.device);
                let call_id = call.info.call_id.clone();
                return self.report_state(call_id, state, end_reason());
            }
        }
        if call_state.is_none() {
            self.invalid_event("calling.call.state", "no call_state");
            return;
        }
        let Some(info) = call_from_view(view) else {
            self.invalid_event("calling.call.state", "no call_id or node_id");
            return;
        };
        let call_id = info.call_id.clone();
        let state = info.state();
        // A leg of a dial, or of a connect (§2.1: the peer legs carry the connect's tag).
        let max_legs = info.tag.as_ref().and_then(|t| {
            self.dials
                .get(t)
                .map(|dial| dial.max_legs)
                .or_else(|| self.connects.get(t).map(|connect| connect.max_legs))
        });
        let (Some(tag), Some(max_legs)) = (info.tag.clone(), max_legs) else {
            if !state.is_ended() && !self.calls.has_ended(&call_id) {
                self.protocol_error(ProtocolError::UnknownCall {
                    event_type: "calling.call.state".into(),
                    call_id,
                });
            }
            return;
        };
        if state.is_ended() && self.calls.has_ended(&call_id) {
            return; // A repeat of the end of a leg already forgotten.
        }
        // A dial tracks at most the legs its plan rings, and nothing goes past the hard
        // bound: a flood of forged legs under a real tag cannot grow the table.
        let reason = if self.calls.legs_of(&tag).len() >= max_legs {
            Some("more legs than its plan rings")
        } else if self.calls.len() >= self.config.max_tracked_calls {
            Some("max_tracked_calls reached")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.protocol_error(ProtocolError::UntrackedLeg {
                event_type: "calling.call.state".into(),
                call_id,
                reason,
            });
            return;
        }
        // The first sign of a dialled call or a connect's leg: track it under its tag.
        let mut info = info;
        info.direction = Direction::Outbound;
        self.calls.insert_leg(tag, info);
        self.report_state(call_id, state, end_reason());
    }

    /// A tracked call's new state told to the user, the call ended first (its actions with
    /// it) when the state is final.
    fn report_state(&mut self, call_id: CallId, state: CallState, end_reason: Option<EndReason>) {
        if state.is_ended() {
            self.end_call(&call_id, ActionOutcome::CallEnded);
        }
        self.out.events.push_back(Event::CallState {
            call_id,
            state,
            end_reason,
        });
    }

    fn on_call_dial(&mut self, view: &EventView<'_>) {
        let Some(tag) = view.tag.as_deref().map(DialTag::new) else {
            self.invalid_event("calling.call.dial", "no tag");
            return;
        };
        let dial_state = view.dial_state.as_deref().unwrap_or_default();
        let Some(dial) = self.dials.get(&tag) else {
            self.invalid_event("calling.call.dial", "unknown tag");
            return;
        };
        self.out.events.push_back(Event::DialState {
            request_id: dial.request_id.clone(),
            tag: tag.clone(),
            state: DialState::from_wire(dial_state),
        });
        let result = match dial_state {
            "answered" => {
                let call = data::read_text::<EventView<'_>>(view.call).ok();
                let Some(mut info) = call.as_ref().and_then(call_from_view) else {
                    self.invalid_event("calling.call.dial", "answered without call");
                    return;
                };
                info.direction = Direction::Outbound;
                info.tag = Some(tag.clone());
                let record = match self.calls.get(&info.call_id) {
                    Some(entry) => entry.info.clone(),
                    // The dial's own call: it took its slot when the dial was made.
                    None => self.calls.insert(info),
                };
                record.set_state(CallState::Answered);
                Ok(record)
            }
            "failed" => Err(DialError::Failed {
                reason: view.reason.as_deref().map(str::to_owned),
                source: view.source.as_deref().map(str::to_owned),
            }),
            _ => return, // `dialing`: nothing to do yet.
        };
        self.complete_dial(&tag, result);
    }

    /// Completes a dial once: removes it, its deadline and its request if still pending
    /// (whose own completion would say the same thing again).
    fn complete_dial(&mut self, tag: &DialTag, result: Result<Arc<CallInfo>, DialError>) {
        let Some(dial) = self.dials.remove(tag) else {
            return;
        };
        // Its legs stay tracked as calls; no more will be announced under its tag.
        self.calls.forget_legs(tag);
        self.take_pending(&dial.request_id);
        self.out.events.push_back(Event::DialCompleted {
            request_id: dial.request_id,
            tag: tag.clone(),
            result,
        });
    }

    /// Dials with no answer by their deadline complete as timed out; a call already
    /// announced under the tag is cancelled, since nobody will control it.
    pub(super) fn expire_dials(&mut self, now: Instant) {
        while let Some((at, tag)) = self.dials.first_due(now) {
            if let Some(_held) = self.warn_allowed("dial_timed_out") {
                log::warning!(tag = %tag, similar_held_back = _held, "dial timed out");
            }
            let ringing = self.calls.forget_legs(&tag);
            if let Some(dial) = self.dials.get(&tag) {
                self.out.events.push_back(Event::DialState {
                    request_id: dial.request_id.clone(),
                    tag: tag.clone(),
                    state: DialState::TimedOut,
                });
            }
            for call_id in ringing {
                let mut params = Map::new();
                params.insert("reason".into(), EndReason::Cancel.as_wire().into());
                let kind = PendingKind::Internal;
                let _ = self.call_request_with(&call_id, "calling.end", params, kind, now);
            }
            self.complete_dial(&tag, Err(DialError::TimedOut));
            // Normally gone already; removing it again keeps the loop finite regardless.
            self.dials.forget_deadline(&(at, tag));
        }
    }

    /// The session closed: every dial completes as closed.
    pub(super) fn close_all_dials(&mut self) {
        let tags: Vec<DialTag> = self.dials.keys().cloned().collect();
        for tag in tags {
            self.complete_dial(&tag, Err(DialError::Closed));
        }
    }

    /// Delivers a `calling.call.*` event as a [`CallEvent`] of its call. `routed` events
    /// (those the engine reports as call state or action progress too) are delivered only
    /// with [`EngineConfig::every_call_event`](crate::EngineConfig::every_call_event) or for a
    /// call given to [`Engine::watch_call_events`]: the copy of the event they take is
    /// made only for someone who listens.
    pub(super) fn tell_call(
        &mut self,
        event_type: &str,
        data: Option<&str>,
        call_id: Option<&str>,
        routed: bool,
    ) -> bool {
        let Some((call_id, call)) = call_id.and_then(|id| self.calls.get_by_str(id)) else {
            return false;
        };
        if !routed || self.config.every_call_event || call.seldom.every_event() {
            self.out.events.push_back(Event::CallEvent {
                call_id: call_id.clone(),
                event: CallEvent::from_wire(event_type, payload(data)),
            });
        }
        true
    }

    /// A `calling.call.*` event other than receive, state and dial: to the action its
    /// `control_id` names if that action hears this event type, and to its call.
    fn on_call_event(&mut self, event_type: &str, data: Option<&str>, view: &EventView<'_>) {
        let control_id = view.control_id.as_deref();
        // One look-up of the call serves the routing, the call event and the action; the
        // call's id is its record's (shared, not copied from the event).
        let call = view
            .call_id
            .as_deref()
            .and_then(|id| self.calls.get_mut_by_str(id));
        let Some(call) = call else {
            return self.on_untracked_event(event_type, data, view);
        };
        let call_id = call.info.call_id.clone();
        let every = self.config.every_call_event || call.seldom.every_event();
        let action = control_id
            .and_then(|k| call.actions.get_key_value_mut(k))
            .filter(|(_, a)| a.descriptor.event_types.iter().any(|t| t == event_type));
        let routed = action.is_some();
        if !routed || every {
            self.out.events.push_back(Event::CallEvent {
                call_id: call_id.clone(),
                event: CallEvent::from_wire(event_type, payload(data)),
            });
        }
        if let Some((control_id, action)) = action {
            // An event routed to a running action: judged on its `state` (collect, detect
            // and fax read more of it), reported as progress or as the action's end.
            let text = data.unwrap_or("null");
            let state = view.state.as_deref();
            let verdict =
                action
                    .descriptor
                    .judge_read(event_type, text, state, &mut action.progress);
            let control_id = control_id.clone();
            match verdict {
                Verdict::End { state, failed } => {
                    let outcome = if action.stop_requested {
                        ActionOutcome::Stopped {
                            event: payload(data),
                        }
                    } else {
                        ActionOutcome::from_end(state, failed, payload(data))
                    };
                    self.finish_action(&call_id, &control_id, outcome);
                }
                Verdict::Update(state) => {
                    let kind = action.kind();
                    self.out.events.push_back(Event::ActionState {
                        call_id,
                        control_id,
                        kind,
                        state,
                        event_type: static_name(event_type),
                        event: payload(data),
                    })
                }
                _ => {} // Not its event type: only a call event.
            }
            return;
        }
        let Some(control_id) = control_id else {
            return;
        };
        // A late event of a finished action (a detect keeps reporting until its
        // `finished`) is only a call event; an unknown control id is an error.
        // A call with digit bindings runs actions the service started by itself.
        let late = call.seldom.is_done(control_id);
        let action_type = ActionKind::EVENT_TYPES.contains(&event_type);
        if !late && action_type && !self.calls.is_digit_bound(&call_id) {
            self.protocol_error(ProtocolError::UnknownAction {
                event_type: event_type.to_owned(),
                control_id: ControlId::from(control_id),
            });
        }
    }

    /// A call event of a call this client does not track: an unknown action's event is an
    /// error (its call may have ended); anything else is passed on as [`Event::Other`].
    fn on_untracked_event(&mut self, event_type: &str, data: Option<&str>, view: &EventView<'_>) {
        let action_type = ActionKind::EVENT_TYPES.contains(&event_type);
        match (view.call_id.as_deref(), view.control_id.as_deref()) {
            (Some(call_id), Some(control_id))
                if action_type && !self.calls.is_digit_bound(call_id) =>
            {
                self.protocol_error(ProtocolError::UnknownAction {
                    event_type: event_type.to_owned(),
                    control_id: ControlId::from(control_id),
                });
            }
            _ => self.out.events.push_back(Event::Other {
                event_type: event_type.to_owned(),
                params: payload(data),
            }),
        }
    }

    /// Removes an action and reports how it ended.
    pub(super) fn finish_action(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        outcome: ActionOutcome,
    ) {
        let Some(action) = self
            .calls
            .get_mut(call_id)
            .and_then(|call| call.finish_action(control_id))
        else {
            return;
        };
        self.out.events.push_back(Event::ActionFinished {
            call_id: call_id.clone(),
            control_id: control_id.clone(),
            kind: action.into_kind(),
            outcome,
        });
    }

    /// Finishes every action of a call and frees it.
    pub(super) fn end_call(&mut self, call_id: &CallId, outcome: ActionOutcome) {
        let Some(call) = self.calls.end(call_id) else {
            return;
        };
        self.forget_connects_of(call_id);
        for (control_id, action) in call.actions {
            self.out.events.push_back(Event::ActionFinished {
                call_id: call_id.clone(),
                control_id,
                kind: action.into_kind(),
                outcome: outcome.clone(),
            });
        }
    }

    /// The server says the call no longer exists (404/410): it is over.
    /// `gone` names its call.
    pub(super) fn call_gone(&mut self, gone: &CallGone) {
        let Some(call_id) = &gone.call_id else {
            return;
        };
        if !self.calls.contains_key(call_id) {
            return;
        }
        self.end_call(call_id, ActionOutcome::CallGone(gone.clone()));
        self.out.events.push_back(Event::CallGone(gone.clone()));
    }

    /// A fresh session replaced the old one: its calls will get no more events, so each one
    /// ends as gone (`410`) and its actions with it.
    pub(super) fn forget_calls_of_old_session(&mut self) {
        let ids: Vec<CallId> = self.calls.keys().cloned().collect();
        let gone = CallGone::server("410", "the session that owned the call was not resumed");
        for call_id in ids {
            self.call_gone(&gone.clone().of(call_id));
        }
        // Dials the old session accepted will never announce their call. A dial still
        // waiting in the queue goes out on the new session and stays.
        let lost: Vec<DialTag> = self
            .dials
            .iter()
            .filter(|(_, dial)| !self.requests.is_queued(&dial.request_id))
            .map(|(tag, _)| tag.clone())
            .collect();
        for tag in lost {
            self.complete_dial(&tag, Err(DialError::SessionLost));
        }
    }

    /// The session closed: every action finishes and every call is forgotten.
    ///
    /// All at once rather than [`Engine::end_call`] per call (a client stopping with 10,000
    /// live calls): the same events in the same order (calls in id order, each call's
    /// actions in its own order), without a table removal, a shrink check and a leg search
    /// per call.
    pub(super) fn close_all_calls(&mut self) {
        let entries = self.calls.end_all();
        self.connects.clear();
        for (call_id, call) in entries {
            for (control_id, action) in call.actions {
                self.out.events.push_back(Event::ActionFinished {
                    call_id: call_id.clone(),
                    control_id,
                    kind: action.into_kind(),
                    outcome: ActionOutcome::SessionClosed,
                });
            }
        }
    }
}

/// Reads a call, refusing an empty `call_id` or `node_id`: such a call could never be
/// commanded, and tracking it would let every later empty id match it.
fn call_from_view(view: &EventView<'_>) -> Option<CallInfo> {
    CallInfo::from_view(view)
        .filter(|info| !info.call_id.as_str().is_empty() && !info.node_id.as_str().is_empty())
}

/// An action event's type: one of the known names costs no allocation.
fn static_name(event_type: &str) -> Cow<'static, str> {
    match ActionKind::EVENT_TYPES.iter().find(|t| **t == event_type) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(event_type.to_owned()),
    }
}

/// An event's data as its payload (`null` when it came without).
fn payload(data: Option<&str>) -> Payload {
    data.map_or_else(Payload::null, Payload::from_text)
}

/// The data of `signalwire.authorization.state` (the state is a secret: no `Debug`).
#[derive(Default, Deserialize)]
struct AuthorizationData<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    authorization_state: Option<Cow<'a, str>>,
}

/// The data of `calling.error`: its members as their JSON text.
#[derive(Default, Deserialize)]
struct CallingError<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

/// A member as text: a string as itself, another value as its compact JSON, an absent one
/// or `null` as nothing (an empty text; the `Value` reader made `null` the text "null").
fn member_text(raw: Option<&RawValue>) -> String {
    let Some(raw) = raw else {
        return String::new();
    };
    match serde_json::from_str::<Cow<'_, str>>(raw.get()) {
        Ok(text) => text.into_owned(),
        Err(_) => serde_json::from_str::<Value>(raw.get())
            .map(|value| value.to_string())
            .unwrap_or_default(),
    }
}
