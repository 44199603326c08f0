//! Bad client input never panics the fake relay: malformed frames get JSON-RPC errors, and
//! arbitrary strings, mutated frames and arbitrary params are survived.
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use proptest::prelude::*;
use relay_rs_core::sim::{ConnId, SimConfig, SimOutput};
use serde_json::{json, Value};
use std::time::Duration;
use support::{connect_params, Server};

fn error_reply(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

#[test]
fn malformed_frames_get_json_rpc_errors() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let cases = [
        ("{", error_reply(Value::Null, -32700, "Parse error")),
        ("[1,2]", error_reply(Value::Null, -32600, "Invalid Request")),
        (
            "\"text\"",
            error_reply(Value::Null, -32600, "Invalid Request"),
        ),
        (
            r#"{"id":{"a":1},"method":"x"}"#,
            error_reply(Value::Null, -32600, "Invalid Request"),
        ),
        (
            r#"{"id":"1","method":5}"#,
            error_reply(json!("1"), -32600, "Invalid Request"),
        ),
        (
            r#"{"id":"1"}"#,
            error_reply(json!("1"), -32600, "Invalid Request"),
        ),
        (
            r#"{"id":7,"method":"signalwire.connect","params":"x"}"#,
            error_reply(json!(7), -32602, "Invalid params"),
        ),
    ];
    for (text, expected) in cases {
        server.raw(conn, text);
        assert_eq!(server.sent(), [expected], "{text}");
    }
    // Answers to requests the service never sent, and notifications, get no reply.
    server.raw(conn, r#"{"jsonrpc":"2.0","id":"nope","result":{}}"#);
    server.raw(conn, r#"{"jsonrpc":"2.0","method":"signalwire.ping"}"#);
    assert!(server.sent().is_empty());
    assert_eq!(server.relay.acks_received(), 0);
}

#[test]
fn frames_from_an_unknown_socket_are_ignored() {
    let mut server = Server::new(SimConfig::new());
    server.raw(ConnId(99), "{");
    server.relay.handle_frame(
        ConnId(99),
        &connect_params("project", "token").to_string(),
        server.now,
    );
    assert!(server.sent().is_empty());
    assert!(server.relay.received(ConnId(99)).is_empty());
}

/// An authenticated socket with an answered call whose id is returned.
fn ready() -> (Server, ConnId, String) {
    let mut server = Server::new(SimConfig::new().auto_media(Duration::from_secs(1)));
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    (server, conn, call_id)
}

/// Every output is a frame of valid JSON or another well-formed instruction.
fn drain_checked(server: &mut Server) {
    while let Some(output) = server.relay.poll_output() {
        if let SimOutput::Send { text, .. } = output {
            let value: Value = serde_json::from_str(&text).expect("frames are JSON");
            assert_eq!(value["jsonrpc"], "2.0");
        }
    }
}

fn valid_frames(call_id: &str) -> Vec<String> {
    let frames = [
        json!({"jsonrpc": "2.0", "id": "1", "method": "signalwire.connect",
               "params": connect_params("project", "token")}),
        json!({"jsonrpc": "2.0", "id": "2", "method": "signalwire.receive",
               "params": {"contexts": ["office", "lab"]}}),
        json!({"jsonrpc": "2.0", "id": "3", "method": "calling.stream",
               "params": {"call_id": call_id, "node_id": "n", "control_id": "s1",
                          "url": "wss://a.example/x", "name": "n", "codec": "PCMU",
                          "track": "both_tracks", "status_url": "https://h.example/s",
                          "status_url_method": "GET", "authorization_bearer_token": "t",
                          "custom_parameters": {"a": 1}}}),
        json!({"jsonrpc": "2.0", "id": "4", "method": "calling.dial",
               "params": {"tag": "t", "devices": [[{"type": "phone",
                          "params": {"from_number": "+1", "to_number": "+2"}}]]}}),
        json!({"jsonrpc": "2.0", "id": "5", "method": "calling.play",
               "params": {"call_id": call_id, "control_id": "p", "play": [{"type": "silence"}]}}),
        json!({"jsonrpc": "2.0", "id": "6", "method": "calling.end",
               "params": {"call_id": call_id, "reason": "hangup"}}),
        json!({"jsonrpc": "2.0", "id": "7", "method": "calling.stream.stop",
               "params": {"call_id": call_id, "control_id": "s1"}}),
        json!({"jsonrpc": "2.0", "id": "8", "result": {}}),
    ];
    frames.iter().map(Value::to_string).collect()
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_]{0,12}".prop_map(Value::from),
        Just(json!("wss://a.example")),
        Just(json!("+15550000000")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("call_id".to_owned()),
                    Just("control_id".to_owned()),
                    Just("url".to_owned()),
                    Just("devices".to_owned()),
                    Just("tag".to_owned()),
                    Just("play".to_owned()),
                    Just("contexts".to_owned()),
                    Just("record".to_owned()),
                    Just("collect".to_owned()),
                    Just("digits".to_owned()),
                    Just("speech".to_owned()),
                    Just("detect".to_owned()),
                    Just("tap".to_owned()),
                    Just("device".to_owned()),
                    Just("volume".to_owned()),
                    Just("document".to_owned()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const METHODS: [&str; 40] = [
    "signalwire.connect",
    "signalwire.receive",
    "signalwire.unreceive",
    "signalwire.ping",
    "calling.answer",
    "calling.end",
    "calling.dial",
    "calling.stream",
    "calling.stream.stop",
    "calling.play",
    "calling.play.stop",
    "calling.tap",
    // The part-1 actions of docs/CALLING-API.md and their controls.
    "calling.play.pause",
    "calling.play.resume",
    "calling.play.volume",
    "calling.record",
    "calling.record.pause",
    "calling.record.resume",
    "calling.record.stop",
    "calling.collect",
    "calling.collect.stop",
    "calling.collect.start_input_timers",
    "calling.play_and_collect",
    "calling.play_and_collect.stop",
    "calling.play_and_collect.volume",
    "calling.detect",
    "calling.detect.stop",
    "calling.tap.stop",
    "calling.send_fax",
    "calling.receive_fax.stop",
    "calling.pay",
    "calling.pay.stop",
    "calling.transcribe",
    "calling.transcribe.stop",
    "calling.send_digits",
    "calling.ai",
    "calling.ai_message",
    "calling.ai_hold",
    "calling.ai.stop",
    "calling.echo",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(texts in prop::collection::vec(any::<String>(), 1..8)) {
        let (mut server, conn, _) = ready();
        let fresh = server.open(2);
        for text in &texts {
            server.raw(conn, text);
            server.raw(fresh, text);
        }
        server.advance(Duration::from_secs(5));
        drain_checked(&mut server);
    }

    #[test]
    fn mutated_frames_never_panic(
        which in 0usize..8,
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
    ) {
        let (mut server, conn, call_id) = ready();
        let mut bytes = valid_frames(&call_id)[which].clone().into_bytes();
        for (at, byte) in edits {
            if !bytes.is_empty() {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        server.raw(conn, &text);
        server.advance(Duration::from_secs(5));
        drain_checked(&mut server);
    }

    #[test]
    fn arbitrary_params_never_panic(
        calls in prop::collection::vec((0usize..METHODS.len(), arbitrary_json(), any::<bool>()), 1..6),
    ) {
        let (mut server, conn, call_id) = ready();
        for (method, mut params, use_call) in calls {
            if let (true, Some(map)) = (use_call, params.as_object_mut()) {
                map.insert("call_id".into(), json!(call_id));
            }
            server.request(conn, METHODS[method], params);
            drain_checked(&mut server);
        }
        server.advance(Duration::from_secs(5));
        drain_checked(&mut server);
    }
}
