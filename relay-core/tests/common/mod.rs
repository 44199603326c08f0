//! Test helpers: an engine with a virtual clock and frame helpers, no server.
#![allow(dead_code, clippy::unwrap_used)]

pub mod options;

use relay_rs_core::{Credentials, Engine, EngineConfig, Event, Transmit};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An engine under test with its own virtual clock.
pub struct Client {
    pub engine: Engine,
    pub now: Instant,
}

pub fn config() -> EngineConfig {
    EngineConfig::new(Credentials::token("project-1", "token-1")).contexts(["office"])
}

impl Client {
    pub fn new(config: EngineConfig) -> Self {
        Self {
            engine: Engine::new(config),
            now: Instant::now(),
        }
    }

    /// Connected and authenticated with protocol `proto-1`.
    pub fn ready() -> Self {
        let mut client = Self::new(config());
        client.connect_and_auth("proto-1");
        client.drain_events();
        client
    }

    pub fn connect_and_auth(&mut self, protocol: &str) {
        self.engine.open(self.now);
        let mut transmits = self.transmits();
        if transmits.first() == Some(&Transmit::Open) {
            transmits.remove(0);
        }
        self.engine.handle_connected(self.now);
        let connect = self.sent_one("signalwire.connect");
        self.respond(&connect, json!({"protocol": protocol, "identity": "id-1"}));
        self.transmits();
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.engine.handle_timeout(self.now);
    }

    /// Jumps to the next deadline and runs it.
    pub fn jump(&mut self) -> Duration {
        let at = self.engine.poll_timeout().expect("a deadline");
        let by = at.saturating_duration_since(self.now);
        self.now = self.now.max(at);
        self.engine.handle_timeout(self.now);
        by
    }

    pub fn transmits(&mut self) -> Vec<Transmit> {
        std::iter::from_fn(|| self.engine.poll_transmit()).collect()
    }

    /// Every frame sent since the last call, parsed.
    pub fn sent(&mut self) -> Vec<Value> {
        self.transmits()
            .into_iter()
            .filter_map(|t| match t {
                Transmit::Send(text) => Some(serde_json::from_str(&text).unwrap()),
                _ => None,
            })
            .collect()
    }

    /// The one frame sent since the last call, which must have `method`.
    pub fn sent_one(&mut self, method: &str) -> Value {
        let sent = self.sent();
        assert_eq!(sent.len(), 1, "expected one frame, got {sent:#?}");
        assert_eq!(sent[0]["method"], method, "{sent:#?}");
        sent.into_iter().next().unwrap()
    }

    pub fn drain_events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.engine.poll_event()).collect()
    }

    pub fn feed(&mut self, frame: Value) {
        self.engine.handle_frame(&frame.to_string(), self.now);
    }

    pub fn respond(&mut self, request: &Value, result: Value) {
        self.feed(json!({"jsonrpc": "2.0", "id": request["id"], "result": result}));
    }

    pub fn respond_error(&mut self, request: &Value, code: i64, message: &str) {
        self.feed(json!({"jsonrpc": "2.0", "id": request["id"],
            "error": {"code": code, "message": message}}));
    }

    /// Sends a `signalwire.event` from the server with id `ev-<n>`.
    pub fn event(&mut self, id: &str, event_type: &str, params: Value) {
        self.feed(
            json!({"jsonrpc": "2.0", "id": id, "method": "signalwire.event",
            "params": {"event_type": event_type, "timestamp": 1.0, "params": params}}),
        );
    }

    /// Offers call `call_id` of node `node_id`, ringing in `office`, and nothing more; the
    /// ack and the events are left to the test.
    pub fn offer(&mut self, event_id: &str, call_id: &str, node_id: &str) {
        self.event(
            event_id,
            "calling.call.receive",
            json!({"call_id": call_id, "node_id": node_id, "context": "office",
                   "call_state": "ringing"}),
        );
    }

    /// Offers an inbound call and drains the ack and the event.
    pub fn incoming(&mut self, call_id: &str) {
        self.event(
            &format!("recv-{call_id}"),
            "calling.call.receive",
            json!({"call_id": call_id, "node_id": "node-1", "context": "office",
                   "call_state": "ringing", "direction": "inbound",
                   "device": {"type": "phone", "params": {"from_number": "+15550001", "to_number": "+15550002"}}}),
        );
        self.sent();
        self.drain_events();
    }

    pub fn call_state(&mut self, call_id: &str, state: &str, end_reason: Option<&str>) {
        let mut params = json!({"call_id": call_id, "node_id": "node-1", "call_state": state,
                                "direction": "inbound"});
        if let Some(reason) = end_reason {
            params["end_reason"] = json!(reason);
        }
        self.event(
            &format!("state-{call_id}-{state}"),
            "calling.call.state",
            params,
        );
    }
}

pub fn ack(id: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": {}})
}
