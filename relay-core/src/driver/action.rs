//! Handles on running actions: [`StreamAction`], [`PlayAction`] and the generic
//! [`ActionHandle`]. Stop one, wait for its outcome, or be called back when it ends.

use super::callbacks::spawn_guarded;
use super::client::ClientInner;
use super::completion::Completion;
use super::error::Error;
use super::Command;
use crate::action::{ActionKind, ActionOutcome};
use crate::ids::{CallId, ControlId};
use futures_util::future::{self, BoxFuture, Either};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

type Callback = Box<dyn FnOnce(ActionOutcome) + Send>;

/// State shared between the event loop and the handles of one action.
pub(crate) struct ActionShared {
    pub(crate) call_id: CallId,
    pub(crate) control_id: ControlId,
    pub(crate) kind: ActionKind,
    pub(crate) last_state: Mutex<Option<String>>,
    outcome: Completion<ActionOutcome>,
    callbacks: Mutex<Callbacks>,
}

#[derive(Default)]
struct Callbacks {
    done: Option<ActionOutcome>,
    pending: Vec<Callback>,
}

impl ActionShared {
    pub(crate) fn new(call_id: CallId, control_id: ControlId, kind: ActionKind) -> Self {
        Self {
            call_id,
            control_id,
            kind,
            last_state: Mutex::new(None),
            outcome: Completion::default(),
            callbacks: Mutex::new(Callbacks::default()),
        }
    }

    /// Sets the outcome and runs the callbacks registered so far (once), each as its own
    /// task so that a slow or panicking callback cannot stall or stop the event loop.
    pub(crate) fn finish(&self, client: &Arc<ClientInner>, outcome: ActionOutcome) {
        if !self.outcome.complete(outcome.clone()) {
            return;
        }
        let pending = {
            let mut callbacks = self
                .callbacks
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            callbacks.done = Some(outcome.clone());
            std::mem::take(&mut callbacks.pending)
        };
        for callback in pending {
            let outcome = outcome.clone();
            spawn_guarded(client, "on_completed", async move { callback(outcome) });
        }
    }

    pub(crate) fn set_state(&self, state: String) {
        *self
            .last_state
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(state);
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

    /// The last non-terminal state the server reported (a stream's `streaming`).
    pub fn state(&self) -> Option<String> {
        self.shared
            .last_state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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
            | Err(Error::Command(crate::error::CommandError::CallGone(_)))
                if self.is_done() =>
            {
                Ok(())
            }
            Err(Error::Request(e)) if e.is_call_gone() => Ok(()),
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
        let done = {
            let mut callbacks = self
                .shared
                .callbacks
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match &callbacks.done {
                Some(outcome) => Some(outcome.clone()),
                None => {
                    callbacks.pending.push(Box::new(callback));
                    return;
                }
            }
        };
        if let Some(outcome) = done {
            spawn_guarded(
                &self.client,
                "on_completed",
                async move { callback(outcome) },
            );
        }
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

/// Sends an action-start command and waits for the server to accept it.
pub(crate) async fn start(
    client: &Arc<ClientInner>,
    call_id: CallId,
    kind: ActionKind,
    op: super::ActionOp,
) -> Result<ActionHandle, Error> {
    let (reply, receiver) = futures_channel::oneshot::channel();
    client.send(Command::Action {
        call_id,
        kind,
        op,
        reply,
    })?;
    let shared = receiver.await.map_err(|_| Error::Closed)??;
    Ok(ActionHandle {
        shared,
        client: client.clone(),
    })
}

/// Defines a typed action handle: a newtype over [`ActionHandle`] whose methods are listed
/// on its own documentation page.
macro_rules! typed_action {
    ($(#[$doc:meta])* $name:ident) => {
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

            /// The last non-terminal state the server reported (e.g. `streaming`).
            pub fn state(&self) -> Option<String> {
                self.0.state()
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
            /// yields `Stopped`. Stopping an action that already ended is not an error.
            pub async fn stop(&self) -> Result<(), Error> {
                self.0.stop().await
            }

            /// Waits for the outcome: finished, stopped, call ended, call gone or failed.
            /// [`Error::Closed`] when the client shuts down first. Cancel-safe.
            pub async fn wait(&self) -> Result<ActionOutcome, Error> {
                self.0.wait().await
            }

            /// [`Self::wait`] for at most `timeout`; [`Error::WaitTimedOut`] after that. A
            /// later `wait` still sees the outcome.
            pub async fn wait_timeout(&self, timeout: Duration) -> Result<ActionOutcome, Error> {
                self.0.wait_timeout(timeout).await
            }

            /// Calls `callback` with the outcome once the action ends (at once if it
            /// already has), as its own task; a panic in it is caught and reported.
            pub fn on_completed(&self, callback: impl FnOnce(ActionOutcome) + Send + 'static) {
                self.0.on_completed(callback)
            }

            /// Spawns `callback(outcome)` as a task once the action ends.
            pub fn on_completed_async<F, Fut>(&self, callback: F)
            where
                F: FnOnce(ActionOutcome) -> Fut + Send + 'static,
                Fut: Future<Output = ()> + Send + 'static,
            {
                self.0.on_completed_async(callback)
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
    /// # async fn demo(call: relay_core::driver::Call) -> Result<(), relay_core::driver::Error> {
    /// use relay_core::StreamOptions;
    /// use std::time::Duration;
    ///
    /// let stream = call.stream("wss://media.example.com/in", StreamOptions::new()).await?;
    /// stream.on_completed(|outcome| println!("stream ended: {outcome:?}"));
    /// match stream.wait_timeout(Duration::from_secs(60)).await {
    ///     Ok(outcome) => println!("finished by itself: {outcome:?}"),
    ///     Err(_) => stream.stop().await?, // then `wait` yields `Stopped`
    /// }
    /// # Ok(()) }
    /// ```
    StreamAction
);

typed_action!(
    /// A running `calling.play`. Returned by [`Call::play`](crate::driver::Call::play).
    PlayAction
);
