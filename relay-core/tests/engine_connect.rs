//! The engine's `calling.connect`, `calling.disconnect` and `calling.dial` (§2.1, §2.3 of
//! `docs/CALLING-API.md`): exact frames for every device type and option, the spec's event
//! sequences as typed events, peer legs tracked as calls, and how pending dials end (time-out
//! on virtual time, a fresh session, a shutdown).
#![allow(clippy::unwrap_used)]

mod common;

use common::{ack, config, Client};
use relay_rs_core::{
    CallCodec, CallEvent, CallId, CallState, CommandError, ConnectPlan, ConnectState, Device,
    DialError, DialPlan, DialState, DialTag, Direction, EndReason, Event, HttpMethod, Payload,
    PlayMedia, ProtocolError, RequestError, RequestId,
};
use serde_json::json;
use std::time::Duration;

fn every_dial_device() -> Vec<Device> {
    vec![
        Device::phone()
            .from("+15550001111")
            .to("+15550002222")
            .timeout(Duration::from_millis(29_500))
            .max_duration(Duration::from_secs(3600))
            .call_state_url("https://hooks.example/state")
            .call_state_events([
                CallState::Created,
                CallState::Ringing,
                CallState::Answered,
                CallState::Ended,
            ])
            .confirm("https://swml.example/whisper.yaml")
            .into(),
        Device::sip("sip:me@example.com", "sip:you@example.com")
            .from_name("Front desk")
            .timeout(Duration::from_secs(20))
            .max_duration(Duration::from_secs(60))
            .header("X-Account", "42")
            .codecs([CallCodec::Opus, CallCodec::G722])
            .webrtc_media(false)
            .call_state_url("https://hooks.example/sip")
            .into(),
        Device::webrtc("+15550001111", "support-room")
            .timeout(Duration::from_secs(10))
            .codecs([CallCodec::Pcmu, CallCodec::Vp8])
            .confirm("version: 1.0.0")
            .into(),
        Device::agora("+15550001111", "app-1", "chan-1")
            .to("alice")
            .call_state_events([CallState::Ended])
            .into(),
    ]
}

fn every_dial_device_on_the_wire() -> serde_json::Value {
    json!([
        {"type": "phone", "params": {
            "from_number": "+15550001111", "to_number": "+15550002222", "timeout": 30,
            "max_duration": 3600, "call_state_url": "https://hooks.example/state",
            "call_state_events": ["created", "ringing", "answered", "ended"],
            "confirm": "https://swml.example/whisper.yaml"}},
        {"type": "sip", "params": {
            "from": "sip:me@example.com", "to": "sip:you@example.com", "from_name": "Front desk",
            "timeout": 20, "max_duration": 60, "headers": [{"name": "X-Account", "value": "42"}],
            "codecs": ["OPUS", "G722"], "webrtc_media": false,
            "call_state_url": "https://hooks.example/sip"}},
        {"type": "webrtc", "params": {
            "from": "+15550001111", "to": "support-room", "timeout": 10,
            "codecs": ["PCMU", "VP8"], "confirm": "version: 1.0.0"}},
        {"type": "agora", "params": {
            "from": "+15550001111", "to": "alice", "appid": "app-1", "channel": "chan-1",
            "call_state_events": ["ended"]}},
    ])
}

#[test]
fn dial_sends_every_device_type_and_option_exactly() {
    let mut client = Client::ready();
    let mut devices = every_dial_device().into_iter();
    let first = devices.next().unwrap();
    let plan = DialPlan::single(first)
        .then_parallel(devices)
        .region("eu")
        .max_price_per_minute(0.1)
        .max_duration(Duration::from_secs(121));
    let (id, tag) = client.engine.dial(&plan, client.now).unwrap();
    let frame = client.sent_one("calling.dial");
    let wire = every_dial_device_on_the_wire();
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": "calling.dial", "params": {
            "tag": tag.as_str(),
            "devices": [[wire[0]], [wire[1], wire[2], wire[3]]],
            "region": "eu",
            "max_price_per_minute": 0.1,
            "max_duration": 3,
        }})
    );
}

#[test]
fn dial_refuses_connect_only_devices_and_bad_options_before_sending() {
    let mut client = Client::ready();
    let refused = [
        (
            DialPlan::single(Device::call("n1", "c1")),
            CommandError::ConnectOnlyDevice("call".into()),
        ),
        (
            DialPlan::single(Device::queue("n1", "support")),
            CommandError::ConnectOnlyDevice("queue".into()),
        ),
        (
            DialPlan::single(Device::phone().from("+1").to("+2"))
                .then(Device::stream("wss://a.example/")),
            CommandError::ConnectOnlyDevice("stream".into()),
        ),
        (
            DialPlan::new(),
            CommandError::InvalidOption("the plan has no device".into()),
        ),
        (
            DialPlan::single(Device::phone().from("+1").to("")),
            CommandError::InvalidOption("phone to_number is empty".into()),
        ),
        (
            DialPlan::single(Device::phone().from("+1").to("+2").timeout(Duration::ZERO)),
            CommandError::InvalidOption("phone timeout is zero".into()),
        ),
        (
            DialPlan::single(Device::phone().from("+1").to("+2")).max_price_per_minute(-1.0),
            CommandError::InvalidOption("max_price_per_minute -1 is not a price".into()),
        ),
        (
            DialPlan::single(Device::phone().from("+1").to("+2")).max_duration(Duration::ZERO),
            CommandError::InvalidOption("max_duration is zero".into()),
        ),
        (
            DialPlan::single(
                Device::phone()
                    .from("+1")
                    .to("+2")
                    .call_state_url("ftp://x"),
            ),
            CommandError::InvalidStatusUrl("ftp://x".into()),
        ),
    ];
    for (plan, error) in refused {
        assert_eq!(client.engine.dial(&plan, client.now), Err(error));
    }
    assert!(client.sent().is_empty());
    assert_eq!(client.engine.stats().dials, 0);
}

#[test]
fn a_failed_dial_carries_reason_and_source() {
    let mut client = Client::ready();
    let (_, tag) = client
        .engine
        .dial(
            &DialPlan::single(Device::phone().from("+1").to("+2")),
            client.now,
        )
        .unwrap();
    client.sent();
    client.event(
        "d1",
        "calling.call.dial",
        json!({"tag": tag.as_str(), "node_id": "n", "dial_state": "failed",
               "reason": "noAnswer", "source": "outbound"}),
    );
    let events = client.drain_events();
    let [Event::DialState {
        state: DialState::Failed,
        ..
    }, Event::DialCompleted { result, .. }] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(
        result,
        &Err(DialError::Failed {
            reason: Some("noAnswer".into()),
            source: Some("outbound".into())
        })
    );
    assert_eq!(
        result.clone().unwrap_err().to_string(),
        "the dial failed: noAnswer"
    );
}

#[test]
fn dial_with_no_answer_times_out_on_virtual_time_and_cancels_its_legs() {
    let mut cfg = config();
    cfg.dial_timeout = Duration::from_secs(45);
    let mut client = Client::new(cfg);
    client.connect_and_auth("proto-1");
    client.drain_events();
    let (id, tag) = client
        .engine
        .dial(
            &DialPlan::parallel([
                Device::phone().from("+1").to("+2").into(),
                Device::phone().from("+1").to("+3").into(),
            ]),
            client.now,
        )
        .unwrap();
    let frame = client.sent_one("calling.dial");
    client.respond(&frame, json!({"code": "200", "message": "Dialing"}));
    for leg in ["leg-a", "leg-b"] {
        client.event(
            &format!("s-{leg}"),
            "calling.call.state",
            json!({"call_id": leg, "node_id": "n9", "tag": tag.as_str(),
                   "call_state": "ringing", "direction": "outbound"}),
        );
    }
    client.sent();
    client.drain_events();
    // Pings are answered on the way; the dial's own deadline fires at 45 s.
    let start = client.now;
    let mut ends = Vec::new();
    let mut events = Vec::new();
    while events.is_empty() {
        client.jump();
        for frame in client.sent() {
            if frame["method"] == "signalwire.ping" {
                client.respond(&frame, json!({}));
            } else {
                ends.push(frame);
            }
        }
        events = client.drain_events();
    }
    assert_eq!(client.now - start, Duration::from_secs(45));
    assert_eq!(
        ends.iter().map(|f| f["params"].clone()).collect::<Vec<_>>(),
        vec![
            json!({"node_id": "n9", "call_id": "leg-a", "reason": "cancel"}),
            json!({"node_id": "n9", "call_id": "leg-b", "reason": "cancel"}),
        ]
    );
    assert_eq!(
        events,
        vec![
            Event::DialState {
                request_id: id.clone(),
                tag: tag.clone(),
                state: DialState::TimedOut
            },
            Event::DialCompleted {
                request_id: id,
                tag,
                result: Err(DialError::TimedOut)
            }
        ]
    );
}

#[test]
fn a_dial_pending_across_a_fresh_session_ends_as_session_lost() {
    let mut client = Client::ready();
    let (id, tag) = client
        .engine
        .dial(
            &DialPlan::single(Device::phone().from("+1").to("+2")),
            client.now,
        )
        .unwrap();
    let frame = client.sent_one("calling.dial");
    client.respond(&frame, json!({"code": "200"}));
    client.engine.handle_disconnected(client.now);
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    // Another protocol: the server did not resume the session.
    client.respond(&connect, json!({"protocol": "proto-2"}));
    let events = client.drain_events();
    assert!(events.contains(&Event::DialCompleted {
        request_id: id,
        tag,
        result: Err(DialError::SessionLost)
    }));
    assert_eq!(client.engine.stats().dials, 0);
}

#[test]
fn shutdown_resolves_a_pending_dial() {
    let mut client = Client::ready();
    let (id, tag) = client
        .engine
        .dial(
            &DialPlan::single(Device::phone().from("+1").to("+2")),
            client.now,
        )
        .unwrap();
    let frame = client.sent_one("calling.dial");
    client.respond(&frame, json!({"code": "200"}));
    client.engine.shutdown(client.now);
    let events = client.drain_events();
    assert_eq!(
        events[0],
        Event::DialCompleted {
            request_id: id,
            tag,
            result: Err(DialError::Closed)
        }
    );
}

#[test]
fn connect_sends_every_option_and_every_device_type_exactly() {
    let mut client = Client::ready();
    client.incoming("c1");
    let c1 = CallId::new("c1");
    let mut devices = every_dial_device().into_iter();
    let plan = ConnectPlan::single(devices.next().unwrap())
        .then_parallel(devices)
        .then_parallel([
            Device::call("n2", "c2").into(),
            Device::queue("n3", "support").queue_id("q-1").into(),
            Device::stream("wss://media.example/two-way")
                .name("bot")
                .codec(relay_rs_core::Codec::Pcmu)
                .status_url("https://hooks.example/stream")
                .status_url_method(HttpMethod::Get)
                .realtime(true)
                .authorization_bearer_token("secret")
                .custom_parameter("lang", "en")
                .into(),
        ])
        .ringback([PlayMedia::ringtone("us"), PlayMedia::tts("Please hold")])
        .tag("bridge-1")
        .max_duration(Duration::from_secs(30 * 60))
        .max_price_per_minute(0.02)
        .status_url("https://hooks.example/connect");
    let (id, tag) = client.engine.connect_call(&c1, &plan, client.now).unwrap();
    assert_eq!(tag.as_str(), "bridge-1");
    let frame = client.sent_one("calling.connect");
    let wire = every_dial_device_on_the_wire();
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": "calling.connect", "params": {
            "node_id": "node-1", "call_id": "c1", "tag": "bridge-1",
            "devices": [[wire[0]], [wire[1], wire[2], wire[3]], [
                {"type": "call", "params": {"node_id": "n2", "call_id": "c2"}},
                {"type": "queue", "params": {"node_id": "n3", "queue_name": "support", "queue_id": "q-1"}},
                {"type": "stream", "params": {"url": "wss://media.example/two-way", "name": "bot",
                    "codec": "PCMU", "status_url": "https://hooks.example/stream",
                    "status_url_method": "GET", "realtime": true,
                    "authorization_bearer_token": "secret", "custom_parameters": {"lang": "en"}}},
            ]],
            "ringback": [{"type": "ringtone", "params": {"name": "us"}},
                         {"type": "tts", "params": {"text": "Please hold"}}],
            "max_duration": 30,
            "max_price_per_minute": 0.02,
            "status_url": "https://hooks.example/connect",
        }})
    );
    // A tag is made up when none is given; disconnect is a plain call command.
    let (_, made_up) = connect_c1(&mut client);
    assert_eq!(
        client.sent_one("calling.connect")["params"]["tag"],
        made_up.as_str()
    );
    let id = client.engine.disconnect_call(&c1, client.now).unwrap();
    assert_eq!(
        client.sent_one("calling.disconnect"),
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": "calling.disconnect",
               "params": {"node_id": "node-1", "call_id": "c1"}})
    );
}

#[test]
fn connect_refuses_bad_plans_before_sending() {
    let mut client = Client::ready();
    client.incoming("c1");
    let c1 = CallId::new("c1");
    let cases = [
        (
            ConnectPlan::new(),
            CommandError::InvalidOption("the plan has no device".into()),
        ),
        (
            ConnectPlan::single(Device::stream("ws://media.example/")),
            CommandError::InvalidStreamUrl {
                url: "ws://media.example/".into(),
                reason: "the service requires wss://; ws:// to loopback needs allow_insecure_loopback(true)".into(),
            },
        ),
        (
            a_phone().ringback([PlayMedia::tts("")]),
            CommandError::InvalidOption(format!("cannot play {:?}", PlayMedia::tts(""))),
        ),
        (
            a_phone().status_url("mailto:x"),
            CommandError::InvalidStatusUrl("mailto:x".into()),
        ),
    ];
    for (plan, error) in cases {
        assert_eq!(
            client.engine.connect_call(&c1, &plan, client.now),
            Err(error)
        );
    }
    assert_eq!(
        client
            .engine
            .connect_call(&CallId::new("nope"), &a_phone(), client.now),
        Err(CommandError::UnknownCall(CallId::new("nope")))
    );
    assert!(client.sent().is_empty());
}

/// A plan ringing one phone: what most connect tests bridge to.
fn a_phone() -> ConnectPlan {
    ConnectPlan::single(Device::phone().from("+1").to("+2"))
}

/// Bridges `c1` (offered already) to [`a_phone`]: the request and the tag of the legs.
fn connect_c1(client: &mut Client) -> (RequestId, DialTag) {
    client
        .engine
        .connect_call(&CallId::new("c1"), &a_phone(), client.now)
        .unwrap()
}

fn connect_event(client: &mut Client, id: &str, params: serde_json::Value) {
    client.event(id, "calling.call.connect", params);
}

fn payload(params: serde_json::Value) -> Payload {
    Payload::from_value(&params)
}

#[test]
fn the_spec_sequence_connects_tracks_the_peer_and_disconnects() {
    let mut client = Client::ready();
    client.incoming("c1");
    let (_, tag) = connect_c1(&mut client);
    let frame = client.sent_one("calling.connect");
    client.respond(&frame, json!({"code": "200", "message": "connecting"}));
    client.drain_events();
    connect_event(
        &mut client,
        "k1",
        json!({"call_id": "c1", "node_id": "node-1", "tag": tag.as_str(),
               "connect_state": "connecting"}),
    );
    // The peer leg announces itself with the connect's tag: tracked, not an error.
    for state in ["created", "ringing", "answered"] {
        client.event(
            &format!("p-{state}"),
            "calling.call.state",
            json!({"call_id": "peer-1", "node_id": "node-9", "tag": tag.as_str(),
                   "call_state": state, "direction": "outbound",
                   "device": {"type": "phone", "params": {"from_number": "+1", "to_number": "+2"}}}),
        );
    }
    let peer = json!({"call_id": "peer-1", "node_id": "node-9", "tag": tag.as_str(),
                      "device": {"type": "phone", "params": {"from_number": "+1", "to_number": "+2"}}});
    connect_event(
        &mut client,
        "k2",
        json!({"call_id": "c1", "node_id": "node-1", "tag": tag.as_str(),
               "connect_state": "connected", "peer": peer}),
    );
    assert_eq!(
        client.sent(),
        ["k1", "p-created", "p-ringing", "p-answered", "k2"]
            .map(ack)
            .to_vec()
    );
    let events = client.drain_events();
    let states: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Connect { call_id, update } => {
                Some((call_id.to_string(), update.state.to_string()))
            }
            Event::CallState { call_id, state, .. } => {
                Some((call_id.to_string(), state.to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [
            ("c1", "connecting"),
            ("peer-1", "created"),
            ("peer-1", "ringing"),
            ("peer-1", "answered"),
            ("c1", "connected")
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Protocol(_))));
    let Some(Event::Connect { update, .. }) = events.last() else {
        panic!("{events:?}")
    };
    let peer_info = update.peer.as_ref().unwrap();
    assert_eq!(peer_info.call_id.as_str(), "peer-1");
    assert_eq!(peer_info.node_id.as_str(), "node-9");
    assert_eq!(peer_info.direction, Direction::Outbound);
    assert_eq!(peer_info.to_number(), Some("+2"));
    let tracked = client.engine.call(&CallId::new("peer-1")).unwrap();
    assert_eq!(tracked.state(), CallState::Answered);
    assert_eq!(tracked.direction, Direction::Outbound);

    // The peer can be controlled like any call.
    client
        .engine
        .hangup(&CallId::new("peer-1"), EndReason::Hangup, client.now)
        .unwrap();
    assert_eq!(
        client.sent_one("calling.end")["params"],
        json!({"node_id": "node-9", "call_id": "peer-1", "reason": "hangup"})
    );
    client.event(
        "p-ended",
        "calling.call.state",
        json!({"call_id": "peer-1", "node_id": "node-9", "tag": tag.as_str(),
               "call_state": "ended", "end_reason": "hangup", "direction": "outbound"}),
    );
    connect_event(
        &mut client,
        "k3",
        json!({"call_id": "c1", "node_id": "node-1", "tag": tag.as_str(),
               "connect_state": "disconnected", "peer": peer}),
    );
    client.sent();
    let events = client.drain_events();
    assert!(events.contains(&Event::CallState {
        call_id: CallId::new("peer-1"),
        state: CallState::Ended,
        end_reason: Some(EndReason::Hangup)
    }));
    assert!(matches!(
        events.last(),
        Some(Event::Connect { call_id, update }) if call_id.as_str() == "c1"
            && update.state == ConnectState::Disconnected
    ));
    assert_eq!(client.engine.stats().calls, 1, "the caller goes on");
}

#[test]
fn a_peer_named_only_by_the_connected_event_is_tracked() {
    let mut client = Client::ready();
    client.incoming("c1");
    // Only for a connect this client asked for (a forged peer is not tracked).
    connect_c1(&mut client);
    client.sent();
    connect_event(
        &mut client,
        "k1",
        json!({"call_id": "c1", "node_id": "node-1", "connect_state": "connected",
               "peer": {"call_id": "peer-2", "node_id": "node-2", "tag": "t"}}),
    );
    client.sent();
    client.drain_events();
    let peer = client.engine.call(&CallId::new("peer-2")).unwrap();
    assert_eq!(peer.state(), CallState::Answered);
    assert_eq!(peer.direction, Direction::Outbound);
    // Its end is observed.
    client.event(
        "p-end",
        "calling.call.state",
        json!({"call_id": "peer-2", "node_id": "node-2", "call_state": "ended",
               "end_reason": "hangup"}),
    );
    client.sent();
    assert!(client.drain_events().contains(&Event::CallState {
        call_id: CallId::new("peer-2"),
        state: CallState::Ended,
        end_reason: Some(EndReason::Hangup)
    }));
    assert!(client.engine.call(&CallId::new("peer-2")).is_none());
}

#[test]
fn a_failed_connect_reports_its_reason_and_forgets_its_tag() {
    let mut client = Client::ready();
    client.incoming("c1");
    let c1 = CallId::new("c1");
    let (_, tag) = connect_c1(&mut client);
    client.sent();
    connect_event(
        &mut client,
        "k1",
        json!({"call_id": "c1", "node_id": "node-1", "tag": tag.as_str(),
               "connect_state": "failed", "failed_reason": "busy"}),
    );
    client.sent();
    let events = client.drain_events();
    let [Event::Connect { call_id, update }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(call_id, &c1);
    assert_eq!(update.state, ConnectState::Failed);
    assert_eq!(update.failed_reason.as_deref(), Some("busy"));
    assert_eq!(update.peer, None);
    // A late leg of it is now an unknown call, as any untracked call.
    client.event(
        "late",
        "calling.call.state",
        json!({"call_id": "leg-late", "node_id": "n", "tag": tag.as_str(),
               "call_state": "ringing"}),
    );
    client.sent();
    assert!(matches!(
        client.drain_events()[..],
        [Event::Protocol(
            relay_rs_core::ProtocolError::UnknownCall { .. }
        )]
    ));
}

#[test]
fn connect_events_are_typed_call_events_with_every_call_event() {
    let mut cfg = config();
    cfg.every_call_event = true;
    let mut client = Client::new(cfg);
    client.connect_and_auth("p");
    client.drain_events();
    client.incoming("c1");
    connect_event(
        &mut client,
        "k1",
        json!({"call_id": "c1", "node_id": "node-1", "connect_state": "failed",
               "failed_reason": "noAnswer"}),
    );
    client.sent();
    let events = client.drain_events();
    let Some(Event::CallEvent {
        event: CallEvent::Connect { update, params },
        ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(update.state, ConnectState::Failed);
    assert_eq!(update.failed_reason.as_deref(), Some("noAnswer"));
    assert_eq!(params.to_value()["connect_state"], "failed");
    // An unknown state is kept, and a connect event for an unknown call is refused.
    assert_eq!(
        relay_rs_core::ConnectUpdate::from_wire(&payload(json!({"connect_state": "parked"}))).state,
        ConnectState::Other("parked".into())
    );
    connect_event(
        &mut client,
        "k2",
        json!({"call_id": "zz", "node_id": "n", "connect_state": "connected"}),
    );
    client.sent();
    assert!(matches!(
        client.drain_events()[..],
        [Event::Protocol(
            relay_rs_core::ProtocolError::UnknownCall { .. }
        )]
    ));
}

#[test]
fn a_connect_request_refused_by_the_server_is_a_request_error() {
    let mut client = Client::ready();
    client.incoming("c1");
    let (id, _) = connect_c1(&mut client);
    let frame = client.sent_one("calling.connect");
    client.respond(
        &frame,
        json!({"code": "409", "message": "Call is already connected"}),
    );
    assert_eq!(
        client.drain_events(),
        vec![Event::RequestCompleted {
            request_id: id,
            result: Err(RequestError::Failed {
                code: "409".into(),
                message: "Call is already connected".into()
            })
        }]
    );
}

#[test]
fn connected_without_a_peer_names_the_answered_leg_of_the_tag() {
    let mut client = Client::ready();
    client.incoming("c1");
    let (_, tag) = connect_c1(&mut client);
    client.sent();
    for state in ["created", "answered"] {
        client.event(
            &format!("p-{state}"),
            "calling.call.state",
            json!({"call_id": "leg-1", "node_id": "n7", "tag": tag.as_str(),
                   "call_state": state}),
        );
    }
    connect_event(
        &mut client,
        "k1",
        json!({"call_id": "c1", "node_id": "node-1", "connect_state": "connected"}),
    );
    client.sent();
    let events = client.drain_events();
    let Some(Event::Connect { update, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(update.peer.as_ref().unwrap().call_id.as_str(), "leg-1");
    // A peer with empty ids is no peer.
    let odd = relay_rs_core::ConnectUpdate::from_wire(&payload(
        json!({"connect_state": "connected", "peer": {"call_id": "", "node_id": "n"}}),
    ));
    assert_eq!(odd.peer, None);
}

#[test]
fn odd_connect_events_never_panic() {
    let mut client = Client::ready();
    client.incoming("c1");
    let odd = [
        json!({"call_id": "c1", "connect_state": 7, "peer": "x", "failed_reason": 3}),
        json!({"call_id": "c1", "connect_state": "connected", "peer": {"call_id": 1}}),
        json!({"call_id": "c1", "connect_state": "disconnected", "peer": null, "tag": []}),
        json!({"call_id": 5, "connect_state": "connected"}),
        json!({"connect_state": "failed"}),
        json!([1, 2]),
    ];
    for (i, params) in odd.into_iter().enumerate() {
        connect_event(&mut client, &format!("odd-{i}"), params);
    }
    assert_eq!(client.sent().len(), 6, "each acked");
    let events = client.drain_events();
    let connects = events
        .iter()
        .filter(|e| matches!(e, Event::Connect { .. }))
        .count();
    assert_eq!(connects, 3, "{events:#?}");
    let refused = events
        .iter()
        .filter(|e| {
            matches!(e, Event::Protocol(relay_rs_core::ProtocolError::InvalidEvent { event_type, .. })
                if event_type == "calling.call.connect")
        })
        .count();
    assert_eq!(refused, 3, "{events:#?}");
    assert_eq!(client.engine.stats().calls, 1);
}

#[test]
fn a_malformed_connect_event_is_a_typed_error_acked_and_the_next_one_counts() {
    let mut client = Client::ready();
    client.incoming("c1");
    // A member given twice, and data that is not an object: unreadable, not guessed at.
    for (id, data) in [
        (
            "bad-1",
            r#"{"call_id":"c1","connect_state":"connected","connect_state":"failed"}"#,
        ),
        ("bad-2", r#""connected""#),
    ] {
        let frame = format!(
            r#"{{"jsonrpc":"2.0","id":"{id}","method":"signalwire.event","params":{{"event_type":"calling.call.connect","params":{data}}}}}"#
        );
        client.engine.handle_frame(&frame, client.now);
    }
    assert_eq!(client.sent(), vec![ack("bad-1"), ack("bad-2")]);
    let reasons: Vec<String> = client
        .drain_events()
        .into_iter()
        .map(|event| match event {
            Event::Protocol(ProtocolError::InvalidEvent { event_type, reason })
                if event_type == "calling.call.connect" =>
            {
                reason
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("duplicate field"), "{reasons:?}");
    assert!(reasons[1].contains("invalid type"), "{reasons:?}");
    // Nothing lost: the call is still tracked and its next connect event is read.
    connect_event(
        &mut client,
        "k1",
        json!({"call_id": "c1", "node_id": "node-1", "connect_state": "failed",
               "failed_reason": "busy"}),
    );
    assert_eq!(client.sent(), vec![ack("k1")]);
    let events = client.drain_events();
    let [Event::Connect { call_id, update }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(call_id.as_str(), "c1");
    assert_eq!(update.state, ConnectState::Failed);
    assert_eq!(update.failed_reason.as_deref(), Some("busy"));
    assert_eq!(client.engine.stats().calls, 1);
}

/// A shutdown with calls live ends every action of every call, calls in id order and each
/// call's actions in the order they started, whatever the order the calls came in; a
/// connect in progress and its peer leg, and the calls' digit bindings, are forgotten with
/// them.
#[test]
fn shutdown_with_live_calls_ends_their_actions_in_call_order_and_forgets_connects() {
    let mut client = Client::ready();
    for call in ["c3", "c1", "c2"] {
        client.incoming(call);
    }
    let (_, tag) = connect_c1(&mut client);
    let connect = client.sent_one("calling.connect");
    client.respond(&connect, json!({"code": "200"}));
    client.event(
        "p-created",
        "calling.call.state",
        json!({"call_id": "leg-1", "node_id": "n7", "tag": tag.as_str(),
               "call_state": "created"}),
    );
    client.sent();
    let mut started = Vec::new();
    for call in ["c3", "c2", "c2"] {
        let start = client
            .engine
            .start(
                &CallId::new(call),
                &relay_rs_core::RecordOptions::new(),
                client.now,
            )
            .unwrap();
        let frame = client.sent_one("calling.record");
        client.respond(&frame, json!({"code": "200"}));
        started.push((call, start.control_id));
    }
    client.drain_events();
    assert_eq!(client.engine.stats().connects, 1);

    client.engine.shutdown(client.now);
    let events = client.drain_events();
    let finished = |call: &str, control_id: &relay_rs_core::ControlId| Event::ActionFinished {
        call_id: CallId::new(call),
        control_id: control_id.clone(),
        kind: relay_rs_core::ActionKind::Record,
        outcome: relay_rs_core::ActionOutcome::SessionClosed,
    };
    assert_eq!(
        events,
        vec![
            finished("c2", &started[1].1),
            finished("c2", &started[2].1),
            finished("c3", &started[0].1),
            Event::Closed(relay_rs_core::SessionError::Shutdown),
        ]
    );
    assert_eq!(client.engine.stats(), Default::default());
}
