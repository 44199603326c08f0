//! The RELAY protocol engine: a pure state machine with no IO and no clock.
//!
//! Methods fall in four groups, as in quinn-proto: getters, `handle_*` inputs, commands that
//! return ids at once, and `poll_*` outputs. After any input or command, drain
//! [`Engine::poll_transmit`] and [`Engine::poll_event`], then sleep until
//! [`Engine::poll_timeout`] and call [`Engine::handle_timeout`]. Calling `handle_timeout`
//! early is a harmless no-op.
//!
//! Inside, the engine composes parts that own their state and take only what they need
//! (`Session`, `Requests`, the call table, `Dials`, `Connects`, `Messages`). Outputs: a part
//! writes transmits, events and warnings into the one `Output` sink the engine passes in, and
//! the engine routes each input to its parts and drains the sink through the `poll_*` methods.

mod backoff;
mod call_table;
mod calls;
mod connect;
mod control;
mod deadline;
mod dials;
mod lifecycle;
mod log;
mod messages;
mod messaging;
mod output;
mod requests;
mod responses;
mod session;
mod small_map;

/// The engine's maps keyed by ids (request ids, call ids): hashed with foldhash's keyed
/// hasher, a tenth of SipHash's cost on these short strings. Still keyed (a random seed per
/// map), so ids chosen to collide cannot be precomputed; and call ids come from the server
/// over the authenticated session, bounded by `max_tracked_calls` (see the driver's
/// `FastMap`, the same choice).
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// A set of ids hashed as [`FastMap`] does.
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

use crate::call::CallInfo;
use crate::calling::view::EventView;
use crate::config::EngineConfig;
pub use crate::dial::DialPlan;
use crate::error::ProtocolError;
use crate::event::{Event, Transmit};
use crate::frame::{self, Incoming};
use crate::ids::{CallId, ControlId, IdGenerator};
use backoff::Backoff;
pub use calls::ActionStart;
pub(crate) use deadline::later;
use dials::{Connects, DialEntry, Dials};
#[cfg(feature = "driver")]
pub(crate) use log::RateLimit;
pub use messages::EARLY_MESSAGE_STATES;
use output::Output;
use requests::Requests;
use session::Session;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// The sizes of the engine's tables, to check that state is freed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
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
    session: Session,
    requests: Requests,
    /// The calls part: tracked calls and their actions, legs by tag, recently ended calls.
    calls: call_table::Calls,
    dials: Dials,
    connects: Connects,
    messages: messages::Messages,
    /// What the parts have to say, until the IO layer and the user drain it.
    out: Output,
}

impl fmt::Debug for Engine {
    // Credentials and the authorization state are secrets: only their presence is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .field("state", &self.session.state())
            .field("protocol", &self.session.protocol())
            .field(
                "authorization_state",
                &self
                    .session
                    .has_authorization_state()
                    .then_some("<redacted>"),
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
            rng: IdGenerator::unique_in_process(config.seed),
            session: Session::new(Backoff::new(config.backoff)),
            requests: Default::default(),
            calls,
            dials: Default::default(),
            connects: Default::default(),
            messages: Default::default(),
            out: Output::new(log::Warnings::new(config.log_interval)),
            config,
        }
    }

    // ----- getters -----

    /// The configuration in force.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The server's `protocol` of the current (or last) session.
    pub fn protocol(&self) -> Option<&str> {
        self.session.protocol()
    }

    /// The identity the server gave at authentication.
    pub fn identity(&self) -> Option<&str> {
        self.session.identity()
    }

    /// Whether an authorization state is stored for the next resume.
    pub fn has_authorization_state(&self) -> bool {
        self.session.has_authorization_state()
    }

    /// Whether the session is authenticated and requests go out at once.
    pub fn is_ready(&self) -> bool {
        self.session.is_ready()
    }

    /// Whether the session is over for good.
    pub fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// The record of an active call: the one the events that announced it carry, and the
    /// driver's `Call` holds.
    pub fn call(&self, call_id: &CallId) -> Option<&Arc<CallInfo>> {
        self.calls.get(call_id).map(|entry| &entry.info)
    }

    /// The ids of the active calls, in id order.
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
            connects: self.connects.len(),
            pending_requests: self.requests.len(),
            queued_requests: self.requests.queued(),
            dials: self.dials.len(),
            deadlines: self.requests.deadlines() + self.dials.deadlines(),
            messages: self.messages.active(),
        }
    }

    // ----- inputs -----

    /// A text frame arrived on the socket.
    pub fn handle_frame(&mut self, text: &str, now: Instant) {
        self.out.warnings.tick(now);
        if !self.session.reads_frames() {
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
        // The slot a call event's routing view is read into, in the frame's one pass.
        let mut view = EventView::default();
        match frame::parse(text, &mut view) {
            Ok(Incoming::Response { id, outcome }) => self.handle_response(&id, outcome, now),
            Ok(Incoming::Request { id, method, params }) => {
                self.handle_server_request(id, &method, params, now)
            }
            Err(error) => self.protocol_error(error),
        }
    }

    /// Runs every timer that is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.out.warnings.tick(now);
        if self.session.reconnect_due(now) {
            self.session.start_opening(&mut self.out);
        }
        if self.session.drain_overdue(now) {
            log::info!("the server did not close the socket after disconnect: closing it");
            self.lose_connection(now, true);
        }
        self.expire_requests(now);
        self.expire_dials(now);
        if self.session.ping_due(now) {
            self.ping(now);
        }
    }

    // ----- outputs -----

    /// The next instruction for the IO layer.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.out.events.pop_front()
    }

    /// When [`Engine::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let session = self.session.next_timeout();
        let request = self.requests.next_deadline();
        let dial = self.dials.next_deadline();
        [session, request, dial].into_iter().flatten().min()
    }

    fn protocol_error(&mut self, error: ProtocolError) {
        self.out.protocol_error(error);
    }

    /// Whether a warning of `kind` may be written now (see [`log::RateLimit`]), and how many
    /// of its kind were held back since the last one.
    pub(crate) fn warn_allowed(&mut self, kind: &'static str) -> Option<u64> {
        self.out.warnings.allow(kind)
    }

    /// A fresh request, control or dial id (see [`IdGenerator`]: unique in the process).
    fn new_id<T: for<'a> From<&'a str>>(&mut self) -> T {
        self.rng.next_id()
    }
}
