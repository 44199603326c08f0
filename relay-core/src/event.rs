//! What the engine tells its driver: events for the user and transmit instructions.

use crate::action::{ActionKind, ActionOutcome, ActionState};
use crate::call::{CallInfo, CallState, EndReason};
use crate::call_event::CallEvent;
use crate::connect::ConnectUpdate;
use crate::control::ConferenceEvent;
use crate::error::{ProtocolError, RequestError, SessionError};
use crate::ids::{CallId, ControlId, DialTag, RequestId};
use crate::message::{Message, MessageError};
use crate::payload::Payload;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

/// An instruction for the IO layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transmit {
    /// Open a new WebSocket, then call `handle_connected` (or `handle_disconnected` on failure).
    Open,
    /// Send this text frame on the open socket.
    Send(String),
    /// Close the socket. The engine already counts it as closed.
    Close,
}

/// Something that happened, for the user or the driver.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The session is authenticated (again).
    Ready {
        /// The server's `protocol` for this session.
        protocol: String,
        /// Whether the server resumed the earlier session.
        resumed: bool,
    },
    /// The socket is gone; an `Open` follows after `reconnect_in` (the jittered backoff,
    /// also after a `signalwire.disconnect`).
    Disconnected {
        /// The backoff delay.
        reconnect_in: Duration,
    },
    /// Authentication was rejected; the engine retries unless the session is closed too.
    AuthRejected {
        /// JSON-RPC error code.
        code: i64,
        /// Its message.
        message: String,
        /// Rejections so far with no success in between.
        attempts: u32,
    },
    /// The session ended for good. Every pending request and action has been resolved.
    Closed(SessionError),
    /// An inbound call arrived on one of our contexts. The record is the engine's own
    /// ([`Engine::call`](crate::Engine::call)): its [`CallInfo::state`] follows the call.
    IncomingCall(Arc<CallInfo>),
    /// A call changed state. On `Ended` its state is freed right after this event.
    CallState {
        /// The call.
        call_id: CallId,
        /// The new state.
        state: CallState,
        /// Why it ended, on `Ended`.
        end_reason: Option<EndReason>,
    },
    /// An inbound call arrived while the cap on active calls was reached; it was handed
    /// back with `calling.pass` (so another consumer of the context may take it) and is not
    /// tracked.
    CallPassed {
        /// The call.
        call_id: CallId,
        /// The cap.
        limit: usize,
    },
    /// The server said the call no longer exists (404/410), or a fresh session replaced the
    /// one that owned it (`410`); its actions finished and its state is freed. Its
    /// [`CallGone`](crate::CallGone) names the call.
    CallGone(crate::error::CallGone),
    /// A dial moved on (`calling.call.dial`'s `dial_state`, or its time-out): every state
    /// the dial passes through, the terminal one included, before its `DialCompleted`.
    DialState {
        /// The dial's request id.
        request_id: RequestId,
        /// Its tag.
        tag: DialTag,
        /// Where it is.
        state: crate::dial::DialState,
    },
    /// An outbound dial completed: the call is up, or the dial failed.
    DialCompleted {
        /// The dial's request id.
        request_id: RequestId,
        /// Its tag.
        tag: DialTag,
        /// The answered call (the engine's record of it), or the failure.
        result: Result<Arc<CallInfo>, DialError>,
    },
    /// A request completed. Its `result` is the server's result, kept as its text.
    RequestCompleted {
        /// The request.
        request_id: RequestId,
        /// The server's result (read it with [`Payload::parse`]), or why there is none.
        result: Result<Payload, RequestError>,
    },
    /// An action reported a non-terminal state (a stream's `streaming`).
    ActionState {
        /// The call.
        call_id: CallId,
        /// The action.
        control_id: ControlId,
        /// Its kind.
        kind: ActionKind,
        /// The state reported.
        state: ActionState,
        /// The event's type (`play_and_collect` hears play and collect events); a known
        /// action event type is borrowed, so reporting progress allocates no name.
        event_type: Cow<'static, str>,
        /// The event's params.
        event: Payload,
    },
    /// A `calling.call.*` event of a tracked call. Always for event types and control ids
    /// the engine routes nowhere else (never dropped); also for call state and action
    /// events with [`EngineConfig::every_call_event`](crate::EngineConfig::every_call_event)
    /// or of a call given to [`Engine::watch_call_events`](crate::Engine::watch_call_events).
    CallEvent {
        /// The call.
        call_id: CallId,
        /// The event, typed.
        event: CallEvent,
    },
    /// An action ended; its state is freed.
    ActionFinished {
        /// The call.
        call_id: CallId,
        /// The action.
        control_id: ControlId,
        /// Its kind.
        kind: ActionKind,
        /// How it ended.
        outcome: ActionOutcome,
    },
    /// `calling.error` from the server.
    CallingError {
        /// Its code.
        code: String,
        /// Its message.
        message: String,
    },
    /// An event type this library has no type for, passed through.
    Other {
        /// The `event_type`.
        event_type: String,
        /// The event's params.
        params: Payload,
    },
    /// A server frame could not be used; the session goes on.
    Protocol(ProtocolError),
    /// A `messaging.send` completed: the server accepted the message (its snapshot, state
    /// `queued`, with the server's id; its states follow), or why not. Once per send.
    MessageSent {
        /// The send's request id.
        request_id: RequestId,
        /// The accepted message, or the failure.
        result: Result<Box<Message>, MessageError>,
    },
    /// A message we sent reported a non-terminal state (`initiated`, `sent`, …).
    MessageState(Box<Message>),
    /// A message we sent reached its end; its state is freed. `result` is `Ok` when
    /// delivered, else why not (`undelivered` / `failed` with the service's reason, or the
    /// session was lost or closed first, with `message` as last known).
    MessageFinished {
        /// The last snapshot.
        message: Box<Message>,
        /// Delivered, or why not.
        result: Result<(), MessageError>,
    },
    /// An inbound message (`messaging.receive`) arrived on one of our contexts.
    IncomingMessage(Box<Message>),
    /// `calling.call.connect` on a tracked call ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)). On `connected` its peer is tracked as
    /// a call from then on (its own events follow by its `call_id`).
    Connect {
        /// The call that was bridged (the one `connect` was sent for).
        call_id: CallId,
        /// The event, typed.
        update: ConnectUpdate,
    },
    /// A `calling.conference` event that names no call of this client: a conference-level
    /// event (no `call_id`), or a participant that is not a tracked call. Participant events
    /// of a tracked call come as its [`CallEvent::Conference`] instead.
    Conference(ConferenceEvent),
    /// The service accepted a `calling.transfer` (control moved to its destination) or a
    /// `calling.pass` sent with [`Engine::pass`](crate::Engine::pass) (the offer
    /// went to another consumer of its context): this client forgets the call, its open
    /// actions finish as [`ActionOutcome::CallEnded`], and later commands on it are
    /// [`CommandError::CallGone`](crate::CommandError::CallGone).
    CallHandedOver {
        /// The call.
        call_id: CallId,
        /// `calling.transfer` or `calling.pass`.
        method: String,
    },
}

/// Why a dial produced no call. Every dial completes exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialError {
    /// `calling.call.dial` reported `failed`, with the event's `reason` and `source` when it
    /// gave them ([§6](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md) item 16).
    Failed {
        /// Why, as the service says it (e.g. `busy`, `noAnswer`).
        reason: Option<String>,
        /// The event's `source`.
        source: Option<String>,
    },
    /// The `calling.dial` request itself failed.
    Request(RequestError),
    /// Neither answered nor failed within [`EngineConfig::dial_timeout`]; a call already
    /// announced for it is cancelled.
    ///
    /// [`EngineConfig::dial_timeout`]: crate::EngineConfig::dial_timeout
    TimedOut,
    /// The server accepted the dial, then the session was replaced by a fresh one, which
    /// will never hear of its call.
    SessionLost,
    /// The session closed (shut down or ended for good) first.
    Closed,
}

impl std::fmt::Display for DialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DialError::Failed { reason, .. } => match reason {
                Some(reason) => write!(f, "the dial failed: {reason}"),
                None => f.write_str("the dial failed"),
            },
            DialError::Request(e) => write!(f, "the dial request failed: {e}"),
            DialError::TimedOut => f.write_str("the dial timed out"),
            DialError::SessionLost => f.write_str("the session that placed the dial was lost"),
            DialError::Closed => f.write_str("the session closed before the dial completed"),
        }
    }
}

impl std::error::Error for DialError {}
