//! The fake relay's `calling.connect`, `calling.disconnect` and `calling.dial` against
//! `docs/CALLING-API.md` §2.1 and §2.3: the legs of a plan, their state events with the
//! connect's tag, `connecting` → `connected` with the peer or `failed` with a reason, the
//! ends of both legs, disconnect, ringback, and the 4xx of bad params. Test names carry the
//! spec section.
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use relay_rs_core::sim::{ConnId, Fault, SimConfig, BUSY_NUMBER, NO_ANSWER_NUMBER};
use relay_rs_core::CallId;
use serde_json::{json, Value};
use std::time::Duration;
use support::{event, Server};

struct Fixture {
    server: Server,
    conn: ConnId,
    call_id: String,
    node_id: String,
}

/// One event, short: (type, call id, state), the state being `call_state` or
/// `connect_state`.
type Short = (String, String, String);

impl Fixture {
    fn new() -> Self {
        let mut server = Server::new(SimConfig::new());
        let conn = server.open(1);
        server.auth(conn, &["office"]);
        let (call_id, node_id) = server.answered(conn);
        Self {
            server,
            conn,
            call_id,
            node_id,
        }
    }

    /// Sends `method` on `call_id`; the result and the events that came with it (acked).
    fn on(&mut self, call_id: &str, method: &str, mut params: Value) -> (Value, Vec<Value>) {
        params["call_id"] = json!(call_id);
        params["node_id"] = json!(self.node_id);
        let id = self.server.request(self.conn, method, params);
        let mut frames = self.server.sent();
        let reply = frames.remove(0);
        assert_eq!(reply["id"], id.as_str(), "{reply:#}");
        self.server.ack_all(self.conn, &frames);
        (reply["result"].clone(), frames)
    }

    fn connect(&mut self, params: Value) -> (Value, Vec<Value>) {
        let call = self.call_id.clone();
        self.on(&call, "calling.connect", params)
    }

    fn advance(&mut self, secs: u64) -> Vec<Value> {
        self.server.advance(Duration::from_secs(secs));
        let frames = self.server.sent();
        self.server.ack_all(self.conn, &frames);
        frames
    }
}

fn short(frames: &[Value]) -> Vec<Short> {
    frames
        .iter()
        .map(|frame| {
            let (kind, data) = event(frame);
            let state = data
                .get("call_state")
                .or_else(|| data.get("connect_state"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            (
                kind.to_owned(),
                data["call_id"].as_str().unwrap_or_default().to_owned(),
                state.to_owned(),
            )
        })
        .collect()
}

fn s(kind: &str, call: &str, state: &str) -> Short {
    (kind.into(), call.into(), state.into())
}

fn phone(to: &str) -> Value {
    json!({"type": "phone", "params": {"from_number": "+15550001111", "to_number": to}})
}

const STATE: &str = "calling.call.state";
const CONNECT: &str = "calling.call.connect";

/// The call id of every leg, in the order their `created` came.
fn legs(frames: &[Value]) -> Vec<String> {
    short(frames)
        .into_iter()
        .filter(|(k, _, st)| k == STATE && st == "created")
        .map(|(_, c, _)| c)
        .collect()
}

#[test]
fn s2_1_connect_rings_a_leg_with_the_tag_and_connects_to_it() {
    let mut f = Fixture::new();
    let (result, frames) = f.connect(json!({"devices": [[phone("+15553330000")]], "tag": "t-1",
        "ringback": [{"type": "ringtone", "params": {"name": "us"}}]}));
    assert_eq!(result, json!({"code": "200", "message": "connecting"}));
    let peer = legs(&frames)[0].clone();
    let c = f.call_id.clone();
    assert_eq!(
        short(&frames),
        [
            s(CONNECT, &c, "connecting"),
            s(STATE, &peer, "created"),
            s(STATE, &peer, "ringing"),
            s(STATE, &peer, "answered"),
            s(CONNECT, &c, "connected"),
        ]
    );
    let (_, leg_state) = event(&frames[1]);
    assert_eq!(leg_state["tag"], "t-1");
    assert_eq!(leg_state["direction"], "outbound");
    assert_eq!(leg_state["device"], phone("+15553330000"));
    let (_, connected) = event(&frames[4]);
    assert_eq!(connected["tag"], "t-1");
    assert_eq!(connected["node_id"], f.node_id);
    let leg_node = f
        .server
        .relay
        .node_id(&CallId::new(peer.as_str()))
        .unwrap()
        .as_str()
        .to_owned();
    assert_eq!(
        connected["peer"],
        json!({"call_id": peer, "node_id": leg_node, "tag": "t-1", "device": phone("+15553330000")})
    );
    let call = CallId::new(c.as_str());
    assert_eq!(f.server.relay.connect_state(&call), Some("connected"));
    assert_eq!(
        f.server.relay.peer_of(&call),
        Some(CallId::new(peer.as_str()))
    );
}

#[test]
fn s2_1_serial_groups_in_order_parallel_devices_at_once_first_answer_wins() {
    let mut f = Fixture::new();
    let plan = json!({"devices": [
        [phone(BUSY_NUMBER)],
        [phone("+15553330001"), phone("+15553330002")],
    ]});
    let (_, frames) = f.connect(plan);
    let all = legs(&frames);
    assert_eq!(all.len(), 3, "{:#?}", short(&frames));
    let (busy, winner, loser) = (&all[0], &all[1], &all[2]);
    let c = f.call_id.clone();
    let got = short(&frames);
    assert_eq!(got[0], s(CONNECT, &c, "connecting"));
    // The busy group ends first; then both devices of the next group ring at once.
    let busy_end = got
        .iter()
        .position(|e| e == &s(STATE, busy, "ended"))
        .unwrap();
    let next_created = got
        .iter()
        .position(|e| e == &s(STATE, winner, "created"))
        .unwrap();
    assert!(busy_end < next_created);
    assert!(got.contains(&s(STATE, loser, "ringing")));
    assert!(got.contains(&s(STATE, winner, "answered")));
    assert!(got.contains(&s(STATE, loser, "ended")));
    assert_eq!(got.last().unwrap(), &s(CONNECT, &c, "connected"));
    let end_reason = |call: &str| {
        frames
            .iter()
            .map(event)
            .find(|(k, d)| *k == STATE && d["call_id"] == call && d["call_state"] == "ended")
            .map(|(_, d)| d["end_reason"].clone())
            .unwrap()
    };
    assert_eq!(end_reason(busy), "busy");
    assert_eq!(end_reason(loser), "cancel");
    let (_, connected) = event(frames.last().unwrap());
    assert_eq!(connected["peer"]["call_id"], winner.as_str());
}

#[test]
fn s2_1_no_answer_rings_for_the_device_timeout_then_fails_with_the_reason() {
    let mut f = Fixture::new();
    let device = json!({"type": "phone", "params": {"from_number": "+1", "to_number": NO_ANSWER_NUMBER, "timeout": 12}});
    let (_, frames) = f.connect(json!({"devices": [[device]],
        "ringback": [{"type": "tts", "params": {"text": "Please hold"}}]}));
    let leg = legs(&frames)[0].clone();
    let call = CallId::new(f.call_id.as_str());
    assert_eq!(f.server.relay.connect_state(&call), Some("connecting"));
    assert_eq!(
        f.server.relay.ringback(&call),
        vec![json!({"type": "tts", "params": {"text": "Please hold"}})],
        "the caller hears the ringback while connecting"
    );
    assert!(f.advance(11).is_empty());
    let frames = f.advance(1);
    let c = f.call_id.clone();
    assert_eq!(
        short(&frames),
        [
            s(STATE, &leg, "ending"),
            s(STATE, &leg, "ended"),
            s(CONNECT, &c, "failed")
        ]
    );
    let (_, failed) = event(&frames[2]);
    assert_eq!(failed["failed_reason"], "noAnswer");
    assert!(failed.get("peer").is_none());
    assert_eq!(f.server.relay.connect_state(&call), None);
    assert!(f.server.relay.ringback(&call).is_empty());
}

#[test]
fn s2_1_a_peer_hanging_up_disconnects_and_the_call_goes_on() {
    let mut f = Fixture::new();
    let (_, frames) = f.connect(json!({"devices": [[phone("+15553330000")]]}));
    let peer = legs(&frames)[0].clone();
    let peer_id = CallId::new(peer.as_str());
    f.server.relay.end_call(&peer_id, "hangup", f.server.now);
    let frames = f.server.sent();
    f.server.ack_all(f.conn, &frames);
    let c = f.call_id.clone();
    assert_eq!(
        short(&frames),
        [
            s(STATE, &peer, "ending"),
            s(STATE, &peer, "ended"),
            s(CONNECT, &c, "disconnected")
        ]
    );
    let (_, disconnected) = event(&frames[2]);
    assert_eq!(disconnected["peer"]["call_id"], peer.as_str());
    let call = CallId::new(c.as_str());
    assert_eq!(f.server.relay.call_state(&call), Some("answered"));
    // A new connect may follow.
    let (result, _) = f.connect(json!({"devices": [[phone("+15553330009")]]}));
    assert_eq!(result["code"], "200");
}

#[test]
fn s2_1_the_original_call_ending_ends_the_peer() {
    let mut f = Fixture::new();
    let (_, frames) = f.connect(json!({"devices": [[phone("+15553330000")]]}));
    let peer = legs(&frames)[0].clone();
    let c = f.call_id.clone();
    let (_, frames) = f.on(&c, "calling.end", json!({"reason": "hangup"}));
    assert_eq!(
        short(&frames),
        [
            s(STATE, &c, "ending"),
            s(STATE, &c, "ended"),
            s(STATE, &peer, "ending"),
            s(STATE, &peer, "ended")
        ]
    );
    assert!(f.server.relay.call_ids().is_empty());
}

#[test]
fn s2_1_disconnect_unbridges_and_leaves_both_legs_up() {
    let mut f = Fixture::new();
    let c = f.call_id.clone();
    let (result, _) = f.on(&c, "calling.disconnect", json!({}));
    assert_eq!(
        result,
        json!({"code": "400", "message": "Call is not connected"})
    );
    let (_, frames) = f.connect(json!({"devices": [[phone("+15553330000")]]}));
    let peer = legs(&frames)[0].clone();
    let (result, frames) = f.on(&c, "calling.disconnect", json!({}));
    assert_eq!(result, json!({"code": "200", "message": "Disconnecting"}));
    assert_eq!(short(&frames), [s(CONNECT, &c, "disconnected")]);
    let relay = &f.server.relay;
    assert_eq!(relay.call_state(&CallId::new(c.as_str())), Some("answered"));
    assert_eq!(
        relay.call_state(&CallId::new(peer.as_str())),
        Some("answered")
    );
    assert_eq!(relay.connect_state(&CallId::new(c.as_str())), None);
    // Un-bridged: the peer's end no longer concerns the original call.
    let (_, frames) = f.on(&peer, "calling.end", json!({}));
    assert_eq!(
        short(&frames),
        [s(STATE, &peer, "ending"), s(STATE, &peer, "ended")]
    );
}

#[test]
fn s2_1_a_call_device_bridges_an_existing_call() {
    let mut f = Fixture::new();
    let (other, _) = f.server.answered(f.conn);
    let device = json!({"type": "call", "params": {"node_id": "n", "call_id": other}});
    let (_, frames) = f.connect(json!({"devices": [[device]]}));
    let c = f.call_id.clone();
    assert_eq!(
        short(&frames),
        [s(CONNECT, &c, "connecting"), s(CONNECT, &c, "connected")]
    );
    let (_, connected) = event(&frames[1]);
    assert_eq!(connected["peer"]["call_id"], other.as_str());
    let missing = json!({"type": "call", "params": {"node_id": "n", "call_id": "nope"}});
    f.on(&c, "calling.disconnect", json!({}));
    let (_, frames) = f.connect(json!({"devices": [[missing]]}));
    let (_, failed) = event(frames.last().unwrap());
    assert_eq!(failed["failed_reason"], "not_found");
}

#[test]
fn s2_1_a_scripted_failure_and_a_second_connect_while_connected() {
    let mut f = Fixture::new();
    f.server.relay.set_fault(Fault::FailConnect {
        reason: "error".into(),
    });
    let (result, frames) = f.connect(json!({"devices": [[phone("+15553330000")]]}));
    assert_eq!(result["code"], "200");
    let c = f.call_id.clone();
    assert_eq!(
        short(&frames),
        [s(CONNECT, &c, "connecting"), s(CONNECT, &c, "failed")]
    );
    assert_eq!(event(&frames[1]).1["failed_reason"], "error");
    f.connect(json!({"devices": [[phone("+15553330000")]]}));
    let (result, frames) = f.connect(json!({"devices": [[phone("+15553330000")]]}));
    assert_eq!(
        result,
        json!({"code": "409", "message": "Call is already connected"})
    );
    assert!(frames.is_empty());
}

#[test]
fn s2_1_bad_params_are_400() {
    let mut f = Fixture::new();
    let cases = [
        json!({}),
        json!({"devices": []}),
        json!({"devices": [[]]}),
        json!({"devices": [[{"type": "phone", "params": {}}]]}),
        json!({"devices": [[{"type": "fax", "params": {"to": "x"}}]]}),
        json!({"devices": [[{"type": "sip", "params": {"to": "sip:a"}}]]}),
        json!({"devices": [[{"type": "stream", "params": {"url": "https://x"}}]]}),
        json!({"devices": [[phone("+1")]], "ringback": [{"type": "tts", "params": {}}]}),
        json!({"devices": [[phone("+1")]], "max_duration": 0}),
        json!({"devices": [[phone("+1")]], "max_price_per_minute": -1}),
        json!({"devices": [[{"type": "phone", "params": {"to_number": "+1", "timeout": "soon"}}]]}),
    ];
    for params in cases {
        let (result, frames) = f.connect(params.clone());
        assert_eq!(result["code"], "400", "{params}: {result}");
        assert!(frames.is_empty());
    }
}

#[test]
fn s2_3_dial_takes_region_price_and_every_dialable_device_type() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    let sip =
        json!({"type": "sip", "params": {"from": "sip:a@x", "to": "sip:b@y", "codecs": ["OPUS"]}});
    let webrtc = json!({"type": "webrtc", "params": {"from": "+1", "to": "room"}});
    for device in [sip, webrtc] {
        server.request(
            conn,
            "calling.dial",
            json!({"tag": "t", "devices": [[device.clone()]], "region": "us",
                   "max_price_per_minute": 0.5, "max_duration": 10}),
        );
        let frames = server.sent();
        server.ack_all(conn, &frames);
        assert_eq!(frames[0]["result"]["code"], "200", "{frames:#?}");
        let (kind, dial) = event(frames.last().unwrap());
        assert_eq!(kind, "calling.call.dial");
        assert_eq!(dial["dial_state"], "answered");
        assert_eq!(dial["call"]["device"], device);
    }
    let refused = [
        json!({"tag": "t", "devices": [[{"type": "queue", "params": {"queue_name": "q"}}]]}),
        json!({"tag": "t", "devices": [[phone("+1")]], "region": 5}),
        json!({"tag": "t", "devices": [[phone("+1")]], "max_price_per_minute": "cheap"}),
    ];
    for params in refused {
        server.request(conn, "calling.dial", params.clone());
        let reply = server.sent_one();
        assert_eq!(reply["result"]["code"], "400", "{params}");
    }
}

#[test]
fn s2_3_a_failed_dial_says_why() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    server.request(
        conn,
        "calling.dial",
        json!({"tag": "t", "devices": [[phone(BUSY_NUMBER)]]}),
    );
    let frames = server.sent();
    let (_, failed) = frames
        .iter()
        .skip(1)
        .map(event)
        .find(|(k, _)| *k == "calling.call.dial")
        .unwrap();
    assert_eq!(failed["dial_state"], "failed");
    assert_eq!(failed["reason"], "busy");
    assert_eq!(failed["source"], "outbound");
}
