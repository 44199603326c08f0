//! Requests made and answered: a request written and queued or sent, and its outcome (an
//! answer, a time-out, a lost socket) routed to whoever asked, finishing what depended on it.

use super::requests::{Method, Pending, PendingKind};
use super::{later, log, Engine};
use crate::action::ActionOutcome;
use crate::error::{CallGone, CommandError, ProtocolError, RequestError};
use crate::event::{DialError, Event};
use crate::frame;
use crate::ids::RequestId;
use crate::payload::Payload;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::time::Instant;

impl Engine {
    /// Queues or sends a user request; refuses when closed or when the queue is full.
    pub(super) fn submit(
        &mut self,
        method: impl Into<Method>,
        params: Map<String, Value>,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let method = method.into();
        let write = |id: &str| Ok(frame::request_map(id, method.as_str(), &params));
        self.submit_frame(None, &method, write, kind, now)
    }

    /// [`Engine::submit`] for typed params, written straight into the frame with `ids`,
    /// under the request id `id` when given (an action's start goes out under its control
    /// id's text), a new one otherwise.
    pub(super) fn submit_typed<P: Serialize + ?Sized>(
        &mut self,
        id: Option<RequestId>,
        method: impl Into<Method>,
        ids: &frame::Ids<'_>,
        params: &P,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let method = method.into();
        let write = |id: &str| frame::request(id, method.as_str(), ids, params);
        self.submit_frame(id, &method, write, kind, now)
    }

    /// Queues or sends the frame `write` makes for the request id `id`, or a new one.
    fn submit_frame(
        &mut self,
        id: Option<RequestId>,
        method: &Method,
        write: impl FnOnce(&str) -> Result<String, serde_json::Error>,
        kind: PendingKind,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        let ready = self.session.accepts_requests()?;
        let capacity = self.config.max_queued_requests;
        if !ready && self.requests.queued() >= capacity {
            return Err(CommandError::QueueFull { capacity });
        }
        let id = id.unwrap_or_else(|| self.new_id::<RequestId>());
        let text = write(id.as_str()).map_err(|e| CommandError::InvalidOption(e.to_string()))?;
        let pending = Pending::new(method.clone(), kind, ready);
        let deadline = Some(later(now, self.config.request_timeout));
        self.requests
            .add(id.clone(), pending, deadline, text, &mut self.out);
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
            let method = pending.method.as_str();
            log::warning!(method, sent = pending.sent, "request timed out");
            let error = RequestError::Timeout {
                method: method.to_owned(),
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
        outcome: Result<Payload, (i64, String)>,
        now: Instant,
    ) {
        let Some((id, pending)) = self.requests.take_str(id) else {
            self.protocol_error(ProtocolError::UnknownRequest(RequestId::from(id)));
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

    fn succeed_request(&mut self, id: RequestId, pending: Pending, result: Payload) {
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
            self.handed_over(&call_id, pending.method.as_str());
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

/// The members of a result that say whether it succeeded, read from its text: a `code` of
/// any JSON type (a string or a number is judged) and a `message` (used when a string).
#[derive(Deserialize)]
struct Status<'a> {
    #[serde(borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

/// The raw text of the `code` and `message` members of a result object, found by walking
/// its members (the text is JSON already). `None` when anything is unusual (not an
/// object, a key with escapes, a member twice): serde then reads it as it always did.
///
/// Every answer goes through here; serde took about 1,500 instructions per answer.
fn status_members(text: &str) -> Option<(Option<&str>, Option<&str>)> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let (mut code, mut message) = (None, None);
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some((code, message));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let key = &b[i + 1..key_end - 1];
        if key.contains(&b'\\') {
            return None;
        }
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        i = value_end(b, start)?;
        let value = text.get(start..i)?;
        let slot = match key {
            b"code" => &mut code,
            b"message" => &mut message,
            _ => &mut None,
        };
        if slot.replace(value).is_some() {
            return None;
        }
        i = skip_ws(b, i);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            // A `null` member reads as absent, as serde reads an `Option`.
            b'}' => {
                return Some((
                    code.filter(|raw| *raw != "null"),
                    message.filter(|raw| *raw != "null"),
                ));
            }
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The index after the string that opens at `i`.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// The index after the value that starts at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// A result with a non-2xx `code` is a failure (404/410: the call is gone); a result without
/// `code` (or that is not an object) is a success.
fn check_code(result: Payload) -> Result<Payload, RequestError> {
    let text = result.as_str();
    let (raw_code, raw_message) = match status_members(text) {
        Some(members) => members,
        None => match serde_json::from_str::<Status<'_>>(text) {
            Ok(status) => (
                status.code.map(RawValue::get),
                status.message.map(RawValue::get),
            ),
            Err(_) => return Ok(result),
        },
    };
    // Judged on the text as received: every answer carries a code, and reading it again
    // (and copying it) only to see a `200` cost more than the rest of the answer.
    let code: Cow<'_, str> = match raw_code {
        Some(raw) if raw.starts_with('"') => {
            // A string without escapes is its text between the quotes.
            match raw[1..]
                .strip_suffix('"')
                .filter(|text| !text.contains('\\'))
            {
                Some(text) => Cow::Borrowed(text),
                None => match serde_json::from_str::<Cow<'_, str>>(raw) {
                    Ok(code) => code,
                    Err(_) => return Ok(result),
                },
            }
        }
        Some(raw) if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
            Cow::Borrowed(raw)
        }
        _ => return Ok(result),
    };
    if code.len() == 3 && code.starts_with('2') {
        return Ok(result);
    }
    let code = code.into_owned();
    // A message that is not a string is no message.
    let message = raw_message
        .and_then(|raw| serde_json::from_str::<Cow<'_, str>>(raw).ok())
        .map(Cow::into_owned)
        .unwrap_or_default();
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
        let check = |v: Value| check_code(Payload::from(v));
        assert!(check(json!({"code": "200"})).is_ok());
        assert!(check(json!({"code": 204})).is_ok());
        assert!(check(json!({"protocol": "p"})).is_ok());
        assert!(check(json!({"code": {"odd": 1}, "message": 5})).is_ok());
        assert!(check(json!("not an object")).is_ok());
        let err = check(json!({"code": "410", "message": "gone"})).expect_err("410");
        assert!(matches!(err, RequestError::CallGone(_)));
        assert_eq!(
            check(json!({"code": 500, "message": ["odd"]})),
            Err(RequestError::Failed {
                code: "500".into(),
                message: String::new()
            })
        );
        // A success is handed on as the server's exact text.
        let text = r#"{"code":"200",  "message":"A\u0041", "z":1}"#;
        let ok = check_code(Payload::from_json(text).expect("json")).expect("ok");
        assert_eq!(ok.as_str(), text);
        // A code with escapes is judged on what it says, not on its text.
        let escaped = |text: &str| check_code(Payload::from_json(text).expect("json"));
        assert!(escaped(r#"{"code":"\u0032\u0030\u0030"}"#).is_ok());
        assert!(matches!(
            escaped(r#"{"code":"4\u00310","message":"g\u006fne"}"#),
            Err(RequestError::CallGone(_))
        ));
        assert_eq!(
            escaped(r#"{"code":"2\"0"}"#).map(|p| p.as_str().to_owned()),
            Ok(r#"{"code":"2\"0"}"#.to_owned()),
            "three characters from a 2: a success, as before"
        );
        assert_eq!(
            escaped(r#"{"code":"20"}"#),
            Err(RequestError::Failed {
                code: "20".into(),
                message: String::new()
            })
        );
        assert_eq!(
            check(json!({"code": "409"})),
            Err(RequestError::Failed {
                code: "409".into(),
                message: String::new()
            })
        );
    }

    #[test]
    fn the_members_walk_reads_what_serde_reads() {
        let texts = [
            r#"{"code":"200","message":"Playing","call_id":"c1","control_id":"x"}"#,
            r#"{ "message" : "A\u0041\"}" , "code" : 404 }"#,
            "{\n\t\"code\":\t-1.5e3 ,\r\n\"z\":[1,{\"code\":\"500\"}]}",
            r#"{"call":{"code":"500","message":"inner"},"code":"201"}"#,
            r#"{"a":["]","}",{"b":"{"}],"code":true,"message":null}"#,
            r#"{"code":{"odd":[1,2]},"message":["x"]}"#,
            r#"{}"#,
            r#"{ }"#,
            r#"{"message":"only"}"#,
            r#"{"c\u006fde":"500"}"#,
            r#"{"code":"200","code":"500"}"#,
            r#"{"message":"a","message":"b","code":"500"}"#,
            r#"{"code":null,"code":"500"}"#,
            r#"{"code":null,"message":"x"}"#,
            r#""not an object""#,
            r#"[{"code":"500"}]"#,
            r#"7"#,
            r#"null"#,
        ];
        for text in texts {
            let serde = serde_json::from_str::<Status<'_>>(text)
                .ok()
                .map(|s| (s.code.map(RawValue::get), s.message.map(RawValue::get)));
            match status_members(text) {
                // What the walk reads, serde reads the same.
                Some(members) => assert_eq!(Some(members), serde, "{text}"),
                // The walk gives up only on what serde reads otherwise or refuses.
                None => assert!(
                    !text.starts_with('{') || serde.is_none() || text.contains("\\u006f"),
                    "{text}"
                ),
            }
        }
        // The escaped key is found through serde, as before.
        let gone = check_code(Payload::from_json(r#"{"c\u006fde":"410"}"#).expect("json"));
        assert!(matches!(gone, Err(RequestError::CallGone(_))));
        // A member twice is refused by serde: no status, a success as before.
        assert!(
            check_code(Payload::from_json(r#"{"code":"200","code":"500"}"#).expect("json")).is_ok()
        );
    }
}
