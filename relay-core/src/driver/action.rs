//! Handles on running actions: one typed handle per action ([`StreamAction`],
//! [`PlayAction`], [`RecordAction`], …) and the generic [`ActionHandle`]. Stop one, steer
//! it, wait for its typed result, or be called back when it ends.

use super::callbacks::spawn_guarded;
use super::client::ClientInner;
use super::completion::Completion;
use super::error::Error;
use super::Command;
use crate::action::collect::CollectResult;
use crate::action::detect::DetectResult;
use crate::action::fax::FaxResult;
use crate::action::record::RecordResult;
use crate::action::result::ActionResult;
use crate::action::simple::TranscribeResult;
use crate::action::{ActionKind, ActionOutcome, ActionState};
use crate::engine::{ActionStart, Engine};
use crate::error::CommandError;
use crate::ids::{CallId, ControlId};
use crate::payload::Payload;
use futures_util::future::{self, BoxFuture, Either};
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

type Callback = Box<dyn FnOnce(ActionOutcome) + Send>;

/// State shared between the event loop and the handles of one action.
pub(crate) struct ActionShared {
    pub(crate) call_id: CallId,
    pub(crate) control_id: ControlId,
    /// Shared: a built-in kind's is made once per process (see [`shared_kind`]).
    pub(crate) kind: Arc<ActionKind>,
    /// The outcome once set and, under the same lock, what the action keeps until then (its
    /// last update, the callbacks waiting for the outcome): one lock per running action, not
    /// one per field (10,000 streams hold 10,000 of these).
    outcome: Completion<ActionOutcome, Kept>,
}

/// What an action keeps beside its outcome.
struct Kept {
    last: LastUpdate,
    /// `on_completed` callbacks waiting for the outcome, taken under the lock that sets it:
    /// a callback is either queued here before or sees the outcome. Boxed: most actions
    /// never have one, and an empty list inline is two words more in each running action.
    #[allow(clippy::box_collection)] // one word until used, where a `Vec` is three
    callbacks: Option<Box<Vec<Callback>>>,
}

/// The last non-terminal update the server reported.
///
/// Its event is kept only for families whose progress carries data (a collect's partial
/// result, a detect's `MACHINE`; [`ActionDescriptor::keeps_last_event`]): a stream's or a
/// play's progress says only its state, and its text (a few hundred bytes) was the largest
/// single cost of a running stream.
///
/// [`ActionDescriptor::keeps_last_event`]: crate::ActionDescriptor::keeps_last_event
enum LastUpdate {
    /// Nothing reported yet; whether the family keeps its events.
    Nothing { keep_event: bool },
    /// The state alone (a stream's `streaming`).
    State(ActionState),
    /// The state and its event, as it came (its text shared, not copied or parsed). Boxed,
    /// once per action and reused by each update, so that the variants without an event
    /// stay the size of a state.
    Event(Box<(ActionState, Payload)>),
}

impl LastUpdate {
    fn state(&self) -> Option<&ActionState> {
        match self {
            LastUpdate::Nothing { .. } => None,
            LastUpdate::State(state) => Some(state),
            LastUpdate::Event(last) => Some(&last.0),
        }
    }

    fn event(&self) -> Option<&Payload> {
        match self {
            LastUpdate::Event(last) => Some(&last.1),
            _ => None,
        }
    }
}

/// Whether actions of `kind` keep their last progress event (their descriptor says).
fn keeps_last_event(kind: &ActionKind) -> bool {
    match kind {
        ActionKind::Custom(descriptor) => descriptor.keeps_last_event,
        // A built-in kind's descriptor is built once per process and shared.
        kind => kind.shared_descriptor().keeps_last_event,
    }
}

/// `kind` behind one pointer: a built-in kind's is made once per process and shared by every
/// running action of that kind, where an `ActionKind` inline was three words of each.
fn shared_kind(kind: ActionKind) -> Arc<ActionKind> {
    static BUILT_IN: OnceLock<Vec<Arc<ActionKind>>> = OnceLock::new();
    let built_in = BUILT_IN.get_or_init(|| {
        crate::calling::BUILT_IN
            .iter()
            .cloned()
            .map(Arc::new)
            .collect()
    });
    match built_in.iter().find(|known| ***known == kind) {
        Some(known) => known.clone(),
        None => Arc::new(kind),
    }
}

impl ActionShared {
    pub(crate) fn new(call_id: CallId, control_id: ControlId, kind: ActionKind) -> Self {
        let keep_event = keeps_last_event(&kind);
        Self {
            call_id,
            control_id,
            kind: shared_kind(kind),
            outcome: Completion::with_side(Kept {
                last: LastUpdate::Nothing { keep_event },
                callbacks: None,
            }),
        }
    }

    /// Sets the outcome and runs the callbacks registered so far (once), each as its own
    /// task so that a slow or panicking callback cannot stall or stop the event loop.
    pub(crate) fn finish(&self, client: &Arc<ClientInner>, outcome: ActionOutcome) {
        // Most actions have no callback: the outcome (often a whole event) moves in without
        // a copy.
        let pending = self.outcome.complete_then(outcome, |kept, outcome| {
            kept.callbacks
                .take()
                .map(|pending| (*pending, outcome.clone()))
        });
        let Some(Some((pending, outcome))) = pending else {
            return;
        };
        for callback in pending {
            let outcome = outcome.clone();
            spawn_guarded(client, "on_completed", async move { callback(outcome) });
        }
    }

    /// Keeps the update's state, and its event when the family keeps events (the payload as
    /// it came: its text is shared, not copied or parsed).
    pub(crate) fn set_state(&self, state: ActionState, event: Payload) {
        // An event not kept, or the one replaced, is freed after the lock is released.
        let _released = self.outcome.with(|kept, _| match &mut kept.last {
            LastUpdate::Event(last) => Some(std::mem::replace(&mut **last, (state, event)).1),
            LastUpdate::Nothing { keep_event: true } => {
                kept.last = LastUpdate::Event(Box::new((state, event)));
                None
            }
            LastUpdate::Nothing { keep_event: false } | LastUpdate::State(_) => {
                kept.last = LastUpdate::State(state);
                Some(event)
            }
        });
    }

    /// The last update's state.
    fn state(&self) -> Option<ActionState> {
        self.outcome.with(|kept, _| kept.last.state().cloned())
    }

    /// The last update's event, when kept.
    fn last_event(&self) -> Option<Payload> {
        self.outcome.with(|kept, _| kept.last.event().cloned())
    }
}

/// A running action of any kind on a call (see [`crate::driver::Call::start_action`]).
/// Cheap to clone; every clone sees the same outcome.
#[derive(Clone)]
pub struct ActionHandle {
    pub(crate) shared: Arc<ActionShared>,
    pub(crate) client: Arc<ClientInner>,
}

impl fmt::Debug for ActionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionHandle")
            .field("kind", &self.shared.kind)
            .field("call_id", &self.shared.call_id)
            .field("control_id", &self.shared.control_id)
            .finish()
    }
}

impl ActionHandle {
    /// The runtime the action's client runs on (the blocking facade waits through it).
    pub fn runtime(&self) -> &Arc<dyn super::runtime::Runtime> {
        &self.client.runtime
    }

    /// The action's control id.
    pub fn control_id(&self) -> &ControlId {
        &self.shared.control_id
    }

    /// The call it runs on.
    pub fn call_id(&self) -> &CallId {
        &self.shared.call_id
    }

    /// Stream, play, …
    pub fn kind(&self) -> &ActionKind {
        &self.shared.kind
    }

    /// The last non-terminal state the server reported (a stream's `streaming`, a
    /// play's `paused`, a collect's `partial`).
    pub fn state(&self) -> Option<ActionState> {
        self.shared.state()
    }

    /// The params of the last non-terminal event, for actions whose progress events carry
    /// data: collect and play_and_collect (partial results, `start_of_input`), detect,
    /// record, tap, fax (pages), pay, transcribe, ai, and any other or custom action whose
    /// descriptor says [`keeps_last_event`](crate::ActionDescriptor::keeps_last_event).
    /// `None` for stream, play and send_digits, whose progress says only its state (read it
    /// with [`ActionHandle::state`]): a running stream keeps no event text. The terminal
    /// event is in the outcome; every event reaches [`Call::events`](super::Call::events).
    pub fn last_event(&self) -> Option<Payload> {
        self.shared.last_event()
    }

    /// Sends one of the action's control methods (`calling.play.volume`, …) with `params`
    /// (any `Serialize` object, written after the call's ids and the control id; `()` for
    /// none), and waits for the server to accept. A method the action's descriptor does not
    /// list is refused before sending.
    pub async fn control<P>(&self, method: &str, params: P) -> Result<(), Error>
    where
        P: Serialize + Send + 'static,
    {
        let call_id = self.shared.call_id.clone();
        let control_id = self.shared.control_id.clone();
        let method = method.to_owned();
        self.client
            .request(Box::new(move |engine, now| {
                engine.control_action(&call_id, &control_id, &method, params, now)
            }))
            .await
            .map(|_| ())
    }

    /// The outcome, once the action has ended.
    pub fn outcome(&self) -> Option<ActionOutcome> {
        self.shared.outcome.get()
    }

    /// Whether the action has ended.
    pub fn is_done(&self) -> bool {
        self.outcome().is_some()
    }

    /// Asks the server to stop the action (`calling.<kind>.stop`) and waits for it to
    /// accept. [`ActionHandle::wait`] then yields `Stopped`. Stopping an action that already
    /// ended is not an error.
    pub async fn stop(&self) -> Result<(), Error> {
        if self.is_done() {
            return Ok(());
        }
        let call_id = self.shared.call_id.clone();
        let control_id = self.shared.control_id.clone();
        let result = self
            .client
            .request(Box::new(move |engine, now| {
                engine.stop_action(&call_id, &control_id, now)
            }))
            .await;
        match result {
            Ok(_) => Ok(()),
            // It ended between our check and the loop: nothing left to stop.
            Err(Error::Command(crate::error::CommandError::UnknownAction(_)))
            | Err(Error::Command(crate::error::CommandError::UnknownCall(_)))
                if self.is_done() =>
            {
                Ok(())
            }
            // The server says the call is gone: so is the action. Seen ended here, it is
            // done once its outcome arrived.
            Err(Error::CallGone(gone)) if gone.code.is_some() || self.is_done() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Waits for the outcome: finished, stopped, call ended, call gone or failed. Resolves
    /// with [`Error::Closed`] when the client shuts down first. Cancel-safe.
    pub async fn wait(&self) -> Result<ActionOutcome, Error> {
        match self.shared.outcome.wait().await {
            Some(ActionOutcome::SessionClosed) | None => Err(Error::Closed),
            Some(outcome) => Ok(outcome),
        }
    }

    /// [`ActionHandle::wait`] for at most `timeout`; [`Error::WaitTimedOut`] after that.
    /// A later `wait` still sees the outcome.
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<ActionOutcome, Error> {
        let sleep = self.client.runtime.sleep(timeout);
        let wait = Box::pin(self.wait());
        match future::select(wait, sleep).await {
            Either::Left((outcome, _)) => outcome,
            Either::Right(_) => Err(Error::WaitTimedOut),
        }
    }

    /// Calls `callback` with the outcome once the action ends (at once if it already has).
    /// It runs as its own task, never on the client's event loop; a panic in it is caught
    /// and reported as a [`ClientEvent::CallbackPanicked`](super::ClientEvent).
    pub fn on_completed(&self, callback: impl FnOnce(ActionOutcome) + Send + 'static) {
        let mut callback = Some(callback);
        // Queued under the lock that sets the outcome, or run with the outcome set already.
        let outcome = self.shared.outcome.with(|kept, outcome| match outcome {
            Some(outcome) => Some(outcome.clone()),
            None => {
                if let Some(callback) = callback.take() {
                    kept.callbacks
                        .get_or_insert_with(Default::default)
                        .push(Box::new(callback));
                }
                None
            }
        });
        let (Some(outcome), Some(callback)) = (outcome, callback) else {
            return;
        };
        spawn_guarded(
            &self.client,
            "on_completed",
            async move { callback(outcome) },
        );
    }

    /// Spawns `callback(outcome)` as a task once the action ends.
    pub fn on_completed_async<F, Fut>(&self, callback: F)
    where
        F: FnOnce(ActionOutcome) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let client = self.client.clone();
        self.on_completed(move |outcome| {
            let task: BoxFuture<'static, ()> = Box::pin(callback(outcome));
            spawn_guarded(&client, "on_completed", task);
        });
    }
}

/// Sends an action-start command when first polled and waits for the server to accept it.
/// The op and the reply go to the heap at once (`start_exchange`): the future then holds
/// pointers, not the op with its options (it lives inside each call's task).
pub(crate) fn start<F>(
    client: &Arc<ClientInner>,
    call_id: CallId,
    kind: ActionKind,
    op: F,
) -> impl Future<Output = Result<ActionHandle, Error>> + Send + '_
where
    F: FnOnce(&mut Engine, Instant) -> Result<ActionStart, CommandError> + Send + 'static,
{
    let exchange = start_exchange(call_id, kind, op);
    async move {
        client.send(Command::Action(exchange.asked()))?;
        let shared = exchange.wait().await?;
        Ok(ActionHandle {
            shared,
            client: client.clone(),
        })
    }
}

/// An action start's op, boxed apart from its exchange (see [`start_exchange`]).
type StartOp = Box<
    dyn FnOnce(&mut Engine, Instant) -> Result<(ActionStart, CallId, ActionKind), CommandError>
        + Send,
>;

/// The exchange of an action start. Its op (with the action's options, a few hundred
/// bytes) is boxed apart and freed once the loop has run it, while the exchange stays
/// until the server's answer: in a burst of calls thousands of starts wait for theirs, so
/// the one allocation that stays is the answer's slot alone. (A request's op is small and
/// stays inline: [`ClientInner::ask`].)
fn start_exchange<F>(
    call_id: CallId,
    kind: ActionKind,
    op: F,
) -> Arc<super::exchange::Exchange<StartOp, Arc<ActionShared>>>
where
    F: FnOnce(&mut Engine, Instant) -> Result<ActionStart, CommandError> + Send + 'static,
{
    // The call and kind ride with the op, for the loop to file the action under.
    let op: StartOp = Box::new(move |engine: &mut Engine, now| {
        op(engine, now).map(|start| (start, call_id, kind))
    });
    super::exchange::exchange(op)
}

/// Defines a typed action handle: a newtype over [`ActionHandle`] whose methods are listed
/// on its own documentation page, and whose `wait` yields the action's typed result.
///
/// A handle whose result is the [`ActionOutcome`] itself has `outcome()` only; one with a
/// typed result also has `result()`.
macro_rules! typed_action {
    ($(#[$doc:meta])* $name:ident => ActionOutcome) => {
        typed_action!(@handle $(#[$doc])* $name => ActionOutcome);
    };
    ($(#[$doc:meta])* $name:ident => $result:ty) => {
        typed_action!(@handle $(#[$doc])* $name => $result);

        impl $name {
            /// The typed result, once the action has ended.
            pub fn result(&self) -> Option<$result> {
                self.0.outcome().map(<$result as ActionResult>::from_outcome)
            }
        }
    };
    (@handle $(#[$doc:meta])* $name:ident => $result:ty) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(pub(crate) ActionHandle);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("call_id", self.0.call_id())
                    .field("control_id", self.0.control_id())
                    .finish()
            }
        }

        impl $name {
            /// The action's control id.
            pub fn control_id(&self) -> &ControlId {
                self.0.control_id()
            }

            /// The call it runs on.
            pub fn call_id(&self) -> &CallId {
                self.0.call_id()
            }

            /// The last non-terminal state the server reported.
            pub fn state(&self) -> Option<ActionState> {
                self.0.state()
            }

            /// The params of the last non-terminal event, for actions whose progress
            /// carries data; see [`ActionHandle::last_event`].
            pub fn last_event(&self) -> Option<Payload> {
                self.0.last_event()
            }

            /// The outcome, once the action has ended.
            pub fn outcome(&self) -> Option<ActionOutcome> {
                self.0.outcome()
            }

            /// Whether the action has ended.
            pub fn is_done(&self) -> bool {
                self.0.is_done()
            }

            /// Asks the server to stop, and waits for it to accept; [`Self::wait`] then
            /// yields a stopped result. Stopping an action that already ended is not an
            /// error.
            pub async fn stop(&self) -> Result<(), Error> {
                self.0.stop().await
            }

            /// Waits for the typed result: on success, on stop, on failure, when the call
            /// ends and when the call is gone (the result's `outcome` says which).
            /// [`Error::Closed`] when the client shuts down first. Cancel-safe.
            pub async fn wait(&self) -> Result<$result, Error> {
                self.0.wait().await.map(<$result as ActionResult>::from_outcome)
            }

            /// [`Self::wait`] for at most `timeout`; [`Error::WaitTimedOut`] after that. A
            /// later `wait` still sees the result.
            pub async fn wait_timeout(&self, timeout: Duration) -> Result<$result, Error> {
                self.0
                    .wait_timeout(timeout)
                    .await
                    .map(<$result as ActionResult>::from_outcome)
            }

            /// Calls `callback` with the result once the action ends (at once if it
            /// already has), as its own task; a panic in it is caught and reported.
            pub fn on_completed(&self, callback: impl FnOnce($result) + Send + 'static) {
                self.0
                    .on_completed(move |outcome| callback(<$result as ActionResult>::from_outcome(outcome)))
            }

            /// Spawns `callback(result)` as a task once the action ends.
            pub fn on_completed_async<F, Fut>(&self, callback: F)
            where
                F: FnOnce($result) -> Fut + Send + 'static,
                Fut: Future<Output = ()> + Send + 'static,
            {
                self.0.on_completed_async(move |outcome| {
                    callback(<$result as ActionResult>::from_outcome(outcome))
                })
            }

            /// The generic handle underneath.
            pub fn as_action(&self) -> &ActionHandle {
                &self.0
            }
        }
    };
}

typed_action!(
    /// A running `calling.stream`: the call's audio going to your WebSocket server.
    /// Returned by [`Call::stream`](crate::driver::Call::stream).
    ///
    /// ```no_run
    /// # mod relay_tokio { relay_rs_core::runtime_crate_api!(); pub fn client() -> ClientBuilder { unimplemented!() } }
    /// use relay_tokio::{Call, Error, StreamOptions};
    /// use std::time::Duration;
    ///
    /// # async fn demo(call: Call) -> Result<(), Error> {
    ///
    /// let stream = call.stream("wss://media.example.com/in", StreamOptions::new()).await?;
    /// stream.on_completed(|outcome| println!("stream ended: {outcome:?}"));
    /// match stream.wait_timeout(Duration::from_secs(60)).await {
    ///     Ok(outcome) => println!("finished by itself: {outcome:?}"),
    ///     Err(_) => stream.stop().await?, // then `wait` yields `Stopped`
    /// }
    /// # Ok(()) }
    /// ```
    StreamAction => ActionOutcome
);

typed_action!(
    /// A running `calling.play`; also [`pause`](Self::pause), [`resume`](Self::resume) and
    /// [`set_volume`](Self::set_volume). Returned by [`Call::play`](crate::driver::Call::play).
    PlayAction => ActionOutcome
);

typed_action!(
    /// A running `calling.record`; also [`pause`](Self::pause) and [`resume`](Self::resume).
    /// Its result carries the recording's url, duration and size.
    RecordAction => RecordResult
);

typed_action!(
    /// A running `calling.collect`; also
    /// [`start_input_timers`](Self::start_input_timers). Its result is what was heard.
    CollectAction => CollectResult
);

typed_action!(
    /// A running `calling.play_and_collect` (a prompt, then input); also
    /// [`set_volume`](Self::set_volume) and [`start_input_timers`](Self::start_input_timers).
    /// It ends on the collect result only, never on the prompt's end.
    PromptAction => CollectResult
);

typed_action!(
    /// A running `calling.detect`. Its result is the detection (human, machine, fax tone,
    /// digit) or none.
    DetectAction => DetectResult
);

typed_action!(
    /// A running `calling.tap`.
    TapAction => ActionOutcome
);

typed_action!(
    /// A running `calling.send_fax` or `calling.receive_fax`. Its result carries pages,
    /// identities, the document and success.
    FaxAction => FaxResult
);

typed_action!(
    /// A running `calling.pay`. Its outcome carries the terminal event whole.
    PayAction => ActionOutcome
);

typed_action!(
    /// A running `calling.transcribe`. Its result carries the transcription's url.
    TranscribeAction => TranscribeResult
);

typed_action!(
    /// A running `calling.send_digits`; it cannot be stopped (`stop` is refused with
    /// [`CommandError::UnsupportedControl`](crate::CommandError::UnsupportedControl)).
    SendDigitsAction => ActionOutcome
);

typed_action!(
    /// A running `calling.ai` agent. It ends when stopped or when the call ends. Steer it
    /// with [`Call::ai_message`](crate::driver::Call::ai_message),
    /// [`Call::ai_hold`](crate::driver::Call::ai_hold) and
    /// [`Call::ai_unhold`](crate::driver::Call::ai_unhold).
    AiAction => ActionOutcome
);

#[cfg(test)]
mod tests {
    use super::ActionShared;
    use crate::action::ActionKind;
    use crate::driver::call::CallShared;
    use crate::driver::completion::Completion;
    use crate::engine::Engine;
    use crate::error::CommandError;
    use crate::ids::CallId;
    use futures_util::future::{self, BoxFuture};
    use std::mem::{size_of, size_of_val};
    use std::sync::Arc;

    /// A running action holds one `ActionShared` (10,000 streaming calls hold 10,000), and
    /// each call record the client's part of the call (`CallShared`, inside `CallInfo`).
    /// Fields that are rarely used (callbacks, a kept event) are boxed so that they cost a
    /// pointer until used, and an action's outcome, last update and callbacks share one
    /// lock; these bounds (today's sizes on 64-bit targets) fail if one is put back inline
    /// or under a lock of its own.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn per_call_records_stay_small() {
        // Waiting or set: three words and the lock.
        assert!(size_of::<Completion<crate::action::ActionOutcome>>() <= 32);
        // A state, or a boxed state and event; the callbacks a pointer.
        assert!(size_of::<super::LastUpdate>() <= 24);
        assert!(size_of::<super::Kept>() <= 32);
        // Ids, a shared kind, and one lock over the outcome and what is kept (was 152,
        // with the kind inline and three locks): with its `Arc` counts, 120 bytes, which
        // malloc serves from its 128-byte chunks.
        assert!(
            size_of::<ActionShared>() <= 104,
            "{}",
            size_of::<ActionShared>()
        );
        // The end-of-call slot alone: subscribers and a bridge are boxed in the record.
        assert!(size_of::<CallShared>() <= 32, "{}", size_of::<CallShared>());
    }

    /// Every running action of a built-in kind points at one kind; another is kept whole.
    #[test]
    fn built_in_kinds_are_shared() {
        let action = |kind: ActionKind| ActionShared::new(CallId::from("c"), "a".into(), kind);
        let (one, two) = (action(ActionKind::Stream), action(ActionKind::Stream));
        assert!(Arc::ptr_eq(&one.kind, &two.kind));
        let hum = action(ActionKind::Other("hum".into()));
        assert_eq!(*hum.kind, ActionKind::Other("hum".into()));
    }

    /// A runtime that is never driven: the futures below are only built, not run.
    struct Idle;

    impl crate::driver::Runtime for Idle {
        fn connect_tcp(
            &self,
            _host: &str,
            _port: u16,
        ) -> BoxFuture<'static, std::io::Result<Box<dyn crate::driver::ByteStream>>> {
            Box::pin(future::ready(Err(std::io::ErrorKind::Unsupported.into())))
        }
        fn sleep(&self, _duration: std::time::Duration) -> BoxFuture<'static, ()> {
            Box::pin(future::pending())
        }
        fn spawn(&self, _task: BoxFuture<'static, ()>) {}
    }

    /// Each call's task holds the future of its answer and of its stream start while they
    /// wait (10,000 streaming calls hold 10,000 tasks sized for their largest wait). The op,
    /// with a stream's options, goes to the heap in the one allocation that also brings the
    /// answer back, so these futures stay a few pointers whatever the op holds.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn request_futures_hold_pointers_not_their_op() {
        let client = crate::driver::ClientBuilder::new(Arc::new(Idle))
            .project_token("p", "t")
            .build()
            .expect("valid configuration");
        let options = [7u8; 512];
        let start = super::start(
            &client.inner,
            CallId::from("call"),
            ActionKind::Stream,
            move |_: &mut Engine, _| {
                let _ = options;
                Err(CommandError::Closed)
            },
        );
        // Today's sizes on 64-bit targets; the op alone is 512 bytes.
        assert!(size_of_val(&start) <= 48, "{}", size_of_val(&start));
        let request = client.inner.ask(move |_: &mut Engine, _| {
            let _ = options;
            Err(CommandError::Closed)
        });
        assert!(size_of_val(&request) <= 48, "{}", size_of_val(&request));
    }

    /// A stream start's exchange waits for the server's answer (thousands of them in a
    /// burst of calls); its op, with the options, is boxed apart and freed once run, so the
    /// allocation that waits is the answer's slot alone (it was 272 bytes with the op).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn an_action_start_waits_without_its_op() {
        let options = [7u8; 512];
        let exchange = super::start_exchange(
            CallId::from("call"),
            ActionKind::Stream,
            move |_: &mut Engine, _| {
                let _ = options;
                Err(CommandError::Closed)
            },
        );
        // With the two reference counts of its `Arc`: the lock, the stage, the waker.
        let held = 16 + size_of_val(&*exchange);
        assert!(held <= 64, "{held}");
    }
}
