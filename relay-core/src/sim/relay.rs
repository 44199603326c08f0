//! The fake service's state and its four groups of methods: getters, `handle_*` inputs,
//! commands and `poll_*` outputs, plus the plumbing every handler shares (frames out, timers,
//! the `Delay` hold).

use super::actions::{Action, ActionKind, Step};
use super::faults::Fault;
use super::output::SimOutput;
use super::script::CallerScript;
use super::{ConnId, SimConfig};
use crate::ids::{CallId, ControlId, IdGenerator, NodeId};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

/// Ended call ids remembered, so that commands on them get `410` rather than `404`.
const RECENTLY_ENDED: usize = 10_000;
/// Seconds since the Unix epoch that virtual time zero maps to in event timestamps.
const EPOCH: f64 = 1_700_000_000.0;
/// How long the service waits for the ack of `signalwire.disconnect` before closing.
pub(super) const DISCONNECT_GRACE: Duration = Duration::from_secs(1);

/// One open client socket.
#[derive(Debug, Clone, Default)]
pub(super) struct Conn {
    /// The protocol of the session bound to it, once authenticated.
    pub(super) session: Option<String>,
    /// Forget the session when this socket closes (`signalwire.disconnect` with restart).
    pub(super) restart_on_close: bool,
    /// Tells this socket's timers from those of an earlier socket with the same id.
    pub(super) generation: u64,
    /// Whether its ping timer runs.
    pub(super) pinging: bool,
}

/// One authenticated session, which outlives its sockets.
#[derive(Debug, Clone, Default)]
pub(super) struct Session {
    pub(super) conn: Option<ConnId>,
    pub(super) project: String,
    pub(super) contexts: BTreeSet<String>,
    /// Event frames (id, text) waiting for a connection.
    pub(super) queued: VecDeque<(String, String)>,
    pub(super) dropped_events: u64,
}

/// One call and its open actions.
#[derive(Debug, Clone)]
pub(super) struct Call {
    pub(super) node_id: NodeId,
    /// The owning session's protocol.
    pub(super) session: String,
    pub(super) tag: Option<String>,
    /// The context an inbound call was offered on, for handing it on after a pass.
    pub(super) context: Option<String>,
    pub(super) direction: &'static str,
    pub(super) device: Value,
    pub(super) state: String,
    pub(super) segment_id: String,
    pub(super) actions: BTreeMap<ControlId, Action>,
}

/// Why the service sent a request of its own, for matching the client's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ServerRequest {
    Event(ConnId),
    Ping(ConnId),
    Disconnect(ConnId),
}

impl ServerRequest {
    pub(super) fn conn(self) -> ConnId {
        match self {
            ServerRequest::Event(c) | ServerRequest::Ping(c) | ServerRequest::Disconnect(c) => c,
        }
    }
}

/// Something due at a point of virtual time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Timer {
    /// A socket (with its generation) is due a ping.
    Ping(ConnId, u64),
    Offer,
    /// A step of an action (with its serial) is due.
    Action(CallId, ControlId, u64, Step),
    /// A simulated stream (with its serial) ran out of media.
    MediaFinished(CallId, ControlId, u64),
    /// A socket (with its generation) had no ack of its disconnect.
    DisconnectClose(ConnId, u64),
    /// The next state of a sent message is due, for the session (protocol) that hears it.
    Message(String, Box<super::messaging::SimMessage>),
    /// A leg of a dial or a connect rang for its device's `timeout`.
    RingLeg(CallId),
    /// A socket (with its generation) is due to have authenticated.
    AuthDeadline(ConnId, u64),
    /// The far end of a call hangs up (the caller's or a dialed number's script).
    FarHangup(CallId),
}

/// A sans-IO fake of the RELAY service, for tests and the local simulator.
///
/// Methods fall in four groups:
/// - inputs: [`handle_connected`](Self::handle_connected), [`handle_frame`](Self::handle_frame),
///   [`handle_disconnected`](Self::handle_disconnected), [`handle_timeout`](Self::handle_timeout);
/// - commands that script the world: [`offer_inbound_call`](Self::offer_inbound_call),
///   [`end_call`](Self::end_call), `media_*`, `send_*`, [`drop_connection`](Self::drop_connection),
///   [`set_fault`](Self::set_fault);
/// - outputs: [`poll_output`](Self::poll_output) until `None`, then sleep until
///   [`poll_timeout`](Self::poll_timeout);
/// - getters for assertions: [`received`](Self::received), [`requests`](Self::requests),
///   [`call_state`](Self::call_state), …
///
/// Client input never panics the service: a malformed frame gets a JSON-RPC error.
pub struct FakeRelay {
    pub(super) config: SimConfig,
    pub(super) rng: IdGenerator,
    pub(super) start: Option<Instant>,
    pub(super) last_now: Option<Instant>,
    pub(super) conns: BTreeMap<ConnId, Conn>,
    /// The frames received, oldest first, each with its text's length, within the
    /// configured bounds (`sim/config.rs`): the oldest go first.
    record: VecDeque<(ConnId, Value, usize)>,
    record_bytes: usize,
    record_dropped: u64,
    auth_timeouts: u64,
    pub(super) sessions: BTreeMap<String, Session>,
    pub(super) calls: BTreeMap<CallId, Call>,
    ended: VecDeque<CallId>,
    ended_set: BTreeSet<CallId>,
    pub(super) server_requests: BTreeMap<String, ServerRequest>,
    pub(super) acks: u64,
    timers: BTreeMap<(Instant, u64), Timer>,
    next_serial: u64,
    pub(super) faults: Vec<Fault>,
    outputs: VecDeque<SimOutput>,
    held: VecDeque<(Instant, ConnId, String)>,
    pub(super) offer_turn: usize,
    pub(super) offers_made: u64,
    /// Connects in progress or up, by the call they bridge (`sim/connect.rs`).
    pub(super) bridges: BTreeMap<CallId, super::connect::Bridge>,
    /// The peers of those connects (and the calls a `call` device bridged), with the call
    /// each is bridged to.
    pub(super) bridge_legs: BTreeMap<CallId, CallId>,
    /// Device plans being rung by dials and connects (`sim/ring.rs`).
    pub(super) rings: BTreeMap<super::ring::Ringer, super::ring::Ring>,
    /// The legs still ringing, with the plan each belongs to.
    pub(super) ring_legs: BTreeMap<CallId, super::ring::Ringer>,
    /// The number of the next dial.
    pub(super) next_dial: u64,
    /// Call control of [§2](https://example.invalid/relay-rs/blob/main/docs/CALLING-API.md): conferences, queues, bindings and per-call state.
    pub(super) control: super::control::ControlState,
}

impl fmt::Debug for FakeRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeRelay")
            .field("config", &self.config)
            .field("connections", &self.conns.len())
            .field("sessions", &self.sessions.len())
            .field("calls", &self.calls.len())
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

impl FakeRelay {
    /// A fake service with no connections.
    pub fn new(config: SimConfig) -> Self {
        Self {
            rng: IdGenerator::new(config.seed),
            config,
            start: None,
            last_now: None,
            conns: BTreeMap::new(),
            record: VecDeque::new(),
            record_bytes: 0,
            record_dropped: 0,
            auth_timeouts: 0,
            sessions: BTreeMap::new(),
            calls: BTreeMap::new(),
            ended: VecDeque::new(),
            ended_set: BTreeSet::new(),
            server_requests: BTreeMap::new(),
            acks: 0,
            timers: BTreeMap::new(),
            next_serial: 0,
            faults: Vec::new(),
            outputs: VecDeque::new(),
            held: VecDeque::new(),
            offer_turn: 0,
            offers_made: 0,
            bridges: BTreeMap::new(),
            bridge_legs: BTreeMap::new(),
            rings: BTreeMap::new(),
            ring_legs: BTreeMap::new(),
            next_dial: 0,
            control: Default::default(),
        }
    }

    // ----- getters -----

    /// The configuration in force.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// What the far end does during call actions, to change between actions; the change
    /// applies to what happens next (steps already scheduled keep their times).
    pub fn caller_mut(&mut self) -> &mut CallerScript {
        &mut self.config.caller
    }

    /// The control ids of every action open on a call, streams included.
    pub fn active_actions(&self, call_id: &CallId) -> Vec<ControlId> {
        self.calls
            .get(call_id)
            .map(|call| call.actions.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Every frame `conn` sent that parsed as JSON and is still in the record, in order
    /// (empty when not recorded). The record keeps the last
    /// [`SimConfig::max_recorded_frames`] frames by default.
    pub fn received(&self, conn: ConnId) -> Vec<&Value> {
        self.record
            .iter()
            .filter(|(c, _, _)| *c == conn)
            .map(|(_, frame, _)| frame)
            .collect()
    }

    /// Every frame of every connection that parsed as JSON and is still in the record, in
    /// arrival order.
    pub fn received_all(&self) -> Vec<(ConnId, &Value)> {
        self.record
            .iter()
            .map(|(conn, frame, _)| (*conn, frame))
            .collect()
    }

    /// Frames the record forgot to stay within its bounds.
    pub fn forgotten_frames(&self) -> u64 {
        self.record_dropped
    }

    /// Sockets closed for not authenticating within [`SimConfig::auth_timeout`].
    pub fn auth_timeouts(&self) -> u64 {
        self.auth_timeouts
    }

    /// Every client request with this method, from any connection, in arrival order.
    pub fn requests(&self, method: &str) -> Vec<Value> {
        self.received_all()
            .into_iter()
            .filter(|(_, frame)| frame.get("method").and_then(Value::as_str) == Some(method))
            .map(|(_, frame)| frame.clone())
            .collect()
    }

    /// The ids of the calls in progress.
    pub fn call_ids(&self) -> Vec<CallId> {
        self.calls.keys().cloned().collect()
    }

    /// The state of a call (`ringing`, `answered`, …); `"ended"` for one that ended recently.
    pub fn call_state(&self, call_id: &CallId) -> Option<&str> {
        match self.calls.get(call_id) {
            Some(call) => Some(call.state.as_str()),
            None if self.ended_set.contains(call_id) => Some("ended"),
            None => None,
        }
    }

    /// The control ids of the streams open on a call.
    pub fn active_streams(&self, call_id: &CallId) -> Vec<ControlId> {
        self.calls
            .get(call_id)
            .map(|call| {
                call.actions
                    .iter()
                    .filter(|(_, a)| matches!(a.kind, ActionKind::Stream { .. }))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The node id of a call in progress.
    pub fn node_id(&self, call_id: &CallId) -> Option<&NodeId> {
        self.calls.get(call_id).map(|call| &call.node_id)
    }

    /// Authenticated sessions, with or without a connection.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// The protocol of the session bound to `conn`.
    pub fn session_of(&self, conn: ConnId) -> Option<&str> {
        self.conns.get(&conn)?.session.as_deref()
    }

    /// Events sent on an open socket and not acknowledged yet.
    pub fn unacked_events(&self) -> usize {
        self.server_requests
            .values()
            .filter(|r| matches!(r, ServerRequest::Event(_)))
            .count()
    }

    /// Answers the client gave to the service's own requests (events, pings, disconnects).
    pub fn acks_received(&self) -> u64 {
        self.acks
    }

    /// Events waiting for a session with no connection, over all sessions.
    pub fn queued_events(&self) -> usize {
        self.sessions.values().map(|s| s.queued.len()).sum()
    }

    /// The open connections, in id order.
    pub fn connections(&self) -> Vec<ConnId> {
        self.conns.keys().copied().collect()
    }

    // ----- inputs -----

    /// The driver accepted a socket. Frames from a socket never announced are ignored.
    pub fn handle_connected(&mut self, conn: ConnId, now: Instant) {
        self.touch(now);
        if !self.conns.contains_key(&conn) {
            let generation = self.serial();
            let state = Conn {
                generation,
                ..Conn::default()
            };
            self.conns.insert(conn, state);
            if let Some(timeout) = self.config.auth_timeout {
                self.schedule(now + timeout, Timer::AuthDeadline(conn, generation));
            }
        }
    }

    /// A text frame arrived on `conn`.
    pub fn handle_frame(&mut self, conn: ConnId, text: &str, now: Instant) {
        self.touch(now);
        if !self.conns.contains_key(&conn) {
            return;
        }
        let parsed = serde_json::from_str::<Value>(text);
        if let (Ok(value), true) = (&parsed, self.config.record_frames) {
            self.remember_frame(conn, value.clone(), text.len());
        }
        if self.is_silent() {
            return;
        }
        let value = match parsed {
            Ok(value) => value,
            Err(_) => return self.rpc_error(conn, &Some(Value::Null), -32700, "Parse error", now),
        };
        let Value::Object(mut frame) = value else {
            return self.rpc_error(conn, &Some(Value::Null), -32600, "Invalid Request", now);
        };
        let id = match frame.remove("id") {
            None => None,
            Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => Some(id),
            Some(_) => {
                return self.rpc_error(conn, &Some(Value::Null), -32600, "Invalid Request", now)
            }
        };
        match frame.remove("method") {
            Some(Value::String(method)) => {
                let params = match frame.remove("params") {
                    None | Some(Value::Null) => Map::new(),
                    Some(Value::Object(params)) => params,
                    Some(_) => return self.rpc_error(conn, &id, -32602, "Invalid params", now),
                };
                self.handle_request(conn, id, &method, params, now);
            }
            Some(_) => self.rpc_error(conn, &id, -32600, "Invalid Request", now),
            None if frame.contains_key("result") || frame.contains_key("error") => {
                self.handle_client_response(id.as_ref());
            }
            None => self.rpc_error(conn, &id, -32600, "Invalid Request", now),
        }
    }

    /// The socket closed (or the driver gave up on it).
    pub fn handle_disconnected(&mut self, conn: ConnId, now: Instant) {
        self.touch(now);
        self.close_conn(conn, now);
    }

    /// Runs everything due at `now`. Calling it early is a harmless no-op.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.touch(now);
        while self.held.front().is_some_and(|(at, _, _)| *at <= now) {
            if let Some((_, conn, text)) = self.held.pop_front() {
                if self.conns.contains_key(&conn) {
                    self.outputs.push_back(SimOutput::Send { conn, text });
                }
            }
        }
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let due = entry.key().0;
            let timer = entry.remove();
            self.run_timer(timer, due, now);
        }
    }

    // ----- outputs -----

    /// The next instruction for the driver.
    pub fn poll_output(&mut self) -> Option<SimOutput> {
        self.outputs.pop_front()
    }

    /// When [`FakeRelay::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let timer = self.timers.first_key_value().map(|((at, _), _)| *at);
        let held = self.held.front().map(|(at, _, _)| *at);
        [timer, held].into_iter().flatten().min()
    }

    // ----- commands on sockets -----

    /// Closes a socket now, with no goodbye (the `Close` output comes first).
    pub fn drop_connection(&mut self, conn: ConnId) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        self.outputs.push_back(SimOutput::Close { conn });
        let now = self.now_or_start();
        self.close_conn(conn, now);
    }

    // ----- plumbing shared by the handlers -----

    /// Adds a frame to the record, forgetting the oldest beyond the bounds.
    fn remember_frame(&mut self, conn: ConnId, frame: Value, len: usize) {
        self.record.push_back((conn, frame, len));
        self.record_bytes += len;
        let frames = self.config.max_recorded_frames.unwrap_or(usize::MAX);
        let bytes = self.config.max_recorded_bytes.unwrap_or(usize::MAX);
        while self.record.len() > frames || self.record_bytes > bytes {
            let Some((_, _, len)) = self.record.pop_front() else {
                break;
            };
            self.record_bytes -= len;
            self.record_dropped += 1;
        }
    }

    /// Records the time; the first input fixes virtual time zero and starts the offer timer.
    fn touch(&mut self, now: Instant) {
        self.last_now = Some(self.last_now.map_or(now, |last| last.max(now)));
        if self.start.is_none() {
            self.start = Some(now);
            if let Some((interval, _)) = &self.config.offer_every {
                let at = now + (*interval).max(Duration::from_millis(1));
                self.schedule(at, Timer::Offer);
            }
        }
    }

    pub(super) fn now_or_start(&self) -> Instant {
        self.last_now.or(self.start).unwrap_or_else(Instant::now)
    }

    /// An event timestamp: seconds, virtual time zero mapped to a fixed epoch.
    pub(super) fn timestamp(&self, now: Instant) -> f64 {
        let since = self
            .start
            .map(|start| now.saturating_duration_since(start))
            .unwrap_or_default();
        EPOCH + since.as_secs_f64()
    }

    pub(super) fn new_id(&mut self) -> String {
        self.rng.next_uuid()
    }

    pub(super) fn serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    pub(super) fn schedule(&mut self, at: Instant, timer: Timer) {
        let serial = self.serial();
        self.timers.insert((at, serial), timer);
    }

    pub(super) fn output(&mut self, output: SimOutput) {
        self.outputs.push_back(output);
    }

    /// Sends a frame, unless silent; held back under `Delay`, keeping the order of frames.
    pub(super) fn send(&mut self, conn: ConnId, text: String, now: Instant) {
        if self.is_silent() || !self.conns.contains_key(&conn) {
            return;
        }
        let delay = self.delay();
        if delay.is_none() && self.held.is_empty() {
            self.outputs.push_back(SimOutput::Send { conn, text });
            return;
        }
        let mut at = now + delay.unwrap_or_default();
        if let Some((last, _, _)) = self.held.back() {
            at = at.max(*last);
        }
        self.held.push_back((at, conn, text));
    }

    /// A JSON-RPC result, unless the request was a notification (no id).
    pub(super) fn reply(&mut self, conn: ConnId, id: &Option<Value>, result: Value, now: Instant) {
        let Some(id) = id else { return };
        let text = json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string();
        self.send(conn, text, now);
    }

    /// A JSON-RPC error, unless the request was a notification (no id).
    pub(super) fn rpc_error(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        code: i64,
        message: &str,
        now: Instant,
    ) {
        let Some(id) = id else { return };
        let text = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
            .to_string();
        self.send(conn, text, now);
    }

    /// A `calling.*`-style result `{code, message}`.
    pub(super) fn reply_code(
        &mut self,
        conn: ConnId,
        id: &Option<Value>,
        code: &str,
        message: &str,
        now: Instant,
    ) {
        self.reply(conn, id, json!({"code": code, "message": message}), now);
    }

    /// Sends a request of the service's own and remembers it for the client's answer.
    pub(super) fn server_request(
        &mut self,
        conn: ConnId,
        method: &str,
        params: Value,
        kind: ServerRequest,
        now: Instant,
    ) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        let id = self.new_id();
        let text =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        self.server_requests.insert(id, kind);
        self.send(conn, text, now);
    }

    /// The client answered one of the service's requests.
    fn handle_client_response(&mut self, id: Option<&Value>) {
        let id = match id {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return,
        };
        let Some(request) = self.server_requests.remove(&id) else {
            return;
        };
        self.acks += 1;
        if let ServerRequest::Disconnect(conn) = request {
            // The client has the goodbye: close now rather than at the grace deadline.
            if self.conns.contains_key(&conn) {
                self.outputs.push_back(SimOutput::Close { conn });
                let now = self.now_or_start();
                self.close_conn(conn, now);
            }
        }
    }

    /// Remembers an ended call for `410`s, forgetting the oldest beyond the bound.
    pub(super) fn remember_ended(&mut self, call_id: CallId) {
        if self.ended_set.insert(call_id.clone()) {
            self.ended.push_back(call_id);
        }
        while self.ended.len() > RECENTLY_ENDED {
            if let Some(old) = self.ended.pop_front() {
                self.ended_set.remove(&old);
            }
        }
    }

    pub(super) fn generation_of(&self, conn: ConnId) -> Option<u64> {
        self.conns.get(&conn).map(|c| c.generation)
    }

    pub(super) fn recently_ended(&self, call_id: &CallId) -> bool {
        self.ended_set.contains(call_id)
    }

    /// Runs a timer that came due at `due`. An action's steps run at `due`, so that a chain
    /// of steps (prompt, then input, then result) keeps its spacing however late the driver
    /// calls in.
    fn run_timer(&mut self, timer: Timer, due: Instant, now: Instant) {
        match timer {
            Timer::Ping(conn, generation) => {
                if self.generation_of(conn) == Some(generation) {
                    self.ping_timer(conn, now);
                }
            }
            Timer::Offer => {
                if let Some((interval, context)) = self.config.offer_every.clone() {
                    self.offers_made += 1;
                    let n = self.offers_made % 10_000;
                    let from = format!("+1555100{n:04}");
                    self.offer_inbound_call(&context, &from, "+15552000000", now);
                    let at = now + interval.max(Duration::from_millis(1));
                    self.schedule(at, Timer::Offer);
                }
            }
            Timer::Action(call_id, control_id, serial, step) => {
                self.action_timer(&call_id, &control_id, serial, step, due)
            }
            Timer::MediaFinished(call_id, control_id, serial) => {
                self.media_timer(&call_id, &control_id, serial, now)
            }
            Timer::DisconnectClose(conn, generation) => {
                if self.generation_of(conn) == Some(generation) {
                    self.outputs.push_back(SimOutput::Close { conn });
                    self.close_conn(conn, now);
                }
            }
            Timer::Message(protocol, message) => self.message_timer(protocol, *message, now),
            Timer::RingLeg(leg) => self.ring_leg_timer(&leg, due),
            Timer::FarHangup(call_id) => self.far_hangup_timer(&call_id, now),
            Timer::AuthDeadline(conn, generation) => {
                let unauthenticated = self
                    .conns
                    .get(&conn)
                    .is_some_and(|c| c.generation == generation && c.session.is_none());
                if unauthenticated {
                    self.auth_timeouts += 1;
                    self.outputs.push_back(SimOutput::Close { conn });
                    self.close_conn(conn, now);
                }
            }
        }
    }
}
