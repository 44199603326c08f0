//! Inbound messages for tests: [`MemoryRelay::deliver_message`] and
//! [`SimServer::deliver_message`] hand a `messaging.receive` to a session receiving the
//! context, as [`FakeRelay::deliver_message`](crate::sim::FakeRelay::deliver_message) does.

use super::{MemoryRelay, SimServer};
use crate::message::MessageId;

impl MemoryRelay {
    /// Delivers an inbound text on `context`; its id, or `None` when no session receives
    /// that context.
    pub fn deliver_message(
        &self,
        context: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> Option<MessageId> {
        self.with_relay(|relay, now| relay.deliver_message(context, from, to, body, now))
    }
}

impl SimServer {
    /// Delivers an inbound text on `context`; its id, or `None` when no session receives
    /// that context (or the simulator stopped).
    pub async fn deliver_message(
        &self,
        context: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> Option<MessageId> {
        let (context, from, to, body) = (
            context.to_owned(),
            from.to_owned(),
            to.to_owned(),
            body.to_owned(),
        );
        self.with_relay(move |relay, now| relay.deliver_message(&context, &from, &to, &body, now))
            .await
            .flatten()
    }
}
