//! Per-call event streams: [`Call::events`] and the waits built on it.
//!
//! Each subscriber has its own bounded buffer of [`EVENT_BUFFER`] events; one that falls
//! that far behind misses the newest events (a warning is logged) rather than slowing the
//! client down. A stream ends after the call's last event.
//!
//! The engine copies every event of a call for these streams only once the call has had a
//! subscriber: the first one tells the event loop (`Command::WatchCall`), ahead of any
//! command sent after it. The waits that also read the call's state first wait for the
//! loop to confirm, so that no change falls between the state read and the stream.

use super::call::{Call, CallOutcome};
use super::error::Error;
use super::Command;
use crate::call::{CallInfo, CallState};
use crate::call_event::CallEvent;
use futures_channel::{mpsc, oneshot};
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Events buffered per subscriber.
pub const EVENT_BUFFER: usize = 256;

/// Whether the engine was asked to deliver every event of the call (`Rare::watch`).
const NOT_WATCHED: u8 = 0;
const WATCH_ASKED: u8 = 1;
const WATCHED: u8 = 2;

/// The subscribers of one call, kept in the call's record (`Rare::senders`, under the
/// record's lock): most calls never have one, and cost a pointer for it.
impl CallInfo {
    fn subscribe(&self) -> mpsc::Receiver<CallEvent> {
        let (sender, receiver) = mpsc::channel(EVENT_BUFFER);
        self.with_rare(|rare| rare.senders.push(sender));
        receiver
    }

    /// Whether this is the first subscriber, which asks the loop to watch the call.
    fn ask_watch(&self) -> bool {
        self.with_rare(|rare| {
            let first = rare.watch == NOT_WATCHED;
            if first {
                rare.watch = WATCH_ASKED;
            }
            first
        })
    }

    fn is_watched(&self) -> bool {
        self.if_rare(|rare| rare.watch == WATCHED) == Some(true)
    }

    /// The event loop told the engine to deliver every event of the call.
    pub(crate) fn set_watched(&self) {
        self.with_rare(|rare| rare.watch = WATCHED);
    }

    /// Hands `event` to every subscriber still listening.
    pub(crate) fn publish(&self, event: &CallEvent) {
        self.if_rare(|rare| {
            rare.senders
                .retain_mut(|sender| match sender.try_send(event.clone()) {
                    Ok(()) => true,
                    Err(e) if e.is_full() => {
                        if let Some(held) = super::warn::allowed("call_event_dropped") {
                            tracing::warn!(
                                event_type = event.event_type(),
                                similar_held_back = held,
                                "call event subscriber lagging; event dropped for it"
                            );
                        }
                        true
                    }
                    Err(_) => false,
                })
        });
    }

    /// Ends every stream.
    pub(crate) fn close_subscribers(&self) {
        self.if_rare(|rare| rare.senders = Vec::new());
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
        let receiver = self.info.subscribe();
        if self.info.ask_watch() {
            self.watch(None);
        }
        if self.is_ended() {
            self.info.close_subscribers();
        }
        CallEvents { receiver }
    }

    /// Subscribes as [`Call::events`] does, and returns once the event loop delivers every
    /// event of the call: a state read afterwards cannot miss a change the stream lacks.
    pub(crate) async fn events_confirmed(&self) -> CallEvents {
        let events = self.events();
        if !self.info.is_watched() {
            let (reply, confirmed) = oneshot::channel();
            if self.watch(Some(reply)) {
                // Cancelled only when the loop is gone, and the stream ends then too.
                let _ = confirmed.await;
            }
        }
        events
    }

    fn watch(&self, reply: Option<oneshot::Sender<()>>) -> bool {
        self.client
            .send(Command::WatchCall {
                call_id: self.id().clone(),
                reply,
            })
            .is_ok()
    }

    /// Waits for the first event for which `matches` is true.
    /// [`Error::CallGone`] when the call ends first, [`Error::Closed`] when the client does.
    pub async fn wait_for(
        &self,
        mut matches: impl FnMut(&CallEvent) -> bool,
    ) -> Result<CallEvent, Error> {
        let mut events = self.events_confirmed().await;
        while let Some(event) = events.next().await {
            if matches(&event) {
                return Ok(event);
            }
        }
        Err(self.ended_error())
    }

    /// Waits until the call is in `state` or past it, in the call's order `created` <
    /// `ringing` < `answered` < `ending` < `ended`: at once when the call is already there
    /// or beyond (as the TypeScript SDK's `waitForRinging` on an answered call). An ended
    /// call is past every state, so the wait succeeds; [`Call::state`] and
    /// [`Call::wait_for_ended`] say how it ended. A state outside that order (`Other`)
    /// must be seen itself, else [`Error::CallGone`]; [`Error::Closed`] when the client
    /// shuts down first.
    pub async fn wait_for_state(&self, state: CallState) -> Result<(), Error> {
        if reached(&self.state(), &state) {
            return Ok(());
        }
        let mut events = self.events_confirmed().await;
        if reached(&self.state(), &state) {
            return Ok(());
        }
        while let Some(event) = events.next().await {
            if let CallEvent::State { state: now, .. } = &event {
                if reached(now, &state) {
                    return Ok(());
                }
            }
        }
        match self.ended_error() {
            Error::CallGone(_) if order(&state).is_some() => Ok(()),
            error => Err(error),
        }
    }

    pub(crate) fn ended_error(&self) -> Error {
        match self.info.driver.ended.get() {
            Some(CallOutcome::SessionClosed) => Error::Closed,
            _ => Error::CallGone(crate::error::CallGone::ended(self.id().clone())),
        }
    }
}

/// A state's place in the call's order; `None` for states outside it.
fn order(state: &CallState) -> Option<u8> {
    match state {
        CallState::Created => Some(0),
        CallState::Ringing => Some(1),
        CallState::Answered => Some(2),
        CallState::Ending => Some(3),
        CallState::Ended => Some(4),
        _ => None,
    }
}

/// Whether a call in `now` is in `wanted` or past it.
fn reached(now: &CallState, wanted: &CallState) -> bool {
    now == wanted || matches!((order(now), order(wanted)), (Some(a), Some(b)) if a >= b)
}
