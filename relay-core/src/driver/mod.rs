//! The async client, written once for every runtime: one event loop owns the [`Engine`],
//! user handles ([`Client`], [`Call`], [`StreamAction`]) talk to it over channels.
//!
//! A runtime crate supplies a [`Runtime`] (TCP connect, sleep, spawn) and nothing else. The
//! local simulator ([`SimServer`]) and the stream receiver ([`StreamReceiver`]) live here too.

mod action;
mod call;
mod client;
mod completion;
mod env;
mod error;
mod event_loop;
mod receiver;
mod runtime;
mod server;
mod sim_media;
mod sim_server;
mod status_callback;
mod transport;

pub use action::ActionHandle;
pub use call::{Call, CallEnd, PlayAction, StreamAction};
pub use client::{Client, ClientBuilder, IncomingCalls};
pub use error::Error;
pub use receiver::{
    bearer_matches, IncomingStream, PendingStream, ReceiveError, StreamEvent, StreamReceiver,
    StreamRecording,
};
pub use runtime::{Accepted, ByteStream, Listener, Runtime};
pub use server::{
    tls_server_config, upgrade, upgrade_checked, HandshakeInfo, PendingUpgrade, UpgradeError,
    WsListener,
};
pub use sim_media::{AudioSource, Pacing};
pub use sim_server::{SimServer, SimServerBuilder};
pub use transport::{connect_websocket, tls_client_config, ConnectOptions, Transport, WsTransport};

use crate::engine::{ActionStart, DialPlan, Engine};
use crate::error::CommandError;
use crate::ids::{CallId, RequestId};
use futures_channel::oneshot;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// A request built against the engine inside the event loop.
pub(crate) type Op =
    Box<dyn FnOnce(&mut Engine, Instant) -> Result<RequestId, CommandError> + Send>;
/// An action start built against the engine inside the event loop.
pub(crate) type ActionOp =
    Box<dyn FnOnce(&mut Engine, Instant) -> Result<ActionStart, CommandError> + Send>;

/// What user handles ask of the event loop.
pub(crate) enum Command {
    Request {
        op: Op,
        reply: oneshot::Sender<Result<Value, Error>>,
    },
    Action {
        call_id: CallId,
        kind: crate::action::ActionKind,
        op: ActionOp,
        reply: oneshot::Sender<Result<Arc<action::ActionShared>, Error>>,
    },
    Dial {
        plan: DialPlan,
        reply: oneshot::Sender<Result<Arc<call::CallShared>, Error>>,
    },
    Shutdown,
}
