//! The one event loop: owns the engine and the connection, runs commands, feeds frames and
//! timers in, and delivers events to the user's handles.
//!
//! Time comes only from the runtime (`now`, `sleep`), so the loop runs as well on a virtual
//! clock as on a real one. Every write has a deadline: a server that stops reading is a
//! dead server, and the loop goes on to reconnect instead of waiting on it for ever.

use super::action::ActionShared;
use super::call::{Call, CallEnd, CallOutcome};
use super::client::{ClientInner, PendingLoop};
use super::client_event::{ClientEvent, DisconnectReason};
use super::connector::Connector;
use super::error::Error;
use super::exchange::Asked;
use super::loop_calls::{release_if_emptied, FastMap, LoopCalls};
use super::open_error::{OpenError, TransportError};
use super::outbox::{outbox, Next, OutboxReceiver, OutboxSender};
use super::transport::{Frame, FrameReader, FrameWriter};
use super::{AskedStart, Command};
use crate::action::ActionOutcome;
use crate::call_event::CallEvent;
use crate::engine::Engine;
use crate::error::SessionError;
use crate::event::{DialError, Event, Transmit};
use crate::ids::{CallId, RequestId};
use crate::payload::Payload;
use futures_channel::{mpsc, oneshot};
use futures_util::future::{self, Either, FutureExt};
use futures_util::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

/// Frames read in one go before outputs are drained, so bursts are batched.
const READ_BATCH: usize = 256;
/// Commands taken in one go before their frames are flushed: enough to share one write
/// among a burst of requests, few enough (~20 KiB) that a flush does not outgrow the
/// socket buffers while the loop is not reading.
const COMMAND_BATCH: usize = 32;
/// Bytes handed to the writer in one batch, under one write deadline: about what the
/// socket takes at once, so that a slow but reading peer meets the deadline as it would
/// frame by frame.
const WRITE_BATCH_BYTES: usize = 64 * 1024;
/// The size of an ordinary request: a command is refused when not even that fits.
const SMALL_FRAME: usize = 1024;
/// Connection failures of a permanent kind (see [`OpenError::is_permanent`]) after which
/// a client that never had a session gives up.
const PERMANENT_FAILURES_BEFORE_GIVING_UP: u32 = 3;

type Reply<T> = oneshot::Sender<Result<T, Error>>;

enum Wake {
    Command(Command),
    Frame(Option<Result<Frame, TransportError>>),
    WriteFailed(u64, TransportError),
    Timer,
}

/// Who waits for a request's answer (a dial's waits in a map of its own: as a third kind
/// here it would add a word to every slot, the pointers leaving room to tell two apart).
enum Waiter {
    /// A request's exchange, answered with the result.
    Request(Asked<RequestId, Payload>),
    /// An action start's exchange, answered with the action's record once accepted.
    Start(Arc<ActionShared>, AskedStart),
}

/// The writing half of the open connection, run by a task of its own so that a peer that
/// stops reading never stops the loop from reading, timing and shutting down.
struct Writer {
    frames: OutboxSender,
    closed: oneshot::Receiver<()>,
    /// Bytes handed to the writer task and not yet written: bounded by
    /// `max_outgoing_bytes`, so a server that stops reading cannot grow it without end.
    queued: Arc<AtomicUsize>,
}

pub(crate) struct EventLoop {
    client: Arc<ClientInner>,
    /// Where the loop's timers, socket and writer run: the client's runtime, or the
    /// dedicated one it gave ([`Runtime::dedicated`](super::Runtime::dedicated)), apart from
    /// user tasks.
    runtime: Arc<dyn super::runtime::Runtime>,
    engine: Engine,
    connector: Arc<dyn Connector>,
    incoming: mpsc::Sender<Call>,
    reader: Option<Box<dyn FrameReader>>,
    writer: Option<Writer>,
    /// Numbers connections, so that a failure reported late by an old writer is ignored.
    generation: u64,
    write_failures: mpsc::UnboundedReceiver<(u64, TransportError)>,
    write_failure_tx: mpsc::UnboundedSender<(u64, TransportError)>,
    /// Who waits for each request in flight: one table for requests and action starts (a
    /// burst of calls has thousands of answers and stream starts in flight at once).
    waiting: FastMap<RequestId, Waiter>,
    dials: FastMap<RequestId, Reply<Arc<crate::call::CallInfo>>>,
    /// The calls and, beside each, its running actions.
    calls: LoopCalls,
    closed: Option<SessionError>,
    /// Consecutive failed connection attempts.
    connect_failures: u32,
    /// Consecutive permanent failures while no session was ever established.
    permanent_failures: u32,
    ever_ready: bool,
    gave_up: Option<Error>,
    /// When `run` gives up if no session was had yet (`first_session_timeout`).
    first_session_deadline: Option<Instant>,
    first_session_timeout: Option<Duration>,
    /// The last reason a first session could not be had: what `run` returns at the deadline.
    last_failure: Option<Error>,
    messages: super::messaging::MessageRouter,
    /// Bound of the bytes waiting for the socket.
    max_outgoing_bytes: usize,
}

impl EventLoop {
    pub(crate) fn new(
        client: Arc<ClientInner>,
        pending: PendingLoop,
        runtime: Arc<dyn super::runtime::Runtime>,
    ) -> Self {
        let (write_failure_tx, write_failures) = mpsc::unbounded();
        let messages = super::messaging::MessageRouter::new(&client);
        Self {
            client,
            runtime,
            // Every event of a call is copied for its event stream only once a subscriber
            // appears (`Command::WatchCall`): most calls have none.
            engine: Engine::new(pending.config.every_call_event(false)),
            connector: pending.connector,
            incoming: pending.incoming,
            reader: None,
            writer: None,
            generation: 0,
            write_failures,
            write_failure_tx,
            waiting: FastMap::default(),
            dials: FastMap::default(),
            calls: LoopCalls::default(),
            closed: None,
            connect_failures: 0,
            permanent_failures: 0,
            ever_ready: false,
            gave_up: None,
            first_session_deadline: None,
            first_session_timeout: pending.first_session_timeout,
            last_failure: None,
            messages,
            max_outgoing_bytes: pending.max_outgoing_bytes,
        }
    }

    fn now(&self) -> Instant {
        self.runtime.now()
    }

    /// The deadline of one write: a peer that takes longer is not reading.
    fn write_deadline(&self) -> Duration {
        self.engine
            .config()
            .request_timeout
            .min(Duration::from_secs(10))
    }

    pub(crate) async fn run(mut self) -> Result<(), Error> {
        tracing::info!(target = %self.connector.target(), "client starting");
        self.first_session_deadline = self
            .first_session_timeout
            .and_then(|timeout| self.now().checked_add(timeout));
        super::warn::set_interval(self.engine.config().log_interval);
        self.engine.open(self.now());
        loop {
            self.drain().await;
            if self.engine.is_closed() {
                break;
            }
            if self.writer_has_a_batch() {
                yield_once().await;
            }
            match self.wait().await {
                Wake::Command(command) => {
                    let more = !matches!(command, Command::Shutdown);
                    self.command(command);
                    if more {
                        self.take_ready_commands();
                    }
                }
                Wake::Frame(Some(Ok(text))) => {
                    self.engine.handle_frame(&text, self.now());
                    self.read_ready_frames();
                }
                Wake::Frame(Some(Err(e))) => self.lost(DisconnectReason::Transport(e)),
                Wake::Frame(None) => self.lost(DisconnectReason::ServerClosed),
                Wake::WriteFailed(generation, e) => {
                    if generation == self.generation && self.writer.is_some() {
                        self.lost(DisconnectReason::Transport(e));
                    }
                }
                Wake::Timer => {
                    if !self.first_session_expired() {
                        self.engine.handle_timeout(self.now())
                    }
                }
            }
        }
        // A polite close, but never longer than one write deadline.
        if let Some(mut writer) = self.close_connection() {
            let deadline = self.write_deadline();
            let _ = future::select(&mut writer.closed, self.runtime.sleep(deadline)).await;
        }
        tracing::info!("client stopped");
        if let Some(error) = self.gave_up.take() {
            return Err(error);
        }
        match self.closed.take() {
            Some(SessionError::Shutdown) | None => Ok(()),
            Some(other) => Err(Error::Session(other)),
        }
    }

    /// The first-session deadline, while no session was had.
    fn first_session_deadline(&self) -> Option<Instant> {
        self.first_session_deadline.filter(|_| !self.ever_ready)
    }

    /// Gives up when the first session could not be had in time: `run` then returns the
    /// last failure (which says what to change) instead of retrying for ever.
    fn first_session_expired(&mut self) -> bool {
        let Some(deadline) = self.first_session_deadline() else {
            return false;
        };
        if self.now() < deadline || self.gave_up.is_some() {
            return false;
        }
        let waited = self.first_session_timeout.unwrap_or_default();
        let error = self
            .last_failure
            .take()
            .unwrap_or(Error::Open(OpenError::NoSession { waited }));
        tracing::error!(
            ?waited,
            "no session within the first-session time-out; giving up: {error}"
        );
        self.gave_up = Some(error);
        self.engine.shutdown(self.now());
        true
    }

    /// Waits for a command, a frame or the engine's next deadline.
    async fn wait(&mut self) -> Wake {
        let next = match (self.engine.poll_timeout(), self.first_session_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let sleep = match next {
            Some(at) => {
                let now = self.now();
                if at <= now {
                    return Wake::Timer;
                }
                Either::Left(self.runtime.sleep(at - now))
            }
            None => Either::Right(future::pending::<()>()),
        };
        let frame = async {
            match self.reader.as_mut() {
                Some(reader) => reader.recv().await,
                None => future::pending().await,
            }
        };
        // The loop holds the client, so the queue stays open while it runs.
        let commands = &self.client.commands;
        let command = future::poll_fn(|cx| match commands.poll_next(cx) {
            Poll::Ready(Some(command)) => Poll::Ready(command),
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        });
        let failure = self.write_failures.next();
        futures_util::select_biased! {
            command = command.fuse() => Wake::Command(command),
            failure = failure.fuse() => match failure {
                Some((generation, e)) => Wake::WriteFailed(generation, e),
                None => Wake::Timer,
            },
            frame = frame.fuse() => Wake::Frame(frame),
            _ = sleep.fuse() => Wake::Timer,
        }
    }

    /// Reads frames that are already buffered, without waiting.
    fn read_ready_frames(&mut self) {
        for _ in 0..READ_BATCH {
            let Some(reader) = self.reader.as_mut() else {
                return;
            };
            match reader.try_recv() {
                None => return,
                Some(Some(Ok(text))) => self.engine.handle_frame(&text, self.now()),
                Some(Some(Err(e))) => return self.lost(DisconnectReason::Transport(e)),
                Some(None) => return self.lost(DisconnectReason::ServerClosed),
            }
        }
    }

    /// Runs commands that are already queued, without waiting, so that a burst of requests
    /// from many tasks goes out in one flush (one TLS record, one write) instead of one each.
    /// Stops at a shutdown, which must be drained before anything after it.
    fn take_ready_commands(&mut self) {
        for _ in 1..COMMAND_BATCH {
            match self.client.commands.try_next() {
                Some(Command::Shutdown) => return self.command(Command::Shutdown),
                Some(command) => self.command(command),
                None => return,
            }
        }
    }

    /// Whether a write batch waits for the writer task: the loop then yields to the runtime
    /// before its next wake-up. Without it a burst (thousands of calls answered at once)
    /// queues every request before the writer runs, since a ready command or frame never
    /// makes the loop wait: the frames would all be held at once, and leave late.
    fn writer_has_a_batch(&self) -> bool {
        self.writer
            .as_ref()
            .is_some_and(|writer| writer.queued.load(Ordering::Acquire) >= WRITE_BATCH_BYTES)
    }

    /// The connection broke under us: say why, then let the engine plan the reconnect.
    fn lost(&mut self, reason: DisconnectReason) {
        tracing::warn!(?reason, "connection lost");
        self.reader = None;
        self.writer = None; // its task writes what is still queued, then ends
        self.client.publish(&ClientEvent::ConnectionLost(reason));
        self.engine.handle_disconnected(self.now());
    }

    /// Carries out every transmit and delivers every event, until the engine is quiet.
    /// Frames go to the writer task and never make the loop wait.
    async fn drain(&mut self) {
        loop {
            let mut moved = false;
            while let Some(transmit) = self.engine.poll_transmit() {
                moved = true;
                match transmit {
                    Transmit::Open => self.open().await,
                    Transmit::Send(text) => self.queue_frame(text),
                    Transmit::Close => drop(self.close_connection()),
                }
            }
            let mut any = false;
            while let Some(event) = self.engine.poll_event() {
                any = true;
                self.deliver(event);
            }
            if !any && !moved {
                self.release_emptied_maps();
                return;
            }
        }
    }

    /// Hands a frame to the writer task, unless the bytes already waiting would pass
    /// `max_outgoing_bytes`: then the server is not reading, and the frame (an ack, a ping,
    /// an internal request) is dropped; its request times out, or the server sends its
    /// event again. Commands are refused before they reach the engine (`SendQueueFull`).
    fn queue_frame(&mut self, text: String) {
        let Some(writer) = &self.writer else {
            return;
        };
        let queued = writer.queued.load(Ordering::Acquire);
        if queued.saturating_add(text.len()) > self.max_outgoing_bytes {
            if let Some(held) = super::warn::allowed("outgoing_frame_dropped") {
                tracing::warn!(
                    queued,
                    limit = self.max_outgoing_bytes,
                    similar_held_back = held,
                    "the server is not reading: outgoing queue full, frame dropped"
                );
            }
            return;
        }
        writer.queued.fetch_add(text.len(), Ordering::AcqRel);
        writer.frames.send(text);
    }

    /// `SendQueueFull` when the bytes waiting for the socket fill `max_outgoing_bytes`.
    fn backpressure(&self) -> Option<Error> {
        let queued = self.writer.as_ref()?.queued.load(Ordering::Acquire);
        // Room for one more ordinary request (a few hundred bytes) is required.
        (queued.saturating_add(SMALL_FRAME) > self.max_outgoing_bytes).then_some(
            Error::SendQueueFull {
                queued,
                limit: self.max_outgoing_bytes,
            },
        )
    }

    /// Gives the tables of emptied large maps back after a burst (`release_if_emptied`).
    fn release_emptied_maps(&mut self) {
        release_if_emptied(&mut self.waiting);
        release_if_emptied(&mut self.dials);
        self.calls.release_if_emptied();
    }

    /// Stops reading and asks the writer to flush and close; its handle, to wait on.
    fn close_connection(&mut self) -> Option<Writer> {
        self.reader = None;
        let writer = self.writer.take()?;
        writer.frames.close();
        Some(writer)
    }

    /// Opens a connection, bounded by the request time-out. A failure is reported with its
    /// cause; before the first session, repeated permanent failures end the client.
    async fn open(&mut self) {
        let timeout = self.engine.config().request_timeout;
        let attempt = self.connect_failures + 1;
        tracing::debug!(target = %self.connector.target(), attempt, "connecting");
        let connect = self.connector.open();
        let result = match future::select(connect, self.runtime.sleep(timeout)).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(OpenError::Timeout),
        };
        match result {
            Ok(transport) => {
                tracing::debug!("connected; authenticating");
                self.connect_failures = 0;
                let (reader, writer) = transport.split();
                self.generation += 1;
                let (frames, outgoing) = outbox();
                let (closed_tx, closed) = oneshot::channel();
                let queued = Arc::new(AtomicUsize::new(0));
                let task = write_task(
                    writer,
                    outgoing,
                    queued.clone(),
                    self.write_failure_tx.clone(),
                    self.generation,
                    self.write_deadline(),
                    self.runtime.clone(),
                    closed_tx,
                );
                self.runtime.spawn(Box::pin(task));
                self.reader = Some(reader);
                self.writer = Some(Writer {
                    frames,
                    closed,
                    queued,
                });
                self.engine.handle_connected(self.now());
            }
            Err(error) => {
                self.connect_failures = attempt;
                if error.is_permanent() && !self.ever_ready {
                    self.permanent_failures += 1;
                }
                let give_up = !self.ever_ready
                    && self.permanent_failures >= PERMANENT_FAILURES_BEFORE_GIVING_UP;
                self.engine.handle_disconnected(self.now());
                let retry_in = if give_up {
                    None
                } else {
                    self.engine
                        .poll_timeout()
                        .map(|at| at.saturating_duration_since(self.now()))
                };
                // One line an attempt, its cause's text saying what to change.
                if give_up {
                    tracing::error!(attempt, "cannot open the connection, giving up: {error}");
                } else {
                    tracing::warn!(
                        attempt,
                        ?retry_in,
                        "cannot open the connection, will retry: {error}"
                    );
                }
                self.client.publish(&ClientEvent::OpenFailed {
                    error: error.clone(),
                    attempt,
                    retry_in,
                });
                if give_up {
                    self.gave_up = Some(Error::Open(error));
                    self.engine.shutdown(self.now());
                } else if !self.ever_ready {
                    self.last_failure = Some(Error::Open(error));
                }
            }
        }
    }

    fn command(&mut self, command: Command) {
        let now = self.now();
        if let Some(error) = self.backpressure() {
            // Fail fast: a request would only add to what the server does not read.
            match command {
                Command::Request(asked) => return asked.answer(Err(error)),
                Command::Action(asked) => return asked.answer(Err(error)),
                Command::Dial { reply, .. } => return drop(reply.send(Err(error))),
                Command::Message { reply, .. } => return drop(reply.send(Err(error))),
                Command::Shutdown | Command::WatchCall { .. } | Command::WatchAllCalls => {}
            }
        }
        match command {
            Command::Request(asked) => match asked.run(&mut self.engine, now) {
                Ok(id) => {
                    self.waiting.insert(id, Waiter::Request(asked));
                }
                Err(e) => asked.answer(Err(e.into())),
            },
            Command::Action(asked) => match asked.run(&mut self.engine, now) {
                Ok((start, call_id, kind)) => {
                    let shared = Arc::new(ActionShared::new(call_id, start.control_id, kind));
                    self.add_action(shared.clone());
                    let waiter = Waiter::Start(shared, asked);
                    self.waiting.insert(start.request_id, waiter);
                }
                Err(e) => asked.answer(Err(e.into())),
            },
            Command::Dial { plan, reply } => match self.engine.dial(&plan, now) {
                Ok((id, _tag)) => {
                    self.dials.insert(id, reply);
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Shutdown => {
                tracing::info!("shutdown requested");
                self.engine.shutdown(now)
            }
            Command::Message { message, reply } => {
                self.messages.send(&mut self.engine, now, *message, reply)
            }
            Command::WatchCall { call_id, reply } => {
                // An ended call has no more events: nothing to watch.
                let _ = self.engine.watch_call_events(&call_id);
                if let Some(call) = self.calls.get(&call_id) {
                    call.set_watched();
                }
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
            Command::WatchAllCalls => self.engine.set_every_call_event(true),
        }
    }

    fn deliver(&mut self, event: Event) {
        self.client.publish_engine(&event);
        match event {
            Event::Ready { resumed, .. } => {
                tracing::info!(resumed, "session ready");
                self.ever_ready = true;
                self.permanent_failures = 0;
            }
            Event::RequestCompleted { request_id, result } => {
                let result = result.map_err(Error::from);
                match self.waiting.remove(&request_id) {
                    Some(Waiter::Request(asked)) => asked.answer(result),
                    Some(Waiter::Start(shared, asked)) => asked.answer(result.map(|_| shared)),
                    None => {}
                }
            }
            Event::DialCompleted {
                request_id, result, ..
            } => {
                let Some(reply) = self.dials.remove(&request_id) else {
                    return;
                };
                let result = match result {
                    Ok(info) => Ok(self.track_call(info)),
                    Err(DialError::Closed) => Err(Error::Closed),
                    Err(DialError::Request(e)) => Err(e.into()),
                    Err(other) => Err(Error::Dial(other)),
                };
                let _ = reply.send(result);
            }
            Event::IncomingCall(info) => {
                let info = self.track_call(info);
                let call = Call {
                    info,
                    client: self.client.clone(),
                };
                tracing::debug!(call_id = %call.id(), from = ?call.from_number(), "inbound call");
                match self.client.handler() {
                    // Counted, guarded and in the call's span already (`guard_handler`).
                    Some(handler) => self.client.runtime.spawn(handler(call)),
                    None => self.queue_incoming(call),
                }
            }
            Event::CallState {
                call_id,
                state,
                end_reason,
            } => {
                // The engine wrote the state into the call's record, which its `Call`s read.
                if !self.calls.contains(&call_id) {
                    if let Some(info) = self.engine.call(&call_id).cloned() {
                        // A dialled call announces itself before its dial completes.
                        self.track_call(info);
                    }
                }
                if state.is_ended() {
                    tracing::debug!(%call_id, reason = ?end_reason, "call ended");
                    self.end_call(&call_id, CallOutcome::End(CallEnd::Ended(end_reason)));
                }
            }
            Event::CallGone(gone) => {
                // The engine names the call of every `CallGone` event it emits.
                if let Some(call_id) = gone.call_id.clone() {
                    tracing::debug!(%call_id, code = ?gone.code, "call gone");
                    self.end_call(&call_id, CallOutcome::End(CallEnd::Gone(gone)));
                }
            }
            Event::ActionState {
                call_id,
                control_id,
                state,
                event,
                ..
            } => {
                if let Some(action) = self.calls.action(&call_id, &control_id) {
                    action.set_state(state, event);
                }
            }
            Event::CallEvent {
                call_id,
                event: CallEvent::Conference(conference),
            } => {
                self.client.conferences.publish(&conference);
                if let Some(call) = self.calls.get(&call_id) {
                    call.publish(&CallEvent::Conference(conference));
                }
            }
            Event::CallEvent { call_id, event } => {
                if let Some(call) = self.calls.get(&call_id) {
                    call.publish(&event);
                }
            }
            Event::ActionFinished {
                call_id,
                control_id,
                outcome,
                ..
            } => {
                if let Some(action) = self.calls.remove_action(&call_id, &control_id) {
                    action.finish(&self.client, outcome);
                }
            }
            Event::Connect { call_id, update } => {
                // The peer becomes a call of its own before anyone hears of the bridge.
                // The engine announces a peer it tracks with its record of it.
                let peer = update
                    .peer
                    .filter(|peer| self.engine.call(&peer.call_id).is_some())
                    .map(|info| self.track_call(info));
                tracing::debug!(%call_id, state = %update.state, "connect");
                if let Some(call) = self.calls.get(&call_id) {
                    call.set_connect(update.state, peer);
                }
            }
            // The engine logs closes, disconnects and rejections itself: once is enough.
            Event::Closed(reason) => self.closed = Some(reason),
            Event::Protocol(error) => {
                // The engine has written the warning already (rate-limited).
                tracing::debug!(%error, "server frame refused; the session goes on");
            }
            Event::AuthRejected {
                message, attempts, ..
            } if !self.ever_ready => {
                self.last_failure = Some(Error::Session(SessionError::AuthRejected {
                    attempts,
                    message,
                }));
            }
            event @ (Event::MessageSent { .. }
            | Event::MessageState(_)
            | Event::MessageFinished { .. }
            | Event::IncomingMessage(_)) => self.messages.deliver(&self.client, event),
            Event::Conference(event) => self.client.conferences.publish(&event),
            Event::CallHandedOver { call_id, method } => {
                tracing::debug!(%call_id, %method, "call handed over");
                self.end_call(&call_id, CallOutcome::End(CallEnd::HandedOver(method)));
            }
            _ => {}
        }
    }

    /// Hands an inbound call to `incoming()`. The queue is bounded: when nobody takes
    /// calls, a full queue passes the new one back to the service (`calling.pass`) so that
    /// another consumer of the context can take it, as over the active-call cap.
    fn queue_incoming(&mut self, call: Call) {
        if let Err(e) = self.incoming.try_send(call) {
            let call = e.into_inner();
            let id = call.id().clone();
            if let Some(held) = super::warn::allowed("incoming_queue_full") {
                tracing::warn!(call_id = %id, similar_held_back = held, "incoming-call queue full; passing the call on");
            }
            self.calls.remove(&id);
            let _ = self.engine.pass_and_forget(&id, self.now());
        }
    }

    fn track_call(&mut self, info: Arc<crate::call::CallInfo>) -> Arc<crate::call::CallInfo> {
        self.calls.track(info)
    }

    /// Files a started action under its call, tracking the call from the engine's record
    /// if the loop has not seen it yet. A call neither knows can send no more events: its
    /// action ends at once rather than wait for ever.
    fn add_action(&mut self, action: Arc<ActionShared>) {
        let Err(action) = self.calls.add_action(action) else {
            return;
        };
        match self.engine.call(&action.call_id).cloned() {
            Some(info) => {
                self.track_call(info);
                if let Err(action) = self.calls.add_action(action) {
                    action.finish(&self.client, ActionOutcome::CallEnded);
                }
            }
            None => action.finish(&self.client, ActionOutcome::CallEnded),
        }
    }

    fn end_call(&mut self, call_id: &CallId, outcome: CallOutcome) {
        let Some(entry) = self.calls.remove(call_id) else {
            return;
        };
        let (call, actions) = entry.into_parts();
        // The engine finishes a call's actions before it reports the call's end, so none
        // is left here; should one be, it ends with its call rather than wait for ever.
        for action in actions {
            action.finish(&self.client, action_outcome(&outcome));
        }
        if let CallOutcome::End(CallEnd::Ended(_)) = outcome {
            // Already so when the engine saw `ended`; not when the loop ends it alone.
            call.set_state(crate::call::CallState::Ended);
        }
        tell_end(call, outcome);
    }
}

/// Tells whoever holds the call that it is over: its waiters get `outcome`, its event
/// streams end. When no one else holds it (its handler returned, no `Call` kept) there is
/// no one to tell, and dropping it ends the streams all the same: no outcome is stored.
fn tell_end(mut call: Arc<crate::call::CallInfo>, outcome: CallOutcome) {
    if Arc::get_mut(&mut call).is_none() {
        call.driver.ended.complete(outcome);
        call.close_subscribers();
    }
}

/// How an action left running ends with its call.
fn action_outcome(call: &CallOutcome) -> ActionOutcome {
    match call {
        CallOutcome::End(CallEnd::Gone(gone)) => ActionOutcome::CallGone(gone.clone()),
        CallOutcome::End(_) => ActionOutcome::CallEnded,
        CallOutcome::SessionClosed => ActionOutcome::SessionClosed,
    }
}

/// The writer task of one connection: sends what the loop queues, flushing once the queue
/// is empty, each operation within `deadline`. A failure (a peer that stopped reading
/// included) is reported to the loop with the connection's number, and the task ends.
#[allow(clippy::too_many_arguments)]
async fn write_task(
    mut writer: Box<dyn FrameWriter>,
    mut outbox: OutboxReceiver,
    bytes: Arc<AtomicUsize>,
    failures: mpsc::UnboundedSender<(u64, TransportError)>,
    generation: u64,
    deadline: Duration,
    runtime: Arc<dyn super::runtime::Runtime>,
    closed: oneshot::Sender<()>,
) {
    // Everything queued is taken at once, then handed to the writer in batches of about
    // WRITE_BATCH_BYTES (one write future each, not a boxed one per frame), then flushed
    // once. Both vectors keep their capacity from one take to the next.
    let mut taken: Vec<String> = Vec::new();
    let mut batch: Vec<String> = Vec::new();
    loop {
        let next = outbox.take(&mut taken).await;
        // `Gone`: the loop dropped the connection (it broke): nothing more to do.
        if next == Next::Gone {
            return;
        }
        let mut batch_bytes = 0;
        for text in taken.drain(..) {
            batch_bytes += text.len();
            batch.push(text);
            if batch_bytes >= WRITE_BATCH_BYTES {
                batch_bytes = 0;
                if let Err(e) =
                    write_batch(&mut *writer, &mut batch, &bytes, &*runtime, deadline).await
                {
                    let _ = failures.unbounded_send((generation, e));
                    return;
                }
            }
        }
        if let Err(e) = write_batch(&mut *writer, &mut batch, &bytes, &*runtime, deadline).await {
            let _ = failures.unbounded_send((generation, e));
            return;
        }
        if next == Next::Close {
            let _ = within(runtime.as_ref(), deadline, writer.flush()).await;
            let _ = future::select(writer.close(), runtime.sleep(deadline)).await;
            let _ = closed.send(());
            return;
        }
        if let Err(e) = within(runtime.as_ref(), deadline, writer.flush()).await {
            let _ = failures.unbounded_send((generation, e));
            return;
        }
    }
}

/// Hands the batch to the writer within one write deadline, then counts its bytes as gone
/// from the queue (whether or not they made it: a failure ends the connection).
async fn write_batch(
    writer: &mut dyn FrameWriter,
    batch: &mut Vec<String>,
    bytes: &AtomicUsize,
    runtime: &dyn super::runtime::Runtime,
    deadline: Duration,
) -> Result<(), TransportError> {
    if batch.is_empty() {
        return Ok(());
    }
    let len: usize = batch.iter().map(String::len).sum();
    let sent = within(runtime, deadline, writer.send_all(batch)).await;
    batch.clear();
    bytes.fetch_sub(len, Ordering::AcqRel);
    sent
}

/// Runs one write with a deadline from the runtime. Most writes complete at once (they only
/// fill a buffer), so the timer is armed only for one that has to wait.
async fn within<'a>(
    runtime: &dyn super::runtime::Runtime,
    deadline: Duration,
    mut op: futures_util::future::BoxFuture<'a, Result<(), TransportError>>,
) -> Result<(), TransportError> {
    if let Some(result) = (&mut op).now_or_never() {
        return result;
    }
    match future::select(op, runtime.sleep(deadline)).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(TransportError::WriteTimeout),
    }
}

impl Drop for EventLoop {
    // Whether `run` returned or its future was dropped, every wait must resolve.
    fn drop(&mut self) {
        for (_, waiter) in self.waiting.drain() {
            match waiter {
                Waiter::Request(asked) => asked.answer(Err(Error::Closed)),
                Waiter::Start(_, asked) => asked.answer(Err(Error::Closed)),
            }
        }
        for (_, reply) in self.dials.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for entry in self.calls.drain() {
            let (call, actions) = entry.into_parts();
            for action in actions {
                action.finish(&self.client, ActionOutcome::SessionClosed);
            }
            tell_end(call, CallOutcome::SessionClosed);
        }
        self.messages.close();
        self.client.conferences.close();
        for command in self.client.commands.close() {
            match command {
                Command::Request(asked) => asked.answer(Err(Error::Closed)),
                Command::Action(asked) => asked.answer(Err(Error::Closed)),
                Command::Dial { reply, .. } => drop(reply.send(Err(Error::Closed))),
                // A waiting `reply` learns of the end from its dropped sender.
                Command::Shutdown | Command::WatchAllCalls | Command::WatchCall { .. } => {}
                Command::Message { reply, .. } => drop(reply.send(Err(Error::Closed))),
            }
        }
    }
}

/// Pending once, having woken its own task: the runtime runs the other ready tasks (the
/// writer) before polling the loop again. Runtime-neutral, unlike `tokio::task::yield_now`.
async fn yield_once() {
    let mut yielded = false;
    future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::Waiter;
    use crate::ids::RequestId;
    use std::mem::size_of;

    /// Thousands of requests wait in a burst of calls (an answer, then a stream start,
    /// each): one table for both, where there was one per kind (a burst grew two large
    /// ones), with a slot of five words: the id and who waits.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_request_in_flight_takes_one_slot_of_five_words_in_the_loop() {
        let slot = size_of::<(RequestId, Waiter)>();
        assert!(slot <= 40, "{slot}");
    }

    /// Every request passes the command queue, whose buffer is sized for the largest
    /// command (a burst of requests grows it to thousands of slots): a dial's plan and a
    /// message, large and rare, are boxed (a slot was 176 bytes).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_command_queued_takes_four_words() {
        let command = size_of::<super::Command>();
        assert!(command <= 32, "{command}");
    }
}
