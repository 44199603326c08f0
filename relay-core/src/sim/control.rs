//! Call control of [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) (`docs/CALLING-API.md`), modelled: transfer, refer, hold/unhold,
//! denoise, rooms, live transcription and translation, user events and Amazon Bedrock.
//! Conferences live in `conference.rs`, queues in `queue.rs`, digit bindings in
//! `bindings.rs`; this file routes the methods and keeps the per-call state they share.
//!
//! Choices where the spec is silent (each cited where it is not):
//! - `calling.transfer` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) table: `dest` is an `https://` URL, an inline SWML script or
//!   `context:<app>`; G lists it as fire-and-response, "Transferring"): control leaves the
//!   session. To a context, the call is offered (`calling.call.receive`) to another connected
//!   session receiving it, as `calling.pass` does; with none, or to a URL/script, nobody
//!   commands it any more (the script runs it). Commands from the old session get `409`.
//!   Its open actions stop without events.
//! - `calling.refer` ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): SIP calls only; event `calling.call.refer`): `400` on a call whose
//!   device is not `sip`; then `calling.call.refer` `trying` (REFER accepted, `202`) and
//!   `success` (NOTIFY `200`). The states are undocumented ([§4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)); the call stays up.
//! - hold/unhold ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md), [§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 13): modelled although G marks them not implemented: `200`
//!   and `calling.call.hold` with `state` `hold` / `unhold` (a repeat sends nothing). Use a
//!   [`Fault`](super::Fault) to test a service that refuses them.
//! - denoise ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `calling.call.denoise` with `denoised` true / false.
//! - rooms ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): one room at a time (`409` for a second); `leave_room` outside one is `409`.
//!   No events: none are documented.
//! - Refusals that depend on the call's state (not in a room, queue or conference, nothing
//!   running) are `409`, never `404`: G reserves `404` for a call that does not exist, and
//!   clients end the call on it.
//! - live_transcribe / live_translate ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `action` must be an object with exactly one key
//!   (`start`, `stop`, `summarize`, and `inject` for translate only) holding an object;
//!   `start` while running is `409`, the others while stopped too. No events.
//! - user_event ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 9): `event` is required (any JSON but `null`); "Event sent".
//! - amazon_bedrock ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): "AI started"; `prompt` a string or object, `SWAIG`, `params` and
//!   `global_data` objects, `post_prompt_url` an HTTP(S) URL.

use super::actions::{object, Request};
use super::relay::FakeRelay;
use crate::ids::CallId;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::time::Instant;

/// What call control keeps per call, conferences and queues aside.
#[derive(Debug, Clone, Default)]
pub(super) struct CallControl {
    held: bool,
    denoised: bool,
    room: Option<String>,
    live_transcribe: bool,
    live_translate: bool,
    pub(super) bindings: Vec<super::bindings::Binding>,
    /// Keys the caller pressed, most recent last (bounded), matched against bindings.
    pub(super) keys: String,
}

/// Call control state of the whole service.
#[derive(Debug, Clone, Default)]
pub(super) struct ControlState {
    pub(super) calls: BTreeMap<CallId, CallControl>,
    pub(super) conferences: BTreeMap<String, super::conference::Conference>,
    pub(super) queues: BTreeMap<String, super::queue::Queue>,
}

impl FakeRelay {
    /// The [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) methods this file and its siblings model; `false` when `method` is not one.
    pub(super) fn control_command(
        &mut self,
        req: &Request<'_>,
        protocol: &str,
        method: &str,
    ) -> bool {
        let req = *req;
        match method {
            "calling.transfer" => self.transfer(&req, protocol),
            "calling.refer" => self.refer(&req),
            "calling.hold" => self.hold(&req, true),
            "calling.unhold" => self.hold(&req, false),
            "calling.denoise" => self.denoise(&req, true),
            "calling.denoise.stop" => self.denoise(&req, false),
            "calling.join_room" => self.join_room(&req),
            "calling.leave_room" => self.leave_room(&req),
            "calling.live_transcribe" => self.live(&req, false),
            "calling.live_translate" => self.live(&req, true),
            "calling.user_event" => self.user_event(&req),
            "calling.amazon_bedrock" => self.amazon_bedrock(&req),
            "calling.join_conference" => self.join_conference(&req),
            "calling.leave_conference" => self.leave_conference(&req),
            "calling.queue.enter" => self.queue_enter(&req),
            "calling.queue.leave" => self.queue_leave(&req),
            "calling.bind_digit" => self.bind_digit(&req),
            "calling.clear_digit_bindings" => self.clear_digit_bindings(&req),
            _ => return false,
        }
        true
    }

    pub(super) fn control_of_call(&mut self, call_id: &CallId) -> &mut CallControl {
        self.control.calls.entry(call_id.clone()).or_default()
    }

    /// A call is over: it leaves its conferences and queues, and its state goes.
    pub(super) fn control_call_ended(&mut self, call_id: &CallId, now: Instant) {
        self.leave_every_conference(call_id, now);
        self.leave_every_queue(call_id, now);
        self.control.calls.remove(call_id);
    }

    /// Sends an event of the call (`call_id`, `node_id` and `fields`) to its session.
    pub(super) fn call_event(
        &mut self,
        call_id: &CallId,
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
        if let Value::Object(fields) = fields {
            params.extend(fields);
        }
        let protocol = call.session.clone();
        self.emit_event(&protocol, event_type, Value::Object(params), now);
    }

    fn transfer(&mut self, req: &Request<'_>, protocol: &str) {
        let dest = req.params.get("dest").and_then(Value::as_str).unwrap_or("");
        let context = dest.strip_prefix("context:");
        let valid = match context {
            Some(name) => !name.trim().is_empty(),
            None => is_https_url(dest) || is_swml(dest),
        };
        if !valid {
            return self.bad_params(req, "Invalid dest");
        }
        self.reply_code(req.conn, req.id, "200", "Transferring", req.now);
        self.close_actions(req.call_id, false, req.now);
        let next = context.and_then(|context| {
            self.sessions
                .iter()
                .find(|(p, s)| *p != protocol && s.conn.is_some() && s.contexts.contains(context))
                .map(|(p, _)| p.clone())
        });
        if let Some(call) = self.calls.get_mut(req.call_id) {
            call.session = next.clone().unwrap_or_default();
            if let Some(context) = context {
                call.context = Some(context.to_owned());
            }
        }
        if let Some(protocol) = next {
            self.send_offer(req.call_id, &protocol, req.now);
        }
    }

    fn refer(&mut self, req: &Request<'_>) {
        let device = object(req.params, "device").ok().flatten();
        let to = device
            .filter(|d| d.get("type").and_then(Value::as_str) == Some("sip"))
            .and_then(|d| d.get("params"))
            .and_then(|p| p.get("to"))
            .and_then(Value::as_str)
            .filter(|to| {
                let lower = to.to_ascii_lowercase();
                lower.starts_with("sip:") || lower.starts_with("sips:")
            })
            .map(str::to_owned);
        let headers_ok = device
            .and_then(|d| d.get("params"))
            .and_then(|p| p.get("headers"))
            .is_none_or(Value::is_object);
        let (Some(to), true) = (to, headers_ok) else {
            return self.bad_params(req, "Invalid device");
        };
        if !status_url_ok(req.params, "status_url") {
            return self.bad_params(req, "Invalid status_url");
        }
        let sip = self
            .calls
            .get(req.call_id)
            .is_some_and(|c| c.device.get("type").and_then(Value::as_str) == Some("sip"));
        if !sip {
            return self.bad_params(req, "Refer is for SIP calls only");
        }
        self.reply_code(req.conn, req.id, "200", "Starting SIP REFER", req.now);
        let trying = json!({"state": "trying", "sip_refer_to": to,
            "sip_refer_response_code": "202"});
        self.call_event(req.call_id, "calling.call.refer", trying, req.now);
        let success = json!({"state": "success", "sip_refer_to": to,
            "sip_refer_response_code": "202", "sip_notify_response_code": "200"});
        self.call_event(req.call_id, "calling.call.refer", success, req.now);
    }

    fn hold(&mut self, req: &Request<'_>, hold: bool) {
        let message = if hold {
            "Call on hold"
        } else {
            "Call off hold"
        };
        self.reply_code(req.conn, req.id, "200", message, req.now);
        let state = self.control_of_call(req.call_id);
        if state.held != hold {
            state.held = hold;
            let fields = json!({"state": if hold { "hold" } else { "unhold" }});
            self.call_event(req.call_id, "calling.call.hold", fields, req.now);
        }
    }

    fn denoise(&mut self, req: &Request<'_>, on: bool) {
        let message = if on { "Denoiser on" } else { "Denoiser off" };
        self.reply_code(req.conn, req.id, "200", message, req.now);
        self.control_of_call(req.call_id).denoised = on;
        let fields = json!({"denoised": on});
        self.call_event(req.call_id, "calling.call.denoise", fields, req.now);
    }

    fn join_room(&mut self, req: &Request<'_>) {
        let name = req.params.get("name").and_then(Value::as_str);
        let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
            return self.bad_params(req, "Missing name");
        };
        if !status_url_ok(req.params, "status_url") {
            return self.bad_params(req, "Invalid status_url");
        }
        let name = name.to_owned();
        let state = self.control_of_call(req.call_id);
        if state.room.is_some() {
            return self.reply_code(req.conn, req.id, "409", "Already in a room", req.now);
        }
        state.room = Some(name);
        self.reply_code(req.conn, req.id, "200", "Joining room", req.now);
    }

    fn leave_room(&mut self, req: &Request<'_>) {
        if self.control_of_call(req.call_id).room.take().is_none() {
            return self.reply_code(req.conn, req.id, "409", "Not in a room", req.now);
        }
        self.reply_code(req.conn, req.id, "200", "Leaving room", req.now);
    }

    fn live(&mut self, req: &Request<'_>, translate: bool) {
        let allowed: &[&str] = if translate {
            &["start", "stop", "summarize", "inject"]
        } else {
            &["start", "stop", "summarize"]
        };
        let key = match object(req.params, "action") {
            Ok(Some(action)) if action.len() == 1 => action
                .iter()
                .next()
                .filter(|(k, v)| allowed.contains(&k.as_str()) && v.is_object())
                .map(|(k, _)| k.clone()),
            _ => None,
        };
        let Some(key) = key else {
            return self.bad_params(req, "Invalid action");
        };
        if translate && !status_url_ok(req.params, "status_url") {
            return self.bad_params(req, "Invalid status_url");
        }
        let state = self.control_of_call(req.call_id);
        let running = if translate {
            &mut state.live_translate
        } else {
            &mut state.live_transcribe
        };
        let what = if translate {
            "translation"
        } else {
            "transcription"
        };
        match (key.as_str(), *running) {
            ("start", true) => {
                let message = format!("Live {what} already running");
                return self.reply_code(req.conn, req.id, "409", &message, req.now);
            }
            ("start", false) => *running = true,
            (_, false) => {
                let message = format!("No live {what} running");
                return self.reply_code(req.conn, req.id, "409", &message, req.now);
            }
            ("stop", true) => *running = false,
            _ => {}
        }
        let message = match key.as_str() {
            "start" => format!("Live {what} started"),
            "stop" => format!("Live {what} stopped"),
            "summarize" => format!("Live {what} summarizing"),
            _ => "Message injected".to_owned(),
        };
        self.reply_code(req.conn, req.id, "200", &message, req.now);
    }

    fn user_event(&mut self, req: &Request<'_>) {
        if req.params.get("event").is_none_or(Value::is_null) {
            return self.bad_params(req, "Missing event");
        }
        self.reply_code(req.conn, req.id, "200", "Event sent", req.now);
    }

    fn amazon_bedrock(&mut self, req: &Request<'_>) {
        let prompt_ok = req
            .params
            .get("prompt")
            .is_none_or(|p| p.is_string() || p.is_object());
        let post_prompt_ok = req
            .params
            .get("post_prompt")
            .is_none_or(|p| p.is_string() || p.is_object());
        let objects_ok = ["SWAIG", "params", "global_data"]
            .iter()
            .all(|key| object(req.params, key).is_ok());
        if !(prompt_ok
            && post_prompt_ok
            && objects_ok
            && status_url_ok(req.params, "post_prompt_url"))
        {
            return self.bad_params(req, "Invalid params");
        }
        self.reply_code(req.conn, req.id, "200", "AI started", req.now);
    }
}

/// `https://` and a host.
fn is_https_url(dest: &str) -> bool {
    dest.to_ascii_lowercase()
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty())
}

/// Inline SWML: a JSON object, or YAML naming its `version` or `sections`.
fn is_swml(dest: &str) -> bool {
    let text = dest.trim();
    if text.starts_with('{') {
        return serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object());
    }
    text.contains("version:") || text.contains("sections:")
}

/// An optional HTTP(S) URL.
pub(super) fn status_url_ok(params: &Map<String, Value>, key: &str) -> bool {
    match params.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(url)) => {
            let lower = url.to_ascii_lowercase();
            lower.starts_with("https://") || lower.starts_with("http://")
        }
        Some(_) => false,
    }
}
