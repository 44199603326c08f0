//! Conferences ([§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) of `docs/CALLING-API.md`): `calling.join_conference` with every option
//! checked, `calling.leave_conference` by id, and `calling.conference` events ([§4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)) for the
//! conference and for each participant.
//!
//! Choices where the spec is silent: a conference is made by its first participant, whose
//! `max_participants` (default 250) holds for it; a join beyond it is `409`, as is a call
//! joining a conference it is already in, or leaving one it is not in (`404` would say the
//! call is gone). Its `status` values are the names of [§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)'s
//! `status_callback_event`: `start` and `end` for the conference (no `call_id`), `join`
//! and `leave` for a participant (with its `call_id` and `node_id`). Each event goes to the
//! sessions of every participant, so a client also hears of calls that are not its own.
//! The conference ends when its last participant leaves, or when one that joined with
//! `end_on_exit` leaves (the others leave first). A call that ends leaves its conferences.

use super::actions::{object, one_of, Request};
use super::control::status_url_ok;
use super::relay::FakeRelay;
use crate::ids::CallId;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::time::Instant;

/// [§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): `max_participants` is 1 to 250, 250 by default.
const MAX_PARTICIPANTS: u64 = 250;
const CALLBACK_EVENTS: &[&str] = &[
    "start",
    "end",
    "join",
    "leave",
    "mute",
    "hold",
    "modify",
    "speaker",
    "announcement",
];
const RECORDING_EVENTS: &[&str] = &["in-progress", "completed", "absent"];

/// One conference in progress.
#[derive(Debug, Clone)]
pub(super) struct Conference {
    name: String,
    max: usize,
    /// Participants in joining order, with their `end_on_exit`.
    participants: Vec<(CallId, bool)>,
}

impl FakeRelay {
    pub(super) fn join_conference(&mut self, req: &Request<'_>) {
        if !join_params_ok(req.params) {
            return self.bad_params(req, "Invalid params");
        }
        let name = req.params.get("name").and_then(Value::as_str).unwrap_or("");
        let end_on_exit = req.params.get("end_on_exit").and_then(Value::as_bool) == Some(true);
        let existing = self
            .control
            .conferences
            .iter()
            .find(|(_, c)| c.name == name)
            .map(|(id, c)| (id.clone(), c.clone()));
        let conference_id = match existing {
            Some((id, conference)) => {
                if conference
                    .participants
                    .iter()
                    .any(|(c, _)| c == req.call_id)
                {
                    let message = "Already in the conference";
                    return self.reply_code(req.conn, req.id, "409", message, req.now);
                }
                if conference.participants.len() >= conference.max {
                    return self.reply_code(req.conn, req.id, "409", "Conference is full", req.now);
                }
                id
            }
            None => {
                let max = req
                    .params
                    .get("max_participants")
                    .and_then(Value::as_u64)
                    .unwrap_or(MAX_PARTICIPANTS);
                let id = self.new_id();
                let conference = Conference {
                    name: name.to_owned(),
                    max: usize::try_from(max).unwrap_or(usize::MAX),
                    participants: Vec::new(),
                };
                self.control.conferences.insert(id.clone(), conference);
                id
            }
        };
        let result = json!({"code": "200", "message": "Joining conference",
            "conference_id": conference_id});
        self.reply(req.conn, req.id, result, req.now);
        let Some(conference) = self.control.conferences.get_mut(&conference_id) else {
            return;
        };
        conference
            .participants
            .push((req.call_id.clone(), end_on_exit));
        if conference.participants.len() == 1 {
            self.conference_event(&conference_id, "start", None, &[], req.now);
        }
        self.conference_event(&conference_id, "join", Some(req.call_id), &[], req.now);
    }

    pub(super) fn leave_conference(&mut self, req: &Request<'_>) {
        let id = req.params.get("conference_id").and_then(Value::as_str);
        let Some(id) = id.filter(|id| !id.is_empty()).map(str::to_owned) else {
            return self.bad_params(req, "Missing conference_id");
        };
        let member = self
            .control
            .conferences
            .get(&id)
            .is_some_and(|c| c.participants.iter().any(|(call, _)| call == req.call_id));
        if !member {
            let message = "Conference not found";
            return self.reply_code(req.conn, req.id, "409", message, req.now);
        }
        self.reply_code(req.conn, req.id, "200", "Leaving conference", req.now);
        self.remove_participant(&id, req.call_id, req.now);
    }

    /// A call that ends leaves every conference it is in.
    pub(super) fn leave_every_conference(&mut self, call_id: &CallId, now: Instant) {
        let ids: Vec<String> = self
            .control
            .conferences
            .iter()
            .filter(|(_, c)| c.participants.iter().any(|(call, _)| call == call_id))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.remove_participant(&id, call_id, now);
        }
    }

    /// The conference ids a call is in (for tests).
    pub fn conferences_of(&self, call_id: &CallId) -> Vec<String> {
        self.control
            .conferences
            .iter()
            .filter(|(_, c)| c.participants.iter().any(|(call, _)| call == call_id))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The calls in a conference, in joining order.
    pub fn conference_participants(&self, conference_id: &str) -> Vec<CallId> {
        self.control
            .conferences
            .get(conference_id)
            .map(|c| {
                c.participants
                    .iter()
                    .map(|(call, _)| call.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn remove_participant(&mut self, conference_id: &str, call_id: &CallId, now: Instant) {
        let Some(conference) = self.control.conferences.get_mut(conference_id) else {
            return;
        };
        let Some(at) = conference
            .participants
            .iter()
            .position(|(c, _)| c == call_id)
        else {
            return;
        };
        let (_, end_on_exit) = conference.participants.remove(at);
        // The one leaving still hears of its own leave.
        self.conference_event(
            conference_id,
            "leave",
            Some(call_id),
            std::slice::from_ref(call_id),
            now,
        );
        let Some(conference) = self.control.conferences.get(conference_id) else {
            return;
        };
        if !(end_on_exit || conference.participants.is_empty()) {
            return;
        }
        let rest: Vec<CallId> = conference
            .participants
            .iter()
            .map(|(c, _)| c.clone())
            .collect();
        for other in &rest {
            if let Some(conference) = self.control.conferences.get_mut(conference_id) {
                conference.participants.retain(|(c, _)| c != other);
            }
            self.conference_event(conference_id, "leave", Some(other), &rest, now);
        }
        let mut heard = rest;
        heard.push(call_id.clone());
        self.conference_event(conference_id, "end", None, &heard, now);
        self.control.conferences.remove(conference_id);
    }

    /// `calling.conference` to the sessions of every participant and of `also`.
    fn conference_event(
        &mut self,
        conference_id: &str,
        status: &str,
        call_id: Option<&CallId>,
        also: &[CallId],
        now: Instant,
    ) {
        let Some(conference) = self.control.conferences.get(conference_id) else {
            return;
        };
        let mut params = json!({"conference_id": conference_id, "name": conference.name,
            "status": status});
        if let Some(call_id) = call_id {
            params["call_id"] = call_id.as_str().into();
            if let Some(call) = self.calls.get(call_id) {
                params["node_id"] = call.node_id.as_str().into();
            }
        }
        let sessions: BTreeSet<String> = conference
            .participants
            .iter()
            .map(|(c, _)| c)
            .chain(also)
            .filter_map(|c| self.calls.get(c))
            .map(|call| call.session.clone())
            .filter(|s| !s.is_empty())
            .collect();
        for session in sessions {
            self.emit_event(&session, "calling.conference", params.clone(), now);
        }
    }
}

/// Every option of [§2.2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), checked.
fn join_params_ok(params: &Map<String, Value>) -> bool {
    let name_ok = params
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.trim().is_empty());
    let bools_ok = ["muted", "start_on_enter", "end_on_exit"]
        .iter()
        .all(|k| params.get(*k).is_none_or(Value::is_boolean));
    let max_ok = params.get("max_participants").is_none_or(|m| {
        m.as_u64()
            .is_some_and(|m| (1..=MAX_PARTICIPANTS).contains(&m))
    });
    let enums_ok = one_of(params, "beep", &["true", "false", "onEnter", "onExit"]).is_ok()
        && one_of(params, "record", &["do-not-record", "record-from-start"]).is_ok()
        && one_of(params, "region", &["global", "us", "eu"]).is_ok()
        && one_of(params, "trim", &["trim-silence", "do-not-trim"]).is_ok()
        && one_of(params, "status_callback_event_type", &["relay", "cxml"]).is_ok()
        && one_of(
            params,
            "recording_status_callback_event_type",
            &["relay", "cxml"],
        )
        .is_ok()
        && one_of(params, "status_callback_method", &["GET", "POST"]).is_ok()
        && one_of(params, "recording_status_callback_method", &["GET", "POST"]).is_ok();
    let urls_ok = ["wait_url", "status_callback", "recording_status_callback"]
        .iter()
        .all(|k| status_url_ok(params, k));
    let events_ok = event_list_ok(params, "status_callback_event", CALLBACK_EVENTS)
        && event_list_ok(params, "recording_status_callback_event", RECORDING_EVENTS);
    let coach_ok = params
        .get("coach")
        .is_none_or(|c| c.as_str().is_some_and(|c| !c.is_empty()));
    let stream_ok = match object(params, "stream") {
        Ok(None) => true,
        Ok(Some(stream)) => stream
            .get("url")
            .and_then(Value::as_str)
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("wss://")),
        Err(()) => false,
    };
    name_ok && bools_ok && max_ok && enums_ok && urls_ok && events_ok && coach_ok && stream_ok
}

/// A space-separated list of known names.
fn event_list_ok(params: &Map<String, Value>, key: &str, known: &[&str]) -> bool {
    match params.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(list)) => {
            !list.trim().is_empty() && list.split_whitespace().all(|e| known.contains(&e))
        }
        Some(_) => false,
    }
}
