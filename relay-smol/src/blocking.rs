//! A blocking facade: the client runs on a background thread; every method blocks the
//! calling thread until its result is in.

use crate::{
    ActionOutcome, Call, CallEnd, Client, ClientBuilder, DialPlan, Error, IncomingCalls,
    StreamAction,
};
use futures_util::StreamExt;
use relay_core::StreamOptions;
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
            .map_err(|e| Error::Transport(format!("cannot start the client thread: {e}")))?;
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

    /// The async client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Stops the client and waits for its thread.
    pub fn shutdown(mut self) -> Result<(), Error> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), Error> {
        self.client.shutdown();
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| Error::Transport("the client thread panicked".into()))?,
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
    /// Answers.
    pub fn answer(&self) -> Result<(), Error> {
        smol::block_on(self.0.answer())
    }

    /// Hangs up.
    pub fn hangup(&self) -> Result<(), Error> {
        smol::block_on(self.0.hangup())
    }

    /// Starts a stream.
    pub fn stream(&self, url: &str, options: StreamOptions) -> Result<BlockingStream, Error> {
        smol::block_on(self.0.stream(url, options)).map(BlockingStream)
    }

    /// Blocks until the call ended.
    pub fn wait_for_ended(&self) -> Result<CallEnd, Error> {
        smol::block_on(self.0.wait_for_ended())
    }
}

/// A stream controlled from blocking code.
#[derive(Debug, Clone)]
pub struct BlockingStream(pub StreamAction);

impl BlockingStream {
    /// Stops the stream.
    pub fn stop(&self) -> Result<(), Error> {
        smol::block_on(self.0.stop())
    }

    /// Blocks until the stream ended.
    pub fn wait(&self) -> Result<ActionOutcome, Error> {
        smol::block_on(self.0.wait())
    }

    /// Blocks until the stream ended or `timeout` passed.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<ActionOutcome, Error> {
        smol::block_on(self.0.wait_timeout(timeout))
    }
}
