//! Call control ([§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) of `docs/CALLING-API.md`) on [`Call`]: pass, transfer, refer, hold,
//! denoise, conferences, rooms, queues, digit bindings, live transcription and translation,
//! user events and Amazon Bedrock. Each resolves once the service has accepted the command;
//! a call that is over is [`Error::CallGone`].

use super::call::Call;
use super::call_events::CallEvents;
use super::error::Error;
use crate::call_event::CallEvent;
use crate::control::{
    AmazonBedrock, BindDigit, CallCommand, ClearDigitBindings, JoinConference, JoinRoom,
    JoinedConference, LeaveConference, LiveAction, LiveTranscribe, LiveTranslate, QueueEnter,
    QueueEvent, QueueLeave, Refer, SimpleControl, Transfer, UserEvent,
};
use crate::ids::ControlId;
use crate::payload::Payload;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

impl Call {
    /// Sends any typed call command and returns the service's result.
    pub async fn send_command<C>(&self, command: C) -> Result<Payload, Error>
    where
        C: CallCommand + Send + 'static,
    {
        let id = self.id().clone();
        self.client
            .request(Box::new(move |engine, now| {
                engine.command(&id, &command, now)
            }))
            .await
            .map_err(|e| self.gone(e))
    }

    /// Hands an offered call back (`calling.pass`) so that another consumer of its context
    /// can take it. Once accepted, the call is no longer this client's
    /// ([`CallEnd::HandedOver`](super::CallEnd::HandedOver)).
    pub async fn pass(&self) -> Result<(), Error> {
        let id = self.id().clone();
        self.client
            .request(Box::new(move |engine, now| engine.pass(&id, now)))
            .await
            .map(|_| ())
            .map_err(|e| self.gone(e))
    }

    /// Transfers control of the call (`calling.transfer`) to a SWML/cXML URL, an inline
    /// SWML script or a RELAY context. Once accepted, the call is no longer this client's
    /// ([`CallEnd::HandedOver`](super::CallEnd::HandedOver)).
    pub async fn transfer(&self, transfer: Transfer) -> Result<(), Error> {
        self.send_command(transfer).await.map(|_| ())
    }

    /// Sends a SIP REFER (`calling.refer`, SIP calls only); its progress comes as
    /// [`CallEvent::Refer`].
    pub async fn refer(&self, refer: Refer) -> Result<(), Error> {
        self.send_command(refer).await.map(|_| ())
    }

    /// Puts the call on hold (`calling.hold`). The guide marks it not implemented and the
    /// server schema lacks it: expect a [`Error::Request`] from a service without it.
    pub async fn hold(&self) -> Result<(), Error> {
        self.send_command(SimpleControl::Hold).await.map(|_| ())
    }

    /// Takes the call off hold (`calling.unhold`); possibly unsupported, as [`Call::hold`].
    pub async fn unhold(&self) -> Result<(), Error> {
        self.send_command(SimpleControl::Unhold).await.map(|_| ())
    }

    /// Turns noise reduction on (`calling.denoise`); [`CallEvent::Denoise`] follows.
    pub async fn denoise(&self) -> Result<(), Error> {
        self.send_command(SimpleControl::Denoise).await.map(|_| ())
    }

    /// Turns noise reduction off (`calling.denoise.stop`).
    pub async fn denoise_stop(&self) -> Result<(), Error> {
        self.send_command(SimpleControl::DenoiseStop)
            .await
            .map(|_| ())
    }

    /// Joins (or starts) a conference (`calling.join_conference`); the result carries the
    /// conference id when the service gives one. Its events come as
    /// [`CallEvent::Conference`] and through
    /// [`Client::conference_events`](super::Client::conference_events).
    pub async fn join_conference(
        &self,
        options: JoinConference,
    ) -> Result<JoinedConference, Error> {
        self.send_command(options)
            .await
            .map(JoinedConference::from_result)
    }

    /// Leaves the conference with this id (`calling.leave_conference`).
    pub async fn leave_conference(&self, conference_id: &str) -> Result<(), Error> {
        self.send_command(LeaveConference::new(conference_id))
            .await
            .map(|_| ())
    }

    /// Joins a video room (`calling.join_room`).
    pub async fn join_room(&self, options: JoinRoom) -> Result<(), Error> {
        self.send_command(options).await.map(|_| ())
    }

    /// Leaves the room (`calling.leave_room`).
    pub async fn leave_room(&self) -> Result<(), Error> {
        self.send_command(SimpleControl::LeaveRoom)
            .await
            .map(|_| ())
    }

    /// Puts the call in a queue (`calling.queue.enter`). The entry follows the queue's
    /// `calling.call.queue` events by its control id.
    pub async fn queue_enter(&self, options: QueueEnter) -> Result<QueueEntry, Error> {
        // Subscribed before the request, so that no event of the entry is missed.
        let events = self.events();
        let queue_name = options.queue_name.clone();
        let control_id = self
            .with_control(move |engine, id, now| engine.queue_enter(id, &options, now))
            .await?;
        Ok(QueueEntry {
            call: self.clone(),
            control_id,
            queue_name,
            events,
        })
    }

    /// Takes the call out of a queue (`calling.queue.leave`); returns the control id sent.
    pub async fn queue_leave(&self, options: QueueLeave) -> Result<ControlId, Error> {
        self.with_control(move |engine, id, now| engine.queue_leave(id, &options, now))
            .await
    }

    async fn with_control<F>(&self, op: F) -> Result<ControlId, Error>
    where
        F: FnOnce(
                &mut crate::engine::Engine,
                &crate::ids::CallId,
                std::time::Instant,
            )
                -> Result<(crate::ids::RequestId, ControlId), crate::error::CommandError>
            + Send
            + 'static,
    {
        // The engine draws the control id inside the loop; it is handed back through here.
        let slot = Arc::new(Mutex::new(None));
        let out = slot.clone();
        let id = self.id().clone();
        self.client
            .request(Box::new(move |engine, now| {
                let (request, control_id) = op(engine, &id, now)?;
                *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(control_id);
                Ok(request)
            }))
            .await
            .map_err(|e| self.gone(e))?;
        let control_id = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        control_id.ok_or(Error::Closed)
    }

    /// Runs `bind_method` on the call when the caller presses `digits`
    /// (`calling.bind_digit`).
    pub async fn bind_digit(&self, binding: BindDigit) -> Result<(), Error> {
        self.send_command(binding).await.map(|_| ())
    }

    /// Removes digit bindings, of one realm or all (`calling.clear_digit_bindings`).
    pub async fn clear_digit_bindings(&self, which: ClearDigitBindings) -> Result<(), Error> {
        self.send_command(which).await.map(|_| ())
    }

    /// Starts, stops or summarizes a live transcription (`calling.live_transcribe`).
    pub async fn live_transcribe(&self, action: LiveAction) -> Result<(), Error> {
        self.send_command(LiveTranscribe::new(action))
            .await
            .map(|_| ())
    }

    /// Starts, stops, summarizes or injects into a live translation
    /// (`calling.live_translate`).
    pub async fn live_translate(&self, options: LiveTranslate) -> Result<(), Error> {
        self.send_command(options).await.map(|_| ())
    }

    /// Sends an event of your own (`calling.user_event`), `event` as given.
    pub async fn user_event(&self, event: UserEvent) -> Result<(), Error> {
        self.send_command(event).await.map(|_| ())
    }

    /// Starts an Amazon Bedrock agent on the call (`calling.amazon_bedrock`).
    pub async fn amazon_bedrock(&self, options: AmazonBedrock) -> Result<(), Error> {
        self.send_command(options).await.map(|_| ())
    }
}

/// A call in a queue: the control id of its `calling.queue.enter`, and its
/// `calling.call.queue` events.
///
/// The events are a `futures::Stream` of [`QueueEvent`]s with that control id, which ends with
/// the call. No terminal status is documented ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 8), so the stream does not
/// end on its own while the call lasts.
#[derive(Debug)]
pub struct QueueEntry {
    call: Call,
    control_id: ControlId,
    queue_name: String,
    events: CallEvents,
}

impl QueueEntry {
    /// The control id the queue's events carry.
    pub fn control_id(&self) -> &ControlId {
        &self.control_id
    }

    /// The queue's name.
    pub fn queue_name(&self) -> &str {
        &self.queue_name
    }

    /// The call in the queue.
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// Takes the call out of the queue with the same control id (`calling.queue.leave`).
    pub async fn leave(&self) -> Result<(), Error> {
        let options = QueueLeave::new(self.queue_name.clone()).control_id(self.control_id.clone());
        self.call.queue_leave(options).await.map(|_| ())
    }
}

impl Stream for QueueEntry {
    type Item = QueueEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<QueueEvent>> {
        loop {
            match self.events.poll_next_unpin(cx) {
                Poll::Ready(Some(CallEvent::Queue(event)))
                    if event.control_id.as_ref() == Some(&self.control_id) =>
                {
                    return Poll::Ready(Some(event))
                }
                Poll::Ready(Some(_)) => continue,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
