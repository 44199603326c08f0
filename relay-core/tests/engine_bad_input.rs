//! Bad peer input never panics: it becomes a typed protocol error and the session goes on.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ack, Client};
use proptest::prelude::*;
use relay_rs_core::{ControlId, Event, ProtocolError, RequestId, StreamOptions};
use serde_json::json;

fn protocol_errors(client: &mut Client) -> Vec<ProtocolError> {
    client
        .drain_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Protocol(p) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn malformed_json_is_a_typed_error_and_the_session_goes_on() {
    let mut client = Client::ready();
    client.engine.handle_frame("{not json", client.now);
    client.engine.handle_frame("[]", client.now);
    client.engine.handle_frame("42", client.now);
    let errors = protocol_errors(&mut client);
    assert!(matches!(errors[0], ProtocolError::InvalidJson(_)));
    assert!(matches!(errors[1], ProtocolError::InvalidFrame(_)));
    assert!(matches!(errors[2], ProtocolError::InvalidFrame(_)));
    assert!(client.engine.is_ready());
    client.event("e1", "x.y", json!({}));
    assert_eq!(client.sent(), vec![ack("e1")]);
}

#[test]
fn unknown_ids_are_reported() {
    let mut client = Client::ready();
    client.incoming("c1");
    client.feed(json!({"jsonrpc": "2.0", "id": "nobody", "result": {}}));
    client.call_state("ghost", "answered", None);
    client.event(
        "s1",
        "calling.call.stream",
        json!({"call_id": "c1", "node_id": "n", "control_id": "ghost-ctl", "state": "finished"}),
    );
    let errors = protocol_errors(&mut client);
    assert_eq!(
        errors,
        vec![
            ProtocolError::UnknownRequest(RequestId::new("nobody")),
            ProtocolError::UnknownCall {
                event_type: "calling.call.state".into(),
                call_id: "ghost".into()
            },
            ProtocolError::UnknownAction {
                event_type: "calling.call.stream".into(),
                control_id: ControlId::new("ghost-ctl")
            },
        ]
    );
}

#[test]
fn unknown_server_methods_get_a_json_rpc_error() {
    let mut client = Client::ready();
    client
        .feed(json!({"jsonrpc": "2.0", "id": "m1", "method": "signalwire.teleport", "params": {}}));
    assert_eq!(
        client.sent(),
        vec![
            json!({"jsonrpc": "2.0", "id": "m1", "error": {"code": -32601, "message": "Method not found"}})
        ]
    );
    assert_eq!(
        protocol_errors(&mut client),
        vec![ProtocolError::UnknownMethod("signalwire.teleport".into())]
    );
}

#[test]
fn wrong_types_are_reported_not_trusted() {
    let mut client = Client::ready();
    client.event("e1", "calling.call.receive", json!({"call_id": 5}));
    client.event("e2", "calling.call.state", json!("nope"));
    client.event("e3", "calling.call.dial", json!({"tag": ["x"]}));
    client.feed(json!({"jsonrpc": "2.0", "id": "e4", "method": "signalwire.event", "params": {"event_type": 7}}));
    let errors = protocol_errors(&mut client);
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!(client.engine.stats().calls, 0);
}

#[test]
fn oversized_frames_are_refused() {
    let mut config = common::config();
    config.max_frame_size = 100;
    let mut client = Client::new(config);
    client.connect_and_auth("p");
    client.drain_events();
    client.engine.handle_frame(&"x".repeat(101), client.now);
    assert_eq!(
        protocol_errors(&mut client),
        vec![ProtocolError::FrameTooLarge {
            size: 101,
            limit: 100
        }]
    );
}

fn valid_frames() -> Vec<String> {
    vec![
        json!({"jsonrpc": "2.0", "id": "e1", "method": "signalwire.event", "params": {"event_type": "calling.call.receive", "params": {"call_id": "c9", "node_id": "n", "context": "office", "call_state": "ringing"}}}).to_string(),
        json!({"jsonrpc": "2.0", "id": "e2", "method": "signalwire.event", "params": {"event_type": "calling.call.state", "params": {"call_id": "c1", "node_id": "node-1", "call_state": "ended", "end_reason": "hangup"}}}).to_string(),
        json!({"jsonrpc": "2.0", "id": "e3", "method": "signalwire.event", "params": {"event_type": "calling.call.stream", "params": {"call_id": "c1", "node_id": "node-1", "control_id": "ctl", "state": "finished"}}}).to_string(),
        json!({"jsonrpc": "2.0", "id": "e4", "method": "signalwire.disconnect", "params": {"restart": true}}).to_string(),
        json!({"jsonrpc": "2.0", "id": "x", "result": {"code": "200"}}).to_string(),
        json!({"jsonrpc": "2.0", "id": "x", "error": {"code": -1, "message": "m"}}).to_string(),
    ]
}

/// A fresh client with one call and one stream, so mutated frames can hit real state.
fn busy_client() -> Client {
    let mut client = Client::ready();
    client.incoming("c1");
    client
        .engine
        .stream(
            &"c1".into(),
            "wss://h",
            &StreamOptions::new().control_id("ctl"),
            client.now,
        )
        .unwrap();
    client.sent();
    client
}

fn mutate(frame: &str, seed: &[(usize, u8)]) -> String {
    let mut bytes = frame.as_bytes().to_vec();
    for &(pos, byte) in seed {
        if bytes.is_empty() {
            break;
        }
        let at = pos % bytes.len();
        match byte % 3 {
            0 => bytes[at] = byte,
            1 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, byte),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let mut client = busy_client();
        client.engine.handle_frame(&text, client.now);
        client.drain_events();
        client.sent();
        prop_assert!(client.engine.stats().calls <= 1);
    }

    #[test]
    fn mutated_frames_never_panic_and_the_session_goes_on(
        which in 0usize..6,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
    ) {
        let mut client = busy_client();
        let frame = mutate(&valid_frames()[which], &edits);
        client.engine.handle_frame(&frame, client.now);
        client.drain_events();
        client.sent();
        // Whatever happened, the engine still answers a ping if it is connected.
        if client.engine.is_ready() {
            client.feed(json!({"jsonrpc": "2.0", "id": "ping-after", "method": "signalwire.ping"}));
            prop_assert_eq!(client.sent(), vec![ack("ping-after")]);
        }
    }

    #[test]
    fn random_json_values_in_event_params_never_panic(
        event_type in prop::sample::select(vec![
            "calling.call.receive", "calling.call.state", "calling.call.dial",
            "calling.call.stream", "calling.call.play", "calling.error",
            "signalwire.authorization.state",
        ]),
        call_id in prop::option::of(prop::sample::select(vec!["c1", "c2", ""])),
        state in prop::option::of(".{0,12}"),
        number in any::<i64>(),
    ) {
        let mut client = busy_client();
        let mut params = json!({"node_id": number, "control_id": "ctl", "tag": number,
                                "dial_state": state, "call_state": state, "state": state,
                                "authorization_state": number, "code": number});
        if let Some(call_id) = call_id {
            params["call_id"] = json!(call_id);
        }
        client.event("ev", event_type, params);
        prop_assert_eq!(client.sent().first().cloned(), Some(ack("ev")));
        client.drain_events();
    }
}

/// The engine reads a call event through a borrowed view: an id of the wrong type, data that
/// is not an object or a repeated member makes the event unreadable. Each is acked (the
/// frame was received), becomes a typed `InvalidEvent` naming the event type, and changes
/// nothing: the call and its action are still there for the next, well-formed event.
#[test]
fn a_malformed_member_of_a_call_event_is_a_typed_error_and_the_frame_is_acked() {
    let mut client = Client::ready();
    client.incoming("c1");
    let call = relay_rs_core::CallId::new("c1");
    let options = StreamOptions::new().control_id("k1");
    client
        .engine
        .stream(&call, "wss://h/a", &options, client.now)
        .unwrap();
    client.sent();
    let frames = [
        (
            "m1",
            r#"{"event_type":"calling.call.stream","params":{"call_id":7,"control_id":"k1","state":"finished"}}"#,
        ),
        (
            "m2",
            r#"{"event_type":"calling.call.stream","params":{"call_id":"c1","control_id":["k1"],"state":"finished"}}"#,
        ),
        (
            "m3",
            r#"{"event_type":"calling.call.state","params":"c1 ended"}"#,
        ),
        (
            "m4",
            r#"{"event_type":"calling.call.stream","params":{"call_id":"c1","control_id":"k1","control_id":"k1","state":"finished"}}"#,
        ),
    ];
    for (id, params) in frames {
        let frame = format!(
            r#"{{"jsonrpc":"2.0","id":"{id}","method":"signalwire.event","params":{params}}}"#
        );
        client.engine.handle_frame(&frame, client.now);
        assert_eq!(client.sent(), vec![ack(id)], "{frame}");
        let errors = protocol_errors(&mut client);
        let [ProtocolError::InvalidEvent { event_type, reason }] = &errors[..] else {
            panic!("{frame}: {errors:?}")
        };
        let expected = if id == "m3" {
            "calling.call.state"
        } else {
            "calling.call.stream"
        };
        assert_eq!(event_type, expected);
        assert!(!reason.is_empty());
    }
    assert!(client.engine.has_action(&call, &ControlId::new("k1")));
    client.event(
        "ok",
        "calling.call.stream",
        json!({"call_id": "c1", "node_id": "n", "control_id": "k1", "state": "streaming"}),
    );
    assert!(matches!(
        client.drain_events()[..],
        [Event::ActionState { .. }]
    ));
}

/// Messaging events are read from their text: a member of the wrong type, or data that is
/// not an object, is acked and becomes a typed `InvalidEvent` naming the event type.
#[test]
fn a_malformed_member_of_a_messaging_event_is_a_typed_error_and_the_frame_is_acked() {
    let mut client = Client::ready();
    let frames = [
        (
            "s1",
            "messaging.state",
            r#"{"message_id":7,"message_state":"sent"}"#,
        ),
        (
            "s2",
            "messaging.state",
            r#"{"message_id":"m1","message_state":["sent"]}"#,
        ),
        ("s3", "messaging.state", r#""m1 sent""#),
        (
            "r1",
            "messaging.receive",
            r#"{"message_id":{"id":"m2"},"body":"hi"}"#,
        ),
        ("r2", "messaging.receive", r#"[1,2]"#),
    ];
    for (id, event_type, params) in frames {
        let frame = format!(
            r#"{{"jsonrpc":"2.0","id":"{id}","method":"signalwire.event","params":{{"event_type":"{event_type}","params":{params}}}}}"#
        );
        client.engine.handle_frame(&frame, client.now);
        assert_eq!(client.sent(), vec![ack(id)], "{frame}");
        let errors = protocol_errors(&mut client);
        let [ProtocolError::InvalidEvent {
            event_type: named,
            reason,
        }] = &errors[..]
        else {
            panic!("{frame}: {errors:?}")
        };
        assert_eq!(named, event_type);
        assert!(!reason.is_empty());
    }
    // A well-formed one still reads, its members from the event's text.
    client.event(
        "ok",
        "messaging.receive",
        json!({"message_id": "m3", "body": "h\u{e9}llo", "from_number": "+1"}),
    );
    let events = client.drain_events();
    let [Event::IncomingMessage(message)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (message.id.as_str(), message.body.as_deref()),
        ("m3", Some("h\u{e9}llo"))
    );
}

/// A frame nesting `depth` containers in all (its envelope and params counted), the
/// innermost in a call event's data.
fn nested_event(id: &str, depth: usize) -> String {
    let inner = depth - 3;
    format!(
        r#"{{"id":"{id}","method":"signalwire.event","params":{{"event_type":"calling.call.play","params":{{"call_id":"c1","x":{}1{}}}}}}}"#,
        "[".repeat(inner),
        "]".repeat(inner)
    )
}

#[test]
fn nesting_is_limited_from_the_envelope_as_a_whole_frame_parse_limits_it() {
    let mut client = Client::ready();
    // A whole-frame parse accepts 127 containers and refuses the 128th.
    let deep = nested_event("d1", 128);
    let whole = serde_json::from_str::<serde_json::Value>(&deep).unwrap_err();
    client.engine.handle_frame(&deep, client.now);
    assert_eq!(
        protocol_errors(&mut client),
        vec![ProtocolError::InvalidJson(whole.to_string())]
    );
    assert!(client.sent().is_empty(), "a refused frame is not acked");
    // The same past the limit in a response, and in a frame the one pass leaves (an
    // escaped key).
    let response = format!(
        r#"{{"id":"r","result":{}1{}}}"#,
        "[".repeat(127),
        "]".repeat(127)
    );
    let escaped = deep.replacen(r#""method""#, r#""m\u0065thod""#, 1);
    for frame in [response, escaped] {
        let whole = serde_json::from_str::<serde_json::Value>(&frame).unwrap_err();
        client.engine.handle_frame(&frame, client.now);
        assert_eq!(
            protocol_errors(&mut client),
            vec![ProtocolError::InvalidJson(whole.to_string())]
        );
    }
    // Just under the limit the event is read: acked, and passed on (no such call).
    client
        .engine
        .handle_frame(&nested_event("d2", 127), client.now);
    assert_eq!(client.sent(), vec![ack("d2")]);
    assert!(protocol_errors(&mut client).is_empty());
    assert!(client.engine.is_ready());
}

#[test]
fn a_calling_error_reads_its_code_and_message_as_text() {
    let mut client = Client::ready();
    client.event(
        "e1",
        "calling.error",
        json!({"code": "5", "message": "bad \"thing\""}),
    );
    client.event(
        "e2",
        "calling.error",
        json!({"code": 7, "message": {"b": [1]}}),
    );
    client.event("e3", "calling.error", json!("not an object"));
    let errors: Vec<(String, String)> = client
        .drain_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::CallingError { code, message } => Some((code, message)),
            _ => None,
        })
        .collect();
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        errors,
        vec![
            pair("5", "bad \"thing\""),
            pair("7", r#"{"b":[1]}"#),
            pair("", "")
        ]
    );
}

#[test]
fn an_authorization_state_is_read_from_the_data_or_beside_it_and_must_be_text() {
    let mut client = Client::ready();
    // Beside the data, as some servers send it.
    client.feed(
        json!({"jsonrpc": "2.0", "id": "a1", "method": "signalwire.event",
        "params": {"event_type": "signalwire.authorization.state", "params": {},
        "authorization_state": "beside"}}),
    );
    assert!(client.engine.has_authorization_state());
    assert!(protocol_errors(&mut client).is_empty());
    // Not a string: refused, typed.
    let mut client = Client::ready();
    client.event(
        "a2",
        "signalwire.authorization.state",
        json!({"authorization_state": 5}),
    );
    assert!(!client.engine.has_authorization_state());
    assert!(matches!(
        protocol_errors(&mut client)[..],
        [ProtocolError::InvalidEvent { .. }]
    ));
}
