//! `calling.send_fax` / `calling.receive_fax` ([§1.7](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): both report on `calling.call.fax` with
//! `fax: {type, params}` — one `page` per page, then `finished` with `direction`,
//! `identity`, `remote_identity`, `document`, `pages` and `success: true`, or `error` with
//! `success: false` when the scripted transfer fails. There is no top-level `state`: the
//! payload keeps it in `fax.type` (PY1 `base_fax.py`).

use super::{ActionKind, Request, Step};
use crate::ids::{CallId, ControlId};
use crate::sim::relay::FakeRelay;
use serde_json::{json, Map, Value};
use std::time::Instant;

/// A fax being sent or received.
#[derive(Debug, Clone)]
pub(in crate::sim) struct Fax {
    pub(super) send: bool,
    document: String,
    identity: String,
    remote_identity: String,
    pages: u32,
}

impl FakeRelay {
    pub(super) fn start_fax(&mut self, req: &Request<'_>, send: bool) {
        let text = |key: &str| match req.params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(()),
        };
        let (Ok(document), Ok(identity), Ok(_)) =
            (text("document"), text("identity"), text("header_info"))
        else {
            return self.bad_params(req, "Invalid params");
        };
        if send && document.as_deref().is_none_or(str::is_empty) {
            return self.bad_params(req, "Missing document");
        }
        let Some(control_id) = self.new_control(req) else {
            return;
        };
        let message = if send { "Sending fax" } else { "Receiving fax" };
        self.reply_started(req, &control_id, message, Map::new());
        let own = self.own_number(req.call_id);
        let document = match (send, document) {
            (true, Some(document)) => document,
            _ => format!(
                "https://files.sim.example/faxes/{}.pdf",
                control_id.as_str()
            ),
        };
        let fax = Fax {
            send,
            document,
            identity: identity.filter(|_| send).unwrap_or(own),
            remote_identity: self.config.caller.fax.remote_identity.clone(),
            pages: 0,
        };
        let serial = self.insert_action(req.call_id, &control_id, ActionKind::Fax(Box::new(fax)));
        let at = req.now + self.config.caller.fax.page_duration;
        self.schedule_step(req.call_id, &control_id, serial, Step::FaxPage, at);
    }

    /// A page went through: `page`, then the next page or the end.
    pub(super) fn fax_page(&mut self, call_id: &CallId, control_id: &ControlId, now: Instant) {
        let script = self.config.caller.fax.clone();
        let Some((serial, fax)) = self.action_mut(call_id, control_id).and_then(|action| {
            let serial = action.serial;
            match &mut action.kind {
                ActionKind::Fax(fax) => Some((serial, fax)),
                _ => None,
            }
        }) else {
            return;
        };
        if fax.pages < script.pages {
            fax.pages += 1;
            let params = json!({"direction": direction(fax.send), "pages": fax.pages});
            let more = fax.pages < script.pages;
            self.fax_event(call_id, control_id, "page", params, now);
            if more {
                let at = now + script.page_duration;
                return self.schedule_step(call_id, control_id, serial, Step::FaxPage, at);
            }
        }
        let Some(ActionKind::Fax(fax)) = self
            .calls
            .get(call_id)
            .and_then(|call| call.actions.get(control_id))
            .map(|action| action.kind.clone())
        else {
            return;
        };
        self.remove_action(call_id, control_id);
        let kind = if script.success { "finished" } else { "error" };
        self.fax_event(
            call_id,
            control_id,
            kind,
            fax_result(&fax, script.success),
            now,
        );
    }

    /// A stopped fax, or one on a call that ends: `finished` with the pages so far and
    /// `success: false` (the document did not go through whole).
    pub(super) fn halt_fax(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        fax: Fax,
        events: bool,
        now: Instant,
    ) {
        self.remove_action(call_id, control_id);
        if events {
            self.fax_event(
                call_id,
                control_id,
                "finished",
                fax_result(&fax, false),
                now,
            );
        }
    }

    fn fax_event(
        &mut self,
        call_id: &CallId,
        control_id: &ControlId,
        kind: &str,
        params: Value,
        now: Instant,
    ) {
        let fields = json!({"fax": {"type": kind, "params": params}});
        self.action_event(call_id, control_id, "calling.call.fax", fields, now);
    }

    /// The number on this side of a call: the called number of an inbound call, the calling
    /// number of an outbound one.
    fn own_number(&self, call_id: &CallId) -> String {
        let Some(call) = self.calls.get(call_id) else {
            return String::new();
        };
        let key = if call.direction == "inbound" {
            "to_number"
        } else {
            "from_number"
        };
        call.device
            .get("params")
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
}

fn direction(send: bool) -> &'static str {
    if send {
        "send"
    } else {
        "receive"
    }
}

/// `fax.params` of the end (PY1 `base_fax.py`).
fn fax_result(fax: &Fax, success: bool) -> Value {
    json!({
        "direction": direction(fax.send),
        "identity": fax.identity,
        "remote_identity": fax.remote_identity,
        "document": fax.document,
        "pages": fax.pages,
        "success": success,
    })
}
