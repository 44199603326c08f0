//! Messaging in the async client (`docs/CALLING-API.md` [§3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)): [`Client::send_message`] and
//! its [`MessageHandle`], and inbound messages by handler ([`Client::on_message`]) or
//! stream ([`Client::messages`]). The event loop's [`MessageRouter`] keeps the handles.

use super::callbacks::spawn_guarded;
use super::client::{Client, ClientInner};
use super::completion::Completion;
use super::error::Error;
use super::Command;
use crate::engine::Engine;
use crate::event::Event;
use crate::ids::RequestId;
use crate::message::{Message, MessageError, MessageId, MessageState, SendMessage};
use futures_channel::{mpsc, oneshot};
use futures_util::future::{self, BoxFuture, Either};
use futures_util::Stream;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Inbound messages kept for [`Client::messages`] when nobody takes them; beyond it new
/// ones are dropped (and logged) rather than queued without end.
pub const INCOMING_MESSAGES: usize = 1024;

type MessageHandler = Arc<dyn Fn(Message) -> BoxFuture<'static, ()> + Send + Sync>;
type Reply = oneshot::Sender<Result<Arc<MessageShared>, Error>>;

/// The client's inbound-message handler and stream, set up before `run`.
pub(crate) struct MessagingShared {
    handler: Mutex<Option<MessageHandler>>,
    stream: Mutex<Option<IncomingMessages>>,
    sender: Mutex<Option<mpsc::Sender<Message>>>,
}

impl MessagingShared {
    pub(crate) fn new() -> Self {
        // A futures channel holds its buffer plus one slot per sender: one sender here.
        let (sender, receiver) = mpsc::channel(INCOMING_MESSAGES - 1);
        Self {
            handler: Mutex::new(None),
            stream: Mutex::new(Some(IncomingMessages { receiver })),
            sender: Mutex::new(Some(sender)),
        }
    }

    fn handler(&self) -> Option<MessageHandler> {
        self.handler
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// One sent message as the event loop and its handles share it.
pub(crate) struct MessageShared {
    id: MessageId,
    latest: Mutex<Message>,
    end: Completion<Result<Message, MessageError>>,
}

impl MessageShared {
    fn new(message: Message) -> Self {
        Self {
            id: message.id.clone(),
            latest: Mutex::new(message),
            end: Completion::default(),
        }
    }

    fn set(&self, message: Message) {
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = message;
    }

    fn finish(&self, message: Message, result: Result<(), MessageError>) {
        self.set(message.clone());
        self.end.complete(result.map(|()| message));
    }
}

/// A message the server accepted: follow its state, wait for its end.
///
/// [`MessageHandle::wait`] resolves with the delivered [`Message`], or with
/// [`Error::Message`] naming why not: [`MessageError::Undelivered`] /
/// [`MessageError::Failed`] with the service's reason, or [`MessageError::SessionLost`]
/// when the session was replaced before the end. Carriers fail messages often enough that
/// an undelivered message is an error to handle, not a broken client; its reason is in the
/// error and the last snapshot stays in [`MessageHandle::message`].
#[derive(Clone)]
pub struct MessageHandle {
    shared: Arc<MessageShared>,
    client: Arc<ClientInner>,
}

impl fmt::Debug for MessageHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageHandle")
            .field("id", &self.shared.id)
            .field("state", &self.state())
            .finish()
    }
}

impl MessageHandle {
    /// The runtime the message's client runs on (the blocking facade waits through it).
    pub fn runtime(&self) -> &Arc<dyn super::runtime::Runtime> {
        &self.client.runtime
    }

    /// Calls `callback` with how the message ended (as [`MessageHandle::wait`] says it) once
    /// it ends, at once if it has, as a task of its own; a panic in it is caught and
    /// reported as [`ClientEvent::CallbackPanicked`](super::ClientEvent::CallbackPanicked).
    pub fn on_completed(&self, callback: impl FnOnce(Result<Message, Error>) + Send + 'static) {
        let handle = self.clone();
        let task: BoxFuture<'static, ()> = Box::pin(async move {
            let result = handle.wait().await;
            callback(result);
        });
        spawn_guarded(&self.client, "on_completed", task);
    }

    /// The server's id.
    pub fn id(&self) -> &MessageId {
        &self.shared.id
    }

    /// The latest state (`queued` until the first state event).
    pub fn state(&self) -> MessageState {
        self.message().state
    }

    /// The latest snapshot.
    pub fn message(&self) -> Message {
        self.shared
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether the message reached its end (or can no longer be followed).
    pub fn is_done(&self) -> bool {
        self.shared.end.get().is_some()
    }

    /// Waits for the end: `Ok` with the message once `delivered`; [`Error::Message`] when
    /// it ended `undelivered` or `failed` (with the reason) or its session was lost;
    /// [`Error::Closed`] when the client shut down first. Cancel-safe.
    pub async fn wait(&self) -> Result<Message, Error> {
        match self.shared.end.wait().await {
            Some(Ok(message)) => Ok(message),
            Some(Err(MessageError::Closed)) | None => Err(Error::Closed),
            Some(Err(error)) => Err(Error::Message(error)),
        }
    }

    /// [`MessageHandle::wait`] for at most `timeout`; [`Error::WaitTimedOut`] after that.
    /// A later `wait` still sees the end.
    pub async fn wait_timeout(&self, timeout: Duration) -> Result<Message, Error> {
        let sleep = self.client.runtime.sleep(timeout);
        let wait = Box::pin(self.wait());
        match future::select(wait, sleep).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(Error::WaitTimedOut),
        }
    }
}

impl Client {
    /// Sends a message (`messaging.send`) and waits for the server to accept it; follow it
    /// with the returned handle. Refused locally ([`Error::Command`]) without a body or
    /// media; a refusal of the server is [`Error::Message`] with
    /// [`MessageError::Request`].
    pub async fn send_message(&self, message: SendMessage) -> Result<MessageHandle, Error> {
        message.validate()?;
        let (reply, receiver) = oneshot::channel();
        self.inner.send(Command::Message {
            message: Box::new(message),
            reply,
        })?;
        let shared = receiver.await.map_err(|_| Error::Closed)??;
        Ok(MessageHandle {
            shared,
            client: self.inner.clone(),
        })
    }

    /// Calls `handler` for every inbound message on the client's contexts, each in its own
    /// task. Takes precedence over [`Client::messages`]. A handler that panics is reported
    /// as a [`ClientEvent::CallbackPanicked`](super::ClientEvent) (`"on_message"`); the
    /// client goes on.
    pub fn on_message<F, Fut>(&self, handler: F)
    where
        F: Fn(Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: MessageHandler = Arc::new(move |message| Box::pin(handler(message)));
        *self
            .inner
            .messaging
            .handler
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(handler);
    }

    /// The inbound messages as a stream (bounded: [`INCOMING_MESSAGES`] waiting at most),
    /// for those who prefer it to [`Client::on_message`]. `None` after the first call.
    pub fn messages(&self) -> Option<IncomingMessages> {
        self.inner
            .messaging
            .stream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Inbound messages, one after the other, from [`Client::messages`].
///
/// A `futures::Stream`: take them with `StreamExt::next` (`use relay_tokio::StreamExt`).
pub struct IncomingMessages {
    receiver: mpsc::Receiver<Message>,
}

impl fmt::Debug for IncomingMessages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IncomingMessages")
    }
}

impl Stream for IncomingMessages {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        Pin::new(&mut self.receiver).poll_next(cx)
    }
}

/// The event loop's side: sends waiting for acceptance, handles of messages in flight, and
/// where inbound messages go.
pub(crate) struct MessageRouter {
    sends: HashMap<RequestId, Reply>,
    active: HashMap<MessageId, Arc<MessageShared>>,
    incoming: Option<mpsc::Sender<Message>>,
}

impl MessageRouter {
    pub(crate) fn new(client: &ClientInner) -> Self {
        Self {
            sends: HashMap::new(),
            active: HashMap::new(),
            incoming: client
                .messaging
                .sender
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        }
    }

    /// Runs a `send_message` command against the engine.
    pub(crate) fn send(
        &mut self,
        engine: &mut Engine,
        now: Instant,
        message: SendMessage,
        reply: Reply,
    ) {
        match engine.send_message(&message, now) {
            Ok(id) => {
                self.sends.insert(id, reply);
            }
            Err(e) => {
                let _ = reply.send(Err(e.into()));
            }
        }
    }

    /// Delivers one of the engine's messaging events; others are ignored.
    pub(crate) fn deliver(&mut self, client: &Arc<ClientInner>, event: Event) {
        match event {
            Event::MessageSent { request_id, result } => {
                let reply = self.sends.remove(&request_id);
                let result = result.map(|message| {
                    let shared = Arc::new(MessageShared::new(*message));
                    self.active.insert(shared.id.clone(), shared.clone());
                    shared
                });
                if let Some(reply) = reply {
                    let _ = reply.send(result.map_err(|e| match e {
                        MessageError::Closed => Error::Closed,
                        other => Error::Message(other),
                    }));
                }
            }
            Event::MessageState(message) => {
                if let Some(shared) = self.active.get(&message.id) {
                    shared.set(*message);
                }
            }
            Event::MessageFinished { message, result } => {
                tracing::debug!(message_id = %message.id, state = %message.state, "message ended");
                if let Some(shared) = self.active.remove(&message.id) {
                    shared.finish(*message, result);
                }
            }
            Event::IncomingMessage(message) => self.incoming(client, *message),
            _ => {}
        }
    }

    fn incoming(&mut self, client: &Arc<ClientInner>, message: Message) {
        tracing::debug!(message_id = %message.id, from = %message.from, "inbound message");
        if let Some(handler) = client.messaging.handler() {
            let span = tracing::info_span!("message", message_id = %message.id);
            let task = tracing::Instrument::instrument(handler(message), span);
            return spawn_guarded(client, "on_message", task);
        }
        let Some(sender) = self.incoming.as_mut() else {
            return;
        };
        if let Err(e) = sender.try_send(message) {
            // Unlike a call, a message cannot be handed back: nobody is reading, so say so.
            let id = e.into_inner().id;
            if let Some(held) = super::warn::allowed("inbound_message_dropped") {
                tracing::warn!(message_id = %id, similar_held_back = held, "inbound-message queue full; message dropped");
            }
        }
    }

    /// The client stops: every wait resolves.
    pub(crate) fn close(&mut self) {
        for (_, reply) in self.sends.drain() {
            let _ = reply.send(Err(Error::Closed));
        }
        for (_, shared) in self.active.drain() {
            let message = shared
                .latest
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            shared.finish(message, Err(MessageError::Closed));
        }
    }
}
