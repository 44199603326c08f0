//! `Call`: a cheap, `Send` handle on one live call.

use super::action::{self, ActionHandle, PlayAction, StreamAction};
use super::client::ClientInner;
use super::completion::Completion;
use super::error::Error;
use crate::action::play::{PlayMedia, PlayOptions};
use crate::action::stream_options::StreamOptions;
use crate::action::ActionKind;
use crate::call::{CallInfo, CallState, Device, Direction, EndReason};
use crate::error::{CallGone, CommandError};
use crate::ids::CallId;
use futures_util::future::{self, Either};
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallEnd {
    /// The server reported `ended`, with its reason.
    Ended(Option<EndReason>),
    /// The server said the call no longer exists (404/410).
    Gone(crate::error::CallGone),
    /// The service accepted a `calling.transfer` or a `calling.pass`: the call goes on,
    /// controlled elsewhere. Holds the method.
    HandedOver(String),
}

#[derive(Debug, Clone)]
pub(crate) enum CallOutcome {
    End(CallEnd),
    SessionClosed,
}

/// The client's part of one call, kept inside the call's [`CallInfo`] (`CallInfo::driver`)
/// so that a call the client tracks is one allocation, shared by the engine's table, the
/// event loop's and every `Call` handle.
#[derive(Default)]
pub(crate) struct CallShared {
    /// Set once, by the event loop, when the call is over; awaited by `wait_for_ended`.
    pub(crate) ended: Completion<CallOutcome>,
}

/// What few calls use, boxed under the record's lock (`CallInfo::lock`): a pointer in
/// each record until a call gets an event subscriber or a bridge.
#[derive(Default)]
pub(crate) struct Rare {
    /// The event streams of the call (`call_events.rs`).
    pub(crate) senders: Vec<futures_channel::mpsc::Sender<crate::call_event::CallEvent>>,
    /// Whether the engine was asked to deliver every event of the call (`call_events.rs`).
    pub(crate) watch: u8,
    /// The latest `calling.call.connect` of this call and its peer (`call_connect.rs`).
    pub(crate) connect: super::call_connect::ConnectStatus,
}

impl CallInfo {
    /// Runs `f` on the call's rare part, made on first use.
    pub(crate) fn with_rare<R>(&self, f: impl FnOnce(&mut Rare) -> R) -> R {
        f(self.lock().rare.get_or_insert_with(Box::default))
    }

    /// Runs `f` on the call's rare part if it has one (nothing is made).
    pub(crate) fn if_rare<R>(&self, f: impl FnOnce(&mut Rare) -> R) -> Option<R> {
        self.lock().rare.as_deref_mut().map(f)
    }
}

/// One live call. Clone it freely; all clones control the same call.
///
/// It comes to an [`on_call`](super::Client::on_call) handler, from
/// [`incoming`](super::Client::incoming), or from [`dial`](super::Client::dial).
///
/// ```no_run
/// # mod relay_tokio { relay_rs_core::runtime_crate_api!(); pub fn client() -> ClientBuilder { unimplemented!() } }
/// use relay_tokio::{Call, Codec, Error, StreamOptions, Track};
///
/// # async fn demo(call: Call) -> Result<(), Error> {
///
/// call.answer().await?;
/// let stream = call
///     .stream(
///         "wss://media.example.com/in",
///         StreamOptions::new().track(Track::Both).codec(Codec::Pcmu),
///     )
///     .await?;
/// let end = call.wait_for_ended().await?; // the caller hangs up; the stream finishes too
/// println!("{end:?}, stream {:?}", stream.outcome());
/// call.hangup().await // Ok: the call is already over
/// # }
/// ```
#[derive(Clone)]
pub struct Call {
    /// The call's one record (the client's part included), shared with the engine.
    pub(crate) info: Arc<CallInfo>,
    pub(crate) client: Arc<ClientInner>,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("call_id", &self.info.call_id)
            .field("direction", &self.info.direction)
            .field("state", &self.state())
            .finish()
    }
}

impl Call {
    /// The runtime the call's client runs on (the blocking facade waits through it).
    pub fn runtime(&self) -> &Arc<dyn super::runtime::Runtime> {
        &self.client.runtime
    }

    /// The server's call id.
    pub fn id(&self) -> &CallId {
        &self.info.call_id
    }

    /// The call's record: the engine's own, shared, so its [`CallInfo::state`] is the
    /// latest state as the engine saw it.
    pub fn info(&self) -> &Arc<CallInfo> {
        &self.info
    }

    /// Inbound or outbound.
    pub fn direction(&self) -> &Direction {
        &self.info.direction
    }

    /// The context the call arrived on.
    pub fn context(&self) -> Option<&str> {
        self.info.context.as_deref()
    }

    /// The far-end device.
    pub fn device(&self) -> Option<&Device> {
        self.info.device()
    }

    /// The calling number.
    pub fn from_number(&self) -> Option<&str> {
        self.info.from_number()
    }

    /// The called number.
    pub fn to_number(&self) -> Option<&str> {
        self.info.to_number()
    }

    /// The latest state.
    pub fn state(&self) -> CallState {
        self.info.state()
    }

    /// Answers the call and waits for the server to accept. Once it returns `Ok`,
    /// [`Call::state`] says `Answered` even if the server's state event is still on its way.
    pub async fn answer(&self) -> Result<(), Error> {
        let id = self.id().clone();
        self.client
            .ask(move |engine, now| engine.answer(&id, now))
            .await
            .map_err(|e| self.gone(e))?;
        self.info.mark_answered();
        Ok(())
    }

    /// Hangs up with reason `hangup`.
    pub async fn hangup(&self) -> Result<(), Error> {
        self.hangup_with(EndReason::Hangup).await
    }

    /// Hangs up with a reason (`busy`, `decline`, …). A call that has already ended (the
    /// caller hung up first) or that the server no longer knows is not an error: the call
    /// is over either way.
    pub async fn hangup_with(&self, reason: EndReason) -> Result<(), Error> {
        let id = self.id().clone();
        let result = self
            .client
            .ask(move |engine, now| engine.hangup(&id, reason, now))
            .await;
        match result.map_err(|e| self.gone(e)) {
            Ok(_) | Err(Error::CallGone(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Maps a refusal because the call is over (ended here, or 404/410 from the server)
    /// to [`Error::CallGone`].
    pub(crate) fn gone(&self, e: Error) -> Error {
        match e {
            Error::CallGone(mut gone) => {
                gone.call_id.get_or_insert_with(|| self.id().clone());
                Error::CallGone(gone)
            }
            Error::Command(CommandError::UnknownCall(_)) if self.is_ended() => {
                Error::CallGone(CallGone::ended(self.id().clone()))
            }
            e => e,
        }
    }

    /// Streams the call's audio to `url` (`wss://`). Resolves once the server has accepted
    /// the stream; the returned action then yields `streaming` and its outcome.
    ///
    /// The options go into the request at once, so the future awaited holds only the reply
    /// to come (one lives per streaming call); nothing is sent until it is polled.
    pub fn stream(
        &self,
        url: &str,
        options: StreamOptions,
    ) -> impl Future<Output = Result<StreamAction, Error>> + Send + '_ {
        let id = self.id().clone();
        let options = options.url(url);
        let op = move |engine: &mut crate::engine::Engine, now| engine.start(&id, &options, now);
        let start = action::start(&self.client, self.id().clone(), ActionKind::Stream, op);
        async move { start.await.map(StreamAction).map_err(|e| self.gone(e)) }
    }

    /// Plays media into the call: [`Call::play_with`] with no other option, so the same
    /// checks.
    pub async fn play(&self, media: Vec<PlayMedia>) -> Result<PlayAction, Error> {
        self.play_with(PlayOptions::new(media)).await
    }

    /// Starts any other action (`record`, `tap`, …) with its params as any `Serialize`
    /// object (a struct of your own, or `serde_json::json!({…})`), written after the call's
    /// ids and the control id.
    pub async fn start_action<P>(&self, kind: ActionKind, params: P) -> Result<ActionHandle, Error>
    where
        P: Serialize + Send + 'static,
    {
        let id = self.id().clone();
        action::start(
            &self.client,
            id.clone(),
            kind.clone(),
            move |engine, now| engine.start_action(&id, kind, params, None, now),
        )
        .await
        .map_err(|e| self.gone(e))
    }

    /// Waits until the call has ended. Resolves with [`Error::Closed`] if the client shuts
    /// down first. Cancel-safe.
    pub async fn wait_for_ended(&self) -> Result<CallEnd, Error> {
        match self.info.driver.ended.wait().await {
            Some(CallOutcome::End(end)) => Ok(end),
            Some(CallOutcome::SessionClosed) | None => Err(Error::Closed),
        }
    }

    /// [`Call::wait_for_ended`] for at most `timeout`; [`Error::WaitTimedOut`] after that
    /// (the call goes on, and a later wait still sees its end).
    pub async fn wait_for_ended_timeout(&self, timeout: Duration) -> Result<CallEnd, Error> {
        let sleep = self.client.runtime.sleep(timeout);
        match future::select(Box::pin(self.wait_for_ended()), sleep).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(Error::WaitTimedOut),
        }
    }

    /// Whether the call has ended.
    pub fn is_ended(&self) -> bool {
        self.info.driver.ended.get().is_some()
    }
}
