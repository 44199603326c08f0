//! The messages in flight (`docs/CALLING-API.md` [§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): sends waiting for their result, accepted
//! messages until a terminal state (with a bounded buffer for states that overtake their
//! send's result), and the ids of finished or received ones, so that a repeat is no error.

use super::log;
use super::output::Output;
use crate::calling::params::lenient_text;
use crate::error::{ProtocolError, RequestError};
use crate::event::Event;
use crate::ids::RequestId;
use crate::message::{Message, MessageError, MessageId, MessageState, SendMessage};
use crate::payload::Payload;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// State events kept while waiting for the send result that names their message. The
/// server may send `queued` before the result of `messaging.send` reaches us.
pub const EARLY_MESSAGE_STATES: usize = 64;
/// Ids of finished (or received) messages remembered, so that a repeat is not an error.
const RECENTLY_DONE: usize = 1024;

/// The messaging tables of the engine.
#[derive(Debug, Default)]
pub(super) struct Messages {
    /// Sends waiting for their result: what was asked, and the context used.
    sends: BTreeMap<RequestId, (SendMessage, String)>,
    /// Accepted messages not yet terminal.
    active: BTreeMap<MessageId, Message>,
    /// `messaging.state` events for an id no send has named yet, oldest first.
    early: VecDeque<(MessageId, Payload)>,
    done: VecDeque<MessageId>,
    done_set: BTreeSet<MessageId>,
}

impl Messages {
    /// Accepted messages still waiting for a terminal state.
    pub(super) fn active(&self) -> usize {
        self.active.len()
    }

    /// A message we sent that has not reached a terminal state yet.
    pub(super) fn get(&self, id: &MessageId) -> Option<&Message> {
        self.active.get(id)
    }

    /// A `messaging.send` went out (or waits in the queue) as `request_id`, on `context`.
    pub(super) fn sent(&mut self, request_id: RequestId, message: SendMessage, context: String) {
        self.sends.insert(request_id, (message, context));
    }

    fn remember_done(&mut self, id: MessageId) {
        if self.done_set.insert(id.clone()) {
            self.done.push_back(id);
        }
        while self.done.len() > RECENTLY_DONE {
            if let Some(old) = self.done.pop_front() {
                self.done_set.remove(&old);
            }
        }
    }

    /// The result of a `messaging.send`: the message is tracked under its `message_id`,
    /// and states that arrived before it are replayed.
    pub(super) fn accepted(&mut self, request_id: RequestId, result: &Payload, out: &mut Output) {
        let Some((send, context)) = self.sends.remove(&request_id) else {
            return;
        };
        let message_id = result
            .parse::<SendResult<'_>>()
            .ok()
            .and_then(|r| r.message_id)
            .filter(|id| !id.is_empty())
            .map(|id| MessageId::from(&*id));
        let Some(message_id) = message_id else {
            log::warning!("messaging.send accepted without a message_id");
            out.event(Event::MessageSent {
                request_id,
                result: Err(MessageError::NoMessageId),
            });
            self.flush_early_states(out);
            return;
        };
        let message = send.accepted(message_id.clone(), context);
        self.active.insert(message_id.clone(), message.clone());
        out.event(Event::MessageSent {
            request_id,
            result: Ok(Box::new(message)),
        });
        let (mine, others): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.early)
            .into_iter()
            .partition(|(id, _)| *id == message_id);
        self.early = others;
        for (_, data) in mine {
            self.on_state(data, out);
        }
        self.flush_early_states(out);
    }

    /// A `messaging.send` failed: its message resolves with the failure.
    pub(super) fn refused(&mut self, request_id: RequestId, error: RequestError, out: &mut Output) {
        if self.sends.remove(&request_id).is_none() {
            return;
        }
        let error = match error {
            RequestError::Closed => MessageError::Closed,
            other => MessageError::Request(other),
        };
        out.event(Event::MessageSent {
            request_id,
            result: Err(error),
        });
        self.flush_early_states(out);
    }

    /// With no send waiting for its result, buffered states can name no message of ours.
    fn flush_early_states(&mut self, out: &mut Output) {
        if !self.sends.is_empty() {
            return;
        }
        for (message_id, _) in std::mem::take(&mut self.early) {
            unknown_message(message_id, out);
        }
    }

    /// `messaging.state`: the message's state and reason change; terminal ends it.
    pub(super) fn on_state(&mut self, data: Payload, out: &mut Output) {
        // Read from the event's text; params that are not an object name nothing.
        let view: StateView<'_> = data.parse().unwrap_or_default();
        let Some(message_id) = view
            .message_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .map(MessageId::from)
        else {
            return invalid_event("messaging.state", "no message_id", out);
        };
        let Some(state) = view.message_state.as_deref() else {
            return invalid_event("messaging.state", "no message_state", out);
        };
        let state = MessageState::from_wire(state);
        let reason = view.reason.map(Cow::into_owned);
        let Some(message) = self.active.get_mut(&message_id) else {
            if self.done_set.contains(&message_id) {
                log::debug!(%message_id, "late state of a finished message ignored");
            } else if !self.sends.is_empty() {
                // Its send's result may still be on the way: keep it, bounded.
                self.early.push_back((message_id, data.clone()));
                if self.early.len() > EARLY_MESSAGE_STATES {
                    if let Some((old, _)) = self.early.pop_front() {
                        unknown_message(old, out);
                    }
                }
            } else {
                unknown_message(message_id, out);
            }
            return;
        };
        // §3: only the state and the reason change after the send (MSG).
        message.state = state;
        if let Some(reason) = reason {
            message.reason = Some(reason);
        }
        if !message.state.is_terminal() {
            let message = message.clone();
            out.event(Event::MessageState(Box::new(message)));
            return;
        }
        let Some(message) = self.active.remove(&message_id) else {
            return;
        };
        self.remember_done(message_id);
        let result = match MessageError::from_terminal(&message) {
            Some(error) => Err(error),
            None => Ok(()),
        };
        out.event(Event::MessageFinished {
            message: Box::new(message),
            result,
        });
    }

    /// `messaging.receive`: an inbound message. A repeat of one already reported (after a
    /// resume) is dropped.
    pub(super) fn on_receive(&mut self, data: Payload, out: &mut Output) {
        let Some(message) = Message::from_wire(&data) else {
            return invalid_event("messaging.receive", "no message_id", out);
        };
        if self.done_set.contains(&message.id) {
            return;
        }
        self.remember_done(message.id.clone());
        out.event(Event::IncomingMessage(Box::new(message)));
    }

    /// Ends every tracked message with `error` (keyed by its id).
    fn end_all(&mut self, error: impl Fn(&MessageId) -> MessageError, out: &mut Output) {
        for (id, message) in std::mem::take(&mut self.active) {
            let result = Err(error(&id));
            self.remember_done(id);
            out.event(Event::MessageFinished {
                message: Box::new(message),
                result,
            });
        }
    }

    /// A fresh session replaced the old one: its messages' states will not reach us.
    pub(super) fn forget_old_session(&mut self, out: &mut Output) {
        let lost = |id: &MessageId| MessageError::SessionLost {
            message_id: id.clone(),
        };
        self.end_all(lost, out);
        // Sends still pending here were queued (sent ones failed with the socket) and go
        // out on the new session; the buffer belonged to the old one.
        for (message_id, _) in std::mem::take(&mut self.early) {
            unknown_message(message_id, out);
        }
    }

    /// The session closed: every message ends as closed (their sends fail with the
    /// requests).
    pub(super) fn close_all(&mut self, out: &mut Output) {
        self.end_all(|_| MessageError::Closed, out);
        self.early.clear();
    }
}

fn unknown_message(message_id: MessageId, out: &mut Output) {
    out.protocol_error(ProtocolError::UnknownMessage {
        event_type: "messaging.state".into(),
        message_id,
    });
}

fn invalid_event(event_type: &str, reason: &str, out: &mut Output) {
    out.protocol_error(ProtocolError::InvalidEvent {
        event_type: event_type.to_owned(),
        reason: reason.to_owned(),
    });
}

/// The members of a `messaging.state` event the engine judges, read from its text (a member
/// that is not a string reads as absent).
#[derive(Default, Deserialize)]
struct StateView<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    message_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    message_state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    reason: Option<Cow<'a, str>>,
}

/// A `messaging.send` result's `message_id`, read from its text (another type reads as none).
#[derive(Deserialize)]
struct SendResult<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    message_id: Option<Cow<'a, str>>,
}

#[cfg(test)]
mod tests {
    use super::super::log::Warnings;
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn sink() -> Output {
        Output::new(Warnings::new(Duration::from_secs(1)))
    }

    fn state(id: &str, state: &str) -> Payload {
        Payload::from(json!({"message_id": id, "message_state": state}))
    }

    #[test]
    fn a_state_that_overtakes_its_send_is_replayed_once_the_send_names_its_message() {
        let mut out = sink();
        let mut messages = Messages::default();
        let send = SendMessage::new("+1", "+2").body("hi");
        messages.sent("r1".into(), send.clone(), "office".into());
        messages.sent("r2".into(), send, "office".into());
        messages.on_state(state("m1", "queued"), &mut out);
        messages.on_state(state("m9", "queued"), &mut out);
        assert!(
            out.events.is_empty(),
            "kept while a send waits for its result"
        );

        let result = Payload::from(json!({"message_id": "m1"}));
        messages.accepted("r1".into(), &result, &mut out);
        let events: Vec<Event> = out.events.drain(..).collect();
        assert!(
            matches!(&events[0], Event::MessageSent { result: Ok(m), .. } if m.id.as_str() == "m1")
        );
        assert!(matches!(&events[1], Event::MessageState(m) if m.state == MessageState::Queued));
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(messages.active(), 1);

        // The last send fails: the state nobody can claim any more is an error now.
        messages.refused("r2".into(), RequestError::Closed, &mut out);
        let events: Vec<Event> = out.events.drain(..).collect();
        assert!(matches!(
            &events[0],
            Event::MessageSent {
                result: Err(MessageError::Closed),
                ..
            }
        ));
        assert!(matches!(
            &events[1],
            Event::Protocol(ProtocolError::UnknownMessage { message_id, .. }) if message_id.as_str() == "m9"
        ));

        messages.on_state(state("m1", "delivered"), &mut out);
        assert!(matches!(
            out.events.pop_front(),
            Some(Event::MessageFinished { result: Ok(()), .. })
        ));
        assert_eq!(messages.active(), 0);
        messages.on_state(state("m1", "delivered"), &mut out);
        assert!(
            out.events.is_empty(),
            "a late state of a finished message is no error"
        );
    }
}
