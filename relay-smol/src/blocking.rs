//! A blocking facade: the client runs on a background thread; every method blocks the
//! calling thread until its result is in. The same calls as the async API, without async.

use crate::json::{Map, Value};
use crate::{
    ActionHandle, ActionKind, ActionOutcome, Call, CallEnd, CallId, CallInfo, CallState, Client,
    ClientBuilder, ClientEvent, ControlId, Device, DialPlan, Direction, EndReason, Error,
    IncomingCalls, PlayAction, PlayMedia, StreamAction, StreamOptions,
};
use futures_util::StreamExt;
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A client whose event loop runs on its own thread.
#[derive(Debug)]
pub struct BlockingClient {
    client: Client,
    incoming: Mutex<Option<IncomingCalls>>,
    thread: Option<JoinHandle<Result<(), Error>>>,
}

impl BlockingClient {
    /// Builds the client and starts it on a background thread.
    pub fn start(builder: ClientBuilder) -> Result<Self, Error> {
        let client = builder.build()?;
        let incoming = Mutex::new(client.incoming());
        let runner = client.clone();
        let thread = std::thread::Builder::new()
            .name("relay-client".into())
            .spawn(move || smol::block_on(runner.run()))
            .map_err(|e| Error::Runtime(format!("cannot start the client thread: {e}")))?;
        Ok(Self {
            client,
            incoming,
            thread: Some(thread),
        })
    }

    /// The next inbound call, or `None` after `timeout` (or once the client stopped).
    pub fn next_call(&self, timeout: Duration) -> Option<BlockingCall> {
        let mut guard = self.incoming.lock().unwrap_or_else(PoisonError::into_inner);
        let calls = guard.as_mut()?;
        let timer = async {
            smol::Timer::after(timeout).await;
            None
        };
        smol::block_on(smol::future::or(calls.next(), timer)).map(BlockingCall)
    }

    /// Dials out and blocks until answered.
    pub fn dial(&self, plan: DialPlan) -> Result<BlockingCall, Error> {
        smol::block_on(self.client.dial(plan)).map(BlockingCall)
    }

    /// Subscribes to more contexts.
    pub fn receive(&self, contexts: Vec<String>) -> Result<(), Error> {
        smol::block_on(self.client.receive(contexts))
    }

    /// Sends any request and returns the server's result.
    pub fn execute(&self, method: &str, params: Value) -> Result<Value, Error> {
        smol::block_on(self.client.execute(method, params))
    }

    /// Subscribes to everything the client sees (see [`Client::on_event`]). Runs on the
    /// client's thread.
    pub fn on_event(&self, hook: impl Fn(&ClientEvent) + Send + Sync + 'static) {
        self.client.on_event(hook)
    }

    /// Whether the client's thread has stopped (shut down, or a final error).
    pub fn is_stopped(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// The async client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Stops the client and waits for its thread; how `run` ended.
    pub fn shutdown(mut self) -> Result<(), Error> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), Error> {
        self.client.shutdown();
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| Error::Runtime("the client thread panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for BlockingClient {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A call controlled from blocking code.
#[derive(Debug, Clone)]
pub struct BlockingCall(pub Call);

impl BlockingCall {
    /// The server's call id.
    pub fn id(&self) -> &CallId {
        self.0.id()
    }

    /// What the call looked like when it arrived (or was dialled).
    pub fn info(&self) -> &CallInfo {
        self.0.info()
    }

    /// Inbound or outbound.
    pub fn direction(&self) -> &Direction {
        self.0.direction()
    }

    /// The context the call arrived on.
    pub fn context(&self) -> Option<&str> {
        self.0.context()
    }

    /// The far-end device.
    pub fn device(&self) -> Option<&Device> {
        self.0.device()
    }

    /// The calling number.
    pub fn from_number(&self) -> Option<&str> {
        self.0.from_number()
    }

    /// The called number.
    pub fn to_number(&self) -> Option<&str> {
        self.0.to_number()
    }

    /// The latest state.
    pub fn state(&self) -> CallState {
        self.0.state()
    }

    /// Whether the call has ended.
    pub fn is_ended(&self) -> bool {
        self.0.is_ended()
    }

    /// Answers.
    pub fn answer(&self) -> Result<(), Error> {
        smol::block_on(self.0.answer())
    }

    /// Hangs up (`Ok` too when the call already ended).
    pub fn hangup(&self) -> Result<(), Error> {
        smol::block_on(self.0.hangup())
    }

    /// Hangs up with a reason.
    pub fn hangup_with(&self, reason: EndReason) -> Result<(), Error> {
        smol::block_on(self.0.hangup_with(reason))
    }

    /// Starts a stream of the call's audio to `url`.
    pub fn stream(&self, url: &str, options: StreamOptions) -> Result<BlockingStream, Error> {
        smol::block_on(self.0.stream(url, options)).map(BlockingStream)
    }

    /// Plays media into the call.
    pub fn play(&self, media: Vec<PlayMedia>) -> Result<BlockingPlay, Error> {
        smol::block_on(self.0.play(media)).map(BlockingPlay)
    }

    /// Starts any other action with raw params.
    pub fn start_action(
        &self,
        kind: ActionKind,
        params: Map<String, Value>,
    ) -> Result<ActionHandle, Error> {
        smol::block_on(self.0.start_action(kind, params))
    }

    /// Blocks until the call ended.
    pub fn wait_for_ended(&self) -> Result<CallEnd, Error> {
        smol::block_on(self.0.wait_for_ended())
    }

    /// Blocks until the call ended or `timeout` passed ([`Error::WaitTimedOut`]).
    pub fn wait_for_ended_timeout(&self, timeout: Duration) -> Result<CallEnd, Error> {
        let timer = async {
            smol::Timer::after(timeout).await;
            Err(Error::WaitTimedOut)
        };
        smol::block_on(smol::future::or(self.0.wait_for_ended(), timer))
    }
}

/// Defines a blocking handle over a typed async action handle.
macro_rules! blocking_action {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub $inner);

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
            pub fn state(&self) -> Option<String> {
                self.0.state()
            }

            /// The outcome, once it has ended.
            pub fn outcome(&self) -> Option<ActionOutcome> {
                self.0.outcome()
            }

            /// Whether it has ended.
            pub fn is_done(&self) -> bool {
                self.0.is_done()
            }

            /// Stops it (not an error when it already ended).
            pub fn stop(&self) -> Result<(), Error> {
                smol::block_on(self.0.stop())
            }

            /// Blocks until it ended.
            pub fn wait(&self) -> Result<ActionOutcome, Error> {
                smol::block_on(self.0.wait())
            }

            /// Blocks until it ended or `timeout` passed.
            pub fn wait_timeout(&self, timeout: Duration) -> Result<ActionOutcome, Error> {
                smol::block_on(self.0.wait_timeout(timeout))
            }

            /// Calls `callback` with the outcome once it ends, on the client's thread.
            pub fn on_completed(&self, callback: impl FnOnce(ActionOutcome) + Send + 'static) {
                self.0.on_completed(callback)
            }
        }
    };
}

blocking_action!(
    /// A stream controlled from blocking code.
    BlockingStream(StreamAction)
);

blocking_action!(
    /// A play controlled from blocking code.
    BlockingPlay(PlayAction)
);
