//! Per-call event streams: [`Call::events`] and the waits built on it.
//!
//! Each subscriber has its own bounded buffer of [`EVENT_BUFFER`] events; one that falls
//! that far behind misses the newest events (a warning is logged) rather than slowing the
//! client down. A stream ends after the call's last event.

use super::call::{Call, CallOutcome};
use super::error::Error;
use crate::call::CallState;
use crate::call_event::CallEvent;
use futures_channel::mpsc;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

/// Events buffered per subscriber.
pub const EVENT_BUFFER: usize = 256;

/// The subscribers of one call.
#[derive(Default)]
pub(crate) struct Subscribers {
    senders: Mutex<Vec<mpsc::Sender<CallEvent>>>,
}

impl Subscribers {
    fn add(&self) -> mpsc::Receiver<CallEvent> {
        let (sender, receiver) = mpsc::channel(EVENT_BUFFER);
        self.lock().push(sender);
        receiver
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::Sender<CallEvent>>> {
        self.senders.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `event` to every subscriber still listening.
    pub(crate) fn publish(&self, event: &CallEvent) {
        self.lock()
            .retain_mut(|sender| match sender.try_send(event.clone()) {
                Ok(()) => true,
                Err(e) if e.is_full() => {
                    tracing::warn!(
                        event_type = event.event_type(),
                        "call event subscriber lagging; event dropped for it"
                    );
                    true
                }
                Err(_) => false,
            });
    }

    /// Ends every stream.
    pub(crate) fn close(&self) {
        self.lock().clear();
    }
}

/// The typed events of one call, in order, from the moment of subscribing until the call
/// ends. Returned by [`Call::events`].
#[derive(Debug)]
pub struct CallEvents {
    receiver: mpsc::Receiver<CallEvent>,
}

impl Stream for CallEvents {
    type Item = CallEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<CallEvent>> {
        self.receiver.poll_next_unpin(cx)
    }
}

impl Call {
    /// Subscribes to this call's events: every `calling.call.*` event the server sends for
    /// it (state, play, collect, detect, fax, connect, … and types this library does not
    /// know, as [`CallEvent::Other`]). Several subscribers may listen at once; the stream
    /// ends once the call has ended (at once if it already has).
    pub fn events(&self) -> CallEvents {
        let receiver = self.shared.subscribers.add();
        if self.is_ended() {
            self.shared.subscribers.close();
        }
        CallEvents { receiver }
    }

    /// Waits for the first event for which `matches` is true.
    /// [`Error::CallGone`] when the call ends first, [`Error::Closed`] when the client does.
    pub async fn wait_for(
        &self,
        mut matches: impl FnMut(&CallEvent) -> bool,
    ) -> Result<CallEvent, Error> {
        let mut events = self.events();
        while let Some(event) = events.next().await {
            if matches(&event) {
                return Ok(event);
            }
        }
        Err(self.ended_error())
    }

    /// Waits until the call is in `state` (at once if it is). Waiting for `Ending` or
    /// `Ended` succeeds when the call ends; another state the call can no longer reach is
    /// [`Error::CallGone`].
    pub async fn wait_for_state(&self, state: CallState) -> Result<(), Error> {
        let mut events = self.events();
        if self.state() == state {
            return Ok(());
        }
        while let Some(event) = events.next().await {
            if let CallEvent::State { state: now, .. } = &event {
                if *now == state {
                    return Ok(());
                }
            }
        }
        match (&state, self.ended_error()) {
            (CallState::Ending | CallState::Ended, Error::CallGone(_)) => Ok(()),
            (_, error) => Err(error),
        }
    }

    pub(crate) fn ended_error(&self) -> Error {
        match self.shared.ended.get() {
            Some(CallOutcome::SessionClosed) => Error::Closed,
            _ => Error::CallGone(self.id().clone()),
        }
    }
}
