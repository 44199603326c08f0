//! The typed errors of the engine: misuse of a command, a failed request, bad peer input and
//! the end of a session.
//!
//! All are cheap to compare so tests can assert on them exactly.

use crate::ids::{CallId, ControlId, DialTag, RequestId};
use std::fmt;

/// The call is over: this client saw it end, or the server said it does not exist or is gone
/// (`404`/`410`). The one "call gone" of the library: commands refused
/// ([`CommandError::CallGone`]), requests failed ([`RequestError::CallGone`]), actions ended
/// ([`ActionOutcome::CallGone`](crate::ActionOutcome::CallGone)), calls forgotten
/// ([`Event::CallGone`](crate::Event::CallGone)) all carry it. A hangup racing the far end
/// ends in it; that is a normal end, not a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallGone {
    /// The call, when known (a raw `execute` names its call only in its params).
    pub call_id: Option<CallId>,
    /// The server's `code` (`"404"` or `"410"`) when the server said so; `None` when this
    /// client saw the call end.
    pub code: Option<String>,
    /// The server's message; empty when there is none.
    pub message: String,
}

impl CallGone {
    /// This client saw `call_id` end.
    pub fn ended(call_id: CallId) -> Self {
        Self {
            call_id: Some(call_id),
            code: None,
            message: String::new(),
        }
    }

    /// The server answered `code` (`"404"`/`"410"`) with `message`.
    pub fn server(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            call_id: None,
            code: Some(code.into()),
            message: message.into(),
        }
    }

    /// The same, naming its call.
    pub fn of(mut self, call_id: CallId) -> Self {
        self.call_id = Some(call_id);
        self
    }
}

impl fmt::Display for CallGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.call_id {
            Some(id) => write!(f, "call {id} is gone")?,
            None => f.write_str("the call is gone")?,
        }
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CallGone {}

/// A command was refused before any frame was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// The stream url is not `wss://` (or `ws://` to loopback when allowed).
    InvalidStreamUrl {
        /// The url given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An `authorization_bearer_token` was given but is empty.
    EmptyBearerToken,
    /// The status url is not an HTTP(S) url.
    InvalidStatusUrl(String),
    /// Another option is invalid.
    InvalidOption(String),
    /// An action with this control id is already active on the call.
    DuplicateControlId(ControlId),
    /// A dial's tag is empty, or already names a pending dial or a connect in progress.
    InvalidDialTag(DialTag),
    /// No active call has this id and none with it was seen ending.
    UnknownCall(CallId),
    /// The call ended (or the server said it is gone): there is nothing left to command.
    /// On a hangup this is the normal outcome of a race with the far end, not a failure.
    CallGone(CallGone),
    /// No active action has this control id on the call.
    UnknownAction(ControlId),
    /// The action has no such control method (or no stop).
    UnsupportedControl {
        /// The action.
        control_id: ControlId,
        /// The method asked for.
        method: String,
    },
    /// The queue of requests waiting for a connection is full.
    QueueFull {
        /// Its capacity.
        capacity: usize,
    },
    /// The cap on active calls is reached.
    TooManyCalls {
        /// The cap.
        limit: usize,
    },
    /// `execute` params must be a JSON object.
    ParamsNotAnObject,
    /// The session is closed (shut down, or ended by a final error).
    Closed,
    /// A message needs a body, media, or both (`messaging.send`).
    EmptyMessage,
    /// A dial plan holds a device only `calling.connect` takes (`call`, `queue`, `stream`;
    /// [§2.3](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)); names its type.
    ConnectOnlyDevice(String),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::InvalidStreamUrl { url, reason } => {
                write!(f, "invalid stream url {url:?}: {reason}")
            }
            CommandError::EmptyBearerToken => f.write_str("the stream's bearer token is empty"),
            CommandError::InvalidStatusUrl(url) => {
                write!(f, "invalid status url {url:?}: must be http:// or https://")
            }
            CommandError::InvalidOption(what) => write!(f, "invalid option: {what}"),
            CommandError::DuplicateControlId(id) => {
                write!(f, "control id {id} is already active on this call")
            }
            CommandError::InvalidDialTag(tag) if tag.as_str().is_empty() => {
                f.write_str("a dial tag must not be empty")
            }
            CommandError::InvalidDialTag(tag) => {
                write!(f, "dial tag {tag} already names a pending dial or connect")
            }
            CommandError::UnknownCall(id) => write!(f, "no active call {id}"),
            CommandError::CallGone(gone) => write!(f, "{gone}"),
            CommandError::UnknownAction(id) => write!(f, "no active action {id}"),
            CommandError::UnsupportedControl { control_id, method } => {
                write!(f, "action {control_id} has no method {method}")
            }
            CommandError::QueueFull { capacity } => {
                write!(
                    f,
                    "request queue full ({capacity} waiting for a connection)"
                )
            }
            CommandError::TooManyCalls { limit } => {
                write!(f, "too many active calls (limit {limit})")
            }
            CommandError::ParamsNotAnObject => f.write_str("params must be a JSON object"),
            CommandError::Closed => f.write_str("the session is closed"),
            CommandError::EmptyMessage => f.write_str("a message needs a body or media"),
            CommandError::ConnectOnlyDevice(kind) => {
                write!(f, "a {kind} device can be connected to, not dialled")
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// A request that went out (or waited to) did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// No response before the request's deadline.
    Timeout {
        /// The request's method.
        method: String,
    },
    /// The server answered with a JSON-RPC error.
    Rpc {
        /// JSON-RPC error code.
        code: i64,
        /// Its message.
        message: String,
    },
    /// The server answered `404` (no such call) or `410` (call gone): the call is over,
    /// which is a normal outcome when the far end hangs up during an operation.
    CallGone(CallGone),
    /// The server answered with another non-2xx `code` in the result.
    Failed {
        /// The result's `code` (`"404"`, `"409"`, …).
        code: String,
        /// The result's `message`.
        message: String,
    },
    /// The socket closed after the request was sent; whether it took effect is unknown.
    ConnectionLost,
    /// The session closed before the request could complete.
    Closed,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Timeout { method } => write!(f, "{method} timed out"),
            RequestError::Rpc { code, message } => write!(f, "server error {code}: {message}"),
            RequestError::CallGone(gone) => write!(f, "{gone}"),
            RequestError::Failed { code, message } => write!(f, "failed with {code}: {message}"),
            RequestError::ConnectionLost => f.write_str("connection lost before the response"),
            RequestError::Closed => f.write_str("the session is closed"),
        }
    }
}

impl std::error::Error for RequestError {}

/// A frame from the server that could not be used. The session goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Not JSON.
    InvalidJson(String),
    /// JSON, but not a JSON-RPC frame this protocol has.
    InvalidFrame(String),
    /// Larger than the configured maximum.
    FrameTooLarge {
        /// Its size in bytes.
        size: usize,
        /// The maximum.
        limit: usize,
    },
    /// A response whose id matches no pending request.
    UnknownRequest(RequestId),
    /// A server request with a method this client does not know (answered with -32601).
    UnknownMethod(String),
    /// An event for a call this client does not track.
    UnknownCall {
        /// The event type.
        event_type: String,
        /// The call id it named.
        call_id: CallId,
    },
    /// An action event whose control id matches no active action.
    UnknownAction {
        /// The event type.
        event_type: String,
        /// The control id it named.
        control_id: ControlId,
    },
    /// An event whose params lack or mistype a field.
    InvalidEvent {
        /// The event type.
        event_type: String,
        /// What is wrong.
        reason: String,
    },
    /// A messaging event whose `message_id` matches no message this client sent.
    UnknownMessage {
        /// The event type.
        event_type: String,
        /// The message id it named.
        message_id: crate::message::MessageId,
    },
    /// A server request whose `id` is longer than
    /// [`EngineConfig::max_server_id_len`](crate::EngineConfig::max_server_id_len): it is not
    /// answered, since echoing it would let the server make us write what it likes.
    ServerIdTooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// More legs (or peers) under one dial's or connect's tag than its plan rings, or beyond
    /// [`EngineConfig::max_tracked_calls`](crate::EngineConfig::max_tracked_calls): not tracked.
    UntrackedLeg {
        /// The event type.
        event_type: String,
        /// The call id it named.
        call_id: CallId,
        /// Why it was not tracked.
        reason: &'static str,
    },
}

impl ProtocolError {
    /// A short name of the error's kind, the key under which repeated warnings collapse.
    pub fn kind(&self) -> &'static str {
        match self {
            ProtocolError::InvalidJson(_) => "invalid_json",
            ProtocolError::InvalidFrame(_) => "invalid_frame",
            ProtocolError::FrameTooLarge { .. } => "frame_too_large",
            ProtocolError::UnknownRequest(_) => "unknown_request",
            ProtocolError::UnknownMethod(_) => "unknown_method",
            ProtocolError::UnknownCall { .. } => "unknown_call",
            ProtocolError::UnknownAction { .. } => "unknown_action",
            ProtocolError::InvalidEvent { .. } => "invalid_event",
            ProtocolError::UnknownMessage { .. } => "unknown_message",
            ProtocolError::ServerIdTooLong { .. } => "server_id_too_long",
            ProtocolError::UntrackedLeg { .. } => "untracked_leg",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::InvalidJson(e) => write!(f, "frame is not JSON: {e}"),
            ProtocolError::InvalidFrame(e) => write!(f, "not a JSON-RPC frame: {e}"),
            ProtocolError::FrameTooLarge { size, limit } => {
                write!(f, "frame of {size} bytes exceeds the {limit}-byte limit")
            }
            ProtocolError::UnknownRequest(id) => write!(f, "response to unknown request {id}"),
            ProtocolError::UnknownMethod(m) => write!(f, "unknown server method {m}"),
            ProtocolError::UnknownCall {
                event_type,
                call_id,
            } => write!(f, "{event_type} for unknown call {call_id}"),
            ProtocolError::UnknownAction {
                event_type,
                control_id,
            } => write!(f, "{event_type} for unknown action {control_id}"),
            ProtocolError::InvalidEvent { event_type, reason } => {
                write!(f, "invalid {event_type}: {reason}")
            }
            ProtocolError::UnknownMessage {
                event_type,
                message_id,
            } => write!(f, "{event_type} for unknown message {message_id}"),
            ProtocolError::ServerIdTooLong { len, limit } => write!(
                f,
                "server request id of {len} bytes exceeds the {limit}-byte limit; not answered"
            ),
            ProtocolError::UntrackedLeg {
                event_type,
                call_id,
                reason,
            } => write!(f, "{event_type}: leg {call_id} not tracked: {reason}"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Why a session ended for good.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// Authentication was rejected too many times with no success in between.
    AuthRejected {
        /// How many rejections.
        attempts: u32,
        /// The server's last message.
        message: String,
    },
    /// The user shut the session down.
    Shutdown,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::AuthRejected { attempts, message } => {
                write!(f, "authentication rejected {attempts} times: {message}")
            }
            SessionError::Shutdown => f.write_str("the session was shut down"),
        }
    }
}

impl std::error::Error for SessionError {}
