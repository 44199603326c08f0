//! [`Client::conference_events`]: every `calling.conference` event the client receives,
//! conference-level ones (no `call_id`) included; participant events of a call also reach
//! that call's [`Call::events`](super::Call::events).
//!
//! Each subscriber has its own buffer of [`EVENT_BUFFER`] events; one that falls behind
//! misses the newest (a warning is logged) rather than slowing the client down.

use super::call_events::EVENT_BUFFER;
use super::client::Client;
use crate::control::ConferenceEvent;
use futures_channel::mpsc;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

/// The subscribers of a client's conference events.
#[derive(Default)]
pub(crate) struct ConferenceSubscribers {
    senders: Mutex<Vec<mpsc::Sender<ConferenceEvent>>>,
}

impl ConferenceSubscribers {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::Sender<ConferenceEvent>>> {
        self.senders.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self) -> mpsc::Receiver<ConferenceEvent> {
        let (sender, receiver) = mpsc::channel(EVENT_BUFFER);
        self.lock().push(sender);
        receiver
    }

    /// Hands `event` to every subscriber still listening.
    pub(crate) fn publish(&self, event: &ConferenceEvent) {
        self.lock()
            .retain_mut(|sender| match sender.try_send(event.clone()) {
                Ok(()) => true,
                Err(e) if e.is_full() => {
                    if let Some(held) = super::warn::allowed("conference_event_dropped") {
                        tracing::warn!(
                            similar_held_back = held,
                            "conference event subscriber lagging; event dropped for it"
                        );
                    }
                    true
                }
                Err(_) => false,
            });
    }

    /// Ends every stream (the client stopped).
    pub(crate) fn close(&self) {
        self.lock().clear();
    }
}

/// The `calling.conference` events of a client, in order, from the moment of subscribing.
/// Returned by [`Client::conference_events`]; ends when the client stops.
#[derive(Debug)]
pub struct ConferenceEvents {
    receiver: mpsc::Receiver<ConferenceEvent>,
}

impl Stream for ConferenceEvents {
    type Item = ConferenceEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<ConferenceEvent>> {
        self.receiver.poll_next_unpin(cx)
    }
}

impl Client {
    /// Subscribes to every `calling.conference` event: conference-level ones (which name no
    /// call) and participant ones (which also reach the participant's
    /// [`Call::events`](super::Call::events)). Several subscribers may listen at once.
    pub fn conference_events(&self) -> ConferenceEvents {
        ConferenceEvents {
            receiver: self.inner.conferences.add(),
        }
    }
}
