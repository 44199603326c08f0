//! Helpers for the `sim_*` tests: a fake relay driven by hand-written client frames, with a
//! virtual clock. Included by the other `sim_*` files with `#[path]`.
#![allow(dead_code, clippy::unwrap_used)]

use relay_rs_core::sim::{ConnId, FakeRelay, SimConfig, SimOutput};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A fake relay under test, its clock, and what it sent that nobody looked at yet.
pub struct Server {
    pub relay: FakeRelay,
    pub now: Instant,
    next_id: u64,
    pub side: Vec<SimOutput>,
}

impl Server {
    pub fn new(config: SimConfig) -> Self {
        Self {
            relay: FakeRelay::new(config),
            now: Instant::now(),
            next_id: 0,
            side: Vec::new(),
        }
    }

    pub fn open(&mut self, conn: u64) -> ConnId {
        let conn = ConnId(conn);
        self.relay.handle_connected(conn, self.now);
        conn
    }

    /// Sends a request frame with id `c<n>`; returns the id.
    pub fn request(&mut self, conn: ConnId, method: &str, params: Value) -> String {
        self.next_id += 1;
        let id = format!("c{}", self.next_id);
        let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.relay.handle_frame(conn, &frame.to_string(), self.now);
        id
    }

    pub fn raw(&mut self, conn: ConnId, text: &str) {
        self.relay.handle_frame(conn, text, self.now);
    }

    /// Every frame sent since the last call, with its socket; other outputs go to `side`.
    pub fn sent_with_conn(&mut self) -> Vec<(ConnId, Value)> {
        let mut frames = Vec::new();
        while let Some(output) = self.relay.poll_output() {
            match output {
                SimOutput::Send { conn, text } => {
                    frames.push((conn, serde_json::from_str(&text).unwrap()))
                }
                other => self.side.push(other),
            }
        }
        frames
    }

    /// Every frame sent since the last call.
    pub fn sent(&mut self) -> Vec<Value> {
        self.sent_with_conn().into_iter().map(|(_, f)| f).collect()
    }

    /// The one frame sent since the last call.
    pub fn sent_one(&mut self) -> Value {
        let sent = self.sent();
        assert_eq!(sent.len(), 1, "expected one frame, got {sent:#?}");
        sent.into_iter().next().unwrap()
    }

    /// The non-frame outputs since the last call.
    pub fn side(&mut self) -> Vec<SimOutput> {
        self.sent_with_conn_keep();
        std::mem::take(&mut self.side)
    }

    fn sent_with_conn_keep(&mut self) {
        let frames = self.sent_with_conn();
        assert!(frames.is_empty(), "unexpected frames {frames:#?}");
    }

    /// Acknowledges a server request frame.
    pub fn ack(&mut self, conn: ConnId, frame: &Value) {
        let ack = json!({"jsonrpc": "2.0", "id": frame["id"], "result": {}});
        self.relay.handle_frame(conn, &ack.to_string(), self.now);
    }

    /// Acknowledges every server request in `frames`.
    pub fn ack_all(&mut self, conn: ConnId, frames: &[Value]) {
        for frame in frames.iter().filter(|f| f.get("method").is_some()) {
            self.ack(conn, frame);
        }
    }

    /// Authenticates `conn` with the default credentials (and `protocol` to resume);
    /// acks what follows. Returns the protocol and the frames after the result.
    pub fn auth_with(
        &mut self,
        conn: ConnId,
        contexts: &[&str],
        protocol: Option<&str>,
    ) -> (String, Vec<Value>) {
        let mut params = connect_params("project", "token");
        if !contexts.is_empty() {
            params["contexts"] = json!(contexts);
        }
        if let Some(protocol) = protocol {
            params["protocol"] = json!(protocol);
            params["authorization_state"] = json!("state");
        }
        let id = self.request(conn, "signalwire.connect", params);
        let mut frames = self.sent();
        let reply = frames.remove(0);
        assert_eq!(reply["id"], id.as_str(), "{reply:#}");
        let protocol = reply["result"]["protocol"].as_str().unwrap().to_owned();
        self.ack_all(conn, &frames);
        (protocol, frames)
    }

    pub fn auth(&mut self, conn: ConnId, contexts: &[&str]) -> String {
        self.auth_with(conn, contexts, None).0
    }

    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.relay.handle_timeout(self.now);
    }

    /// A call offered on `office` to an authenticated `conn`, its receive event acked.
    pub fn inbound(&mut self, conn: ConnId) -> (String, Value) {
        let call_id = self
            .relay
            .offer_inbound_call("office", "+15551110000", "+15552220000", self.now)
            .unwrap();
        let frame = self.sent_one();
        self.ack(conn, &frame);
        (call_id.as_str().to_owned(), frame)
    }

    /// An inbound call, answered, with every frame drained.
    pub fn answered(&mut self, conn: ConnId) -> (String, String) {
        let (call_id, receive) = self.inbound(conn);
        let node_id = receive["params"]["params"]["node_id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.request(
            conn,
            "calling.answer",
            json!({"call_id": call_id, "node_id": node_id}),
        );
        let frames = self.sent();
        self.ack_all(conn, &frames);
        (call_id, node_id)
    }
}

pub fn connect_params(project: &str, token: &str) -> Value {
    json!({"version": {"major": 2, "minor": 0, "revision": 0}, "agent": "test",
           "event_acks": true, "authentication": {"project": project, "token": token}})
}

/// The `event_type` and data of a `signalwire.event` frame.
pub fn event(frame: &Value) -> (&str, &Value) {
    assert_eq!(frame["method"], "signalwire.event", "{frame:#}");
    assert!(frame["params"]["timestamp"].is_f64(), "{frame:#}");
    (
        frame["params"]["event_type"].as_str().unwrap(),
        &frame["params"]["params"],
    )
}

/// The event types of a list of frames (`result`/`error` for responses).
pub fn kinds(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| match f["method"].as_str() {
            Some("signalwire.event") => f["params"]["event_type"].as_str().unwrap().to_owned(),
            Some(method) => method.to_owned(),
            None if f.get("error").is_some() => "error".to_owned(),
            None => "result".to_owned(),
        })
        .collect()
}

/// The JSON-RPC result of a response frame to `id`.
pub fn result_of<'a>(frame: &'a Value, id: &str) -> &'a Value {
    assert_eq!(frame["id"], id, "{frame:#}");
    assert_eq!(frame["jsonrpc"], "2.0");
    &frame["result"]
}
