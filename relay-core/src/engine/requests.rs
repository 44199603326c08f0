//! Requests in flight: ids, deadlines, the queue for requests made while disconnected, and
//! the routing of responses to whoever asked.

use super::{later, log, Engine, SessionState};
use crate::action::ActionOutcome;
use crate::error::{CallGone, CommandError, ProtocolError, RequestError};
use crate::event::{DialError, Event, Transmit};
use crate::frame;
use crate::ids::{CallId, ControlId, DialTag, RequestId};
use serde::Serialize;
use serde_json::{Map, Value};
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
        if self.state == SessionState::Closed {
            return Err(CommandError::Closed);
        }
        let ready = self.state == SessionState::Ready;
        if !ready && self.queue.len() >= self.config.max_queued_requests {
            return Err(CommandError::QueueFull {
                capacity: self.config.max_queued_requests,
            });
        }
        let id = RequestId::new(self.new_id());
        let text = write(id.as_str()).map_err(|e| CommandError::InvalidOption(e.to_string()))?;
        let deadline = later(now, self.config.request_timeout);
        let mut pending = Pending {
            method: method.to_owned(),
            frame: text,
            kind,
            deadline: Some(deadline),
            sent: ready,
        };
        if ready {
            self.transmits
                .push_back(Transmit::Send(std::mem::take(&mut pending.frame)));
        } else {
            self.queue.push_back(id.clone());
        }
        self.deadlines.insert((deadline, id.clone()));
        self.pending.insert(id.clone(), pending);
        Ok(id)
    }

    /// Sends a session request (connect, ping) on the open socket, bypassing the queue.
    pub(super) fn send_now(
        &mut self,
        method: &str,
        params: Map<String, Value>,
        kind: PendingKind,
        deadline: Option<Instant>,
    ) -> RequestId {
        let id = RequestId::new(self.new_id());
        let text = frame::request_map(id.as_str(), method, &params);
        self.transmits.push_back(Transmit::Send(text));
        if let Some(at) = deadline {
            self.deadlines.insert((at, id.clone()));
        }
        self.pending.insert(
            id.clone(),
            Pending {
                method: method.to_owned(),
                frame: String::new(),
                kind,
                deadline,
                sent: true,
            },
        );
        id
    }

    pub(super) fn take_pending(&mut self, id: &RequestId) -> Option<Pending> {
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
    pub(super) fn flush_queue(&mut self) {
        while let Some(id) = self.queue.pop_front() {
            if let Some(pending) = self.pending.get_mut(&id) {
                pending.sent = true;
                self.transmits
                    .push_back(Transmit::Send(std::mem::take(&mut pending.frame)));
            }
        }
    }

    /// The socket is gone: requests already sent on it may or may not have taken effect.
    pub(super) fn fail_sent_requests(&mut self) {
        let sent: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.sent)
            .map(|(id, _)| id.clone())
            .collect();
        for id in sent {
            if let Some(pending) = self.take_pending(&id) {
                self.fail_request(id, pending, RequestError::ConnectionLost);
            }
        }
    }

    /// Every request fails with `Closed`: the session is over.
    pub(super) fn fail_all_requests(&mut self) {
        let ids: Vec<RequestId> = self.pending.keys().cloned().collect();
        for id in ids {
            if let Some(pending) = self.take_pending(&id) {
                self.fail_request(id, pending, RequestError::Closed);
            }
        }
    }

    /// Fails the requests whose deadline passed; a sent one means a half-open socket.
    pub(super) fn expire_requests(&mut self, now: Instant) {
        let mut half_open = false;
        while let Some((at, id)) = self.deadlines.first().cloned() {
            if at > now {
                break;
            }
            let Some(pending) = self.take_pending(&id) else {
                self.deadlines.remove(&(at, id));
                continue;
            };
            half_open |= pending.sent;
            log::warning!(method = %pending.method, sent = pending.sent, "request timed out");
            let error = RequestError::Timeout {
                method: pending.method.clone(),
            };
            self.fail_request(id, pending, error);
        }
        if half_open
            && matches!(
                self.state,
                SessionState::Ready | SessionState::Authenticating | SessionState::Draining { .. }
            )
        {
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
        // The id the request was stored under is shared, not allocated again.
        let Some(id) = self.pending.get_key_value(id).map(|(key, _)| key.clone()) else {
            self.protocol_error(ProtocolError::UnknownRequest(RequestId::from(id)));
            return;
        };
        let Some(pending) = self.take_pending(&id) else {
            return;
        };
        match pending.kind {
            PendingKind::Connect { resuming } => self.handle_connect_result(outcome, resuming, now),
            PendingKind::Ping => self.missed_pings = 0,
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
            return self.message_accepted(id, &result);
        }
        let handed_over = match &pending.kind {
            PendingKind::HandOver(call_id) => Some(call_id.clone()),
            _ => None,
        };
        self.events.push_back(Event::RequestCompleted {
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
                if let Some(dial) = self.dials.remove(tag) {
                    self.dial_deadlines.remove(&(dial.deadline, tag.clone()));
                }
                self.events.push_back(Event::DialCompleted {
                    request_id: id,
                    tag: tag.clone(),
                    result: Err(DialError::Request(error)),
                });
                return;
            }
            PendingKind::User => {}
            PendingKind::Message => return self.message_refused(id, error),
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
        self.events.push_back(Event::RequestCompleted {
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
    use super::*;
    use serde_json::json;

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
