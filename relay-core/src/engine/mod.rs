//! The RELAY protocol engine: a pure state machine with no IO and no clock.
//!
//! Methods fall in four groups, as in quinn-proto: getters, `handle_*` inputs, commands that
//! return ids at once, and `poll_*` outputs. After any input or command, drain
//! [`Engine::poll_transmit`] and [`Engine::poll_event`], then sleep until
//! [`Engine::poll_timeout`] and call [`Engine::handle_timeout`]. Calling `handle_timeout`
//! early is a harmless no-op.

mod backoff;
mod calls;
mod requests;
mod session;

use crate::action::ActionKind;
use crate::call::CallInfo;
use crate::config::EngineConfig;
use crate::error::ProtocolError;
use crate::event::{Event, Transmit};
use crate::frame::{self, Incoming};
use crate::ids::{CallId, ControlId, DialTag, IdGenerator, RequestId};
use backoff::Backoff;
pub use calls::{ActionStart, DialPlan};
use requests::Pending;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Instant;

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionState {
    /// Before [`Engine::connect`].
    Idle,
    /// `Transmit::Connect` was emitted; waiting for the socket.
    Connecting,
    /// `signalwire.connect` sent; waiting for its answer.
    Authenticating,
    /// Authenticated: requests flow.
    Ready,
    /// Waiting to reconnect.
    Backoff { until: Instant },
    /// Over for good.
    Closed,
}

/// One active action on a call.
#[derive(Debug, Clone)]
struct ActionEntry {
    kind: ActionKind,
    stop_requested: bool,
}

/// One active call and its actions.
#[derive(Debug, Clone)]
struct CallEntry {
    info: CallInfo,
    actions: BTreeMap<ControlId, ActionEntry>,
}

/// The sizes of the engine's tables, to check that state is freed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Active calls.
    pub calls: usize,
    /// Active actions over all calls.
    pub actions: usize,
    /// Requests waiting for a response or a connection.
    pub pending_requests: usize,
    /// Of those, waiting for a connection.
    pub queued_requests: usize,
    /// Dials waiting for their call.
    pub dials: usize,
    /// Deadlines being tracked.
    pub deadlines: usize,
}

/// The sans-IO RELAY client engine.
pub struct Engine {
    config: EngineConfig,
    rng: IdGenerator,
    state: SessionState,
    protocol: Option<String>,
    identity: Option<String>,
    authorization_state: Option<String>,
    auth_failures: u32,
    backoff: Backoff,
    reconnect_at_once: bool,
    next_ping: Option<Instant>,
    missed_pings: u32,
    pending: BTreeMap<RequestId, Pending>,
    deadlines: BTreeSet<(Instant, RequestId)>,
    queue: VecDeque<RequestId>,
    calls: BTreeMap<CallId, CallEntry>,
    dials: BTreeMap<DialTag, RequestId>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl fmt::Debug for Engine {
    // Credentials and the authorization state are secrets: only their presence is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("state", &self.state)
            .field("protocol", &self.protocol)
            .field(
                "authorization_state",
                &self.authorization_state.as_ref().map(|_| "<redacted>"),
            )
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// A new engine; nothing happens until [`Engine::connect`].
    pub fn new(config: EngineConfig) -> Self {
        Self {
            rng: IdGenerator::new(config.seed),
            backoff: Backoff::new(config.backoff),
            config,
            state: SessionState::Idle,
            protocol: None,
            identity: None,
            authorization_state: None,
            auth_failures: 0,
            reconnect_at_once: false,
            next_ping: None,
            missed_pings: 0,
            pending: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            queue: VecDeque::new(),
            calls: BTreeMap::new(),
            dials: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    // ----- getters -----

    /// The configuration in force.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The server's `protocol` of the current (or last) session.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The identity the server gave at authentication.
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// Whether an authorization state is stored for the next resume.
    pub fn has_authorization_state(&self) -> bool {
        self.authorization_state.is_some()
    }

    /// Whether the session is authenticated and requests go out at once.
    pub fn is_ready(&self) -> bool {
        self.state == SessionState::Ready
    }

    /// Whether the session is over for good.
    pub fn is_closed(&self) -> bool {
        self.state == SessionState::Closed
    }

    /// What the engine knows of an active call.
    pub fn call(&self, call_id: &CallId) -> Option<&CallInfo> {
        self.calls.get(call_id).map(|entry| &entry.info)
    }

    /// The ids of the active calls.
    pub fn call_ids(&self) -> impl Iterator<Item = &CallId> {
        self.calls.keys()
    }

    /// Whether an action is active on a call.
    pub fn has_action(&self, call_id: &CallId, control_id: &ControlId) -> bool {
        self.calls
            .get(call_id)
            .is_some_and(|call| call.actions.contains_key(control_id))
    }

    /// Table sizes.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            calls: self.calls.len(),
            actions: self.calls.values().map(|c| c.actions.len()).sum(),
            pending_requests: self.pending.len(),
            queued_requests: self.queue.len(),
            dials: self.dials.len(),
            deadlines: self.deadlines.len(),
        }
    }

    // ----- inputs -----

    /// A text frame arrived on the socket.
    pub fn handle_frame(&mut self, text: &str, now: Instant) {
        if !matches!(
            self.state,
            SessionState::Authenticating | SessionState::Ready
        ) {
            // A frame from a socket the engine already gave up on.
            return;
        }
        if text.len() > self.config.max_frame_size {
            self.protocol_error(ProtocolError::FrameTooLarge {
                size: text.len(),
                limit: self.config.max_frame_size,
            });
            return;
        }
        match frame::parse(text) {
            Ok(Incoming::Response { id, outcome }) => {
                self.handle_response(RequestId::new(id), outcome, now)
            }
            Ok(Incoming::Request { id, method, params }) => {
                self.handle_server_request(id, &method, params, now)
            }
            Err(error) => self.protocol_error(error),
        }
    }

    /// Runs every timer that is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let SessionState::Backoff { until } = self.state {
            if now >= until {
                self.start_connecting();
            }
        }
        self.expire_requests(now);
        if self.state == SessionState::Ready && self.next_ping.is_some_and(|at| now >= at) {
            self.ping(now);
        }
    }

    // ----- outputs -----

    /// The next instruction for the IO layer.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Engine::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let backoff = match self.state {
            SessionState::Backoff { until } => Some(until),
            _ => None,
        };
        let ping = if self.state == SessionState::Ready {
            self.next_ping
        } else {
            None
        };
        let request = self.deadlines.first().map(|(at, _)| *at);
        [backoff, ping, request].into_iter().flatten().min()
    }

    fn protocol_error(&mut self, error: ProtocolError) {
        self.events.push_back(Event::Protocol(error));
    }

    fn new_id(&mut self) -> String {
        self.rng.next_uuid()
    }
}
