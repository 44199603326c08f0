//! Queues ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) `calling.queue.enter` / `calling.queue.leave`, [§4](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) `calling.call.queue`, [§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)
//! item 8): commands with a `control_id` whose progress comes as `calling.call.queue`
//! events carrying `status`, `id`, `name`, `position` and `size`.
//!
//! Choices where the spec is silent (status values are undocumented): an enter sends
//! `entered` with the call's position (1 is next) and the queue's size; a leave sends `left`
//! (with the leave's control id) and each call behind it `waiting` with its new position.
//! A call that ends leaves its queues silently (the others move up). A second enter of the
//! same queue is `409`, and so is a leave of a queue the call is not in, or with another
//! `queue_id` (`404` would say the call is gone). Nothing takes calls out of a queue on its own.

use super::actions::{control_id_of, Request};
use super::control::status_url_ok;
use super::relay::FakeRelay;
use crate::ids::{CallId, ControlId};
use serde_json::{json, Map, Value};
use std::time::Instant;

/// One queue: its id and the calls in it, first in line first.
#[derive(Debug, Clone)]
pub(super) struct Queue {
    id: String,
    members: Vec<(CallId, ControlId)>,
}

impl FakeRelay {
    pub(super) fn queue_enter(&mut self, req: &Request<'_>) {
        let Some((control_id, name)) = self.queue_request(req) else {
            return;
        };
        if !status_url_ok(req.params, "wait_url") {
            return self.bad_params(req, "Invalid wait_url");
        }
        if !self.control.queues.contains_key(&name) {
            let id = self.new_id();
            let queue = Queue {
                id,
                members: Vec::new(),
            };
            self.control.queues.insert(name.clone(), queue);
        }
        let Some(queue) = self.control.queues.get_mut(&name) else {
            return;
        };
        if queue.members.iter().any(|(c, _)| c == req.call_id) {
            return self.reply_code(req.conn, req.id, "409", "Already in the queue", req.now);
        }
        queue
            .members
            .push((req.call_id.clone(), control_id.clone()));
        let (position, size, id) = (queue.members.len(), queue.members.len(), queue.id.clone());
        self.reply_started(req, &control_id, "Entering Queue", Map::new());
        let fields = json!({"status": "entered", "id": id, "name": name,
            "position": position, "size": size});
        self.action_event(
            req.call_id,
            &control_id,
            "calling.call.queue",
            fields,
            req.now,
        );
    }

    pub(super) fn queue_leave(&mut self, req: &Request<'_>) {
        let Some((control_id, name)) = self.queue_request(req) else {
            return;
        };
        let queue_id = match req.params.get("queue_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(_) => return self.bad_params(req, "Invalid queue_id"),
        };
        let member = self.control.queues.get(&name).is_some_and(|q| {
            queue_id.as_ref().is_none_or(|id| *id == q.id)
                && q.members.iter().any(|(c, _)| c == req.call_id)
        });
        if !member {
            let message = "Call is not in the queue";
            return self.reply_code(req.conn, req.id, "409", message, req.now);
        }
        self.reply_started(req, &control_id, "Leaving Queue", Map::new());
        self.dequeue(&name, req.call_id, Some(&control_id), req.now);
    }

    /// The control id and queue name every queue request needs; `None` once answered.
    fn queue_request(&mut self, req: &Request<'_>) -> Option<(ControlId, String)> {
        let Some(control_id) = control_id_of(req.params) else {
            self.bad_params(req, "Missing control_id");
            return None;
        };
        let name = req.params.get("queue_name").and_then(Value::as_str);
        let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
            self.bad_params(req, "Missing queue_name");
            return None;
        };
        if !status_url_ok(req.params, "status_url") {
            self.bad_params(req, "Invalid status_url");
            return None;
        }
        Some((control_id, name.to_owned()))
    }

    /// A call that ends leaves its queues with no event of its own.
    pub(super) fn leave_every_queue(&mut self, call_id: &CallId, now: Instant) {
        let names: Vec<String> = self
            .control
            .queues
            .iter()
            .filter(|(_, q)| q.members.iter().any(|(c, _)| c == call_id))
            .map(|(name, _)| name.clone())
            .collect();
        for name in names {
            self.dequeue(&name, call_id, None, now);
        }
    }

    /// Where a call stands in a queue: (position from 1, size).
    pub fn queue_position(&self, queue_name: &str, call_id: &CallId) -> Option<(usize, usize)> {
        let queue = self.control.queues.get(queue_name)?;
        let at = queue.members.iter().position(|(c, _)| c == call_id)?;
        Some((at + 1, queue.members.len()))
    }

    /// Takes a call out; `left` goes to it under `leave` (when it asked), `waiting` to
    /// each call that moves up.
    fn dequeue(&mut self, name: &str, call_id: &CallId, leave: Option<&ControlId>, now: Instant) {
        let Some(queue) = self.control.queues.get_mut(name) else {
            return;
        };
        let Some(at) = queue.members.iter().position(|(c, _)| c == call_id) else {
            return;
        };
        queue.members.remove(at);
        let id = queue.id.clone();
        let size = queue.members.len();
        let behind: Vec<(usize, CallId, ControlId)> = queue
            .members
            .iter()
            .enumerate()
            .skip(at)
            .map(|(i, (c, ctl))| (i + 1, c.clone(), ctl.clone()))
            .collect();
        if let Some(control_id) = leave {
            let fields = json!({"status": "left", "id": id, "name": name, "size": size});
            self.action_event(call_id, control_id, "calling.call.queue", fields, now);
        }
        for (position, call, control_id) in behind {
            let fields = json!({"status": "waiting", "id": id, "name": name,
                "position": position, "size": size});
            self.action_event(&call, &control_id, "calling.call.queue", fields, now);
        }
    }
}
