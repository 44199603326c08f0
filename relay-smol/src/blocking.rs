//! A blocking facade: the client runs on a background thread; every method blocks the
//! calling thread until its result is in. The same calls as the async API, without async.

use crate::advanced::{ActionRequest, CallCommand};
use crate::Payload;
use crate::{
    ActionHandle, ActionKind, ActionOutcome, ActionState, AiAction, AiMessage, AiOptions, Call,
    CallEnd, CallEvent, CallId, CallInfo, CallState, Client, ClientBuilder, ClientEvent,
    CollectAction, CollectOptions, CollectResult, ControlId, DetectAction, DetectOptions,
    DetectResult, Device, DialPlan, Direction, EchoOptions, EndReason, Error, FaxAction, FaxResult,
    IncomingCalls, PauseBehavior, PayAction, PayOptions, PlayAction, PlayMedia, PlayOptions,
    PromptAction, PromptOptions, ReceiveFaxOptions, RecordAction, RecordOptions, RecordResult,
    SendDigitsAction, SendFaxOptions, StreamAction, StreamOptions, TapAction, TapOptions,
    TranscribeAction, TranscribeOptions, TranscribeResult,
};
use crate::{
    AmazonBedrock, BindDigit, ClearDigitBindings, ConferenceEvent, ConferenceEvents,
    JoinConference, JoinRoom, JoinedConference, LiveAction, LiveTranslate, QueueEnter, QueueEntry,
    QueueEvent, QueueLeave, Refer, Transfer, UserEvent,
};
use crate::{CallEvents, FaxTone};
use crate::{IncomingMessages, Message, MessageHandle, MessageId, MessageState, SendMessage};
use futures_util::future::{self, Either};
use futures_util::{Stream, StreamExt};
use relay_rs_core::driver::Runtime;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Blocks the calling thread until `future` is done, through the client's runtime (so that
/// on the testkit's virtual clock, time moves only while this thread waits).
fn block<T>(runtime: &Arc<dyn Runtime>, future: impl Future<Output = T>) -> T {
    let mut output = None;
    runtime.block_on(Box::pin(async {
        output = Some(future.await);
    }));
    match output {
        Some(output) => output,
        None => unreachable!("Runtime::block_on returns once the future is done"),
    }
}

/// [`block`] for at most `timeout` (the runtime's clock); [`Error::WaitTimedOut`] after.
fn within<T>(
    runtime: &Arc<dyn Runtime>,
    future: impl Future<Output = Result<T, Error>>,
    timeout: Duration,
) -> Result<T, Error> {
    let sleep = runtime.sleep(timeout);
    block(runtime, async move {
        match future::select(pin!(future), sleep).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(Error::WaitTimedOut),
        }
    })
}

/// The next item of `stream`, or `None` after `timeout` (the runtime's clock).
fn next_within<S: Stream + Unpin>(
    runtime: &Arc<dyn Runtime>,
    stream: &mut S,
    timeout: Duration,
) -> Option<S::Item> {
    within(
        runtime,
        async { stream.next().await.ok_or(Error::Closed) },
        timeout,
    )
    .ok()
}

/// The inbound calls shared by the handler threads of [`BlockingClient::on_call`].
struct HandlerPool {
    calls: Mutex<Option<IncomingCalls>>,
    /// Threads waiting for a call. A stream remembers one waker only: whoever takes a call
    /// wakes the others, so that one of them takes the next.
    idle: Mutex<Vec<std::task::Waker>>,
    /// Threads that have looked for a call once: `on_call` returns when all have, so that
    /// on a virtual clock no call can arrive before a thread is there to be woken by it.
    started: (Mutex<usize>, std::sync::Condvar),
}

impl HandlerPool {
    /// The next call; `None` once the client stopped. The lock is held only while polling.
    fn next<'a>(&'a self, first: &'a mut bool) -> impl Future<Output = Option<Call>> + 'a {
        future::poll_fn(move |cx| {
            if std::mem::take(first) {
                *self
                    .started
                    .0
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) += 1;
                self.started.1.notify_all();
            }
            let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(stream) = calls.as_mut() else {
                return std::task::Poll::Ready(None);
            };
            match stream.poll_next_unpin(cx) {
                std::task::Poll::Ready(call) => {
                    drop(calls);
                    let idle = std::mem::take(
                        &mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner),
                    );
                    idle.into_iter().for_each(std::task::Waker::wake);
                    std::task::Poll::Ready(call)
                }
                std::task::Poll::Pending => {
                    self.idle
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(cx.waker().clone());
                    std::task::Poll::Pending
                }
            }
        })
    }
}

/// How the client's `run` ended, once it has.
#[derive(Debug, Default)]
struct Done {
    result: Mutex<Option<Result<(), Error>>>,
    waiters: Mutex<Vec<std::task::Waker>>,
}

impl Done {
    fn set(&self, result: Result<(), Error>) {
        *self.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        for waker in self
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            waker.wake();
        }
    }

    fn get(&self) -> Option<Result<(), Error>> {
        self.result
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn wait(self: Arc<Self>) -> impl Future<Output = Result<(), Error>> {
        future::poll_fn(move |cx| {
            self.waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(cx.waker().clone());
            match self.get() {
                Some(result) => std::task::Poll::Ready(result),
                None => std::task::Poll::Pending,
            }
        })
    }
}

/// A client whose event loop runs as a task of its runtime; every method blocks the
/// calling thread.
#[derive(Debug)]
pub struct BlockingClient {
    client: Client,
    incoming: Arc<Mutex<Option<IncomingCalls>>>,
    done: Arc<Done>,
    messages: Mutex<Option<IncomingMessages>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl BlockingClient {
    /// Builds the client and starts it on a background thread.
    pub fn start(builder: ClientBuilder) -> Result<Self, Error> {
        let client = builder.build()?;
        let incoming = Mutex::new(client.incoming());
        let messages = Mutex::new(client.messages());
        // The event loop runs as a task of the client's runtime (smol's executor threads,
        // or the testkit's executor on virtual time); its result comes back here.
        let runner = client.clone();
        let done = Arc::new(Done::default());
        let finished = done.clone();
        client.runtime().spawn(Box::pin(async move {
            let result = runner.run().await;
            finished.set(result);
        }));
        Ok(Self {
            client,
            incoming: Arc::new(Mutex::new(
                incoming
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner),
            )),
            done,
            messages,
            workers: Mutex::new(Vec::new()),
        })
    }

    /// The next inbound call, or `None` after `timeout` (or once the client stopped).
    pub fn next_call(&self, timeout: Duration) -> Option<BlockingCall> {
        let mut guard = self.incoming.lock().unwrap_or_else(PoisonError::into_inner);
        let calls = guard.as_mut()?;
        next_within(self.client.runtime(), calls, timeout).map(BlockingCall)
    }

    /// Calls `handler` for every inbound call on a fixed pool of `threads` handler threads
    /// (at least one): at most that many calls are handled at once; more wait in the
    /// client's queue of inbound calls (1,024; beyond it offers are passed on to another
    /// consumer, `calling.pass`). A handler that panics is caught; its thread takes the
    /// next call. After `on_call`, [`BlockingClient::next_call`] returns `None`. The
    /// threads end when the client stops; [`BlockingClient::shutdown`] waits for them.
    pub fn on_call(
        &self,
        threads: usize,
        handler: impl Fn(BlockingCall) + Send + Sync + 'static,
    ) -> Result<(), Error> {
        let handler = Arc::new(handler);
        // The stream moves to the pool: `next_call` sees none from now on.
        let calls = self
            .incoming
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let pool = Arc::new(HandlerPool {
            calls: Mutex::new(calls),
            idle: Mutex::new(Vec::new()),
            started: Default::default(),
        });
        let threads = threads.max(1);
        let mut workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        for n in 0..threads {
            let pool = pool.clone();
            let runtime = self.client.runtime().clone();
            let handler = handler.clone();
            let worker = std::thread::Builder::new()
                .name(format!("relay-handler-{n}"))
                .spawn(move || {
                    let mut first = true;
                    while let Some(call) = block(&runtime, pool.next(&mut first)) {
                        let call = BlockingCall(call);
                        let run = std::panic::AssertUnwindSafe(|| handler(call));
                        // The panic hook has printed it; the thread takes the next call.
                        let _ = std::panic::catch_unwind(run);
                    }
                })
                .map_err(|e| Error::Runtime(format!("cannot start a handler thread: {e}")))?;
            workers.push(worker);
        }
        let mut started = pool
            .started
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *started < threads {
            started = pool
                .started
                .1
                .wait(started)
                .unwrap_or_else(PoisonError::into_inner);
        }
        Ok(())
    }

    /// Dials out and blocks until answered.
    pub fn dial(&self, plan: DialPlan) -> Result<BlockingCall, Error> {
        block(self.client.runtime(), self.client.dial(plan)).map(BlockingCall)
    }

    /// Subscribes to more contexts.
    pub fn receive(&self, contexts: Vec<String>) -> Result<(), Error> {
        block(self.client.runtime(), self.client.receive(contexts))
    }

    /// Stops receiving on some contexts (see [`Client::unreceive`]).
    pub fn unreceive(&self, contexts: Vec<String>) -> Result<(), Error> {
        block(self.client.runtime(), self.client.unreceive(contexts))
    }

    /// Sends any request and returns the server's result (see [`Client::execute`]).
    pub fn execute<P: serde::Serialize>(&self, method: &str, params: P) -> Result<Payload, Error> {
        block(self.client.runtime(), self.client.execute(method, params))
    }

    /// Subscribes to everything the client sees (see [`Client::on_event`]). Runs on the
    /// client's thread.
    pub fn on_event(&self, hook: impl Fn(&ClientEvent) + Send + Sync + 'static) {
        self.client.on_event(hook)
    }

    /// Subscribes to every `calling.conference` event from now on (see
    /// [`Client::conference_events`]).
    pub fn conference_events(&self) -> BlockingConferenceEvents {
        BlockingConferenceEvents(self.client.conference_events(), self.client.clone())
    }

    /// Whether the client has stopped (shut down, or a final error).
    pub fn is_stopped(&self) -> bool {
        self.done.get().is_some()
    }

    /// The async client underneath.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Stops the client and waits for it and its handler threads; how `run` ended.
    pub fn shutdown(mut self) -> Result<(), Error> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), Error> {
        self.client.shutdown();
        let done = self.done.clone();
        let result = block(self.client.runtime(), done.wait());
        let workers =
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(PoisonError::into_inner));
        for worker in workers {
            if worker.join().is_err() {
                return Err(Error::Runtime("a handler thread panicked".into()));
            }
        }
        result
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
        block(self.0.runtime(), self.0.answer())
    }

    /// Hangs up (`Ok` too when the call already ended).
    pub fn hangup(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.hangup())
    }

    /// Hangs up with a reason.
    pub fn hangup_with(&self, reason: EndReason) -> Result<(), Error> {
        block(self.0.runtime(), self.0.hangup_with(reason))
    }

    /// Starts a stream of the call's audio to `url`.
    pub fn stream(&self, url: &str, options: StreamOptions) -> Result<BlockingStream, Error> {
        block(self.0.runtime(), self.0.stream(url, options)).map(BlockingStream)
    }

    /// Plays media into the call.
    pub fn play(&self, media: Vec<PlayMedia>) -> Result<BlockingPlay, Error> {
        block(self.0.runtime(), self.0.play(media)).map(BlockingPlay)
    }

    /// Plays media with every option.
    pub fn play_with(&self, options: PlayOptions) -> Result<BlockingPlay, Error> {
        block(self.0.runtime(), self.0.play_with(options)).map(BlockingPlay)
    }

    /// Says `text`.
    pub fn play_tts(&self, text: &str) -> Result<BlockingPlay, Error> {
        block(self.0.runtime(), self.0.play_tts(text)).map(BlockingPlay)
    }

    /// Plays the audio at `url`.
    pub fn play_audio(&self, url: &str) -> Result<BlockingPlay, Error> {
        block(self.0.runtime(), self.0.play_audio(url)).map(BlockingPlay)
    }

    /// Plays `duration` of silence.
    pub fn play_silence(&self, duration: Duration) -> Result<BlockingPlay, Error> {
        block(self.0.runtime(), self.0.play_silence(duration)).map(BlockingPlay)
    }

    /// Plays a country's ringtone (`us`, `uk`, …).
    pub fn play_ringtone(&self, name: &str) -> Result<BlockingPlay, Error> {
        block(self.0.runtime(), self.0.play_ringtone(name)).map(BlockingPlay)
    }

    /// Plays the audio at `url`, then collects.
    pub fn prompt_audio(
        &self,
        url: &str,
        collect: CollectOptions,
    ) -> Result<BlockingPrompt, Error> {
        block(self.0.runtime(), self.0.prompt_audio(url, collect)).map(BlockingPrompt)
    }

    /// Detects a fax tone (`CED`/`CNG`, either when `None`).
    pub fn detect_fax(&self, tone: Option<FaxTone>) -> Result<BlockingDetect, Error> {
        block(self.0.runtime(), self.0.detect_fax(tone)).map(BlockingDetect)
    }

    /// Detects a digit (any of `digits`, all when `None`).
    pub fn detect_digit(&self, digits: Option<&str>) -> Result<BlockingDetect, Error> {
        block(self.0.runtime(), self.0.detect_digit(digits)).map(BlockingDetect)
    }

    /// Subscribes to this call's events (see [`Call::events`]).
    pub fn events(&self) -> BlockingCallEvents {
        BlockingCallEvents(self.0.events(), self.0.clone())
    }

    /// Sends a call command that is not an action (see [`Call::command`]).
    pub fn command<P>(&self, method: &str, params: P) -> Result<Payload, Error>
    where
        P: serde::Serialize + Send + 'static,
    {
        block(self.0.runtime(), self.0.command(method, params))
    }

    /// Starts any typed action; the generic handle.
    pub fn start<R>(&self, request: R) -> Result<BlockingAction, Error>
    where
        R: ActionRequest + Send + 'static,
    {
        block(self.0.runtime(), self.0.start(request)).map(BlockingAction)
    }

    /// Records the call.
    pub fn record(&self, options: RecordOptions) -> Result<BlockingRecord, Error> {
        block(self.0.runtime(), self.0.record(options)).map(BlockingRecord)
    }

    /// Collects digits or speech without a prompt.
    pub fn collect(&self, options: CollectOptions) -> Result<BlockingCollect, Error> {
        block(self.0.runtime(), self.0.collect(options)).map(BlockingCollect)
    }

    /// Plays a prompt, then collects.
    pub fn play_and_collect(&self, options: PromptOptions) -> Result<BlockingPrompt, Error> {
        block(self.0.runtime(), self.0.play_and_collect(options)).map(BlockingPrompt)
    }

    /// Says `text`, then collects.
    pub fn prompt_tts(&self, text: &str, collect: CollectOptions) -> Result<BlockingPrompt, Error> {
        block(self.0.runtime(), self.0.prompt_tts(text, collect)).map(BlockingPrompt)
    }

    /// Detects a machine, a fax tone or digits.
    pub fn detect(&self, options: DetectOptions) -> Result<BlockingDetect, Error> {
        block(self.0.runtime(), self.0.detect(options)).map(BlockingDetect)
    }

    /// Detects whether a person or a machine answered.
    pub fn detect_answering_machine(&self, wait_for_beep: bool) -> Result<BlockingDetect, Error> {
        block(
            self.0.runtime(),
            self.0.detect_answering_machine(wait_for_beep),
        )
        .map(BlockingDetect)
    }

    /// Copies the call's audio to an RTP or WebSocket endpoint.
    pub fn tap(&self, options: TapOptions) -> Result<BlockingTap, Error> {
        block(self.0.runtime(), self.0.tap(options)).map(BlockingTap)
    }

    /// Sends a fax.
    pub fn send_fax(&self, options: SendFaxOptions) -> Result<BlockingFax, Error> {
        block(self.0.runtime(), self.0.send_fax(options)).map(BlockingFax)
    }

    /// Receives a fax.
    pub fn receive_fax(&self, options: ReceiveFaxOptions) -> Result<BlockingFax, Error> {
        block(self.0.runtime(), self.0.receive_fax(options)).map(BlockingFax)
    }

    /// Takes a card payment.
    pub fn pay(&self, options: PayOptions) -> Result<BlockingPay, Error> {
        block(self.0.runtime(), self.0.pay(options)).map(BlockingPay)
    }

    /// Transcribes the call.
    pub fn transcribe(&self, options: TranscribeOptions) -> Result<BlockingTranscribe, Error> {
        block(self.0.runtime(), self.0.transcribe(options)).map(BlockingTranscribe)
    }

    /// Sends DTMF.
    pub fn send_digits(&self, digits: &str) -> Result<BlockingSendDigits, Error> {
        block(self.0.runtime(), self.0.send_digits(digits)).map(BlockingSendDigits)
    }

    /// Starts an AI agent.
    pub fn ai(&self, options: AiOptions) -> Result<BlockingAi, Error> {
        block(self.0.runtime(), self.0.ai(options)).map(BlockingAi)
    }

    /// A message into the running agent's conversation.
    pub fn ai_message(&self, message: AiMessage) -> Result<(), Error> {
        block(self.0.runtime(), self.0.ai_message(message))
    }

    /// Puts the caller on hold with the agent.
    pub fn ai_hold(&self, timeout: Option<Duration>, prompt: Option<&str>) -> Result<(), Error> {
        block(self.0.runtime(), self.0.ai_hold(timeout, prompt))
    }

    /// Takes the caller off hold.
    pub fn ai_unhold(&self, prompt: Option<&str>) -> Result<(), Error> {
        block(self.0.runtime(), self.0.ai_unhold(prompt))
    }

    /// The caller hears themselves.
    pub fn echo(&self, options: EchoOptions) -> Result<(), Error> {
        block(self.0.runtime(), self.0.echo(options))
    }

    /// Hands an offered call back (`calling.pass`); afterwards it is not this client's.
    pub fn pass(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.pass())
    }

    /// Transfers control of the call (`calling.transfer`).
    pub fn transfer(&self, transfer: Transfer) -> Result<(), Error> {
        block(self.0.runtime(), self.0.transfer(transfer))
    }

    /// Sends a SIP REFER (`calling.refer`, SIP calls only).
    pub fn refer(&self, refer: Refer) -> Result<(), Error> {
        block(self.0.runtime(), self.0.refer(refer))
    }

    /// Puts the call on hold (`calling.hold`; possibly unsupported by the service).
    pub fn hold(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.hold())
    }

    /// Takes the call off hold (`calling.unhold`; possibly unsupported by the service).
    pub fn unhold(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.unhold())
    }

    /// Turns noise reduction on (`calling.denoise`).
    pub fn denoise(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.denoise())
    }

    /// Turns noise reduction off (`calling.denoise.stop`).
    pub fn denoise_stop(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.denoise_stop())
    }

    /// Joins (or starts) a conference (`calling.join_conference`).
    pub fn join_conference(&self, options: JoinConference) -> Result<JoinedConference, Error> {
        block(self.0.runtime(), self.0.join_conference(options))
    }

    /// Leaves the conference with this id (`calling.leave_conference`).
    pub fn leave_conference(&self, conference_id: &str) -> Result<(), Error> {
        block(self.0.runtime(), self.0.leave_conference(conference_id))
    }

    /// Joins a video room (`calling.join_room`).
    pub fn join_room(&self, options: JoinRoom) -> Result<(), Error> {
        block(self.0.runtime(), self.0.join_room(options))
    }

    /// Leaves the room (`calling.leave_room`).
    pub fn leave_room(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.leave_room())
    }

    /// Puts the call in a queue (`calling.queue.enter`).
    pub fn queue_enter(&self, options: QueueEnter) -> Result<BlockingQueueEntry, Error> {
        block(self.0.runtime(), self.0.queue_enter(options)).map(BlockingQueueEntry)
    }

    /// Takes the call out of a queue (`calling.queue.leave`); the control id sent.
    pub fn queue_leave(&self, options: QueueLeave) -> Result<ControlId, Error> {
        block(self.0.runtime(), self.0.queue_leave(options))
    }

    /// Runs a method when the caller presses digits (`calling.bind_digit`).
    pub fn bind_digit(&self, binding: BindDigit) -> Result<(), Error> {
        block(self.0.runtime(), self.0.bind_digit(binding))
    }

    /// Removes digit bindings (`calling.clear_digit_bindings`).
    pub fn clear_digit_bindings(&self, which: ClearDigitBindings) -> Result<(), Error> {
        block(self.0.runtime(), self.0.clear_digit_bindings(which))
    }

    /// A live transcription action (`calling.live_transcribe`).
    pub fn live_transcribe(&self, action: LiveAction) -> Result<(), Error> {
        block(self.0.runtime(), self.0.live_transcribe(action))
    }

    /// A live translation action (`calling.live_translate`).
    pub fn live_translate(&self, options: LiveTranslate) -> Result<(), Error> {
        block(self.0.runtime(), self.0.live_translate(options))
    }

    /// Sends an event of your own (`calling.user_event`).
    pub fn user_event(&self, event: UserEvent) -> Result<(), Error> {
        block(self.0.runtime(), self.0.user_event(event))
    }

    /// Starts an Amazon Bedrock agent (`calling.amazon_bedrock`).
    pub fn amazon_bedrock(&self, options: AmazonBedrock) -> Result<(), Error> {
        block(self.0.runtime(), self.0.amazon_bedrock(options))
    }

    /// Sends any typed call command; the service's result.
    pub fn send_command<C: CallCommand + Send + 'static>(
        &self,
        command: C,
    ) -> Result<Payload, Error> {
        block(self.0.runtime(), self.0.send_command(command))
    }

    /// Blocks until an event for which `matches` is true, the call ends
    /// ([`Error::CallGone`]) or `timeout` passes ([`Error::WaitTimedOut`]).
    pub fn wait_for(
        &self,
        matches: impl FnMut(&CallEvent) -> bool,
        timeout: Duration,
    ) -> Result<CallEvent, Error> {
        within(self.0.runtime(), self.0.wait_for(matches), timeout)
    }

    /// Blocks until the call is in `state` (see [`Call::wait_for_state`]).
    pub fn wait_for_state(&self, state: CallState) -> Result<(), Error> {
        block(self.0.runtime(), self.0.wait_for_state(state))
    }

    /// Starts any other action with its params as any `Serialize` object (see
    /// [`Call::start_action`]).
    pub fn start_action<P>(&self, kind: ActionKind, params: P) -> Result<BlockingAction, Error>
    where
        P: serde::Serialize + Send + 'static,
    {
        block(self.0.runtime(), self.0.start_action(kind, params)).map(BlockingAction)
    }

    /// Blocks until the call ended.
    pub fn wait_for_ended(&self) -> Result<CallEnd, Error> {
        block(self.0.runtime(), self.0.wait_for_ended())
    }

    /// Blocks until the call ended or `timeout` passed ([`Error::WaitTimedOut`]).
    pub fn wait_for_ended_timeout(&self, timeout: Duration) -> Result<CallEnd, Error> {
        block(self.0.runtime(), self.0.wait_for_ended_timeout(timeout))
    }
}

/// Defines a blocking handle over a typed async action handle.
macro_rules! blocking_action {
    ($(#[$doc:meta])* $name:ident($inner:ty) => $result:ty) => {
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
            pub fn state(&self) -> Option<ActionState> {
                self.0.state()
            }

            /// The params of the last non-terminal event, for actions whose progress
            /// carries data (collect, detect, …; `None` for stream, play and
            /// send_digits): see [`ActionHandle::last_event`].
            pub fn last_event(&self) -> Option<crate::Payload> {
                self.0.last_event()
            }

            /// The generic handle underneath, from blocking code.
            pub fn as_action(&self) -> BlockingAction {
                BlockingAction(self.0.as_action().clone())
            }

            /// The outcome, once it has ended.
            pub fn outcome(&self) -> Option<ActionOutcome> {
                self.0.outcome()
            }

            /// The typed result, once it has ended.
            pub fn result(&self) -> Option<$result> {
                self.0.outcome().map(<$result as crate::advanced::ActionResult>::from_outcome)
            }

            /// Whether it has ended.
            pub fn is_done(&self) -> bool {
                self.0.is_done()
            }

            /// Stops it (not an error when it already ended).
            pub fn stop(&self) -> Result<(), Error> {
                block(self.0.as_action().runtime(), self.0.stop())
            }

            /// Blocks until it ended: success, stop, failure, call end or gone call.
            pub fn wait(&self) -> Result<$result, Error> {
                block(self.0.as_action().runtime(), self.0.wait())
            }

            /// Blocks until it ended or `timeout` passed.
            pub fn wait_timeout(&self, timeout: Duration) -> Result<$result, Error> {
                block(self.0.as_action().runtime(), self.0.wait_timeout(timeout))
            }

            /// Calls `callback` with the result once it ends, on the client's thread.
            pub fn on_completed(&self, callback: impl FnOnce($result) + Send + 'static) {
                self.0.on_completed(callback)
            }
        }
    };
}

blocking_action!(
    /// A stream controlled from blocking code.
    BlockingStream(StreamAction) => ActionOutcome
);

blocking_action!(
    /// A play controlled from blocking code; also pause, resume and volume.
    BlockingPlay(PlayAction) => ActionOutcome
);

blocking_action!(
    /// A recording controlled from blocking code; also pause and resume.
    BlockingRecord(RecordAction) => RecordResult
);

blocking_action!(
    /// A collect controlled from blocking code; also `start_input_timers`.
    BlockingCollect(CollectAction) => CollectResult
);

blocking_action!(
    /// A prompt (`play_and_collect`) controlled from blocking code; also volume and
    /// `start_input_timers`.
    BlockingPrompt(PromptAction) => CollectResult
);

blocking_action!(
    /// A detect controlled from blocking code.
    BlockingDetect(DetectAction) => DetectResult
);

blocking_action!(
    /// A tap controlled from blocking code.
    BlockingTap(TapAction) => ActionOutcome
);

blocking_action!(
    /// A fax (sent or received) controlled from blocking code.
    BlockingFax(FaxAction) => FaxResult
);

blocking_action!(
    /// A payment controlled from blocking code.
    BlockingPay(PayAction) => ActionOutcome
);

blocking_action!(
    /// A transcription controlled from blocking code.
    BlockingTranscribe(TranscribeAction) => TranscribeResult
);

blocking_action!(
    /// Digits being sent, from blocking code.
    BlockingSendDigits(SendDigitsAction) => ActionOutcome
);

blocking_action!(
    /// An AI agent controlled from blocking code.
    BlockingAi(AiAction) => ActionOutcome
);

/// An action of any kind, from blocking code (see [`ActionHandle`]).
#[derive(Debug, Clone)]
pub struct BlockingAction(pub ActionHandle);

impl BlockingAction {
    /// The action's control id.
    pub fn control_id(&self) -> &ControlId {
        self.0.control_id()
    }

    /// The call it runs on.
    pub fn call_id(&self) -> &CallId {
        self.0.call_id()
    }

    /// Stream, play, …
    pub fn kind(&self) -> &ActionKind {
        self.0.kind()
    }

    /// The last non-terminal state the server reported.
    pub fn state(&self) -> Option<ActionState> {
        self.0.state()
    }

    /// The params of the last non-terminal event, for actions whose progress carries data
    /// (collect, detect, …; `None` for stream, play and send_digits): see
    /// [`ActionHandle::last_event`].
    pub fn last_event(&self) -> Option<crate::Payload> {
        self.0.last_event()
    }

    /// Sends one of the action's control methods (see [`ActionHandle::control`]).
    pub fn control<P>(&self, method: &str, params: P) -> Result<(), Error>
    where
        P: serde::Serialize + Send + 'static,
    {
        block(self.0.runtime(), self.0.control(method, params))
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
        block(self.0.runtime(), self.0.stop())
    }

    /// Blocks until it ended.
    pub fn wait(&self) -> Result<ActionOutcome, Error> {
        block(self.0.runtime(), self.0.wait())
    }

    /// Blocks until it ended or `timeout` passed ([`Error::WaitTimedOut`]).
    pub fn wait_timeout(&self, timeout: Duration) -> Result<ActionOutcome, Error> {
        block(self.0.runtime(), self.0.wait_timeout(timeout))
    }

    /// Calls `callback` with the outcome once it ends, on the client's runtime.
    pub fn on_completed(&self, callback: impl FnOnce(ActionOutcome) + Send + 'static) {
        self.0.on_completed(callback)
    }
}

/// A call's events, from blocking code (see [`Call::events`]).
#[derive(Debug)]
pub struct BlockingCallEvents(pub CallEvents, Call);

impl BlockingCallEvents {
    /// The next event, or `None` after `timeout` or once the call ended.
    pub fn next(&mut self, timeout: Duration) -> Option<CallEvent> {
        next_within(self.1.runtime(), &mut self.0, timeout)
    }
}

/// The conference events of a client, from blocking code.
#[derive(Debug)]
pub struct BlockingConferenceEvents(pub ConferenceEvents, Client);

impl BlockingConferenceEvents {
    /// The next event, or `None` after `timeout` (or once the client stopped).
    pub fn next(&mut self, timeout: Duration) -> Option<ConferenceEvent> {
        next_within(self.1.runtime(), &mut self.0, timeout)
    }
}

/// A call in a queue, from blocking code (see [`QueueEntry`]).
#[derive(Debug)]
pub struct BlockingQueueEntry(pub QueueEntry);

impl BlockingQueueEntry {
    /// The control id the queue's events carry.
    pub fn control_id(&self) -> &ControlId {
        self.0.control_id()
    }

    /// The queue's name.
    pub fn queue_name(&self) -> &str {
        self.0.queue_name()
    }

    /// The call in the queue.
    pub fn call(&self) -> BlockingCall {
        BlockingCall(self.0.call().clone())
    }

    /// The next event of this entry, or `None` after `timeout` or once the call ended.
    pub fn next_event(&mut self, timeout: Duration) -> Option<QueueEvent> {
        let runtime = self.0.call().runtime().clone();
        next_within(&runtime, &mut self.0, timeout)
    }

    /// Takes the call out of the queue (`calling.queue.leave`, same control id).
    pub fn leave(&self) -> Result<(), Error> {
        block(self.0.call().runtime(), self.0.leave())
    }
}

impl BlockingPlay {
    /// Pauses playback.
    pub fn pause(&self) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.pause())
    }

    /// Resumes playback.
    pub fn resume(&self) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.resume())
    }

    /// Sets the gain in dB (-40…+40).
    pub fn set_volume(&self, db: f64) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.set_volume(db))
    }
}

impl BlockingRecord {
    /// Pauses the recording.
    pub fn pause(&self, behavior: Option<PauseBehavior>) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.pause(behavior))
    }

    /// Resumes the recording.
    pub fn resume(&self) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.resume())
    }
}

impl BlockingCollect {
    /// Starts the input timers now.
    pub fn start_input_timers(&self) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.start_input_timers())
    }
}

impl BlockingPrompt {
    /// Sets the prompt's gain in dB (-40…+40).
    pub fn set_volume(&self, db: f64) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.set_volume(db))
    }

    /// Starts the input timers now.
    pub fn start_input_timers(&self) -> Result<(), Error> {
        block(self.0.as_action().runtime(), self.0.start_input_timers())
    }
}

impl BlockingClient {
    /// Sends a message and blocks until the server accepted it (see [`Client::send_message`]).
    pub fn send_message(&self, message: SendMessage) -> Result<BlockingMessage, Error> {
        block(self.client.runtime(), self.client.send_message(message)).map(BlockingMessage)
    }

    /// The next inbound message, or `None` after `timeout` (or once the client stopped).
    /// Messages go to a handler set with `client().on_message(..)` instead, if there is one.
    pub fn next_message(&self, timeout: Duration) -> Option<Message> {
        let mut guard = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
        let messages = guard.as_mut()?;
        next_within(self.client.runtime(), messages, timeout)
    }
}

/// A sent message followed from blocking code.
#[derive(Debug, Clone)]
pub struct BlockingMessage(pub MessageHandle);

impl BlockingMessage {
    /// The server's id.
    pub fn id(&self) -> &MessageId {
        self.0.id()
    }

    /// The latest state.
    pub fn state(&self) -> MessageState {
        self.0.state()
    }

    /// The latest snapshot.
    pub fn message(&self) -> Message {
        self.0.message()
    }

    /// Whether the message reached its end.
    pub fn is_done(&self) -> bool {
        self.0.is_done()
    }

    /// Calls `callback` with how the message ended, once it has (see
    /// [`MessageHandle::on_completed`]); on the client's runtime.
    pub fn on_completed(&self, callback: impl FnOnce(Result<Message, Error>) + Send + 'static) {
        self.0.on_completed(callback)
    }

    /// Blocks until the end: the message once delivered, else why not (see
    /// [`MessageHandle::wait`]).
    pub fn wait(&self) -> Result<Message, Error> {
        block(self.0.runtime(), self.0.wait())
    }

    /// [`BlockingMessage::wait`] for at most `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<Message, Error> {
        block(self.0.runtime(), self.0.wait_timeout(timeout))
    }
}

/// `calling.connect` and `calling.disconnect` (§2.1) from blocking code.
impl BlockingCall {
    /// Bridges the call to the devices of `plan` and blocks until one answers: the peer, as
    /// a call of its own (see [`Call::connect`]). [`Error::ConnectFailed`] with the
    /// service's reason when none does.
    pub fn connect(&self, plan: crate::ConnectPlan) -> Result<BlockingCall, Error> {
        block(self.0.runtime(), self.0.connect(plan)).map(BlockingCall)
    }

    /// Ends the bridge; both legs stay up.
    pub fn disconnect(&self) -> Result<(), Error> {
        block(self.0.runtime(), self.0.disconnect())
    }

    /// The latest `connect_state`.
    pub fn connect_state(&self) -> Option<crate::ConnectState> {
        self.0.connect_state()
    }

    /// The peer of the latest bridge.
    pub fn peer(&self) -> Option<BlockingCall> {
        self.0.peer().map(BlockingCall)
    }

    /// Blocks until the bridge is over (see [`Call::wait_disconnected`]), or `timeout`
    /// passes ([`Error::WaitTimedOut`]).
    pub fn wait_disconnected(&self, timeout: Duration) -> Result<(), Error> {
        within(self.0.runtime(), self.0.wait_disconnected(), timeout)
    }
}
