//! Messaging (`docs/CALLING-API.md` [§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): `messaging.send`, and the `messaging.state` and
//! `messaging.receive` events, routed to the messages part.

use super::requests::PendingKind;
use super::Engine;
use crate::error::CommandError;
use crate::ids::RequestId;
use crate::message::{Message, MessageId, SendMessage};
use crate::payload::Payload;
use std::time::Instant;

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
            .session
            .protocol()
            .or_else(|| self.config.contexts.first().map(String::as_str))
            .unwrap_or("default")
            .to_owned();
        let params = message.to_params(&default)?;
        let context = params.context.to_owned();
        let ids = crate::frame::Ids::default();
        let id = self.submit_typed(
            None,
            "messaging.send",
            &ids,
            &params,
            PendingKind::Message,
            now,
        )?;
        self.messages.sent(id.clone(), message.clone(), context);
        Ok(id)
    }

    /// A message we sent that has not reached a terminal state yet.
    pub fn message(&self, id: &MessageId) -> Option<&Message> {
        self.messages.get(id)
    }

    /// `messaging.state`, routed to the messaging part.
    pub(super) fn on_message_state(&mut self, data: Payload) {
        self.messages.on_state(data, &mut self.out);
    }

    /// `messaging.receive`, routed to the messaging part.
    pub(super) fn on_message_receive(&mut self, data: Payload) {
        self.messages.on_receive(data, &mut self.out);
    }
}
