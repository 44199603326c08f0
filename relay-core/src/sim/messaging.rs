//! Messaging (`docs/CALLING-API.md` [§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `messaging.send` checked as the service checks it,
//! accepted with a `message_id`, then walked through its `messaging.state` sequence on the
//! virtual clock; inbound messages (`messaging.receive`) scripted by the test.

use super::relay::{FakeRelay, Timer};
use super::ConnId;
use crate::message::MessageId;
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// A `to_number` whose messages end `undelivered` (reason [`UNDELIVERED_REASON`]).
pub const UNDELIVERED_NUMBER: &str = "+15550000404";
/// A `to_number` whose messages end `failed` (reason [`FAILED_REASON`]).
pub const FAILED_MESSAGE_NUMBER: &str = "+15550000500";
/// The `reason` of a message to [`UNDELIVERED_NUMBER`].
pub const UNDELIVERED_REASON: &str = "Unreachable destination handset";
/// The `reason` of a message to [`FAILED_MESSAGE_NUMBER`].
pub const FAILED_REASON: &str = "Message could not be sent to the carrier";
/// Virtual time between two states of a message.
pub const MESSAGE_STATE_INTERVAL: Duration = Duration::from_millis(500);

/// One outbound message on its way through its states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SimMessage {
    /// The `messaging.state` payload; `message_state` changes at each step.
    payload: Value,
    /// The states still to report, in order.
    remaining: Vec<&'static str>,
    reason: Option<&'static str>,
}

impl FakeRelay {
    /// `messaging.send` ([§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `context`, `from_number`, `to_number` required, a `body` or
    /// `media` (or both); `tags` and `region` optional. A param that is missing or of the
    /// wrong type is `400`, as is a number that is not E.164 (`+` and 2 to 15 digits: the
    /// SDKs do not check it, so the service must). Accepted: `200` with a fresh
    /// `message_id`, then `queued` → `initiated` → `sent` → `delivered`, one every
    /// [`MESSAGE_STATE_INTERVAL`]; to [`UNDELIVERED_NUMBER`] it ends `undelivered`, to
    /// [`FAILED_MESSAGE_NUMBER`] `failed` after `queued`, each with a `reason`.
    ///
    /// The states go to the context of the send: to the sending session when it receives
    /// that context (its own `protocol` counts, which is the SDKs' default context), else to
    /// another session receiving it, else nowhere.
    pub(super) fn messaging_send(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        protocol: &str,
        params: &Map<String, Value>,
        now: Instant,
    ) {
        let payload = match check_send(params) {
            Ok(payload) => payload,
            Err(message) => return self.reply_code(conn, id, "400", &message, now),
        };
        let message_id = self.new_id();
        let mut payload = payload;
        payload["message_id"] = json!(message_id);
        let (remaining, reason) = match params.get("to_number").and_then(Value::as_str) {
            Some(UNDELIVERED_NUMBER) => (
                vec!["queued", "initiated", "sent", "undelivered"],
                Some(UNDELIVERED_REASON),
            ),
            Some(FAILED_MESSAGE_NUMBER) => (vec!["queued", "failed"], Some(FAILED_REASON)),
            _ => (vec!["queued", "initiated", "sent", "delivered"], None),
        };
        let context = payload["context"].as_str().unwrap_or_default().to_owned();
        let target = self.message_target(&context, Some(protocol));
        self.reply(
            conn,
            id,
            json!({"code": "200", "message": "Message accepted", "message_id": message_id}),
            now,
        );
        let Some(target) = target else {
            return;
        };
        payload["segments"] = json!(segments(payload.get("body")));
        let message = SimMessage {
            payload,
            remaining,
            reason,
        };
        // The first state follows the result, as the service answers before it queues.
        self.schedule(
            now + MESSAGE_STATE_INTERVAL,
            Timer::Message(target, Box::new(message)),
        );
    }

    /// Reports the next state of a message to the session `protocol`, and schedules the
    /// one after.
    pub(super) fn message_timer(
        &mut self,
        protocol: String,
        mut message: SimMessage,
        now: Instant,
    ) {
        if message.remaining.is_empty() {
            return;
        }
        let state = message.remaining.remove(0);
        let mut payload = message.payload.clone();
        payload["message_state"] = json!(state);
        if matches!(state, "undelivered" | "failed") {
            payload["reason"] = json!(message.reason);
        }
        self.emit_event(&protocol, "messaging.state", payload, now);
        if !message.remaining.is_empty() {
            self.schedule(
                now + MESSAGE_STATE_INTERVAL,
                Timer::Message(protocol, Box::new(message)),
            );
        }
    }

    /// The session that hears a context's messaging events: `preferred` when it receives
    /// it, else the first other (connected first).
    fn message_target(&self, context: &str, preferred: Option<&str>) -> Option<String> {
        let receives = |protocol: &str, session: &super::relay::Session| {
            protocol == context || session.contexts.contains(context)
        };
        if let Some(preferred) = preferred {
            if self
                .sessions
                .get(preferred)
                .is_some_and(|s| receives(preferred, s))
            {
                return Some(preferred.to_owned());
            }
        }
        let mut candidates: Vec<(&String, bool)> = self
            .sessions
            .iter()
            .filter(|(p, s)| receives(p, s))
            .map(|(p, s)| (p, s.conn.is_some()))
            .collect();
        candidates.sort_by_key(|(_, connected)| !connected);
        candidates.first().map(|(p, _)| (*p).clone())
    }

    // ----- commands -----

    /// Delivers an inbound text (`messaging.receive`, state `received`) from `from` to `to`
    /// on `context`, to one session receiving it (round robin over connected sessions,
    /// like call offers). `None` when no session receives the context.
    pub fn deliver_message(
        &mut self,
        context: &str,
        from: &str,
        to: &str,
        body: &str,
        now: Instant,
    ) -> Option<MessageId> {
        let receiving = |connected: bool| -> Vec<String> {
            self.sessions
                .iter()
                .filter(|(_, s)| s.contexts.contains(context) && s.conn.is_some() == connected)
                .map(|(p, _)| p.clone())
                .collect()
        };
        let mut candidates = receiving(true);
        if candidates.is_empty() {
            candidates = receiving(false);
        }
        if candidates.is_empty() {
            return None;
        }
        let protocol = candidates[self.offer_turn % candidates.len()].clone();
        self.offer_turn = self.offer_turn.wrapping_add(1);
        let message_id = self.new_id();
        let body = json!(body);
        let params = json!({
            "message_id": message_id,
            "context": context,
            "direction": "inbound",
            "from_number": from,
            "to_number": to,
            "body": body,
            "media": [],
            "segments": segments(Some(&body)),
            "message_state": "received",
            "tags": [],
        });
        self.emit_event(&protocol, "messaging.receive", params, now);
        Some(MessageId::new(message_id))
    }
}

/// Checks `messaging.send` params; the state payload without id, state and segments, or
/// the `400` message.
fn check_send(params: &Map<String, Value>) -> Result<Value, String> {
    let text = |key: &str| -> Result<Option<&str>, String> {
        match params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(format!("Invalid parameter: {key} must be a string")),
        }
    };
    let list = |key: &str| -> Result<Vec<String>, String> {
        match params.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("Invalid parameter: {key} must be a list of strings")),
            Some(_) => Err(format!(
                "Invalid parameter: {key} must be a list of strings"
            )),
        }
    };
    let required = |key: &str| -> Result<String, String> {
        text(key)?
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("Missing required parameter: {key}"))
    };
    let context = required("context")?;
    let from = required("from_number")?;
    let to = required("to_number")?;
    for (key, number) in [("from_number", &from), ("to_number", &to)] {
        if !is_e164(number) {
            return Err(format!("Invalid parameter: {key} must be E.164"));
        }
    }
    let body = text("body")?.filter(|b| !b.is_empty());
    let media = list("media")?;
    if body.is_none() && media.is_empty() {
        return Err("Either body or media is required".into());
    }
    let tags = list("tags")?;
    text("region")?;
    let mut payload = json!({
        "context": context,
        "direction": "outbound",
        "from_number": from,
        "to_number": to,
        "media": media,
        "tags": tags,
    });
    if let Some(body) = body {
        payload["body"] = json!(body);
    }
    Ok(payload)
}

fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// SMS segments: 160 characters in one, 153 each beyond (the 7 others carry the header).
fn segments(body: Option<&Value>) -> u64 {
    let chars = body
        .and_then(Value::as_str)
        .map_or(0, |b| b.chars().count() as u64);
    if chars <= 160 {
        1
    } else {
        chars.div_ceil(153)
    }
}
