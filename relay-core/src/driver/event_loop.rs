//! The one event loop: owns the engine and the socket, runs commands, feeds frames and
//! timers in, and delivers events to the user's handles.

use super::action::ActionShared;
use super::call::{Call, CallEnd, CallOutcome, CallShared};
use super::client::{ClientInner, PendingLoop};
use super::error::Error;
use super::transport::{connect_websocket, ConnectOptions, Transport, WsTransport};
use super::Command;
use crate::action::ActionOutcome;
use crate::engine::Engine;
use crate::error::SessionError;
use crate::event::{DialError, Event, Transmit};
use crate::ids::{CallId, ControlId, RequestId};
use futures_channel::{mpsc, oneshot};
use futures_util::future::{self, Either, FutureExt};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// Frames read in one go before outputs are drained, so bursts are batched.
const READ_BATCH: usize = 256;

type Reply<T> = oneshot::Sender<Result<T, Error>>;

enum Wake {
    Command(Option<Command>),
    Frame(Option<Result<String, String>>),
    Timer,
}

pub(crate) struct EventLoop {
    client: Arc<ClientInner>,
    engine: Engine,
    connect: ConnectOptions,
    commands: mpsc::UnboundedReceiver<Command>,
    incoming: mpsc::UnboundedSender<Call>,
    transport: Option<Box<dyn Transport>>,
    requests: HashMap<RequestId, Reply<Value>>,
    action_starts: HashMap<RequestId, (Arc<ActionShared>, Reply<Arc<ActionShared>>)>,
    dials: HashMap<RequestId, Reply<Arc<CallShared>>>,
    calls: HashMap<CallId, Arc<CallShared>>,
    actions: HashMap<(CallId, ControlId), Arc<ActionShared>>,
    closed: Option<SessionError>,
}

impl EventLoop {
    pub(crate) fn new(client: Arc<ClientInner>, pending: PendingLoop) -> Self {
        Self {
            client,
            engine: Engine::new(pending.config),
            connect: pending.connect,
            commands: pending.receiver,
            incoming: pending.incoming,
            transport: None,
            requests: HashMap::new(),
            action_starts: HashMap::new(),
            dials: HashMap::new(),
            calls: HashMap::new(),
            actions: HashMap::new(),
            closed: None,
        }
    }

    pub(crate) async fn run(mut self) -> Result<(), Error> {
        self.engine.connect(Instant::now());
        loop {
            self.drain().await;
            if self.engine.is_closed() {
                break;
            }
            match self.wait().await {
                Wake::Command(Some(command)) => self.command(command),
                Wake::Command(None) => self.engine.shutdown(Instant::now()),
                Wake::Frame(Some(Ok(text))) => {
                    self.engine.handle_frame(&text, Instant::now());
                    self.read_ready_frames();
                }
                Wake::Frame(Some(Err(_)) | None) => {
                    self.transport = None;
                    self.engine.handle_disconnected(Instant::now());
                }
                Wake::Timer => self.engine.handle_timeout(Instant::now()),
            }
        }
        if let Some(transport) = self.transport.as_mut() {
            transport.close().await;
        }
        self.transport = None;
        match self.closed.take() {
            Some(SessionError::Shutdown) | None => Ok(()),
            Some(other) => Err(Error::Session(other)),
        }
    }

    /// Waits for a command, a frame or the engine's next deadline.
    async fn wait(&mut self) -> Wake {
        let sleep = match self.engine.poll_timeout() {
            Some(at) => {
                let delay = at.saturating_duration_since(Instant::now());
                Either::Left(self.client.runtime.sleep(delay))
            }
            None => Either::Right(future::pending::<()>()),
        };
        let frame = async {
            match self.transport.as_mut() {
                Some(transport) => transport.recv().await,
                None => future::pending().await,
            }
        };
        let command = self.commands.next();
        futures_util::select_biased! {
            command = command.fuse() => Wake::Command(command),
            frame = frame.fuse() => Wake::Frame(frame),
            _ = sleep.fuse() => Wake::Timer,
        }
    }

    /// Reads frames that are already buffered, without waiting.
    fn read_ready_frames(&mut self) {
        for _ in 0..READ_BATCH {
            let Some(transport) = self.transport.as_mut() else {
                return;
            };
            match transport.recv().now_or_never() {
                None => return,
                Some(Some(Ok(text))) => self.engine.handle_frame(&text, Instant::now()),
                Some(Some(Err(_)) | None) => {
                    self.transport = None;
                    self.engine.handle_disconnected(Instant::now());
                    return;
                }
            }
        }
    }

    /// Carries out every transmit and delivers every event, until the engine is quiet.
    async fn drain(&mut self) {
        loop {
            let mut wrote = false;
            while let Some(transmit) = self.engine.poll_transmit() {
                match transmit {
                    Transmit::Connect => self.open().await,
                    Transmit::Send(text) => {
                        if let Some(transport) = self.transport.as_mut() {
                            if transport.send(text).await.is_err() {
                                self.transport = None;
                                self.engine.handle_disconnected(Instant::now());
                            } else {
                                wrote = true;
                            }
                        }
                    }
                    Transmit::Close => {
                        if let Some(mut transport) = self.transport.take() {
                            let _ = transport.flush().await;
                            transport.close().await;
                        }
                    }
                }
            }
            if wrote {
                if let Some(transport) = self.transport.as_mut() {
                    if transport.flush().await.is_err() {
                        self.transport = None;
                        self.engine.handle_disconnected(Instant::now());
                    }
                }
            }
            let mut any = false;
            while let Some(event) = self.engine.poll_event() {
                any = true;
                self.deliver(event);
            }
            if !any && !wrote {
                return;
            }
        }
    }

    /// Opens the socket, bounded by the request time-out.
    async fn open(&mut self) {
        let timeout = self.engine.config().request_timeout;
        let runtime = self.client.runtime.clone();
        let connect = connect_websocket(runtime.as_ref(), &self.connect, &[]);
        let result = match future::select(Box::pin(connect), runtime.sleep(timeout)).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err("connect timed out".into()),
        };
        match result {
            Ok(ws) => {
                self.transport = Some(Box::new(WsTransport::new(ws)));
                self.engine.handle_connected(Instant::now());
            }
            Err(_) => self.engine.handle_disconnected(Instant::now()),
        }
    }

    fn command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Request { op, reply } => match op(&mut self.engine, now) {
                Ok(id) => {
                    self.requests.insert(id, reply);
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Action {
                call_id,
                kind,
                op,
                reply,
            } => match op(&mut self.engine, now) {
                Ok(start) => {
                    let shared = Arc::new(ActionShared::new(
                        call_id.clone(),
                        start.control_id.clone(),
                        kind,
                    ));
                    self.actions
                        .insert((call_id, start.control_id), shared.clone());
                    self.action_starts.insert(start.request_id, (shared, reply));
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Dial { plan, reply } => match self.engine.dial(&plan, now) {
                Ok((id, _tag)) => {
                    self.dials.insert(id, reply);
                }
                Err(e) => {
                    let _ = reply.send(Err(e.into()));
                }
            },
            Command::Shutdown => self.engine.shutdown(now),
        }
    }

    fn deliver(&mut self, event: Event) {
        if let Some(hook) = self.client.event_hook() {
            hook(&event);
        }
        match event {
            Event::RequestCompleted { request_id, result } => {
                let result = result.map_err(Error::from);
                if let Some(reply) = self.requests.remove(&request_id) {
                    let _ = reply.send(result);
                } else if let Some((shared, reply)) = self.action_starts.remove(&request_id) {
                    let _ = reply.send(result.map(|_| shared));
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
                    Err(DialError::Failed) => Err(Error::DialFailed),
                    Err(DialError::Request(e)) => Err(e.into()),
                    Err(DialError::Closed) => Err(Error::Closed),
                    Err(_) => Err(Error::DialFailed),
                };
                let _ = reply.send(result);
            }
            Event::IncomingCall(info) => {
                let shared = self.track_call(info);
                let call = Call {
                    shared,
                    client: self.client.clone(),
                };
                match self.client.handler() {
                    Some(handler) => self.client.runtime.spawn(handler(call)),
                    None => {
                        let _ = self.incoming.unbounded_send(call);
                    }
                }
            }
            Event::CallState {
                call_id,
                state,
                end_reason,
            } => {
                if let Some(call) = self.calls.get(&call_id) {
                    call.set_state(state.clone());
                } else if let Some(info) = self.engine.call(&call_id).cloned() {
                    // A dialled call announces itself before its dial completes.
                    self.track_call(info);
                }
                if state.is_ended() {
                    self.end_call(&call_id, CallOutcome::End(CallEnd::Ended(end_reason)));
                }
            }
            Event::CallGone { call_id, code } => {
                self.end_call(&call_id, CallOutcome::End(CallEnd::Gone(code)));
            }
            Event::ActionState {
                call_id,
                control_id,
                state,
                ..
            } => {
                if let Some(action) = self.actions.get(&(call_id, control_id)) {
                    action.set_state(state.to_string());
                }
            }
            Event::ActionFinished {
                call_id,
                control_id,
                outcome,
                ..
            } => {
                if let Some(action) = self.actions.remove(&(call_id, control_id)) {
                    action.finish(outcome);
                }
            }
            Event::Closed(reason) => self.closed = Some(reason),
            _ => {}
        }
    }

    fn track_call(&mut self, info: crate::call::CallInfo) -> Arc<CallShared> {
        self.calls
            .entry(info.call_id.clone())
            .or_insert_with(|| Arc::new(CallShared::new(info)))
            .clone()
    }

    fn end_call(&mut self, call_id: &CallId, outcome: CallOutcome) {
        if let Some(call) = self.calls.remove(call_id) {
            if let CallOutcome::End(CallEnd::Ended(_)) = outcome {
                call.set_state(crate::call::CallState::Ended);
            }
            call.ended.complete(outcome);
        }
    }
}

impl Drop for EventLoop {
    // Whether `run` returned or its future was dropped, every wait must resolve.
    fn drop(&mut self) {
        for (_, reply) in self.requests.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for (_, (_, reply)) in self.action_starts.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for (_, reply) in self.dials.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for (_, action) in self.actions.drain() {
            action.finish(ActionOutcome::SessionClosed);
        }
        for (_, call) in self.calls.drain() {
            call.ended.complete(CallOutcome::SessionClosed);
        }
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Request { reply, .. } => drop(reply.send(Err(Error::Closed))),
                Command::Action { reply, .. } => drop(reply.send(Err(Error::Closed))),
                Command::Dial { reply, .. } => drop(reply.send(Err(Error::Closed))),
                Command::Shutdown => {}
            }
        }
    }
}
