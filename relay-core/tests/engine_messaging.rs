//! Messaging on the wire (`docs/CALLING-API.md` §3): the exact `messaging.send` frames, the
//! spec's state sequences read into typed events, states that overtake their send's result,
//! failure reasons, inbound messages, unknown ids, and what a fresh or closed session does
//! to messages in flight.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ack, Client};
use relay_rs_core::engine::EARLY_MESSAGE_STATES;
use relay_rs_core::{
    CommandError, Direction, Event, Message, MessageError, MessageId, MessageState, ProtocolError,
    RequestError, RequestId, SendMessage,
};
use serde_json::{json, Value};

const FROM: &str = "+15551110000";
const TO: &str = "+15552220000";

fn text() -> SendMessage {
    SendMessage::new(FROM, TO).body("hello")
}

/// Sends `message`, returns the request id and the frame.
fn send(client: &mut Client, message: &SendMessage) -> (RequestId, Value) {
    let id = client.engine.send_message(message, client.now).unwrap();
    let frame = client.sent_one("messaging.send");
    (id, frame)
}

fn accept(client: &mut Client, frame: &Value, message_id: &str) {
    client.respond(
        frame,
        json!({"code": "200", "message": "Message accepted", "message_id": message_id}),
    );
}

/// Sends and accepts a text as message `m1`; drains the events.
fn sent(client: &mut Client) {
    let (_, frame) = send(client, &text());
    accept(client, &frame, "m1");
    client.drain_events();
}

fn state(client: &mut Client, message_id: &str, state: &str, reason: Option<&str>) {
    let mut params = json!({"message_id": message_id, "context": "proto-1",
        "direction": "outbound", "from_number": FROM, "to_number": TO, "body": "hello",
        "media": [], "segments": 1, "message_state": state, "tags": []});
    if let Some(reason) = reason {
        params["reason"] = json!(reason);
    }
    client.event(
        &format!("ev-{message_id}-{state}"),
        "messaging.state",
        params,
    );
    assert_eq!(
        client.sent(),
        vec![ack(&format!("ev-{message_id}-{state}"))]
    );
}

fn states(events: &[Event]) -> Vec<MessageState> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MessageState(m) => Some(m.state.clone()),
            Event::MessageFinished { message, .. } => Some(message.state.clone()),
            _ => None,
        })
        .collect()
}

fn finished(events: &[Event]) -> Option<(Message, Result<(), MessageError>)> {
    events.iter().find_map(|e| match e {
        Event::MessageFinished { message, result } => Some((*message.clone(), result.clone())),
        _ => None,
    })
}

#[test]
fn a_text_goes_out_with_the_session_protocol_as_context() {
    let mut client = Client::ready();
    let (id, frame) = send(&mut client, &text());
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": "messaging.send", "params": {
            "context": "proto-1", "from_number": FROM, "to_number": TO, "body": "hello"}})
    );
}

#[test]
fn every_option_goes_on_the_wire() {
    let mut client = Client::ready();
    let message = SendMessage::new(FROM, TO)
        .body("look")
        .media(["https://example.com/a.png", "https://example.com/b.png"])
        .tags(["t1", "t2"])
        .region("us")
        .context("office");
    let (_, frame) = send(&mut client, &message);
    assert_eq!(
        frame["params"],
        json!({"context": "office", "from_number": FROM, "to_number": TO, "body": "look",
               "media": ["https://example.com/a.png", "https://example.com/b.png"],
               "tags": ["t1", "t2"], "region": "us"})
    );
}

#[test]
fn media_alone_is_a_message() {
    let mut client = Client::ready();
    let message = SendMessage::new(FROM, TO).media(["https://example.com/a.png"]);
    let (_, frame) = send(&mut client, &message);
    assert_eq!(
        frame["params"],
        json!({"context": "proto-1", "from_number": FROM, "to_number": TO,
               "media": ["https://example.com/a.png"]})
    );
}

#[test]
fn a_message_without_body_or_media_is_refused_locally() {
    let mut client = Client::ready();
    for message in [
        SendMessage::new(FROM, TO),
        SendMessage::new(FROM, TO).body(""),
    ] {
        assert_eq!(
            client.engine.send_message(&message, client.now),
            Err(CommandError::EmptyMessage)
        );
    }
    let no_to = SendMessage::new(FROM, "").body("x");
    assert!(matches!(
        client.engine.send_message(&no_to, client.now),
        Err(CommandError::InvalidOption(_))
    ));
    assert!(client.sent().is_empty());
}

#[test]
fn before_any_session_the_context_is_our_first_context_else_default() {
    let no_contexts = relay_rs_core::EngineConfig::new(relay_rs_core::Credentials::token("p", "t"));
    for (config, expected) in [(common::config(), "office"), (no_contexts, "default")] {
        let mut client = Client::new(config);
        client.engine.open(client.now);
        client.engine.send_message(&text(), client.now).unwrap();
        client.transmits();
        client.engine.handle_connected(client.now);
        let connect = client.sent_one("signalwire.connect");
        client.respond(&connect, json!({"protocol": "proto-1"}));
        let frame = client.sent_one("messaging.send");
        assert_eq!(frame["params"]["context"], expected);
    }
}

#[test]
fn accepted_then_queued_initiated_sent_delivered() {
    let mut client = Client::ready();
    let (id, frame) = send(&mut client, &text().tags(["t"]));
    accept(&mut client, &frame, "m1");
    let events = client.drain_events();
    let [Event::MessageSent {
        request_id,
        result: Ok(message),
    }] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(request_id, &id);
    assert_eq!(message.id, MessageId::new("m1"));
    assert_eq!(message.state, MessageState::Queued);
    assert_eq!(message.direction, Direction::Outbound);
    assert_eq!(message.context, "proto-1");
    assert_eq!(message.tags, ["t"]);
    assert_eq!(client.engine.stats().messages, 1);

    for s in ["queued", "initiated", "sent", "delivered"] {
        state(&mut client, "m1", s, None);
    }
    let events = client.drain_events();
    assert_eq!(
        states(&events),
        [
            MessageState::Queued,
            MessageState::Initiated,
            MessageState::Sent,
            MessageState::Delivered
        ]
    );
    let (message, result) = finished(&events).unwrap();
    assert_eq!(result, Ok(()));
    assert_eq!(message.body.as_deref(), Some("hello"));
    assert_eq!(client.engine.stats().messages, 0);
    assert!(client.engine.message(&MessageId::new("m1")).is_none());
}

#[test]
fn undelivered_and_failed_carry_the_reason() {
    for (end, expected) in [
        (
            "undelivered",
            MessageError::Undelivered {
                message_id: MessageId::new("m1"),
                reason: Some("Unreachable handset".into()),
            },
        ),
        (
            "failed",
            MessageError::Failed {
                message_id: MessageId::new("m1"),
                reason: Some("Unreachable handset".into()),
            },
        ),
    ] {
        let mut client = Client::ready();
        sent(&mut client);
        state(&mut client, "m1", "queued", None);
        state(&mut client, "m1", end, Some("Unreachable handset"));
        let (message, result) = finished(&client.drain_events()).unwrap();
        assert_eq!(message.reason.as_deref(), Some("Unreachable handset"));
        assert_eq!(result, Err(expected.clone()));
        assert_eq!(expected.reason(), Some("Unreachable handset"));
        assert_eq!(client.engine.stats().messages, 0);
    }
}

#[test]
fn a_late_state_of_a_finished_message_is_ignored() {
    let mut client = Client::ready();
    sent(&mut client);
    state(&mut client, "m1", "delivered", None);
    client.drain_events();
    state(&mut client, "m1", "delivered", None);
    assert_eq!(client.drain_events(), vec![]);
}

#[test]
fn an_unknown_state_is_kept_and_not_terminal() {
    let mut client = Client::ready();
    sent(&mut client);
    state(&mut client, "m1", "carrier_hold", None);
    assert_eq!(
        states(&client.drain_events()),
        [MessageState::Other("carrier_hold".into())]
    );
    assert_eq!(client.engine.stats().messages, 1);
}

#[test]
fn a_state_before_the_send_result_is_buffered_and_replayed() {
    let mut client = Client::ready();
    let (id, frame) = send(&mut client, &text());
    state(&mut client, "m1", "queued", None);
    state(&mut client, "m1", "initiated", None);
    assert_eq!(client.drain_events(), vec![]);
    accept(&mut client, &frame, "m1");
    let events = client.drain_events();
    assert!(
        matches!(&events[0], Event::MessageSent { request_id, result: Ok(_) } if *request_id == id)
    );
    assert_eq!(
        states(&events),
        [MessageState::Queued, MessageState::Initiated]
    );
}

#[test]
fn a_buffered_state_of_another_id_is_reported_unknown_once_no_send_waits() {
    let mut client = Client::ready();
    let (_, frame) = send(&mut client, &text());
    state(&mut client, "stranger", "queued", None);
    accept(&mut client, &frame, "m1");
    let events = client.drain_events();
    assert!(
        events.contains(&Event::Protocol(ProtocolError::UnknownMessage {
            event_type: "messaging.state".into(),
            message_id: MessageId::new("stranger"),
        }))
    );
}

#[test]
fn the_early_buffer_is_bounded() {
    let mut client = Client::ready();
    send(&mut client, &text());
    for n in 0..=EARLY_MESSAGE_STATES {
        state(&mut client, &format!("x{n}"), "queued", None);
    }
    assert_eq!(
        client.drain_events(),
        vec![Event::Protocol(ProtocolError::UnknownMessage {
            event_type: "messaging.state".into(),
            message_id: MessageId::new("x0"),
        })]
    );
}

#[test]
fn an_unknown_message_id_is_reported_not_fatal() {
    let mut client = Client::ready();
    state(&mut client, "nobody", "sent", None);
    assert_eq!(
        client.drain_events(),
        vec![Event::Protocol(ProtocolError::UnknownMessage {
            event_type: "messaging.state".into(),
            message_id: MessageId::new("nobody"),
        })]
    );
    assert!(client.engine.is_ready());
}

#[test]
fn a_state_without_id_or_state_is_invalid() {
    let mut client = Client::ready();
    sent(&mut client);
    client.event("e1", "messaging.state", json!({"message_state": "sent"}));
    client.event("e2", "messaging.state", json!({"message_id": "m1"}));
    let events = client.drain_events();
    assert_eq!(events.len(), 2);
    assert!(events
        .iter()
        .all(|e| matches!(e, Event::Protocol(ProtocolError::InvalidEvent { .. }))));
    assert_eq!(client.engine.stats().messages, 1);
}

#[test]
fn a_refused_send_resolves_with_the_server_code() {
    let mut client = Client::ready();
    let (id, frame) = send(&mut client, &text());
    client.respond(
        &frame,
        json!({"code": "400", "message": "Invalid to_number"}),
    );
    assert_eq!(
        client.drain_events(),
        vec![Event::MessageSent {
            request_id: id,
            result: Err(MessageError::Request(RequestError::Failed {
                code: "400".into(),
                message: "Invalid to_number".into()
            }))
        }]
    );
}

#[test]
fn a_result_without_message_id_resolves_with_a_typed_error() {
    let mut client = Client::ready();
    let (id, frame) = send(&mut client, &text());
    client.respond(
        &frame,
        json!({"code": "200", "message": "Message accepted"}),
    );
    assert_eq!(
        client.drain_events(),
        vec![Event::MessageSent {
            request_id: id,
            result: Err(MessageError::NoMessageId)
        }]
    );
    assert_eq!(client.engine.stats().messages, 0);
}

#[test]
fn an_inbound_message_is_an_event() {
    let mut client = Client::ready();
    client.event(
        "r1",
        "messaging.receive",
        json!({"message_id": "in-1", "context": "office", "direction": "inbound",
               "from_number": TO, "to_number": FROM, "body": "HELP", "media": [],
               "segments": 1, "message_state": "received", "tags": []}),
    );
    assert_eq!(client.sent(), vec![ack("r1")]);
    let events = client.drain_events();
    let [Event::IncomingMessage(message)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(message.id, MessageId::new("in-1"));
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.state, MessageState::Received);
    assert_eq!(message.from, TO);
    assert_eq!(message.body.as_deref(), Some("HELP"));
    assert_eq!(message.segments, Some(1));
    // A repeat (e.g. after a resume) is not a second message.
    client.event(
        "r2",
        "messaging.receive",
        json!({"message_id": "in-1", "message_state": "received"}),
    );
    assert_eq!(client.drain_events(), vec![]);
}

#[test]
fn an_inbound_message_without_id_is_invalid() {
    let mut client = Client::ready();
    client.event("r1", "messaging.receive", json!({"body": "x"}));
    assert!(matches!(
        client.drain_events()[..],
        [Event::Protocol(ProtocolError::InvalidEvent { .. })]
    ));
}

#[test]
fn a_fresh_session_ends_messages_in_flight_as_lost() {
    let mut client = Client::ready();
    sent(&mut client);
    client.engine.handle_disconnected(client.now);
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "proto-2"}));
    let (message, result) = finished(&client.drain_events()).unwrap();
    assert_eq!(message.id, MessageId::new("m1"));
    assert_eq!(
        result,
        Err(MessageError::SessionLost {
            message_id: MessageId::new("m1")
        })
    );
    assert_eq!(client.engine.stats().messages, 0);
}

#[test]
fn a_resumed_session_keeps_messages_in_flight() {
    let mut client = Client::ready();
    sent(&mut client);
    client.engine.handle_disconnected(client.now);
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "proto-1"}));
    assert!(finished(&client.drain_events()).is_none());
    state(&mut client, "m1", "delivered", None);
    assert_eq!(finished(&client.drain_events()).unwrap().1, Ok(()));
}

#[test]
fn a_send_lost_with_its_socket_resolves() {
    let mut client = Client::ready();
    let (id, _) = send(&mut client, &text());
    client.engine.handle_disconnected(client.now);
    let events = client.drain_events();
    assert!(events.contains(&Event::MessageSent {
        request_id: id,
        result: Err(MessageError::Request(RequestError::ConnectionLost)),
    }));
}

#[test]
fn closing_resolves_sends_and_messages() {
    let mut client = Client::ready();
    sent(&mut client);
    let (id, _) = send(&mut client, &text());
    client.engine.shutdown(client.now);
    let events = client.drain_events();
    assert!(events.contains(&Event::MessageSent {
        request_id: id,
        result: Err(MessageError::Closed),
    }));
    let (message, result) = finished(&events).unwrap();
    assert_eq!(message.id, MessageId::new("m1"));
    assert_eq!(result, Err(MessageError::Closed));
    assert_eq!(
        client.engine.send_message(&text(), client.now),
        Err(CommandError::Closed)
    );
}
