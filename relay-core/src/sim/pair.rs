//! How you unit-test your own app with no network: one client [`Engine`] and one
//! [`FakeRelay`] wired together in memory, with a virtual clock that jumps from deadline to
//! deadline, so minutes of pings, backoff and time-outs run in microseconds.

use super::{ConnId, FakeRelay, SimConfig, SimOutput};
use crate::config::EngineConfig;
use crate::engine::Engine;
use crate::event::{Event, Transmit};
use std::time::{Duration, Instant};

/// Rounds of `step` after which a side that keeps producing output is taken to be stuck.
const MAX_ROUNDS: usize = 1_000_000;

/// A client engine and a fake service connected in memory.
///
/// ```
/// use relay_rs_core::sim::{Pair, SimConfig};
/// use relay_rs_core::{Credentials, EngineConfig, Event};
/// use std::time::Duration;
///
/// let config = EngineConfig::new(Credentials::token("project", "token")).contexts(["office"]);
/// let mut pair = Pair::new(config, SimConfig::new());
/// pair.open();
/// assert!(pair.engine.is_ready());
///
/// let call_id = pair.relay.offer_inbound_call("office", "+15551110000", "+15552220000", pair.now);
/// pair.step();
/// assert!(pair.events().iter().any(|e| matches!(e, Event::IncomingCall(_))));
/// let call_id = call_id.expect("a session receives office");
/// pair.engine.answer(&call_id, pair.now).expect("answer");
/// assert!(pair.run_until(|p| p.relay.call_state(&call_id) == Some("answered"), Duration::from_secs(1)));
/// ```
#[derive(Debug)]
pub struct Pair {
    /// The client under test.
    pub engine: Engine,
    /// The fake service.
    pub relay: FakeRelay,
    /// Virtual time, shared by both.
    pub now: Instant,
    conn: Option<ConnId>,
    next_conn: u64,
    captured: Vec<SimOutput>,
}

impl Pair {
    /// A pair that has not connected yet; call [`Pair::open`].
    pub fn new(engine_config: EngineConfig, sim_config: SimConfig) -> Self {
        Self {
            engine: Engine::new(engine_config),
            relay: FakeRelay::new(sim_config),
            now: Instant::now(),
            conn: None,
            next_conn: 1,
            captured: Vec::new(),
        }
    }

    /// Starts the engine's session and steps until quiet; `true` when it is ready.
    pub fn open(&mut self) -> bool {
        self.engine.open(self.now);
        self.step();
        self.engine.is_ready()
    }

    /// The socket the engine is on.
    pub fn conn(&self) -> Option<ConnId> {
        self.conn
    }

    /// Moves every pending frame and instruction both ways, and runs what is due at `now`,
    /// until both sides are quiet. Returns how many items moved.
    pub fn step(&mut self) -> usize {
        let mut moved = 0;
        for _ in 0..MAX_ROUNDS {
            let mut round = 0;
            while let Some(transmit) = self.engine.poll_transmit() {
                round += 1;
                self.client_transmit(transmit);
            }
            while let Some(output) = self.relay.poll_output() {
                round += 1;
                self.relay_output(output);
            }
            if self.engine.poll_timeout().is_some_and(|at| at <= self.now) {
                round += 1;
                self.engine.handle_timeout(self.now);
            }
            if self.relay.poll_timeout().is_some_and(|at| at <= self.now) {
                round += 1;
                self.relay.handle_timeout(self.now);
            }
            if round == 0 {
                break;
            }
            moved += round;
        }
        moved
    }

    /// Moves virtual time forward by `by`, running both sides' timers in deadline order and
    /// stepping after each.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        self.step();
        while let Some(at) = self.next_deadline().filter(|at| *at <= target) {
            if at <= self.now {
                // `step` ran everything due; a deadline still in the past would never move.
                break;
            }
            self.now = at;
            self.step();
        }
        self.now = target;
        self.step();
    }

    /// Steps and jumps from deadline to deadline until `cond` holds or `max` of virtual time
    /// has passed; whether it holds.
    pub fn run_until(&mut self, mut cond: impl FnMut(&mut Pair) -> bool, max: Duration) -> bool {
        let limit = self.now + max;
        loop {
            self.step();
            if cond(self) {
                return true;
            }
            match self.next_deadline() {
                Some(at) if at <= limit && at > self.now => self.now = at,
                _ => break,
            }
        }
        self.now = self.now.max(limit);
        self.step();
        cond(self)
    }

    /// The engine's events since the last call.
    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.engine.poll_event()).collect()
    }

    /// The fake service's instructions other than frames and closes (`StartMedia`,
    /// `StopMedia`, `StatusCallback`) since the last call.
    pub fn relay_outputs(&mut self) -> Vec<SimOutput> {
        std::mem::take(&mut self.captured)
    }

    fn next_deadline(&self) -> Option<Instant> {
        [self.engine.poll_timeout(), self.relay.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    fn client_transmit(&mut self, transmit: Transmit) {
        match transmit {
            Transmit::Open => {
                if let Some(old) = self.conn.take() {
                    self.relay.handle_disconnected(old, self.now);
                }
                let conn = ConnId(self.next_conn);
                self.next_conn += 1;
                self.conn = Some(conn);
                self.relay.handle_connected(conn, self.now);
                self.engine.handle_connected(self.now);
            }
            Transmit::Send(text) => {
                if let Some(conn) = self.conn {
                    self.relay.handle_frame(conn, &text, self.now);
                }
            }
            Transmit::Close => {
                if let Some(conn) = self.conn.take() {
                    self.relay.handle_disconnected(conn, self.now);
                }
            }
        }
    }

    fn relay_output(&mut self, output: SimOutput) {
        match output {
            SimOutput::Send { conn, text } => {
                if self.conn == Some(conn) {
                    self.engine.handle_frame(&text, self.now);
                }
            }
            SimOutput::Close { conn } => {
                if self.conn == Some(conn) {
                    self.conn = None;
                    self.relay.handle_disconnected(conn, self.now);
                    self.engine.handle_disconnected(self.now);
                }
            }
            other => self.captured.push(other),
        }
    }
}
