//! The async client, written once for every runtime: one event loop owns the [`Engine`],
//! user handles ([`Client`], [`Call`], [`StreamAction`]) talk to it over channels.
//!
//! A runtime crate supplies a [`Runtime`] (TCP connect, sleep, spawn, now); where the
//! connections come from is a [`Connector`] (the WebSocket one by default).

mod action;
mod action_controls;
mod api;
pub(crate) mod call;
mod call_actions;
mod call_connect;
mod call_control;
mod call_events;
mod callbacks;
mod client;
mod client_event;
mod completion;
mod conference_events;
mod connector;
mod env;
mod error;
mod event_loop;
mod exchange;
mod loop_calls;
mod messaging;
mod open_error;
mod outbox;
mod runtime;
mod transport;
mod wake_queue;
mod warn;

pub use action::{
    ActionHandle, AiAction, CollectAction, DetectAction, FaxAction, PayAction, PlayAction,
    PromptAction, RecordAction, SendDigitsAction, StreamAction, TapAction, TranscribeAction,
};
pub use call::{Call, CallEnd};
pub use call_control::QueueEntry;
pub use call_events::{CallEvents, EVENT_BUFFER};
pub use client::{Client, ClientBuilder, IncomingCalls, DEFAULT_HOST, DEFAULT_MAX_OUTGOING_BYTES};
pub use client_event::{ClientEvent, DisconnectReason};
pub use conference_events::ConferenceEvents;
pub use connector::{Connector, WsConnector};
pub use error::Error;
pub use messaging::{IncomingMessages, MessageHandle, INCOMING_MESSAGES};
pub use open_error::{OpenError, TlsFailure, TransportError};
pub use runtime::{spawn_logging_thread, ByteStream, Runtime};
pub use transport::{
    connect_websocket, tls_client_config, ConnectOptions, Frame, FrameReader, FrameWriter,
    Transport, WsTransport,
};

#[cfg(feature = "testkit")]
pub(crate) use transport::split_url;

use crate::engine::{ActionStart, DialPlan, Engine};
use crate::error::CommandError;
use crate::ids::{CallId, RequestId};
use futures_channel::oneshot;
use std::sync::Arc;
use std::time::Instant;

/// A request built against the engine inside the event loop.
pub(crate) type Op =
    Box<dyn FnOnce(&mut Engine, Instant) -> Result<RequestId, CommandError> + Send>;

/// An action start as the loop sees it: run, it gives the start and the action's call and
/// kind; answered, the action's record.
pub(crate) type AskedStart =
    exchange::Asked<(ActionStart, CallId, crate::action::ActionKind), Arc<action::ActionShared>>;

/// What user handles ask of the event loop.
pub(crate) enum Command {
    /// A request: its op and the slot of its result in one exchange.
    Request(exchange::Asked<RequestId, crate::payload::Payload>),
    /// An action start: its op (which also names the call and the action's kind) and the
    /// slot of the action's record once the server accepts.
    Action(AskedStart),
    /// Large and rare beside the requests that share the queue's slots: boxed.
    Dial {
        plan: Box<DialPlan>,
        reply: oneshot::Sender<Result<Arc<crate::call::CallInfo>, Error>>,
    },
    Shutdown,
    /// A call got an event subscriber: from now on the engine delivers every event of it
    /// (copying each one), and `reply` learns when that holds.
    WatchCall {
        call_id: CallId,
        reply: Option<oneshot::Sender<()>>,
    },
    /// An `on_event` hook was added: it sees every call event of every call.
    WatchAllCalls,
    Message {
        message: Box<crate::message::SendMessage>,
        reply: oneshot::Sender<Result<Arc<messaging::MessageShared>, Error>>,
    },
}
