//! Streams and the generic action mechanism: options on the wire, validation, events,
//! stop, 404/410, call end, concurrency, play and execute.
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use relay_rs_core::CallGone;
use relay_rs_core::Payload;
use relay_rs_core::{
    ActionKind, ActionOutcome, ActionState, CallId, Codec, CommandError, ControlId, Event,
    HttpMethod, PlayMedia, RequestError, StreamOptions, Track,
};
use serde_json::{json, Value};

fn answered() -> (Client, CallId) {
    let mut client = Client::ready();
    client.incoming("c1");
    (client, CallId::new("c1"))
}

fn stream_event(client: &mut Client, control_id: &ControlId, state: &str) {
    client.event(
        &format!("st-{state}"),
        "calling.call.stream",
        json!({"call_id": "c1", "node_id": "node-1", "control_id": control_id.as_str(),
               "state": state, "url": "wss://example.com/audio", "segment_id": "seg"}),
    );
    client.sent();
}

#[test]
fn stream_puts_every_option_on_the_wire() {
    let (mut client, call) = answered();
    let options = StreamOptions::new()
        .name("transcriber")
        .codec(Codec::Pcmu)
        .track(Track::Inbound)
        .status_url("https://example.com/status")
        .status_url_method(HttpMethod::Post)
        .authorization_bearer_token("bearer-1")
        .custom_parameter("lang", "en")
        .custom_parameter("n", 3)
        .control_id("ctl-1");
    let start = client
        .engine
        .stream(&call, "wss://example.com/audio", &options, client.now)
        .unwrap();
    assert_eq!(start.control_id, ControlId::new("ctl-1"));
    let frame = client.sent_one("calling.stream");
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": start.request_id.as_str(), "method": "calling.stream",
               "params": {"node_id": "node-1", "call_id": "c1", "control_id": "ctl-1",
                          "url": "wss://example.com/audio", "name": "transcriber",
                          "codec": "PCMU", "track": "inbound_track",
                          "status_url": "https://example.com/status",
                          "status_url_method": "POST",
                          "authorization_bearer_token": "bearer-1",
                          "custom_parameters": {"lang": "en", "n": 3}}})
    );
}

#[test]
fn unset_options_stay_off_the_wire_and_the_control_id_is_generated() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h/a", &StreamOptions::new(), client.now)
        .unwrap();
    let frame = client.sent_one("calling.stream");
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1", "control_id": start.control_id.as_str(),
               "url": "wss://h/a"})
    );
    assert_eq!(start.control_id.as_str().len(), 36);
}

#[test]
fn bad_stream_requests_fail_before_any_frame() {
    let (mut client, call) = answered();
    let now = client.now;
    let err = client
        .engine
        .stream(&call, "ws://example.com", &StreamOptions::new(), now)
        .unwrap_err();
    assert!(matches!(err, CommandError::InvalidStreamUrl { .. }));
    let err = client
        .engine
        .stream(
            &call,
            "wss://h",
            &StreamOptions::new().authorization_bearer_token(""),
            now,
        )
        .unwrap_err();
    assert_eq!(err, CommandError::EmptyBearerToken);
    let options = StreamOptions::new().control_id("dup");
    client
        .engine
        .stream(&call, "wss://h", &options, now)
        .unwrap();
    client.sent();
    assert_eq!(
        client.engine.stream(&call, "wss://h", &options, now),
        Err(CommandError::DuplicateControlId(ControlId::new("dup")))
    );
    assert!(client.sent().is_empty());
    assert!(client
        .engine
        .stream(
            &call,
            "ws://127.0.0.1:9/x",
            &StreamOptions::new().allow_insecure_loopback(true),
            now
        )
        .is_ok());
}

#[test]
fn action_is_registered_before_the_request_goes_out() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    // The event can race the response: it must still reach the action.
    stream_event(&mut client, &start.control_id, "streaming");
    assert!(matches!(
        &client.drain_events()[..],
        [Event::ActionState { state, kind: ActionKind::Stream, .. }] if state == "streaming"
    ));
}

#[test]
fn streaming_then_finished_reaches_the_action() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    let frame = client.sent_one("calling.stream");
    client.respond(
        &frame,
        json!({"code": "200", "message": "OK", "call_id": "c1", "control_id": start.control_id.as_str()}),
    );
    stream_event(&mut client, &start.control_id, "streaming");
    stream_event(&mut client, &start.control_id, "finished");
    let events = client.drain_events();
    assert!(matches!(
        &events[0],
        Event::RequestCompleted { result: Ok(_), .. }
    ));
    assert!(matches!(&events[1], Event::ActionState { state, .. } if state == "streaming"));
    let Event::ActionFinished {
        control_id,
        outcome: ActionOutcome::Finished { state, event },
        ..
    } = &events[2]
    else {
        panic!("{events:?}")
    };
    assert_eq!(control_id, &start.control_id);
    assert_eq!(state, "finished");
    assert_eq!(event.to_value()["url"], "wss://example.com/audio");
    assert!(!client.engine.has_action(&call, &start.control_id));
}

#[test]
fn stop_sends_stream_stop_and_the_outcome_says_stopped() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    client.sent();
    client
        .engine
        .stop_action(&call, &start.control_id, client.now)
        .unwrap();
    let frame = client.sent_one("calling.stream.stop");
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1", "control_id": start.control_id.as_str()})
    );
    client.respond(&frame, json!({"code": "200"}));
    stream_event(&mut client, &start.control_id, "finished");
    let events = client.drain_events();
    assert!(matches!(
        events.last(),
        Some(Event::ActionFinished {
            outcome: ActionOutcome::Stopped { .. },
            ..
        })
    ));
}

#[test]
fn a_404_or_410_finishes_the_action_as_call_gone() {
    for code in ["404", "410"] {
        let (mut client, call) = answered();
        let start = client
            .engine
            .stream(&call, "wss://h", &StreamOptions::new(), client.now)
            .unwrap();
        let frame = client.sent_one("calling.stream");
        client.respond(&frame, json!({"code": code, "message": "gone"}));
        let events = client.drain_events();
        assert_eq!(
            events[0],
            Event::ActionFinished {
                call_id: call.clone(),
                control_id: start.control_id.clone(),
                kind: ActionKind::Stream,
                outcome: ActionOutcome::CallGone(CallGone::server(code, "gone").of(call.clone()))
            }
        );
        assert!(events.contains(&Event::CallGone(
            CallGone::server(code, "gone").of(call.clone())
        )));
        assert!(events.contains(&Event::RequestCompleted {
            request_id: start.request_id.clone(),
            result: Err(RequestError::CallGone(
                CallGone::server(code, "gone").of(call.clone())
            ))
        }));
        assert_eq!(client.engine.stats().calls, 0);
    }
}

#[test]
fn a_409_fails_only_that_action() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    let frame = client.sent_one("calling.stream");
    client.respond(&frame, json!({"code": "409", "message": "conflict"}));
    let events = client.drain_events();
    assert!(matches!(
        &events[0],
        Event::ActionFinished { outcome: ActionOutcome::Failed(RequestError::Failed { code, .. }), control_id, .. }
            if code == "409" && control_id == &start.control_id
    ));
    assert!(client.engine.call(&call).is_some());
}

#[test]
fn call_end_finishes_every_open_stream() {
    let (mut client, call) = answered();
    let a = client
        .engine
        .stream(
            &call,
            "wss://h/a",
            &StreamOptions::new().name("a"),
            client.now,
        )
        .unwrap();
    let b = client
        .engine
        .stream(
            &call,
            "wss://h/b",
            &StreamOptions::new().name("b"),
            client.now,
        )
        .unwrap();
    client.sent();
    assert_eq!(client.engine.stats().actions, 2);
    client.call_state("c1", "ended", Some("hangup"));
    let events = client.drain_events();
    let finished: Vec<(&ControlId, &ActionOutcome)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ActionFinished {
                control_id,
                outcome,
                ..
            } => Some((control_id, outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(finished.len(), 2);
    assert!(finished.contains(&(&a.control_id, &ActionOutcome::CallEnded)));
    assert!(finished.contains(&(&b.control_id, &ActionOutcome::CallEnded)));
    assert!(matches!(events.last(), Some(Event::CallState { .. })));
    assert_eq!(client.engine.stats().actions, 0);
}

#[test]
fn several_streams_run_independently() {
    let (mut client, call) = answered();
    let a = client
        .engine
        .stream(&call, "wss://h/a", &StreamOptions::new(), client.now)
        .unwrap();
    let b = client
        .engine
        .stream(&call, "wss://h/b", &StreamOptions::new(), client.now)
        .unwrap();
    client.sent();
    stream_event(&mut client, &a.control_id, "finished");
    assert!(!client.engine.has_action(&call, &a.control_id));
    assert!(client.engine.has_action(&call, &b.control_id));
}

#[test]
fn session_close_finishes_actions() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    client.sent();
    client.engine.shutdown(client.now);
    let events = client.drain_events();
    assert!(events.contains(&Event::ActionFinished {
        call_id: call,
        control_id: start.control_id,
        kind: ActionKind::Stream,
        outcome: ActionOutcome::SessionClosed
    }));
}

#[test]
fn play_reuses_the_action_mechanism() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .play(
            &call,
            &[PlayMedia::audio("https://h/a.mp3")],
            Some(-3.0),
            client.now,
        )
        .unwrap();
    let frame = client.sent_one("calling.play");
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1", "control_id": start.control_id.as_str(),
               "play": [{"type": "audio", "params": {"url": "https://h/a.mp3"}}], "volume": -3.0})
    );
    client.event(
        "p1",
        "calling.call.play",
        json!({"call_id": "c1", "node_id": "node-1", "control_id": start.control_id.as_str(), "state": "playing"}),
    );
    client
        .engine
        .stop_action(&call, &start.control_id, client.now)
        .unwrap();
    let sent = client.sent();
    assert_eq!(sent.last().unwrap()["method"], "calling.play.stop");
    client.event(
        "p2",
        "calling.call.play",
        json!({"call_id": "c1", "node_id": "node-1", "control_id": start.control_id.as_str(), "state": "finished"}),
    );
    let events = client.drain_events();
    assert!(
        matches!(&events[0], Event::ActionState { kind: ActionKind::Play, state, .. } if state == "playing")
    );
    assert!(matches!(
        &events[1],
        Event::ActionFinished {
            kind: ActionKind::Play,
            outcome: ActionOutcome::Stopped { .. },
            ..
        }
    ));
}

#[test]
fn execute_sends_any_method() {
    let mut client = Client::ready();
    let id = client
        .engine
        .execute("calling.transfer", json!({"dest": "x"}), client.now)
        .unwrap();
    let frame = client.sent_one("calling.transfer");
    assert_eq!(frame["params"], json!({"dest": "x"}));
    client.respond(&frame, json!({"code": "200", "extra": 1}));
    assert_eq!(
        client.drain_events(),
        vec![Event::RequestCompleted {
            request_id: id,
            result: Ok(Payload::from(json!({"code": "200", "extra": 1})))
        }]
    );
    assert_eq!(
        client.engine.execute("x", Value::Null, client.now),
        Err(CommandError::ParamsNotAnObject)
    );
}

#[test]
fn a_stream_that_finishes_without_streaming_is_unsuccessful_with_the_reason() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    let frame = client.sent_one("calling.stream");
    client.respond(&frame, json!({"code": "200", "message": "OK"}));
    client.drain_events();
    let event = json!({"call_id": "c1", "node_id": "node-1",
        "control_id": start.control_id.as_str(), "state": "finished",
        "url": "wss://h", "error": "connection_refused"});
    client.event("st-f", "calling.call.stream", event.clone());
    client.sent();
    let events = client.drain_events();
    let outcome = ActionOutcome::Unsuccessful {
        state: ActionState::Finished,
        reason: Some("connection_refused".into()),
        event: event.into(),
    };
    assert!(!outcome.is_success());
    assert_eq!(
        events,
        vec![Event::ActionFinished {
            call_id: call,
            control_id: start.control_id,
            kind: ActionKind::Stream,
            outcome
        }]
    );
}

#[test]
fn a_stream_finished_without_a_reason_is_unsuccessful_without_one() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    client.sent();
    stream_event(&mut client, &start.control_id, "finished");
    let events = client.drain_events();
    assert!(
        matches!(
            events.last(),
            Some(Event::ActionFinished {
                outcome: ActionOutcome::Unsuccessful {
                    state: ActionState::Finished,
                    reason: None,
                    ..
                },
                ..
            })
        ),
        "{events:?}"
    );
}

#[test]
fn action_states_are_typed_and_only_real_work_is_a_success() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .stream(&call, "wss://h", &StreamOptions::new(), client.now)
        .unwrap();
    client.sent();
    stream_event(&mut client, &start.control_id, "streaming");
    stream_event(&mut client, &start.control_id, "finished");
    let events = client.drain_events();
    assert!(
        matches!(
            &events[..],
            [
                Event::ActionState { state: ActionState::Streaming, .. },
                Event::ActionFinished { outcome, .. },
            ] if outcome.is_success()
        ),
        "{events:?}"
    );
    // A play that ends in `error` did not do its work; the error object's message is kept.
    let play = client
        .engine
        .play(&call, &[PlayMedia::tts("hi")], None, client.now)
        .unwrap();
    client.sent();
    client.event(
        "pl-e",
        "calling.call.play",
        json!({"call_id": "c1", "node_id": "node-1", "control_id": play.control_id.as_str(),
               "state": "error", "error": {"code": "5", "message": "media not found"}}),
    );
    client.sent();
    let events = client.drain_events();
    let [Event::ActionFinished { outcome, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert!(!outcome.is_success());
    assert!(matches!(
        outcome,
        ActionOutcome::Unsuccessful { state: ActionState::Error, reason: Some(r), .. }
            if r == "media not found"
    ));
    assert_eq!(ActionState::from_wire("someday").as_wire(), "someday");
}

/// An event's data travels as the exact text the server sent (spacing, key order and
/// escapes kept), in progress events, outcomes and events of unknown type alike; it is
/// parsed only when read.
#[test]
fn the_payload_of_an_event_is_the_exact_text_the_server_sent() {
    let mut client = Client::ready();
    client.incoming("c1");
    let call = CallId::new("c1");
    let options = StreamOptions::new().control_id("k1");
    client
        .engine
        .stream(&call, "wss://h/a", &options, client.now)
        .expect("stream");
    client.sent();
    client.drain_events();
    let send = |client: &mut Client, event_type: &str, params: &str| {
        let frame = format!(
            r#"{{"jsonrpc":"2.0","id":"e","method":"signalwire.event","params":{{"event_type":"{event_type}","params":{params}}}}}"#
        );
        client.engine.handle_frame(&frame, client.now);
        client.sent();
        client.drain_events()
    };
    let streaming = r#"{ "state":"streaming", "call_id":"c1","control_id" : "k1","url":"wss://h/\u0061","n":1.50}"#;
    let events = send(&mut client, "calling.call.stream", streaming);
    let [Event::ActionState { event, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(event.as_str(), streaming);
    assert_eq!(event.to_value()["url"], "wss://h/a");
    #[derive(serde::Deserialize)]
    struct Url<'a> {
        #[serde(borrow)]
        url: std::borrow::Cow<'a, str>,
    }
    assert_eq!(event.parse::<Url<'_>>().expect("typed").url, "wss://h/a");
    let finished = r#"{"call_id":"c1","control_id":"k1","state":"finished" ,"extra":[{}]}"#;
    let events = send(&mut client, "calling.call.stream", finished);
    let [Event::ActionFinished { outcome, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(outcome.event().map(|e| e.as_str()), Some(finished));
    let other = r#"[1, "two"]"#;
    let events = send(&mut client, "some.future.event", other);
    let [Event::Other { params, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (params.as_str(), params.to_string()),
        (other, other.to_owned())
    );
}
