//! The RELAY protocol engine: a pure state machine with no IO and no clock.
//!
//! Methods fall in four groups, as in quinn-proto: getters, `handle_*` inputs, commands that
//! return ids at once, and `poll_*` outputs. After any input or command, drain
//! [`Engine::poll_transmit`] and [`Engine::poll_event`], then sleep until
//! [`Engine::poll_timeout`] and call [`Engine::handle_timeout`]. Calling `handle_timeout`
//! early is a harmless no-op.

mod backoff;
mod call_table;
mod calls;
mod connect;
mod control;
mod log;
mod messaging;
mod requests;
mod session;
mod small_map;

use crate::call::CallInfo;
use crate::config::EngineConfig;
pub use crate::dial::DialPlan;
use crate::error::ProtocolError;
use crate::event::{Event, Transmit};
use crate::frame::{self, Incoming};
use crate::ids::{CallId, ControlId, DialTag, IdGenerator, RequestId};
use backoff::Backoff;
pub use calls::ActionStart;
#[cfg(feature = "driver")]
pub(crate) use log::RateLimit;
pub use messaging::EARLY_MESSAGE_STATES;
use requests::Pending;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `now + d`, saturating instead of overflowing: a clock far in the future never fires,
/// which is what an absurd time-out means.
pub(crate) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(crate::config::LONGEST_DURATION))
        .unwrap_or(now)
}

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionState {
    /// Before [`Engine::open`].
    Idle,
    /// `Transmit::Open` was emitted; waiting for the socket.
    Opening,
    /// `signalwire.connect` sent; waiting for its answer.
    Authenticating,
    /// Authenticated: requests flow.
    Ready,
    /// The server said `signalwire.disconnect`: new requests wait in the queue while the
    /// socket is read until the server closes it, or until `close_at` when it never does.
    Draining { close_at: Instant },
    /// Waiting to reconnect.
    Backoff { until: Instant },
    /// Over for good.
    Closed,
}

/// One dial waiting for its call.
#[derive(Debug, Clone)]
struct DialEntry {
    request_id: RequestId,
    deadline: Instant,
    /// The devices its plan rings: more legs under its tag than that are forged.
    max_legs: usize,
}

/// One `calling.connect` in progress ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
#[derive(Debug, Clone)]
struct ConnectEntry {
    /// The call being bridged.
    owner: CallId,
    /// The devices its plan rings: more legs or peers than that are forged.
    max_legs: usize,
    /// Peers tracked for it so far.
    peers: usize,
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
    /// Messages sent and accepted, waiting for a terminal state.
    pub messages: usize,
    /// `calling.connect`s in progress.
    pub connects: usize,
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
    /// Whether any session was ever authenticated: rejections are final only before that.
    had_session: bool,
    /// When the current session became ready; a session that lasted resets the backoff.
    ready_since: Option<Instant>,
    backoff: Backoff,
    next_ping: Option<Instant>,
    missed_pings: u32,
    pending: BTreeMap<RequestId, Pending>,
    deadlines: BTreeSet<(Instant, RequestId)>,
    queue: VecDeque<RequestId>,
    /// The calls part: tracked calls and their actions, legs by tag, recently ended calls.
    calls: call_table::Calls,
    dials: BTreeMap<DialTag, DialEntry>,
    dial_deadlines: BTreeSet<(Instant, DialTag)>,
    /// The tags of `calling.connect`s in progress, and the call each bridges: a state event
    /// with one of them announces a peer leg ([§2.1](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md)).
    connect_tags: BTreeMap<DialTag, ConnectEntry>,
    /// The same, by the call bridged, so that its `connected` event finds its legs at once.
    connects_of: BTreeMap<CallId, Vec<DialTag>>,
    /// Repeated warnings of one kind, collapsed (see [`EngineConfig::log_interval`]).
    warnings: log::RateLimit,
    /// The time of the latest input, for the warnings' clock.
    last_now: Option<Instant>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    messages: messaging::Messages,
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
    /// A new engine; nothing happens until [`Engine::open`].
    ///
    /// Never panics: values [`EngineConfig::validate`] would refuse are brought into range.
    pub fn new(config: EngineConfig) -> Self {
        let config = config.clamped();
        let calls = call_table::Calls::new(&config.contexts);
        Self {
            rng: IdGenerator::new(config.seed),
            backoff: Backoff::new(config.backoff),
            config,
            state: SessionState::Idle,
            protocol: None,
            identity: None,
            authorization_state: None,
            auth_failures: 0,
            had_session: false,
            ready_since: None,
            next_ping: None,
            missed_pings: 0,
            pending: BTreeMap::new(),
            deadlines: BTreeSet::new(),
            queue: VecDeque::new(),
            calls,
            dials: BTreeMap::new(),
            dial_deadlines: BTreeSet::new(),
            connect_tags: BTreeMap::new(),
            connects_of: BTreeMap::new(),
            warnings: Default::default(),
            last_now: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            messages: Default::default(),
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

    /// The record of an active call: the one the events that announced it carry, and the
    /// driver's `Call` holds.
    pub fn call(&self, call_id: &CallId) -> Option<&Arc<CallInfo>> {
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

    /// Entries of the call table looked at so far, each look-up counting one: a measure of
    /// routing work that tests use to show that an event costs the same whatever the number
    /// of tracked calls.
    pub fn call_table_visits(&self) -> u64 {
        self.calls.visits()
    }

    /// Table sizes. Walks the calls to count actions: a getter for tests and diagnostics,
    /// not for every event.
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            calls: self.calls.len(),
            actions: self.calls.values().map(|c| c.actions.len()).sum(),
            connects: self.connect_tags.len(),
            pending_requests: self.pending.len(),
            queued_requests: self.queue.len(),
            dials: self.dials.len(),
            deadlines: self.deadlines.len() + self.dial_deadlines.len(),
            messages: self.messages.active(),
        }
    }

    // ----- inputs -----

    /// A text frame arrived on the socket.
    pub fn handle_frame(&mut self, text: &str, now: Instant) {
        self.last_now = Some(now);
        if !matches!(
            self.state,
            SessionState::Authenticating | SessionState::Ready | SessionState::Draining { .. }
        ) {
            // A frame from a socket the engine already gave up on.
            log::debug!(size = text.len(), "frame dropped: no session socket");
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
            Ok(Incoming::Response { id, outcome }) => self.handle_response(&id, outcome, now),
            Ok(Incoming::Request { id, method, params }) => {
                self.handle_server_request(id, &method, params, now)
            }
            Err(error) => self.protocol_error(error),
        }
    }

    /// Runs every timer that is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        if let SessionState::Backoff { until } = self.state {
            if now >= until {
                self.start_opening();
            }
        }
        if let SessionState::Draining { close_at } = self.state {
            if now >= close_at {
                log::info!("the server did not close the socket after disconnect: closing it");
                self.lose_connection(now, true);
            }
        }
        self.expire_requests(now);
        self.expire_dials(now);
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
        let session = match self.state {
            SessionState::Backoff { until } => Some(until),
            SessionState::Draining { close_at } => Some(close_at),
            _ => None,
        };
        let ping = if self.state == SessionState::Ready {
            self.next_ping
        } else {
            None
        };
        let request = self.deadlines.first().map(|(at, _)| *at);
        let dial = self.dial_deadlines.first().map(|(at, _)| *at);
        [session, ping, request, dial].into_iter().flatten().min()
    }

    fn protocol_error(&mut self, error: ProtocolError) {
        if let Some(_held) = self.warn_allowed(error.kind()) {
            log::warning!(%error, similar_held_back = _held, "server input refused");
        }
        self.events.push_back(Event::Protocol(error));
    }

    /// Whether a warning of `kind` may be written now (see [`log::RateLimit`]), and how many
    /// of its kind were held back since the last one.
    pub(crate) fn warn_allowed(&mut self, kind: &'static str) -> Option<u64> {
        match self.last_now {
            Some(now) => self.warnings.allow(kind, now, self.config.log_interval),
            None => Some(0),
        }
    }

    fn new_id(&mut self) -> String {
        self.rng.next_uuid()
    }
}
