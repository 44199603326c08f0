//! The fake relay's call control against `docs/CALLING-API.md` §2 (and §4 events, §6 items
//! 8, 9 and 13): transfer, refer, hold, denoise, rooms, conferences, queues, digit
//! bindings, live transcription and translation, user events and Amazon Bedrock, each with
//! its results, its events and its `400`/`409` answers (never `404`, which says the call is
//! gone). Test names carry the spec
//! section (`s2_2_…` is §2.2).
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use relay_rs_core::sim::{ConnId, Fault, SimConfig};
use relay_rs_core::CallId;
use serde_json::{json, Value};
use std::time::Duration;
use support::{event, Server};

/// One call: its id and node id.
#[derive(Clone)]
struct Leg {
    call_id: String,
    node_id: String,
}

impl Leg {
    fn id(&self) -> CallId {
        CallId::new(self.call_id.clone())
    }
}

/// The world of a test: one server, session `conn` 1 on `office`.
struct World {
    server: Server,
    conn: ConnId,
}

impl World {
    fn new() -> Self {
        let mut server = Server::new(SimConfig::new());
        let conn = server.open(1);
        server.auth(conn, &["office"]);
        Self { server, conn }
    }

    fn answered(&mut self) -> Leg {
        let (call_id, node_id) = self.server.answered(self.conn);
        Leg { call_id, node_id }
    }

    /// Sends `method` on `leg` from `conn`: the result, then every event sent (acked) as
    /// `(event_type, params)`.
    fn on(
        &mut self,
        conn: ConnId,
        leg: &Leg,
        method: &str,
        mut params: Value,
    ) -> (Value, Vec<(String, Value)>) {
        params["call_id"] = json!(leg.call_id);
        params["node_id"] = json!(leg.node_id);
        let id = self.server.request(conn, method, params);
        let frames = self.server.sent_with_conn();
        let mut result = Value::Null;
        let mut events = Vec::new();
        for (to, frame) in frames {
            if frame["id"] == id.as_str() && frame.get("method").is_none() {
                result = frame.get("result").unwrap_or(&frame["error"]).clone();
            } else {
                self.server.ack(to, &frame);
                let (kind, data) = event(&frame);
                events.push((kind.to_owned(), data.clone()));
            }
        }
        assert!(!result.is_null(), "no answer to {method}");
        (result, events)
    }

    fn call(&mut self, leg: &Leg, method: &str, params: Value) -> (Value, Vec<(String, Value)>) {
        let conn = self.conn;
        self.on(conn, leg, method, params)
    }

    fn code(&mut self, leg: &Leg, method: &str, params: Value) -> String {
        self.call(leg, method, params).0["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Events sent since (acked), as `(event_type, params)`.
    fn events(&mut self) -> Vec<(String, Value)> {
        let frames = self.server.sent_with_conn();
        frames
            .into_iter()
            .map(|(to, frame)| {
                self.server.ack(to, &frame);
                let (kind, data) = event(&frame);
                (kind.to_owned(), data.clone())
            })
            .collect()
    }
}

fn kinds(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(k, _)| k.as_str()).collect()
}

// ---------------------------------------------------------------------------------------
// §2 transfer

#[test]
fn s2_transfer_to_a_context_offers_the_call_to_a_session_receiving_it() {
    let mut w = World::new();
    let other = w.server.open(2);
    w.server.auth(other, &["sales"]);
    let leg = w.answered();
    let id = w.server.request(
        w.conn,
        "calling.transfer",
        json!({"call_id": leg.call_id, "node_id": leg.node_id, "dest": "context:sales"}),
    );
    let frames = w.server.sent_with_conn();
    assert_eq!(frames.len(), 2, "{frames:#?}");
    assert_eq!(frames[0].0, w.conn);
    assert_eq!(frames[0].1["id"], id.as_str());
    assert_eq!(
        frames[0].1["result"],
        json!({"code": "200", "message": "Transferring"})
    );
    let (to, offer) = &frames[1];
    assert_eq!(*to, other);
    w.server.ack(other, offer);
    let (kind, data) = event(offer);
    assert_eq!(kind, "calling.call.receive");
    assert_eq!(data["call_id"], leg.call_id.as_str());
    assert_eq!(data["context"], "sales");
    assert_eq!(data["call_state"], "answered");
    // The first session no longer controls it; the new one does.
    assert_eq!(w.code(&leg, "calling.hold", json!({})), "409");
    let (result, _) = w.on(other, &leg, "calling.hold", json!({}));
    assert_eq!(result["code"], "200");
}

#[test]
fn s2_transfer_to_a_url_or_swml_takes_control_away_and_stops_actions() {
    for dest in [
        "https://example.com/swml",
        r#"{"version": "1.0.0", "sections": {"main": ["hangup"]}}"#,
        "version: 1.0.0\nsections:\n  main:\n    - hangup\n",
    ] {
        let mut w = World::new();
        let leg = w.answered();
        let (result, _) = w.call(
            &leg,
            "calling.play",
            json!({"control_id": "p1", "play": [{"type": "silence", "params": {"duration": 60}}]}),
        );
        assert_eq!(result["code"], "200");
        let (result, events) = w.call(&leg, "calling.transfer", json!({"dest": dest}));
        assert_eq!(result["code"], "200", "{dest}");
        assert!(events.is_empty(), "{events:#?}");
        assert!(w.server.relay.active_actions(&leg.id()).is_empty());
        assert_eq!(w.server.relay.call_state(&leg.id()), Some("answered"));
        assert_eq!(w.code(&leg, "calling.hold", json!({})), "409");
    }
}

#[test]
fn s2_transfer_refuses_a_dest_that_is_none_of_the_three_forms() {
    let mut w = World::new();
    let leg = w.answered();
    for params in [
        json!({}),
        json!({"dest": "http://example.com"}),
        json!({"dest": "context:"}),
        json!({"dest": "+15551234567"}),
        json!({"dest": 7}),
    ] {
        assert_eq!(
            w.code(&leg, "calling.transfer", params.clone()),
            "400",
            "{params}"
        );
    }
    assert_eq!(w.code(&leg, "calling.hold", json!({})), "200", "still ours");
}

// ---------------------------------------------------------------------------------------
// §2 refer, §4 calling.call.refer

#[test]
fn s2_refer_on_a_sip_call_reports_the_refer() {
    let mut w = World::new();
    let device = json!({"type": "sip", "params": {"from": "sip:alice@example.com",
                                                  "to": "sip:office@example.com"}});
    let now = w.server.now;
    let call_id = w
        .server
        .relay
        .offer_inbound_device("office", device, now)
        .unwrap();
    let receive = w.server.sent_one();
    w.server.ack(w.conn, &receive);
    let leg = Leg {
        call_id: call_id.as_str().into(),
        node_id: receive["params"]["params"]["node_id"]
            .as_str()
            .unwrap()
            .into(),
    };
    let (result, events) = w.call(
        &leg,
        "calling.refer",
        json!({"device": {"type": "sip", "params": {"to": "sip:agent@example.com",
               "username": "u", "password": "p", "headers": {"X-A": "1"}}}}),
    );
    assert_eq!(
        result,
        json!({"code": "200", "message": "Starting SIP REFER"})
    );
    let refer = |fields: Value| {
        let mut params = json!({"call_id": leg.call_id, "node_id": leg.node_id});
        for (k, v) in fields.as_object().unwrap() {
            params[k] = v.clone();
        }
        ("calling.call.refer".to_owned(), params)
    };
    assert_eq!(
        events,
        [
            refer(
                json!({"state": "trying", "sip_refer_to": "sip:agent@example.com",
                         "sip_refer_response_code": "202"})
            ),
            refer(
                json!({"state": "success", "sip_refer_to": "sip:agent@example.com",
                         "sip_refer_response_code": "202", "sip_notify_response_code": "200"})
            ),
        ]
    );
}

#[test]
fn s2_refer_is_for_sip_calls_with_a_sip_device() {
    let mut w = World::new();
    let leg = w.answered(); // a phone call
    let sip = json!({"device": {"type": "sip", "params": {"to": "sip:agent@example.com"}}});
    let (result, events) = w.call(&leg, "calling.refer", sip);
    assert_eq!(
        result,
        json!({"code": "400", "message": "Refer is for SIP calls only"})
    );
    assert!(events.is_empty());
    for params in [
        json!({}),
        json!({"device": {"type": "phone", "params": {"to": "sip:a@b"}}}),
        json!({"device": {"type": "sip", "params": {"to": "+1555"}}}),
        json!({"device": {"type": "sip", "params": {"to": "sip:a@b", "headers": []}}}),
    ] {
        assert_eq!(
            w.code(&leg, "calling.refer", params.clone()),
            "400",
            "{params}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// §2 hold (§6 item 13), denoise, rooms

#[test]
fn s6_13_hold_and_unhold_send_a_hold_event_on_each_change() {
    let mut w = World::new();
    let leg = w.answered();
    let (result, events) = w.call(&leg, "calling.hold", json!({}));
    assert_eq!(result, json!({"code": "200", "message": "Call on hold"}));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "calling.call.hold");
    assert_eq!(events[0].1["state"], "hold");
    let (_, events) = w.call(&leg, "calling.hold", json!({}));
    assert!(events.is_empty(), "already held");
    let (result, events) = w.call(&leg, "calling.unhold", json!({}));
    assert_eq!(result, json!({"code": "200", "message": "Call off hold"}));
    assert_eq!(events[0].1["state"], "unhold");
}

#[test]
fn s6_13_a_service_without_hold_is_scripted_with_a_fault() {
    let mut w = World::new();
    let leg = w.answered();
    w.server.relay.set_fault(Fault::ReplyWith {
        method: "calling.hold".into(),
        code: "501".into(),
        message: "Not implemented".into(),
    });
    let (result, events) = w.call(&leg, "calling.hold", json!({}));
    assert_eq!(result, json!({"code": "501", "message": "Not implemented"}));
    assert!(events.is_empty());
    assert_eq!(w.code(&leg, "calling.hold", json!({})), "200", "one-shot");
}

#[test]
fn s2_denoise_reports_denoised() {
    let mut w = World::new();
    let leg = w.answered();
    let (result, events) = w.call(&leg, "calling.denoise", json!({}));
    assert_eq!(result, json!({"code": "200", "message": "Denoiser on"}));
    assert_eq!(kinds(&events), ["calling.call.denoise"]);
    assert_eq!(events[0].1["denoised"], true);
    let (result, events) = w.call(&leg, "calling.denoise.stop", json!({}));
    assert_eq!(result, json!({"code": "200", "message": "Denoiser off"}));
    assert_eq!(events[0].1["denoised"], false);
}

#[test]
fn s2_rooms_one_at_a_time() {
    let mut w = World::new();
    let leg = w.answered();
    assert_eq!(w.code(&leg, "calling.leave_room", json!({})), "409");
    assert_eq!(w.code(&leg, "calling.join_room", json!({})), "400");
    assert_eq!(
        w.code(
            &leg,
            "calling.join_room",
            json!({"name": "r", "status_url": "x"})
        ),
        "400"
    );
    let (result, events) = w.call(&leg, "calling.join_room", json!({"name": "standup"}));
    assert_eq!(result, json!({"code": "200", "message": "Joining room"}));
    assert!(events.is_empty());
    assert_eq!(
        w.code(&leg, "calling.join_room", json!({"name": "other"})),
        "409"
    );
    assert_eq!(w.code(&leg, "calling.leave_room", json!({})), "200");
    assert_eq!(w.code(&leg, "calling.leave_room", json!({})), "409");
}

// ---------------------------------------------------------------------------------------
// §2.2 conferences, §4 calling.conference

fn conference(status: &str, id: &str, leg: Option<&Leg>) -> (String, Value) {
    let mut params = json!({"conference_id": id, "name": "support", "status": status});
    if let Some(leg) = leg {
        params["call_id"] = json!(leg.call_id);
        params["node_id"] = json!(leg.node_id);
    }
    ("calling.conference".to_owned(), params)
}

#[test]
fn s2_2_two_calls_join_one_conference_and_leave_it() {
    let mut w = World::new();
    let a = w.answered();
    let b = w.answered();
    let (result, events) = w.call(&a, "calling.join_conference", json!({"name": "support"}));
    assert_eq!(result["code"], "200");
    assert_eq!(result["message"], "Joining conference");
    let id = result["conference_id"].as_str().unwrap().to_owned();
    assert_eq!(
        events,
        [
            conference("start", &id, None),
            conference("join", &id, Some(&a))
        ]
    );
    let (result, events) = w.call(&b, "calling.join_conference", json!({"name": "support"}));
    assert_eq!(
        result["conference_id"],
        id.as_str(),
        "same name, same conference"
    );
    assert_eq!(events, [conference("join", &id, Some(&b))]);
    assert_eq!(
        w.server.relay.conference_participants(&id),
        [a.id(), b.id()]
    );
    assert_eq!(
        w.code(&b, "calling.join_conference", json!({"name": "support"})),
        "409"
    );
    // Leave by id.
    let (result, events) = w.call(&a, "calling.leave_conference", json!({"conference_id": id}));
    assert_eq!(
        result,
        json!({"code": "200", "message": "Leaving conference"})
    );
    assert_eq!(events, [conference("leave", &id, Some(&a))]);
    assert_eq!(
        w.code(&a, "calling.leave_conference", json!({"conference_id": id})),
        "409"
    );
    assert_eq!(w.code(&a, "calling.leave_conference", json!({})), "400");
    // The last one's call ends: it leaves, and the conference ends.
    w.server.relay.end_call(&b.id(), "hangup", w.server.now);
    let events = w.events();
    assert_eq!(
        kinds(&events),
        [
            "calling.call.state",
            "calling.call.state",
            "calling.conference",
            "calling.conference"
        ]
    );
    assert_eq!(events[2], conference("leave", &id, Some(&b)));
    assert_eq!(events[3], conference("end", &id, None));
    assert!(w.server.relay.conference_participants(&id).is_empty());
}

#[test]
fn s2_2_max_participants_is_enforced() {
    let mut w = World::new();
    let a = w.answered();
    let b = w.answered();
    let (result, _) = w.call(
        &a,
        "calling.join_conference",
        json!({"name": "support", "max_participants": 1}),
    );
    assert_eq!(result["code"], "200");
    let (result, events) = w.call(&b, "calling.join_conference", json!({"name": "support"}));
    assert_eq!(
        result,
        json!({"code": "409", "message": "Conference is full"})
    );
    assert!(events.is_empty());
}

#[test]
fn s2_2_end_on_exit_ends_the_conference_for_everyone() {
    let mut w = World::new();
    let a = w.answered();
    let b = w.answered();
    let (result, _) = w.call(
        &a,
        "calling.join_conference",
        json!({"name": "support", "end_on_exit": true}),
    );
    let id = result["conference_id"].as_str().unwrap().to_owned();
    w.call(&b, "calling.join_conference", json!({"name": "support"}));
    let (_, events) = w.call(&a, "calling.leave_conference", json!({"conference_id": id}));
    assert_eq!(
        events,
        [
            conference("leave", &id, Some(&a)),
            conference("leave", &id, Some(&b)),
            conference("end", &id, None)
        ]
    );
    assert!(w.server.relay.conferences_of(&b.id()).is_empty());
}

#[test]
fn s2_2_every_option_is_checked() {
    let mut w = World::new();
    let leg = w.answered();
    let all = json!({"name": "support", "muted": true, "beep": "onExit", "start_on_enter": true,
        "end_on_exit": false, "wait_url": "https://example.com/m.mp3", "max_participants": 250,
        "record": "do-not-record", "region": "us", "trim": "trim-silence", "coach": "c9",
        "status_callback": "https://example.com/s", "status_callback_event": "start end join leave mute hold modify speaker announcement",
        "status_callback_event_type": "relay", "status_callback_method": "POST",
        "recording_status_callback": "https://example.com/r",
        "recording_status_callback_event": "in-progress completed absent",
        "recording_status_callback_event_type": "cxml", "recording_status_callback_method": "GET",
        "stream": {"url": "wss://media.example.com/c", "codec": "PCMU"}});
    assert_eq!(w.code(&leg, "calling.join_conference", all), "200");
    for (key, bad) in [
        ("name", json!("")),
        ("muted", json!("yes")),
        ("beep", json!("sometimes")),
        ("max_participants", json!(0)),
        ("max_participants", json!(251)),
        ("record", json!("always")),
        ("region", json!("mars")),
        ("trim", json!("trim")),
        ("coach", json!("")),
        ("wait_url", json!("ftp://x")),
        ("status_callback_event", json!("join dance")),
        ("status_callback_event_type", json!("xml")),
        ("status_callback_method", json!("PUT")),
        ("recording_status_callback_event", json!("start")),
        ("stream", json!({"url": "https://x"})),
        ("stream", json!("wss://x")),
    ] {
        let mut params = json!({"name": "other"});
        params[key] = bad.clone();
        assert_eq!(
            w.code(&leg, "calling.join_conference", params),
            "400",
            "{key}: {bad}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// §2 queues, §4 calling.call.queue, §6 item 8

fn queue_event(leg: &Leg, control: &str, fields: Value) -> (String, Value) {
    let mut params = json!({"call_id": leg.call_id, "node_id": leg.node_id,
                            "control_id": control});
    for (k, v) in fields.as_object().unwrap() {
        params[k] = v.clone();
    }
    ("calling.call.queue".to_owned(), params)
}

#[test]
fn s2_queue_enter_reports_position_and_size_and_leave_moves_the_line() {
    let mut w = World::new();
    let a = w.answered();
    let b = w.answered();
    let (result, events) = w.call(
        &a,
        "calling.queue.enter",
        json!({"control_id": "qa", "queue_name": "support"}),
    );
    assert_eq!(result["code"], "200");
    assert_eq!(result["message"], "Entering Queue");
    let id = events[0].1["id"].as_str().unwrap().to_owned();
    assert_eq!(
        events,
        [queue_event(
            &a,
            "qa",
            json!({"status": "entered", "id": id,
        "name": "support", "position": 1, "size": 1})
        )]
    );
    let (_, events) = w.call(
        &b,
        "calling.queue.enter",
        json!({"control_id": "qb", "queue_name": "support", "status_url": "https://e.com/q"}),
    );
    assert_eq!(
        events,
        [queue_event(
            &b,
            "qb",
            json!({"status": "entered", "id": id,
        "name": "support", "position": 2, "size": 2})
        )]
    );
    assert_eq!(
        w.code(
            &a,
            "calling.queue.enter",
            json!({"control_id": "qa2", "queue_name": "support"})
        ),
        "409"
    );
    // a leaves: it hears `left`, b moves up.
    let (result, events) = w.call(
        &a,
        "calling.queue.leave",
        json!({"control_id": "qa", "queue_name": "support", "queue_id": id}),
    );
    assert_eq!(result["message"], "Leaving Queue");
    assert_eq!(
        events,
        [
            queue_event(
                &a,
                "qa",
                json!({"status": "left", "id": id, "name": "support", "size": 1})
            ),
            queue_event(
                &b,
                "qb",
                json!({"status": "waiting", "id": id, "name": "support",
                "position": 1, "size": 1})
            ),
        ]
    );
    assert_eq!(
        w.server.relay.queue_position("support", &b.id()),
        Some((1, 1))
    );
    assert_eq!(
        w.code(
            &a,
            "calling.queue.leave",
            json!({"control_id": "qa", "queue_name": "support"})
        ),
        "409"
    );
    assert_eq!(
        w.code(
            &b,
            "calling.queue.leave",
            json!({"control_id": "qb", "queue_name": "support", "queue_id": "other"})
        ),
        "409"
    );
}

#[test]
fn s2_queue_requests_need_a_control_id_and_a_name() {
    let mut w = World::new();
    let leg = w.answered();
    for params in [
        json!({"queue_name": "q"}),
        json!({"control_id": "c"}),
        json!({"control_id": "c", "queue_name": ""}),
        json!({"control_id": "c", "queue_name": "q", "status_url": "x"}),
        json!({"control_id": "c", "queue_name": "q", "wait_url": 3}),
    ] {
        assert_eq!(
            w.code(&leg, "calling.queue.enter", params.clone()),
            "400",
            "{params}"
        );
    }
}

#[test]
fn s2_a_call_that_ends_leaves_its_queue() {
    let mut w = World::new();
    let a = w.answered();
    let b = w.answered();
    w.call(
        &a,
        "calling.queue.enter",
        json!({"control_id": "qa", "queue_name": "support"}),
    );
    w.call(
        &b,
        "calling.queue.enter",
        json!({"control_id": "qb", "queue_name": "support"}),
    );
    w.server.relay.end_call(&a.id(), "hangup", w.server.now);
    let events = w.events();
    assert_eq!(
        kinds(&events),
        [
            "calling.call.state",
            "calling.call.state",
            "calling.call.queue"
        ]
    );
    assert_eq!(events[2].1["call_id"], b.call_id.as_str());
    assert_eq!(events[2].1["status"], "waiting");
    assert_eq!(events[2].1["position"], 1);
}

// ---------------------------------------------------------------------------------------
// §2 digit bindings

#[test]
fn s2_a_bound_sequence_runs_its_method_when_the_caller_presses_it() {
    let mut w = World::new();
    let leg = w.answered();
    let (result, events) = w.call(
        &leg,
        "calling.bind_digit",
        json!({"digits": "*1",
        "bind_method": "calling.play", "max_triggers": 2, "realm": "menu",
        "params": {"control_id": "bound", "play": [{"type": "tts", "params": {"text": "Hi"}}]}}),
    );
    assert_eq!(
        result,
        json!({"code": "200", "message": "Digit binding created"})
    );
    assert!(events.is_empty());
    let now = w.server.now;
    w.server.relay.caller_presses(&leg.id(), "2*", now);
    assert!(w.events().is_empty(), "no sequence completed");
    w.server.relay.caller_presses(&leg.id(), "1", now);
    let events = w.events();
    assert_eq!(kinds(&events), ["calling.call.play"]);
    assert_eq!(events[0].1["control_id"], "bound");
    assert_eq!(events[0].1["state"], "playing");
    w.server.advance(Duration::from_secs(1));
    assert_eq!(w.events()[0].1["state"], "finished");
    // The second trigger is the last.
    w.server.relay.caller_presses(&leg.id(), "*1", now);
    assert_eq!(kinds(&w.events()), ["calling.call.play"]);
    w.server.advance(Duration::from_secs(1));
    w.events();
    assert!(w.server.relay.digit_bindings(&leg.id()).is_empty());
    w.server.relay.caller_presses(&leg.id(), "*1", w.server.now);
    assert!(w.events().is_empty());
}

#[test]
fn s2_bindings_are_cleared_by_realm_or_all() {
    let mut w = World::new();
    let leg = w.answered();
    w.call(
        &leg,
        "calling.bind_digit",
        json!({"digits": "1", "bind_method": "calling.hold", "realm": "a"}),
    );
    w.call(
        &leg,
        "calling.bind_digit",
        json!({"digits": "2", "bind_method": "calling.denoise", "realm": "b"}),
    );
    w.call(
        &leg,
        "calling.bind_digit",
        json!({"digits": "3", "bind_method": "calling.denoise"}),
    );
    let (result, _) = w.call(&leg, "calling.clear_digit_bindings", json!({"realm": "a"}));
    assert_eq!(
        result,
        json!({"code": "200", "message": "Digit bindings cleared"})
    );
    assert_eq!(
        w.server.relay.digit_bindings(&leg.id()),
        [
            ("2".to_owned(), "calling.denoise".to_owned()),
            ("3".to_owned(), "calling.denoise".to_owned())
        ]
    );
    // An unlimited binding fires each time.
    let now = w.server.now;
    w.server.relay.caller_presses(&leg.id(), "22", now);
    assert_eq!(
        kinds(&w.events()),
        ["calling.call.denoise", "calling.call.denoise"]
    );
    assert_eq!(
        w.code(&leg, "calling.clear_digit_bindings", json!({})),
        "200"
    );
    assert!(w.server.relay.digit_bindings(&leg.id()).is_empty());
}

#[test]
fn s2_bind_digit_refuses_invalid_bindings() {
    let mut w = World::new();
    let leg = w.answered();
    for params in [
        json!({"bind_method": "calling.play"}),
        json!({"digits": "1x", "bind_method": "calling.play"}),
        json!({"digits": "1"}),
        json!({"digits": "1", "bind_method": "calling.dance"}),
        json!({"digits": "1", "bind_method": "calling.dial"}),
        json!({"digits": "1", "bind_method": "calling.play", "params": []}),
        json!({"digits": "1", "bind_method": "calling.play", "max_triggers": -1}),
        json!({"digits": "1", "bind_method": "calling.play", "realm": 5}),
    ] {
        assert_eq!(
            w.code(&leg, "calling.bind_digit", params.clone()),
            "400",
            "{params}"
        );
    }
    assert_eq!(
        w.code(&leg, "calling.clear_digit_bindings", json!({"realm": ""})),
        "400"
    );
}

// ---------------------------------------------------------------------------------------
// §2 live transcription and translation

#[test]
fn s2_live_transcribe_takes_one_key_actions_in_order() {
    let mut w = World::new();
    let leg = w.answered();
    let code = |w: &mut World, method: &str, action: Value| {
        w.code(&leg, method, json!({"action": action}))
    };
    assert_eq!(
        code(&mut w, "calling.live_transcribe", json!({"stop": {}})),
        "409"
    );
    let (result, events) = w.call(
        &leg,
        "calling.live_transcribe",
        json!({"action": {"start": {"language": "en-US"}}}),
    );
    assert_eq!(
        result,
        json!({"code": "200", "message": "Live transcription started"})
    );
    assert!(events.is_empty());
    assert_eq!(
        code(&mut w, "calling.live_transcribe", json!({"start": {}})),
        "409"
    );
    assert_eq!(
        code(&mut w, "calling.live_transcribe", json!({"summarize": {}})),
        "200"
    );
    assert_eq!(
        code(&mut w, "calling.live_transcribe", json!({"stop": {}})),
        "200"
    );
    for bad in [
        json!({}),
        json!({"start": {}, "stop": {}}),
        json!({"inject": {"message": "x"}}),
        json!({"start": "en-US"}),
        json!("start"),
    ] {
        assert_eq!(
            code(&mut w, "calling.live_transcribe", bad.clone()),
            "400",
            "{bad}"
        );
    }
    // Translation also takes `inject`.
    assert_eq!(
        code(
            &mut w,
            "calling.live_translate",
            json!({"start": {"source": "en-US", "target": "es"}})
        ),
        "200"
    );
    assert_eq!(
        code(
            &mut w,
            "calling.live_translate",
            json!({"inject": {"message": "Hi"}})
        ),
        "200"
    );
    assert_eq!(
        w.code(
            &leg,
            "calling.live_translate",
            json!({"action": {"stop": {}}, "status_url": "nope"})
        ),
        "400"
    );
}

// ---------------------------------------------------------------------------------------
// §6 item 9 user events, §2 Amazon Bedrock

#[test]
fn s6_9_user_event_needs_an_event_of_any_shape() {
    let mut w = World::new();
    let leg = w.answered();
    let (result, events) = w.call(&leg, "calling.user_event", json!({"event": {"type": "x"}}));
    assert_eq!(result, json!({"code": "200", "message": "Event sent"}));
    assert!(events.is_empty());
    assert_eq!(
        w.code(&leg, "calling.user_event", json!({"event": "x", "more": 1})),
        "200"
    );
    assert_eq!(w.code(&leg, "calling.user_event", json!({})), "400");
    assert_eq!(
        w.code(&leg, "calling.user_event", json!({"event": null})),
        "400"
    );
}

#[test]
fn s2_amazon_bedrock_starts_the_agent() {
    let mut w = World::new();
    let leg = w.answered();
    let (result, _) = w.call(
        &leg,
        "calling.amazon_bedrock",
        json!({"prompt": {"text": "Be brief"}, "SWAIG": {}, "params": {}, "global_data": {},
               "post_prompt": "Summarize", "post_prompt_url": "https://example.com/p"}),
    );
    assert_eq!(result, json!({"code": "200", "message": "AI started"}));
    for params in [
        json!({"prompt": 3}),
        json!({"SWAIG": []}),
        json!({"params": "x"}),
        json!({"post_prompt_url": "x"}),
    ] {
        assert_eq!(
            w.code(&leg, "calling.amazon_bedrock", params.clone()),
            "400",
            "{params}"
        );
    }
}

#[test]
fn s2_every_command_on_a_gone_call_is_410_and_faults_fire_per_method() {
    let mut w = World::new();
    let leg = w.answered();
    for method in [
        "calling.join_conference",
        "calling.queue.enter",
        "calling.bind_digit",
    ] {
        w.server.relay.set_fault(Fault::ReplyWith {
            method: method.into(),
            code: "500".into(),
            message: format!("{method} broke"),
        });
        let (result, _) = w.call(&leg, method, json!({}));
        assert_eq!(
            result,
            json!({"code": "500", "message": format!("{method} broke")})
        );
    }
    w.server.relay.end_call(&leg.id(), "hangup", w.server.now);
    w.events();
    assert_eq!(
        w.code(&leg, "calling.transfer", json!({"dest": "context:x"})),
        "410"
    );
}
