//! Requests in flight: ids, deadlines, the queue for requests made while disconnected, and
//! the routing of responses to whoever asked.

use super::output::Output;
use super::{later, log, Engine};
use crate::action::ActionOutcome;
use crate::error::{CallGone, CommandError, ProtocolError, RequestError};
use crate::event::{DialError, Event};
use crate::frame;
use crate::ids::{CallId, ControlId, DialTag, RequestId};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

/// Who is waiting for a request's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PendingKind {
    /// `signalwire.connect`.
    Connect { resuming: bool },
    /// Our `signalwire.ping`.
    Ping,
    /// Sent by the engine itself (e.g. passing a call over the cap); no event.
    Internal,
    /// A user request on no particular call.
    User,
    /// A user request about one call (answer, end, …).
    Call(CallId),
    /// The start of an action.
    ActionStart(CallId, ControlId),
    /// The stop of an action.
    ActionStop(CallId, ControlId),
    /// `calling.dial`.
    Dial(DialTag),
    /// `messaging.send`.
    Message,
    /// `calling.transfer` or `calling.pass` from the user: on success the call leaves this
    /// client.
    HandOver(CallId),
}

/// One request waiting for its answer (or for a connection).
#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub(super) method: String,
    /// The request's text while it waits in the queue; empty once sent (a sent request
    /// is never sent again: the loss of its socket fails it).
    pub(super) frame: String,
    pub(super) kind: PendingKind,
    pub(super) deadline: Option<Instant>,
    pub(super) sent: bool,
}

/// The requests in flight, each under its id until its answer, its deadline or the loss of
/// its socket; requests made while disconnected wait in the queue, oldest first.
#[derive(Debug, Default)]
pub(super) struct Requests {
    pending: BTreeMap<RequestId, Pending>,
    deadlines: BTreeSet<(Instant, RequestId)>,
    queue: VecDeque<RequestId>,
}

impl Requests {
    /// Requests waiting for an answer or a connection.
    pub(super) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Of those, waiting for a connection.
    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Deadlines tracked.
    pub(super) fn deadlines(&self) -> usize {
        self.deadlines.len()
    }

    /// The earliest deadline.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// The id as stored, so that an answer shares it instead of allocating it again.
    pub(super) fn id_of(&self, id: &str) -> Option<RequestId> {
        self.pending.get_key_value(id).map(|(key, _)| key.clone())
    }

    /// Whether a request still waits in the queue (it has not gone out on any socket).
    pub(super) fn is_queued(&self, id: &RequestId) -> bool {
        self.pending.get(id).is_some_and(|pending| !pending.sent)
    }

    /// Tracks a request: a sent one goes out now, any other waits in the queue.
    pub(super) fn add(&mut self, id: RequestId, mut pending: Pending, out: &mut Output) {
        if pending.sent {
            out.send(std::mem::take(&mut pending.frame));
        } else {
            self.queue.push_back(id.clone());
        }
        if let Some(at) = pending.deadline {
            self.deadlines.insert((at, id.clone()));
        }
        self.pending.insert(id, pending);
    }

    /// Sends a session request (connect, ping) on the open socket, bypassing the queue.
    pub(super) fn send_now<P: Serialize + ?Sized>(
        &mut self,
        id: RequestId,
        method: &str,
        params: &P,
        kind: PendingKind,
        deadline: Option<Instant>,
        out: &mut Output,
    ) -> Result<(), serde_json::Error> {
        let text = frame::request(id.as_str(), method, &frame::Ids::default(), params)?;
        let pending = Pending {
            method: method.to_owned(),
            frame: text,
            kind,
            deadline,
            sent: true,
        };
        self.add(id, pending, out);
        Ok(())
    }

    /// Forgets a request, with its deadline and its place in the queue.
    pub(super) fn take(&mut self, id: &RequestId) -> Option<Pending> {
        let pending = self.pending.remove(id)?;
        if let Some(at) = pending.deadline {
            self.deadlines.remove(&(at, id.clone()));
        }
        if !pending.sent {
            self.queue.retain(|queued| queued != id);
        }
        Some(pending)
    }

    /// Sends everything that waited for the connection, oldest first.
    pub(super) fn flush(&mut self, out: &mut Output) {
        while let Some(id) = self.queue.pop_front() {
            if let Some(pending) = self.pending.get_mut(&id) {
                pending.sent = true;
                out.send(std::mem::take(&mut pending.frame));
            }
        }
    }

    /// Takes the requests `which` selects, in id order.
    fn take_where(&mut self, which: impl Fn(&Pending) -> bool) -> Vec<(RequestId, Pending)> {
        let ids: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|(_, pending)| which(pending))
            .map(|(id, _)| id.clone())
            .collect();
        ids.into_iter()
            .filter_map(|id| self.take(&id).map(|pending| (id, pending)))
            .collect()
    }

    /// Forgets the pings: their socket is gone, nobody waits for them.
    pub(super) fn drop_pings(&mut self) {
        self.take_where(|pending| pending.kind == PendingKind::Ping);
    }

    /// Takes the requests that went out on a socket (which is gone).
    pub(super) fn take_sent(&mut self) -> Vec<(RequestId, Pending)> {
        self.take_where(|pending| pending.sent)
    }

    /// Takes every request.
    pub(super) fn take_all(&mut self) -> Vec<(RequestId, Pending)> {
        self.take_where(|_| true)
    }

    /// Takes the requests whose deadline is at or before `now`, earliest first.
    pub(super) fn take_expired(&mut self, now: Instant) -> Vec<(RequestId, Pending)> {
        let mut expired = Vec::new();
        while let Some((at, id)) = self.deadlines.first().cloned() {
            if at > now {
                break;
            }
            match self.take(&id) {
                Some(pending) => expired.push((id, pending)),
                // A deadline without its request: nothing waits for it.
                None => {
                    self.deadlines.remove(&(at, id));
                }
            }
        }
        expired
    }
}

impl Engine {
    /// Queues or sends a user request; refuses when closed or when the queue is full.
    pub(super) fn submit(
        &mut self,
        method: &str,
        params: Map<String, Value>,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        self.submit_frame(
            method,
            |id| Ok(frame::request_map(id, method, &params)),
            kind,
            now,
        )
    }

    /// [`Engine::submit`] for typed params, written straight into the frame with `ids`.
    pub(super) fn submit_typed<P: Serialize + ?Sized>(
        &mut self,
        method: &str,
        ids: &frame::Ids<'_>,
        params: &P,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let write = |id: &str| frame::request(id, method, ids, params);
        self.submit_frame(method, write, kind, now)
    }

    /// Queues or sends the frame `write` makes for a new request id.
    fn submit_frame(
        &mut self,
        method: &str,
        write: impl FnOnce(&str) -> Result<String, serde_json::Error>,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let ready = self.session.accepts_requests()?;
        let capacity = self.config.max_queued_requests;
        if !ready && self.requests.queued() >= capacity {
            return Err(CommandError::QueueFull { capacity });
        }
        let id = RequestId::new(self.new_id());
        let text = write(id.as_str()).map_err(|e| CommandError::InvalidOption(e.to_string()))?;
        let pending = Pending {
            method: method.to_owned(),
            frame: text,
            kind,
            deadline: Some(later(now, self.config.request_timeout)),
            sent: ready,
        };
        self.requests.add(id.clone(), pending, &mut self.out);
        Ok(id)
    }

    pub(super) fn take_pending(&mut self, id: &RequestId) -> Option<Pending> {
        self.requests.take(id)
    }

    /// The socket is gone: requests already sent on it may or may not have taken effect.
    pub(super) fn fail_sent_requests(&mut self) {
        self.requests.drop_pings();
        for (id, pending) in self.requests.take_sent() {
            self.fail_request(id, pending, RequestError::ConnectionLost);
        }
    }

    /// Every request fails with `Closed`: the session is over.
    pub(super) fn fail_all_requests(&mut self) {
        for (id, pending) in self.requests.take_all() {
            self.fail_request(id, pending, RequestError::Closed);
        }
    }

    /// Fails the requests whose deadline passed; a sent one means a half-open socket.
    pub(super) fn expire_requests(&mut self, now: Instant) {
        let mut half_open = false;
        for (id, pending) in self.requests.take_expired(now) {
            half_open |= pending.sent;
            log::warning!(method = %pending.method, sent = pending.sent, "request timed out");
            let error = RequestError::Timeout {
                method: pending.method.clone(),
            };
            self.fail_request(id, pending, error);
        }
        if half_open && self.session.reads_frames() {
            log::warning!("a sent request timed out: taking the socket as half-open");
            self.lose_connection(now, true);
        }
    }

    pub(super) fn handle_response(
        &mut self,
        id: &str,
        outcome: Result<Value, (i64, String)>,
        now: Instant,
    ) {
        let Some(id) = self.requests.id_of(id) else {
            self.protocol_error(ProtocolError::UnknownRequest(RequestId::from(id)));
            return;
        };
        let Some(pending) = self.requests.take(&id) else {
            return;
        };
        match pending.kind {
            PendingKind::Connect { resuming } => self.handle_connect_result(outcome, resuming, now),
            PendingKind::Ping => self.session.pong(),
            PendingKind::Internal => {}
            _ => {
                let result = match outcome {
                    Ok(result) => check_code(result),
                    Err((code, message)) => Err(RequestError::Rpc { code, message }),
                };
                match result {
                    Ok(result) => self.succeed_request(id, pending, result),
                    Err(error) => self.fail_request(id, pending, error),
                }
            }
        }
    }

    fn succeed_request(&mut self, id: RequestId, pending: Pending, result: Value) {
        if let PendingKind::Dial(_) = pending.kind {
            // The call arrives later by events; only a failure completes the dial now.
            return;
        }
        if let PendingKind::Message = pending.kind {
            return self.messages.accepted(id, &result, &mut self.out);
        }
        let handed_over = match &pending.kind {
            PendingKind::HandOver(call_id) => Some(call_id.clone()),
            _ => None,
        };
        self.out.event(Event::RequestCompleted {
            request_id: id,
            result: Ok(result),
        });
        if let Some(call_id) = handed_over {
            self.handed_over(&call_id, &pending.method);
        }
    }

    /// Reports a failed request to whoever waits, finishing what depended on it.
    pub(super) fn fail_request(
        &mut self,
        id: RequestId,
        pending: Pending,
        mut error: RequestError,
    ) {
        match &pending.kind {
            PendingKind::Connect { .. } | PendingKind::Ping | PendingKind::Internal => return,
            PendingKind::Dial(tag) => {
                self.dials.remove(tag);
                self.out.event(Event::DialCompleted {
                    request_id: id,
                    tag: tag.clone(),
                    result: Err(DialError::Request(error)),
                });
                return;
            }
            PendingKind::User => {}
            PendingKind::Message => return self.messages.refused(id, error, &mut self.out),
            PendingKind::Call(call_id) | PendingKind::HandOver(call_id) => {
                if let RequestError::CallGone(gone) = &mut error {
                    gone.call_id = Some(call_id.clone());
                    self.call_gone(gone);
                }
            }
            PendingKind::ActionStop(call_id, control_id) => {
                // A 404 here may only mean the action ended while the stop was in flight
                // ("control id does not exist"): the action is over, the call is not.
                if let RequestError::CallGone(gone) = &mut error {
                    gone.call_id = Some(call_id.clone());
                    let outcome = ActionOutcome::CallGone(gone.clone());
                    self.finish_action(call_id, control_id, outcome);
                }
            }
            PendingKind::ActionStart(call_id, control_id) => {
                let outcome = match &mut error {
                    RequestError::CallGone(gone) => {
                        gone.call_id = Some(call_id.clone());
                        ActionOutcome::CallGone(gone.clone())
                    }
                    other => ActionOutcome::Failed(other.clone()),
                };
                self.finish_action(call_id, control_id, outcome);
                if let RequestError::CallGone(gone) = &error {
                    self.call_gone(gone);
                }
            }
        }
        self.out.event(Event::RequestCompleted {
            request_id: id,
            result: Err(error),
        });
    }
}

/// A result with a non-2xx `code` is a failure (404/410: the call is gone); a result without
/// `code` is a success.
fn check_code(result: Value) -> Result<Value, RequestError> {
    let code = match result.get("code") {
        Some(Value::String(code)) => code.clone(),
        Some(Value::Number(code)) => code.to_string(),
        _ => return Ok(result),
    };
    if code.len() == 3 && code.starts_with('2') {
        return Ok(result);
    }
    let message = result
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if code == "404" || code == "410" {
        return Err(RequestError::CallGone(CallGone::server(code, message)));
    }
    Err(RequestError::Failed { code, message })
}

#[cfg(test)]
mod tests {
    use super::super::log::Warnings;
    use super::*;
    use crate::event::Transmit;
    use serde_json::json;
    use std::time::Duration;

    fn request(method: &str, deadline: Option<Instant>, sent: bool) -> Pending {
        Pending {
            method: method.into(),
            frame: format!("frame of {method}"),
            kind: PendingKind::User,
            deadline,
            sent,
        }
    }

    fn sink() -> Output {
        Output::new(Warnings::new(Duration::from_secs(1)))
    }

    #[test]
    fn expiry_returns_the_timed_out_requests_in_deadline_order_and_frees_them() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut out = sink();
        let mut requests = Requests::default();
        // Ids in the opposite order of their deadlines: the deadline decides.
        requests.add(
            "a".into(),
            request("late", Some(t0 + 3 * second), true),
            &mut out,
        );
        requests.add(
            "b".into(),
            request("queued", Some(t0 + 2 * second), false),
            &mut out,
        );
        requests.add(
            "c".into(),
            request("early", Some(t0 + second), true),
            &mut out,
        );
        requests.add("d".into(), request("ping", None, true), &mut out);
        assert_eq!(
            (requests.len(), requests.queued(), requests.deadlines()),
            (4, 1, 3)
        );
        assert!(requests.take_expired(t0).is_empty());

        let expired = requests.take_expired(t0 + 2 * second);
        let ids: Vec<&str> = expired.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["c", "b"]);
        assert_eq!(expired[1].1.method, "queued");
        // Freed: gone from the table, the deadlines and the queue.
        assert_eq!(
            (requests.len(), requests.queued(), requests.deadlines()),
            (2, 0, 1)
        );
        assert_eq!(requests.next_deadline(), Some(t0 + 3 * second));
        assert!(requests.id_of("b").is_none());
        let frames: Vec<Transmit> = out.transmits.drain(..).collect();
        requests.flush(&mut out);
        assert!(
            out.transmits.is_empty(),
            "the expired queued request is not sent"
        );
        assert_eq!(
            frames.len(),
            3,
            "the sent ones went out at once: {frames:?}"
        );
    }

    #[test]
    fn the_queue_goes_out_oldest_first_and_a_lost_socket_takes_only_what_was_sent() {
        let t0 = Instant::now();
        let mut out = sink();
        let mut requests = Requests::default();
        requests.add("z".into(), request("first", Some(t0), false), &mut out);
        requests.add("a".into(), request("second", Some(t0), false), &mut out);
        requests.add(
            "m".into(),
            request("on the socket", Some(t0), true),
            &mut out,
        );
        out.transmits.clear();
        assert!(requests.is_queued(&"z".into()));
        let lost: Vec<String> = requests
            .take_sent()
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        assert_eq!(lost, ["m"]);
        requests.flush(&mut out);
        let sent: Vec<Transmit> = out.transmits.drain(..).collect();
        assert_eq!(
            sent,
            [
                Transmit::Send("frame of first".into()),
                Transmit::Send("frame of second".into())
            ]
        );
        assert!(!requests.is_queued(&"z".into()));
        assert_eq!(requests.take_all().len(), 2);
        assert_eq!((requests.len(), requests.deadlines()), (0, 0));
    }

    #[test]
    fn codes_are_checked() {
        assert!(check_code(json!({"code": "200"})).is_ok());
        assert!(check_code(json!({"code": 204})).is_ok());
        assert!(check_code(json!({"protocol": "p"})).is_ok());
        let err = check_code(json!({"code": "410", "message": "gone"})).expect_err("410");
        assert!(matches!(err, RequestError::CallGone(_)));
        assert_eq!(
            check_code(json!({"code": "409"})),
            Err(RequestError::Failed {
                code: "409".into(),
                message: String::new()
            })
        );
    }
}
