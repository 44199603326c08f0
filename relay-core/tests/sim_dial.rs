//! The fake relay's `calling.dial` against `docs/CALLING-API.md` §2.3: the whole device plan
//! rings (groups one after another, the devices of a group at once), each leg with
//! `calling.call.state` events carrying the dial's tag, then one `calling.call.dial`:
//! `answered` with the winner, or `failed` with a reason. Test names carry the spec section.
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use relay_rs_core::sim::{CallerScript, ConnId, Dialed, SimConfig, BUSY_NUMBER, NO_ANSWER_NUMBER};
use serde_json::{json, Value};
use std::time::Duration;
use support::{event, Server};

const STATE: &str = "calling.call.state";
const DIAL: &str = "calling.call.dial";
const TAG: &str = "dial-1";

struct Fixture {
    server: Server,
    conn: ConnId,
}

impl Fixture {
    fn new() -> Self {
        Self::with(SimConfig::new())
    }

    fn with(config: SimConfig) -> Self {
        let mut server = Server::new(config);
        let conn = server.open(1);
        server.auth(conn, &[]);
        Self { server, conn }
    }

    /// Dials `groups` with [`TAG`]; the events that came with the `200` (acked).
    fn dial(&mut self, groups: Value) -> Vec<Value> {
        let id = self.server.request(
            self.conn,
            "calling.dial",
            json!({"tag": TAG, "devices": groups}),
        );
        let mut frames = self.server.sent();
        let reply = frames.remove(0);
        assert_eq!(reply["id"], id.as_str(), "{reply:#}");
        assert_eq!(reply["result"]["code"], "200");
        self.server.ack_all(self.conn, &frames);
        frames
    }

    fn advance(&mut self, secs: u64) -> Vec<Value> {
        self.server.advance(Duration::from_secs(secs));
        let frames = self.server.sent();
        self.server.ack_all(self.conn, &frames);
        frames
    }
}

fn phone(to: &str) -> Value {
    json!({"type": "phone", "params": {"from_number": "+15551110000", "to_number": to}})
}

fn phone_ringing_for(to: &str, secs: u64) -> Value {
    json!({"type": "phone",
           "params": {"from_number": "+15551110000", "to_number": to, "timeout": secs}})
}

/// (event type, leg call id or "", call_state or dial_state).
fn short(frames: &[Value]) -> Vec<(String, String, String)> {
    frames
        .iter()
        .map(|frame| {
            let (kind, data) = event(frame);
            let state = data
                .get("call_state")
                .or_else(|| data.get("dial_state"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let call = data["call_id"].as_str().unwrap_or_default();
            (kind.to_owned(), call.to_owned(), state.to_owned())
        })
        .collect()
}

fn s(kind: &str, call: &str, state: &str) -> (String, String, String) {
    (kind.to_owned(), call.to_owned(), state.to_owned())
}

/// The legs in the order they were created.
fn legs(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(event)
        .filter(|(k, d)| *k == STATE && d["call_state"] == "created")
        .map(|(_, d)| d["call_id"].as_str().unwrap().to_owned())
        .collect()
}

fn end_reason(frames: &[Value], leg: &str) -> Value {
    frames
        .iter()
        .map(event)
        .find(|(k, d)| *k == STATE && d["call_id"] == leg && d["call_state"] == "ended")
        .map(|(_, d)| d["end_reason"].clone())
        .unwrap()
}

fn dial_events(frames: &[Value]) -> Vec<Value> {
    frames
        .iter()
        .map(event)
        .filter(|(k, _)| *k == DIAL)
        .map(|(_, d)| d.clone())
        .collect()
}

#[test]
fn s2_3_dial_rings_serial_groups_in_order() {
    let mut f = Fixture::new();
    let frames = f.dial(json!([
        [phone_ringing_for(NO_ANSWER_NUMBER, 5)],
        [phone("+15553330000")],
    ]));
    let first = legs(&frames);
    assert_eq!(first.len(), 1, "only the first group rings");
    assert_eq!(
        short(&frames),
        [
            s(STATE, &first[0], "created"),
            s(STATE, &first[0], "ringing")
        ]
    );
    assert!(f.advance(4).is_empty(), "the first group rings on");
    let frames = f.advance(1);
    let second = legs(&frames)[0].clone();
    assert_eq!(
        short(&frames),
        [
            s(STATE, &first[0], "ending"),
            s(STATE, &first[0], "ended"),
            s(STATE, &second, "created"),
            s(STATE, &second, "ringing"),
            s(STATE, &second, "answered"),
            s(DIAL, "", "answered"),
        ]
    );
    assert_eq!(end_reason(&frames, &first[0]), "noAnswer");
    let answered = &dial_events(&frames)[0];
    assert_eq!(answered["tag"], TAG);
    assert_eq!(answered["call"]["call_id"], second.as_str());
    assert_eq!(answered["call"]["device"], phone("+15553330000"));
    assert_eq!(answered["call"]["dial_winner"], true);
    let ids: Vec<String> = f
        .server
        .relay
        .call_ids()
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(ids, [second]);
}

#[test]
fn s2_3_dial_rings_a_group_at_once_first_answer_wins_losers_end_cancel() {
    let mut f = Fixture::new();
    let frames = f.dial(json!([[
        phone(NO_ANSWER_NUMBER),
        phone("+15553330001"),
        phone("+15553330002"),
    ]]));
    let all = legs(&frames);
    assert_eq!(all.len(), 3);
    let (ringing, winner, loser) = (&all[0], &all[1], &all[2]);
    let got = short(&frames);
    // Every device rings before any answers.
    let last_ringing = got.iter().rposition(|e| e.2 == "ringing").unwrap();
    let answered = got.iter().position(|e| e.2 == "answered").unwrap();
    assert!(last_ringing < answered, "{got:#?}");
    assert_eq!(got[answered], s(STATE, winner, "answered"));
    assert_eq!(end_reason(&frames, ringing), "cancel");
    assert_eq!(end_reason(&frames, loser), "cancel");
    assert_eq!(got.last().unwrap(), &s(DIAL, "", "answered"));
    let dials = dial_events(&frames);
    assert_eq!(dials.len(), 1);
    assert_eq!(dials[0]["call"]["call_id"], winner.as_str());
    for frame in &frames {
        assert_eq!(
            event(frame).1["tag"],
            TAG,
            "every leg carries the dial's tag"
        );
    }
    // The cancelled no-answer leg's timer does nothing later.
    assert!(f.advance(30).is_empty());
}

#[test]
fn s2_3_dial_with_every_group_busy_fails_with_busy() {
    let mut f = Fixture::new();
    let frames = f.dial(json!([
        [phone(BUSY_NUMBER)],
        [phone(BUSY_NUMBER), phone(BUSY_NUMBER)],
    ]));
    let all = legs(&frames);
    assert_eq!(all.len(), 3, "every group is tried");
    for leg in &all {
        assert_eq!(end_reason(&frames, leg), "busy");
    }
    let dials = dial_events(&frames);
    assert_eq!(
        dials,
        [
            json!({"tag": TAG, "node_id": dials[0]["node_id"], "dial_state": "failed",
                "reason": "busy", "source": "outbound"})
        ]
    );
    assert!(dials[0]["node_id"].is_string());
    assert_eq!(
        short(&frames).last().unwrap(),
        &s(DIAL, "", "failed"),
        "the dial fails after its last leg ended"
    );
    assert!(f.server.relay.call_ids().is_empty());
}

#[test]
fn s2_3_no_answer_rings_for_the_device_timeout_30_s_when_unset() {
    let mut f = Fixture::new();
    let frames = f.dial(json!([[
        phone_ringing_for(NO_ANSWER_NUMBER, 12),
        phone(NO_ANSWER_NUMBER),
    ]]));
    let all = legs(&frames);
    assert!(f.advance(11).is_empty());
    let frames = f.advance(1);
    assert_eq!(
        short(&frames),
        [s(STATE, &all[0], "ending"), s(STATE, &all[0], "ended")]
    );
    assert!(f.advance(17).is_empty(), "the other leg rings for 30 s");
    let frames = f.advance(1);
    assert_eq!(
        short(&frames),
        [
            s(STATE, &all[1], "ending"),
            s(STATE, &all[1], "ended"),
            s(DIAL, "", "failed"),
        ]
    );
    assert_eq!(end_reason(&frames, &all[1]), "noAnswer");
    assert_eq!(dial_events(&frames)[0]["reason"], "noAnswer");
}

#[test]
fn s2_3_every_leg_of_a_dial_runs_on_the_dials_node() {
    let mut f = Fixture::new();
    let frames = f.dial(json!([[phone(BUSY_NUMBER)], [phone("+15553330000")]]));
    let nodes: Vec<&Value> = frames.iter().map(|f| &event(f).1["node_id"]).collect();
    assert!(nodes[0].is_string());
    assert!(nodes.iter().all(|n| *n == nodes[0]), "{nodes:?}");
}

#[test]
fn dialed_numbers_do_what_the_config_says_per_number_and_for_the_rest() {
    let config = SimConfig::new()
        .dialed("+15557770001", Dialed::Busy)
        .dialed("+15557770002", Dialed::NoAnswer)
        .dialed("*", Dialed::HangUpAfter(Duration::from_secs(5)));
    let mut f = Fixture::with(config);
    let frames = f.dial(json!([
        [phone("+15557770001")],
        [phone_ringing_for("+15557770002", 3)],
        [phone("+15559999999")],
    ]));
    let all = legs(&frames);
    assert_eq!(end_reason(&frames, &all[0]), "busy");
    assert_eq!(all.len(), 2, "the second group rings");
    let frames = f.advance(3);
    assert_eq!(end_reason(&frames, &all[1]), "noAnswer");
    let third = legs(&frames)[0].clone();
    assert_eq!(dial_events(&frames)[0]["dial_state"], "answered");
    // Any other number answers and hangs up 5 s later.
    assert!(f.advance(4).is_empty());
    let frames = f.advance(1);
    assert_eq!(
        short(&frames),
        [s(STATE, &third, "ending"), s(STATE, &third, "ended")]
    );
    assert_eq!(end_reason(&frames, &third), "hangup");
}

#[test]
fn the_caller_hangs_up_after_the_scripted_time_from_the_answer() {
    let caller = CallerScript {
        hangup_after: Some(Duration::from_secs(7)),
        ..CallerScript::default()
    };
    let mut f = Fixture::with(SimConfig::new().caller(caller));
    f.server.relay.handle_timeout(f.server.now);
    let conn = f.conn;
    f.server
        .request(conn, "signalwire.receive", json!({"contexts": ["office"]}));
    let frames = f.server.sent();
    f.server.ack_all(conn, &frames);
    let (call_id, _) = f.server.answered(conn);
    assert!(f.advance(6).is_empty());
    let frames = f.advance(1);
    assert_eq!(
        short(&frames),
        [s(STATE, &call_id, "ending"), s(STATE, &call_id, "ended")]
    );
    assert_eq!(end_reason(&frames, &call_id), "hangup");
}

#[test]
fn dialed_behaviours_read_from_text() {
    assert_eq!("busy".parse(), Ok(Dialed::Busy));
    assert_eq!("no-answer".parse(), Ok(Dialed::NoAnswer));
    assert_eq!("answer".parse(), Ok(Dialed::Answer));
    assert_eq!(
        "hangup:2.5".parse(),
        Ok(Dialed::HangUpAfter(Duration::from_millis(2500)))
    );
    assert!("hangup:soon".parse::<Dialed>().is_err());
}
