//! The fake relay's messaging (`docs/CALLING-API.md` §3): `messaging.send` checked and
//! accepted, its state sequence on virtual time (delivered, undelivered, failed), a scripted
//! refusal, where the states go, and inbound `messaging.receive`; then the engine against it.
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use relay_rs_core::sim::{
    Fault, Pair, SimConfig, FAILED_MESSAGE_NUMBER, FAILED_REASON, MESSAGE_STATE_INTERVAL,
    UNDELIVERED_NUMBER, UNDELIVERED_REASON,
};
use relay_rs_core::{
    Credentials, EngineConfig, Event, MessageError, MessageState, RequestError, SendMessage,
};
use serde_json::{json, Value};
use std::time::Duration;
use support::{event, kinds, result_of, Server};

const FROM: &str = "+15551110000";
const TO: &str = "+15552220000";

fn send_params(context: &str, to: &str) -> Value {
    json!({"context": context, "from_number": FROM, "to_number": to, "body": "hi",
           "tags": ["t1"]})
}

/// Walks the clock until no more messaging events come; the (state, reason) of each.
fn states(server: &mut Server, conn: relay_rs_core::sim::ConnId) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    for _ in 0..10 {
        server.advance(MESSAGE_STATE_INTERVAL);
        for frame in server.sent() {
            let (kind, data) = event(&frame);
            assert_eq!(kind, "messaging.state");
            seen.push((
                data["message_state"].as_str().unwrap().to_owned(),
                data["reason"].clone(),
            ));
            server.ack(conn, &frame);
        }
    }
    seen
}

#[test]
fn a_send_is_accepted_then_queued_initiated_sent_delivered() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let protocol = server.auth(conn, &[]);
    let id = server.request(conn, "messaging.send", send_params(&protocol, TO));
    let reply = server.sent_one();
    let result = result_of(&reply, &id);
    assert_eq!(result["code"], "200");
    assert_eq!(result["message"], "Message accepted");
    let message_id = result["message_id"].as_str().unwrap().to_owned();
    // Nothing before the first interval: the result comes first.
    assert_eq!(server.sent(), Vec::<Value>::new());
    server.advance(MESSAGE_STATE_INTERVAL);
    let frame = server.sent_one();
    let (_, data) = event(&frame);
    assert_eq!(
        data,
        &json!({"message_id": message_id, "context": protocol, "direction": "outbound",
                "from_number": FROM, "to_number": TO, "body": "hi", "media": [],
                "tags": ["t1"], "segments": 1, "message_state": "queued"})
    );
    server.ack(conn, &frame);
    let rest: Vec<String> = states(&mut server, conn)
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(rest, ["initiated", "sent", "delivered"]);
}

#[test]
fn fault_numbers_end_undelivered_and_failed_with_a_reason() {
    for (to, expected) in [
        (
            UNDELIVERED_NUMBER,
            vec![
                ("queued", Value::Null),
                ("initiated", Value::Null),
                ("sent", Value::Null),
                ("undelivered", json!(UNDELIVERED_REASON)),
            ],
        ),
        (
            FAILED_MESSAGE_NUMBER,
            vec![("queued", Value::Null), ("failed", json!(FAILED_REASON))],
        ),
    ] {
        let mut server = Server::new(SimConfig::new());
        let conn = server.open(1);
        let protocol = server.auth(conn, &[]);
        server.request(conn, "messaging.send", send_params(&protocol, to));
        server.sent_one();
        let seen = states(&mut server, conn);
        let expected: Vec<(String, Value)> = expected
            .into_iter()
            .map(|(s, r)| (s.to_owned(), r))
            .collect();
        assert_eq!(seen, expected, "{to}");
    }
}

#[test]
fn invalid_sends_get_400() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let protocol = server.auth(conn, &[]);
    let good = send_params(&protocol, TO);
    let mut cases = Vec::new();
    for key in ["context", "from_number", "to_number"] {
        let mut params = good.clone();
        params.as_object_mut().unwrap().remove(key);
        cases.push((params, format!("Missing required parameter: {key}")));
    }
    let mut no_content = good.clone();
    no_content.as_object_mut().unwrap().remove("body");
    cases.push((
        no_content.clone(),
        "Either body or media is required".into(),
    ));
    no_content["body"] = json!("");
    cases.push((no_content, "Either body or media is required".into()));
    let mut bad_number = good.clone();
    bad_number["to_number"] = json!("5551234");
    cases.push((
        bad_number,
        "Invalid parameter: to_number must be E.164".into(),
    ));
    let mut bad_media = good.clone();
    bad_media["media"] = json!("https://example.com/a.png");
    cases.push((
        bad_media,
        "Invalid parameter: media must be a list of strings".into(),
    ));
    let mut bad_body = good.clone();
    bad_body["body"] = json!(42);
    cases.push((bad_body, "Invalid parameter: body must be a string".into()));
    for (params, message) in cases {
        let id = server.request(conn, "messaging.send", params);
        assert_eq!(
            result_of(&server.sent_one(), &id),
            &json!({"code": "400", "message": message})
        );
    }
    server.advance(Duration::from_secs(10));
    assert_eq!(
        server.sent(),
        Vec::<Value>::new(),
        "no state for a refused send"
    );
}

#[test]
fn media_alone_is_accepted() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let protocol = server.auth(conn, &[]);
    let id = server.request(
        conn,
        "messaging.send",
        json!({"context": protocol, "from_number": FROM, "to_number": TO,
               "media": ["https://example.com/a.png"], "region": "us"}),
    );
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "200");
}

#[test]
fn a_scripted_refusal_answers_the_code_and_sends_nothing() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let protocol = server.auth(conn, &[]);
    server.relay.set_fault(Fault::Reply {
        method: "messaging.send".into(),
        code: "422".into(),
    });
    let id = server.request(conn, "messaging.send", send_params(&protocol, TO));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "422");
    server.advance(Duration::from_secs(10));
    assert_eq!(server.sent(), Vec::<Value>::new());
}

#[test]
fn states_go_to_a_session_receiving_the_context() {
    let mut server = Server::new(SimConfig::new());
    let sender = server.open(1);
    server.auth(sender, &[]);
    let listener = server.open(2);
    server.auth(listener, &["sms"]);
    server.request(sender, "messaging.send", send_params("sms", TO));
    server.sent_one();
    server.advance(MESSAGE_STATE_INTERVAL);
    let frames = server.sent_with_conn();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, listener);
    assert_eq!(kinds(&[frames[0].1.clone()]), ["messaging.state"]);
}

#[test]
fn an_inbound_message_goes_to_a_session_receiving_its_context() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    assert_eq!(
        server
            .relay
            .deliver_message("elsewhere", TO, FROM, "hi", server.now),
        None
    );
    let id = server
        .relay
        .deliver_message("office", TO, FROM, "HELP", server.now)
        .unwrap();
    let frame = server.sent_one();
    let (kind, data) = event(&frame);
    assert_eq!(kind, "messaging.receive");
    assert_eq!(
        data,
        &json!({"message_id": id.as_str(), "context": "office", "direction": "inbound",
                "from_number": TO, "to_number": FROM, "body": "HELP", "media": [],
                "segments": 1, "message_state": "received", "tags": []})
    );
}

#[test]
fn messaging_send_is_not_an_unknown_method() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    let id = server.request(conn, "messaging.nope", json!({}));
    assert_eq!(server.sent_one()["error"]["code"], -32601, "{id}");
}

fn pair() -> Pair {
    let mut pair = Pair::new(
        EngineConfig::new(Credentials::token("project", "token")).contexts(["office"]),
        SimConfig::new(),
    );
    assert!(pair.open());
    pair.events();
    pair
}

#[test]
fn the_engine_follows_a_message_to_delivered() {
    let mut pair = pair();
    let message = SendMessage::new(FROM, TO).body("hello");
    pair.engine.send_message(&message, pair.now).unwrap();
    pair.advance(Duration::from_secs(5));
    let events = pair.events();
    let sequence: Vec<MessageState> = events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent {
                result: Ok(message),
                ..
            } => Some(message.state.clone()),
            Event::MessageState(message) => Some(message.state.clone()),
            Event::MessageFinished { message, result } => {
                assert_eq!(result, &Ok(()));
                Some(message.state.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        sequence,
        [
            MessageState::Queued,
            MessageState::Queued,
            MessageState::Initiated,
            MessageState::Sent,
            MessageState::Delivered
        ]
    );
    assert_eq!(pair.engine.stats().messages, 0);
}

#[test]
fn the_engine_reads_undelivered_with_its_reason() {
    let mut pair = pair();
    let message = SendMessage::new(FROM, UNDELIVERED_NUMBER).body("hello");
    pair.engine.send_message(&message, pair.now).unwrap();
    pair.advance(Duration::from_secs(5));
    let result = pair.events().into_iter().find_map(|e| match e {
        Event::MessageFinished { result, .. } => Some(result),
        _ => None,
    });
    let Some(Err(MessageError::Undelivered { reason, .. })) = result else {
        panic!("{result:?}")
    };
    assert_eq!(reason.as_deref(), Some(UNDELIVERED_REASON));
}

#[test]
fn the_engine_reads_a_refusal_and_an_inbound_message() {
    let mut pair = pair();
    pair.relay.set_fault(Fault::Reply {
        method: "messaging.send".into(),
        code: "422".into(),
    });
    let message = SendMessage::new(FROM, TO).body("hello");
    pair.engine.send_message(&message, pair.now).unwrap();
    pair.advance(Duration::from_millis(10));
    let events = pair.events();
    assert!(
        matches!(
            &events[..],
            [Event::MessageSent {
                result: Err(MessageError::Request(RequestError::Failed { code, .. })),
                ..
            }] if code == "422"
        ),
        "{events:?}"
    );
    let now = pair.now;
    pair.relay.deliver_message("office", TO, FROM, "STOP", now);
    pair.advance(Duration::from_millis(10));
    let events = pair.events();
    let [Event::IncomingMessage(message)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(message.body.as_deref(), Some("STOP"));
    assert_eq!(message.state, MessageState::Received);
}
