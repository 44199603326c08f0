//! Messaging (`docs/CALLING-API.md` [§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `messaging.send`, the routing of `messaging.state`
//! by `message_id` (with a bounded buffer for states that overtake their send's result), and
//! inbound `messaging.receive`.

use super::requests::PendingKind;
use super::{log, Engine};
use crate::error::{CommandError, ProtocolError, RequestError};
use crate::event::Event;
use crate::ids::RequestId;
use crate::message::{Message, MessageError, MessageId, MessageState, SendMessage};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

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
    early: VecDeque<(MessageId, Value)>,
    done: VecDeque<MessageId>,
    done_set: BTreeSet<MessageId>,
}

impl Messages {
    /// Accepted messages still waiting for a terminal state.
    pub(super) fn active(&self) -> usize {
        self.active.len()
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
}

impl Engine {
    /// Sends a message (`messaging.send`). `MessageSent` says whether the server accepted
    /// it; its states follow as `MessageState`, then one `MessageFinished`.
    ///
    /// Refused locally (nothing sent) without a body or media ([`CommandError::EmptyMessage`])
    /// or with an empty number or context.
    pub fn send_message(
        &mut self,
        message: &SendMessage,
        now: Instant,
    ) -> Result<RequestId, CommandError> {
        // Both SDKs: the session's protocol, or "default" before there is one. A send made
        // before the first session would then be followed on a context nobody receives; we
        // take the first of our contexts instead when there is one, so its states reach us.
        let default = self
            .protocol
            .clone()
            .or_else(|| self.config.contexts.first().cloned())
            .unwrap_or_else(|| "default".into());
        let params = message.to_params(&default)?;
        let context = params.context.to_owned();
        let ids = crate::frame::Ids::default();
        let id = self.submit_typed("messaging.send", &ids, &params, PendingKind::Message, now)?;
        self.messages
            .sends
            .insert(id.clone(), (message.clone(), context));
        Ok(id)
    }

    /// A message we sent that has not reached a terminal state yet.
    pub fn message(&self, id: &MessageId) -> Option<&Message> {
        self.messages.active.get(id)
    }

    /// The result of a `messaging.send`: the message is tracked under its `message_id`,
    /// and states that arrived before it are replayed.
    pub(super) fn message_accepted(&mut self, request_id: RequestId, result: &Value) {
        let Some((send, context)) = self.messages.sends.remove(&request_id) else {
            return;
        };
        let message_id = result
            .get("message_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(MessageId::from);
        let Some(message_id) = message_id else {
            log::warning!("messaging.send accepted without a message_id");
            self.events.push_back(Event::MessageSent {
                request_id,
                result: Err(MessageError::NoMessageId),
            });
            self.flush_early_states();
            return;
        };
        let message = send.accepted(message_id.clone(), context);
        self.messages
            .active
            .insert(message_id.clone(), message.clone());
        self.events.push_back(Event::MessageSent {
            request_id,
            result: Ok(Box::new(message)),
        });
        let (mine, others): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.messages.early)
            .into_iter()
            .partition(|(id, _)| *id == message_id);
        self.messages.early = others;
        for (_, data) in mine {
            self.on_message_state(data);
        }
        self.flush_early_states();
    }

    /// A `messaging.send` failed: its message resolves with the failure.
    pub(super) fn message_refused(&mut self, request_id: RequestId, error: RequestError) {
        if self.messages.sends.remove(&request_id).is_none() {
            return;
        }
        let error = match error {
            RequestError::Closed => MessageError::Closed,
            other => MessageError::Request(other),
        };
        self.events.push_back(Event::MessageSent {
            request_id,
            result: Err(error),
        });
        self.flush_early_states();
    }

    /// With no send waiting for its result, buffered states can name no message of ours.
    fn flush_early_states(&mut self) {
        if !self.messages.sends.is_empty() {
            return;
        }
        for (message_id, _) in std::mem::take(&mut self.messages.early) {
            self.unknown_message(message_id);
        }
    }

    fn unknown_message(&mut self, message_id: MessageId) {
        self.protocol_error(ProtocolError::UnknownMessage {
            event_type: "messaging.state".into(),
            message_id,
        });
    }

    /// `messaging.state`: the message's state and reason change; terminal ends it.
    pub(super) fn on_message_state(&mut self, data: Value) {
        let Some(message_id) = data
            .get("message_id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(MessageId::from)
        else {
            return self.invalid_message_event("messaging.state", "no message_id");
        };
        let Some(state) = data.get("message_state").and_then(Value::as_str) else {
            return self.invalid_message_event("messaging.state", "no message_state");
        };
        let state = MessageState::from_wire(state);
        let Some(message) = self.messages.active.get_mut(&message_id) else {
            if self.messages.done_set.contains(&message_id) {
                log::debug!(%message_id, "late state of a finished message ignored");
            } else if !self.messages.sends.is_empty() {
                // Its send's result may still be on the way: keep it, bounded.
                self.messages.early.push_back((message_id, data));
                if self.messages.early.len() > EARLY_MESSAGE_STATES {
                    if let Some((old, _)) = self.messages.early.pop_front() {
                        self.unknown_message(old);
                    }
                }
            } else {
                self.unknown_message(message_id);
            }
            return;
        };
        // §3: only the state and the reason change after the send (MSG).
        message.state = state;
        if let Some(reason) = data.get("reason").and_then(Value::as_str) {
            message.reason = Some(reason.to_owned());
        }
        if !message.state.is_terminal() {
            let message = message.clone();
            self.events
                .push_back(Event::MessageState(Box::new(message)));
            return;
        }
        let Some(message) = self.messages.active.remove(&message_id) else {
            return;
        };
        self.messages.remember_done(message_id);
        let result = match MessageError::from_terminal(&message) {
            Some(error) => Err(error),
            None => Ok(()),
        };
        self.events.push_back(Event::MessageFinished {
            message: Box::new(message),
            result,
        });
    }

    /// `messaging.receive`: an inbound message. A repeat of one already reported (after a
    /// resume) is dropped.
    pub(super) fn on_message_receive(&mut self, data: Value) {
        let Some(message) = Message::from_wire(&data) else {
            return self.invalid_message_event("messaging.receive", "no message_id");
        };
        if self.messages.done_set.contains(&message.id) {
            return;
        }
        self.messages.remember_done(message.id.clone());
        self.events
            .push_back(Event::IncomingMessage(Box::new(message)));
    }

    fn invalid_message_event(&mut self, event_type: &str, reason: &str) {
        self.protocol_error(ProtocolError::InvalidEvent {
            event_type: event_type.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// Ends every tracked message with `error` (keyed by its id).
    fn end_messages(&mut self, error: impl Fn(&MessageId) -> MessageError) {
        for (id, message) in std::mem::take(&mut self.messages.active) {
            let result = Err(error(&id));
            self.messages.remember_done(id);
            self.events.push_back(Event::MessageFinished {
                message: Box::new(message),
                result,
            });
        }
    }

    /// A fresh session replaced the old one: its messages' states will not reach us.
    pub(super) fn forget_messages_of_old_session(&mut self) {
        self.end_messages(|id| MessageError::SessionLost {
            message_id: id.clone(),
        });
        // Sends still pending here were queued (sent ones failed with the socket) and go
        // out on the new session; the buffer belonged to the old one.
        for (message_id, _) in std::mem::take(&mut self.messages.early) {
            self.unknown_message(message_id);
        }
    }

    /// The session closed: every message ends as closed (their sends fail with the
    /// requests).
    pub(super) fn close_all_messages(&mut self) {
        self.end_messages(|_| MessageError::Closed);
        self.messages.early.clear();
    }
}
