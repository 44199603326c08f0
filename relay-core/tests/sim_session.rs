//! The fake relay's sessions: `signalwire.disconnect` with and without restart, resume
//! re-binding calls and flushing queued events, bounded queues, and faults.
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use relay_rs_core::sim::{Fault, SimConfig, SimOutput};
use relay_rs_core::CallId;
use serde_json::json;
use std::time::Duration;
use support::{connect_params, event, kinds, result_of, Server};

#[test]
fn disconnect_closes_after_the_ack_and_keeps_the_session() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let protocol = server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    server.relay.send_disconnect(conn, false, server.now);
    let frame = server.sent_one();
    assert_eq!(frame["method"], "signalwire.disconnect");
    assert_eq!(frame["params"], json!({"restart": false}));
    assert!(server.side().is_empty(), "no close before the ack");
    server.ack(conn, &frame);
    assert_eq!(server.side(), [SimOutput::Close { conn }]);
    assert!(server.relay.connections().is_empty());
    assert_eq!(server.relay.sessions(), 1);

    let conn = server.open(2);
    let (resumed, _) = server.auth_with(conn, &[], Some(&protocol));
    assert_eq!(resumed, protocol);
    let id = server.request(conn, "calling.answer", json!({"call_id": call_id}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "200");
}

#[test]
fn disconnect_closes_after_a_second_without_an_ack() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    server.relay.send_disconnect(conn, false, server.now);
    server.sent();
    assert_eq!(
        server.relay.poll_timeout(),
        Some(server.now + Duration::from_secs(1))
    );
    server.advance(Duration::from_millis(999));
    assert!(server.side().is_empty());
    server.advance(Duration::from_millis(1));
    assert_eq!(server.side(), [SimOutput::Close { conn }]);
}

#[test]
fn disconnect_with_restart_forgets_the_session_and_ends_its_calls() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let protocol = server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        json!({"call_id": call_id, "control_id": "s1", "url": "wss://a.example"}),
    );
    server.sent();
    server.side();
    server.relay.send_disconnect(conn, true, server.now);
    let frame = server.sent_one();
    assert_eq!(frame["params"], json!({"restart": true}));
    server.ack(conn, &frame);
    let side = server.side();
    assert_eq!(side[0], SimOutput::Close { conn });
    assert!(matches!(&side[1], SimOutput::StopMedia { .. }), "{side:#?}");
    assert_eq!(server.relay.sessions(), 0);
    let call = CallId::new(&call_id);
    assert_eq!(server.relay.call_state(&call), Some("ended"));

    let conn = server.open(2);
    let (fresh, _) = server.auth_with(conn, &[], Some(&protocol));
    assert_ne!(fresh, protocol, "an unknown protocol gets a fresh session");
    let id = server.request(conn, "calling.answer", json!({"call_id": call_id}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "410");
}

#[test]
fn resume_rebinds_calls_and_delivers_what_was_queued() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let protocol = server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    server.relay.handle_disconnected(conn, server.now);
    assert_eq!(server.relay.sessions(), 1);

    // While away: the call ends and another is offered; both wait in the queue.
    let call = CallId::new(&call_id);
    server.relay.end_call(&call, "hangup", server.now);
    let second = server
        .relay
        .offer_inbound_call("office", "+1", "+2", server.now)
        .unwrap();
    assert!(server.sent().is_empty());
    assert_eq!(server.relay.queued_events(), 3);

    let conn = server.open(2);
    let (resumed, frames) = server.auth_with(conn, &[], Some(&protocol));
    assert_eq!(resumed, protocol);
    assert_eq!(
        kinds(&frames),
        [
            "signalwire.authorization.state",
            "calling.call.state",
            "calling.call.state",
            "calling.call.receive"
        ]
    );
    assert_eq!(event(&frames[2]).1["call_state"], "ended");
    assert_eq!(event(&frames[3]).1["call_id"], second.as_str());
    assert_eq!(server.relay.queued_events(), 0);
    assert_eq!(
        server.relay.unacked_events(),
        0,
        "the helper acked them all"
    );
    let id = server.request(conn, "calling.answer", json!({"call_id": second.as_str()}));
    assert_eq!(result_of(&server.sent()[0], &id)["code"], "200");
    // The new socket carries the old session's events.
    server.relay.end_call(&second, "hangup", server.now);
    assert_eq!(server.sent_with_conn()[0].0, conn);
}

#[test]
fn the_queue_of_a_session_away_is_bounded() {
    let mut server = Server::new(SimConfig::new().max_queued_events(3));
    let conn = server.open(1);
    let protocol = server.auth(conn, &["office"]);
    server.relay.handle_disconnected(conn, server.now);
    let ids: Vec<CallId> = (0..5)
        .map(|_| {
            server
                .relay
                .offer_inbound_call("office", "+1", "+2", server.now)
                .unwrap()
        })
        .collect();
    assert_eq!(server.relay.queued_events(), 3);
    let conn = server.open(2);
    let (_, frames) = server.auth_with(conn, &[], Some(&protocol));
    let delivered: Vec<&str> = frames[1..]
        .iter()
        .map(|f| event(f).1["call_id"].as_str().unwrap())
        .collect();
    let newest: Vec<&str> = ids[2..].iter().map(CallId::as_str).collect();
    assert_eq!(delivered, newest, "the oldest were dropped");
}

#[test]
fn a_second_socket_resuming_takes_the_session_over() {
    let mut server = Server::new(SimConfig::new());
    let old = server.open(1);
    let protocol = server.auth(old, &["office"]);
    let new = server.open(2);
    server.auth_with(new, &[], Some(&protocol));
    assert_eq!(server.relay.session_of(old), None);
    assert_eq!(server.relay.session_of(new), Some(protocol.as_str()));
    server
        .relay
        .offer_inbound_call("office", "+1", "+2", server.now);
    assert_eq!(server.sent_with_conn()[0].0, new);
}

#[test]
fn authorization_state_and_drop_connection_commands() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    server
        .relay
        .send_authorization_state(conn, "opaque-2", server.now);
    let frame = server.sent_one();
    assert_eq!(
        event(&frame),
        (
            "signalwire.authorization.state",
            &json!({"authorization_state": "opaque-2"})
        )
    );
    server.relay.drop_connection(conn);
    assert_eq!(server.side(), [SimOutput::Close { conn }]);
    assert!(server.relay.connections().is_empty());
    assert_eq!(server.relay.sessions(), 1);
    // Frames from a closed socket are ignored.
    server.request(conn, "signalwire.ping", json!({}));
    assert!(server.sent().is_empty());
}

#[test]
fn reject_auth_refuses_good_credentials_until_cleared() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.relay.set_fault(Fault::RejectAuth);
    for _ in 0..2 {
        server.request(
            conn,
            "signalwire.connect",
            connect_params("project", "token"),
        );
        assert_eq!(server.sent_one()["error"]["code"], -32002);
    }
    server.relay.clear_faults();
    server.auth(conn, &[]);
}

#[test]
fn silent_reads_everything_and_answers_nothing() {
    let mut server = Server::new(SimConfig::new().ping_interval(Duration::from_secs(5)));
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    server.relay.set_fault(Fault::Silent);
    server.request(conn, "signalwire.ping", json!({}));
    server.raw(conn, "garbage");
    server
        .relay
        .offer_inbound_call("office", "+1", "+2", server.now);
    server.advance(Duration::from_secs(20));
    assert!(server.sent().is_empty(), "not even server pings");
    assert_eq!(
        server.relay.requests("signalwire.ping").len(),
        1,
        "but it was read"
    );
    server.relay.clear_faults();
    let id = server.request(conn, "signalwire.ping", json!({}));
    assert_eq!(result_of(&server.sent_one(), &id), &json!({}));
}

#[test]
fn reply_fault_answers_the_next_request_of_that_method_once() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.inbound(conn);
    server.relay.set_fault(Fault::Reply {
        method: "calling.answer".into(),
        code: "404".into(),
    });
    let id = server.request(conn, "calling.answer", json!({"call_id": call_id}));
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "404", "message": "Call does not exist"})
    );
    assert_eq!(
        server.relay.call_state(&CallId::new(&call_id)),
        Some("ringing")
    );
    let id = server.request(conn, "calling.answer", json!({"call_id": call_id}));
    let frames = server.sent();
    assert_eq!(result_of(&frames[0], &id)["code"], "200");
    assert_eq!(kinds(&frames[1..]), ["calling.call.state"]);
}

#[test]
fn delay_holds_answers_and_events_in_order() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    server.relay.set_fault(Fault::Delay(Duration::from_secs(2)));
    let call_id = server
        .relay
        .offer_inbound_call("office", "+1", "+2", server.now)
        .unwrap();
    server.now += Duration::from_millis(500);
    let id = server.request(conn, "calling.answer", json!({"call_id": call_id.as_str()}));
    assert!(server.sent().is_empty());
    assert_eq!(
        server.relay.poll_timeout(),
        Some(server.now + Duration::from_millis(1500))
    );
    server.advance(Duration::from_millis(1500));
    assert_eq!(kinds(&server.sent()), ["calling.call.receive"]);
    server.relay.clear_faults();
    // Cleared, but what follows still waits behind the held frames to keep the order.
    let ping = server.request(conn, "signalwire.ping", json!({}));
    assert!(server.sent().is_empty());
    server.advance(Duration::from_millis(500));
    let frames = server.sent();
    assert_eq!(kinds(&frames), ["result", "calling.call.state", "result"]);
    assert_eq!(frames[0]["id"], id.as_str());
    assert_eq!(frames[2]["id"], ping.as_str());
    let id = server.request(conn, "signalwire.ping", json!({}));
    assert_eq!(server.sent_one()["id"], id.as_str(), "no hold once drained");
}

#[test]
fn drop_on_closes_the_socket_without_answering() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.inbound(conn);
    server
        .relay
        .set_fault(Fault::DropOn("calling.answer".into()));
    server.request(conn, "calling.answer", json!({"call_id": call_id}));
    assert_eq!(server.side(), [SimOutput::Close { conn }]);
    assert!(server.relay.connections().is_empty());
    assert_eq!(server.relay.sessions(), 1, "the session waits for a resume");
    assert_eq!(
        server.relay.call_state(&CallId::new(&call_id)),
        Some("ringing")
    );
    assert_eq!(server.relay.requests("calling.answer").len(), 1);
}

#[test]
fn timers_of_a_closed_socket_do_not_fire_on_a_reused_id() {
    let mut server = Server::new(SimConfig::new().ping_interval(Duration::from_secs(10)));
    let conn = server.open(1);
    server.auth(conn, &[]);
    server.relay.send_disconnect(conn, false, server.now);
    server.sent();
    server.relay.handle_disconnected(conn, server.now);
    server.advance(Duration::from_secs(5));
    let conn = server.open(1);
    server.auth(conn, &[]);
    server.advance(Duration::from_secs(5));
    assert!(server.sent().is_empty(), "no stale ping");
    assert!(server.side().is_empty(), "no stale close");
    server.advance(Duration::from_secs(5));
    assert_eq!(kinds(&server.sent()), ["signalwire.ping"]);
}
