//! Calls: inbound, state, answer, hangup, dial by tag, cap, and state freed at the end.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ack, config, Client};
use relay_rs_core::CallGone;
use relay_rs_core::{
    CallId, CallState, CommandError, Device, DialError, DialPlan, DialState, Direction, EndReason,
    Event, RequestError,
};
use serde_json::json;
use std::sync::Arc;

#[test]
fn inbound_call_is_typed() {
    let mut client = Client::ready();
    client.event(
        "e1",
        "calling.call.receive",
        json!({"call_id": "c1", "node_id": "n1", "context": "office", "call_state": "ringing",
               "direction": "inbound", "tag": "t", "segment_id": "s", "project_id": "p",
               "device": {"type": "phone", "params": {"from_number": "+1555", "to_number": "+1666"}}}),
    );
    assert_eq!(client.sent(), vec![ack("e1")]);
    let events = client.drain_events();
    let [Event::IncomingCall(call)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(call.call_id, CallId::new("c1"));
    assert_eq!(call.node_id.as_str(), "n1");
    assert_eq!(call.context.as_deref(), Some("office"));
    assert_eq!(call.direction, Direction::Inbound);
    assert_eq!(call.state(), CallState::Ringing);
    assert_eq!(
        call.device().cloned(),
        Some(Device::phone().from("+1555").to("+1666").into())
    );
}

/// A call's device is read on first use; a device that is not one (here a string, then an
/// object without a type) still reads as none, and a later state event's device fills it in.
#[test]
fn a_malformed_device_reads_as_none_until_a_state_event_brings_one() {
    let mut client = Client::ready();
    client.event(
        "e1",
        "calling.call.receive",
        json!({"call_id": "c1", "node_id": "n1", "call_state": "ringing", "device": "phone"}),
    );
    client.sent();
    let events = client.drain_events();
    let [Event::IncomingCall(call)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!((call.device(), call.from_number()), (None, None));
    let phone = Device::from(Device::phone().from("+1555").to("+1666"));
    for (device, expected) in [
        (json!({"params": {"from_number": "+1"}}), None),
        (
            json!({"type": "phone", "params": {"from_number": "+1555", "to_number": "+1666"}}),
            Some(&phone),
        ),
        // A later device does not replace the one already known.
        (
            json!({"type": "sip", "params": {"from": "a", "to": "b"}}),
            Some(&phone),
        ),
    ] {
        client.event(
            "s1",
            "calling.call.state",
            json!({"call_id": "c1", "node_id": "n1", "call_state": "ringing", "device": device}),
        );
        client.sent();
        client.drain_events();
        assert_eq!(call.device(), expected);
    }
    assert_eq!(call.to_number(), Some("+1666"));
    let record = client.engine.call(&CallId::new("c1")).unwrap();
    assert!(Arc::ptr_eq(record, call));
}

#[test]
fn answer_and_hangup_send_exact_frames() {
    let mut client = Client::ready();
    client.incoming("c1");
    let call = CallId::new("c1");
    let id = client.engine.answer(&call, client.now).unwrap();
    let frame = client.sent_one("calling.answer");
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": "calling.answer",
               "params": {"node_id": "node-1", "call_id": "c1"}})
    );
    client.respond(&frame, json!({"code": "200", "message": "Answered"}));
    assert!(matches!(
        &client.drain_events()[..],
        [Event::RequestCompleted { result: Ok(_), .. }]
    ));
    client.call_state("c1", "answered", None);
    assert_eq!(
        client.engine.call(&call).unwrap().state(),
        CallState::Answered
    );
    client
        .engine
        .hangup(&call, EndReason::Busy, client.now)
        .unwrap();
    let frame = client.sent().pop().unwrap();
    assert_eq!(frame["method"], "calling.end");
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1", "reason": "busy"})
    );
}

#[test]
fn ended_call_reports_its_reason_and_is_freed() {
    let mut client = Client::ready();
    client.incoming("c1");
    client.call_state("c1", "ending", None);
    client.call_state("c1", "ended", Some("noAnswer"));
    let events = client.drain_events();
    assert_eq!(
        events.last().unwrap(),
        &Event::CallState {
            call_id: CallId::new("c1"),
            state: CallState::Ended,
            end_reason: Some(EndReason::NoAnswer)
        }
    );
    assert_eq!(client.engine.stats().calls, 0);
    // A call seen ending is gone, not unknown.
    assert_eq!(
        client.engine.answer(&CallId::new("c1"), client.now),
        Err(CommandError::CallGone(CallGone::ended(CallId::new("c1"))))
    );
}

#[test]
fn commands_on_unknown_calls_are_refused_before_sending() {
    let mut client = Client::ready();
    assert_eq!(
        client.engine.answer(&CallId::new("nope"), client.now),
        Err(CommandError::UnknownCall(CallId::new("nope")))
    );
    assert!(client.sent().is_empty());
}

#[test]
fn dial_is_correlated_by_tag() {
    let mut client = Client::ready();
    let plan = DialPlan::single(Device::phone().from("+1000").to("+2000"));
    let (id, tag) = client.engine.dial(&plan, client.now).unwrap();
    let frame = client.sent_one("calling.dial");
    assert_eq!(
        frame["params"],
        json!({"tag": tag.as_str(), "devices": [[{"type": "phone",
               "params": {"from_number": "+1000", "to_number": "+2000"}}]]})
    );
    client.respond(&frame, json!({"code": "200", "message": "Dialing"}));
    assert!(client.drain_events().is_empty());
    for state in ["created", "ringing", "answered"] {
        client.event(
            &format!("s-{state}"),
            "calling.call.state",
            json!({"call_id": "out1", "node_id": "n9", "tag": tag.as_str(),
                   "call_state": state, "direction": "outbound"}),
        );
    }
    client.event(
        "d1",
        "calling.call.dial",
        json!({"tag": tag.as_str(), "node_id": "n9", "dial_state": "answered",
               "call": {"call_id": "out1", "node_id": "n9", "tag": tag.as_str(),
                        "call_state": "answered",
                        "device": {"type": "phone", "params": {"from_number": "+1000", "to_number": "+2000"}}}}),
    );
    let events = client.drain_events();
    let Some(Event::DialCompleted {
        request_id,
        tag: got_tag,
        result: Ok(call),
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(request_id, &id);
    assert_eq!(got_tag, &tag);
    assert_eq!(call.call_id.as_str(), "out1");
    assert_eq!(call.direction, Direction::Outbound);
    assert_eq!(call.state(), CallState::Answered);
    assert_eq!(client.engine.stats().dials, 0);
    assert_eq!(client.engine.stats().calls, 1);
}

#[test]
fn failed_dial_reports_failure() {
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
        json!({"tag": tag.as_str(), "node_id": "n", "dial_state": "failed"}),
    );
    assert!(matches!(
        &client.drain_events()[..],
        [
            Event::DialState {
                state: DialState::Failed,
                ..
            },
            Event::DialCompleted {
                result: Err(DialError::Failed {
                    reason: None,
                    source: None
                }),
                ..
            }
        ]
    ));
    assert_eq!(client.engine.stats().dials, 0);
}

#[test]
fn dial_request_error_completes_the_dial() {
    let mut client = Client::ready();
    client
        .engine
        .dial(
            &DialPlan::single(Device::phone().from("+1").to("+2")),
            client.now,
        )
        .unwrap();
    let frame = client.sent_one("calling.dial");
    client.respond(&frame, json!({"code": "403", "message": "no"}));
    assert!(matches!(
        &client.drain_events()[..],
        [Event::DialCompleted {
            result: Err(DialError::Request(RequestError::Failed { .. })),
            ..
        }]
    ));
}

#[test]
fn active_call_cap_passes_inbound_and_refuses_dial() {
    let mut cfg = config();
    cfg.max_active_calls = Some(1);
    let mut client = Client::new(cfg);
    client.connect_and_auth("p");
    client.drain_events();
    client.incoming("c1");
    client.offer("e2", "c2", "n2");
    let sent = client.sent();
    assert_eq!(sent[0], ack("e2"));
    assert_eq!(sent[1]["method"], "calling.pass");
    assert_eq!(sent[1]["params"], json!({"node_id": "n2", "call_id": "c2"}));
    assert_eq!(
        client.drain_events(),
        vec![Event::CallPassed {
            call_id: CallId::new("c2"),
            limit: 1
        }]
    );
    assert_eq!(
        client.engine.dial(
            &DialPlan::single(Device::phone().from("+1").to("+2")),
            client.now
        ),
        Err(CommandError::TooManyCalls { limit: 1 })
    );
}

#[test]
fn calls_survive_a_reconnect() {
    let mut client = Client::ready();
    client.incoming("c1");
    client.engine.handle_disconnected(client.now);
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "proto-1"}));
    client
        .engine
        .answer(&CallId::new("c1"), client.now)
        .unwrap();
    client.sent_one("calling.answer");
}

#[test]
fn a_hundred_thousand_calls_leave_empty_tables() {
    let mut client = Client::ready();
    for i in 0..100_000u32 {
        let call = format!("c{i}");
        client.incoming(&call);
        let call_id = CallId::new(call.as_str());
        client.engine.answer(&call_id, client.now).unwrap();
        let answer = client.sent().pop().unwrap();
        client.respond(&answer, json!({"code": "200"}));
        if i % 2 == 0 {
            client
                .engine
                .stream(
                    &call_id,
                    "wss://example.com/a",
                    &Default::default(),
                    client.now,
                )
                .unwrap();
            let stream = client.sent().pop().unwrap();
            client.respond(&stream, json!({"code": "200"}));
        }
        client.call_state(&call, "ended", Some("hangup"));
        client.sent();
        client.drain_events();
    }
    assert_eq!(client.engine.stats(), Default::default());
}

fn dial(client: &mut Client) -> (relay_rs_core::RequestId, relay_rs_core::DialTag) {
    client
        .engine
        .dial(
            &DialPlan::single(Device::phone().from("+1").to("+2")),
            client.now,
        )
        .unwrap()
}

fn dial_results(events: &[Event]) -> Vec<Result<CallId, DialError>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::DialCompleted { result, .. } => {
                Some(result.clone().map(|call| call.call_id.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_dial_with_no_answer_times_out_after_120_seconds() {
    let mut client = Client::ready();
    let (id, tag) = dial(&mut client);
    let frame = client.sent_one("calling.dial");
    client.respond(&frame, json!({"code": "200", "message": "Dialing"}));
    client.event(
        "s1",
        "calling.call.state",
        json!({"call_id": "out1", "node_id": "n9", "tag": tag.as_str(),
               "call_state": "ringing", "direction": "outbound"}),
    );
    client.sent();
    client.drain_events();
    // Pings answered along the way; the dial deadline is what fires, at 120 s.
    let start = client.now;
    let mut other = Vec::new();
    let mut events = Vec::new();
    while events.is_empty() {
        client.jump();
        for frame in client.sent() {
            if frame["method"] == "signalwire.ping" {
                client.respond(&frame, json!({}));
            } else {
                other.push(frame);
            }
        }
        events = client.drain_events();
    }
    assert_eq!(client.now - start, std::time::Duration::from_secs(120));
    // The ringing call nobody will control is cancelled.
    assert_eq!(other.len(), 1, "{other:?}");
    assert_eq!(other[0]["method"], "calling.end");
    assert_eq!(
        other[0]["params"],
        json!({"node_id": "n9", "call_id": "out1", "reason": "cancel"})
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
    assert_eq!(client.engine.stats().dials, 0);
}

#[test]
fn the_dial_time_out_is_configurable_and_covers_an_unanswered_request() {
    let mut cfg = config();
    cfg.dial_timeout = std::time::Duration::from_secs(5);
    let mut client = Client::new(cfg);
    client.connect_and_auth("p");
    client.drain_events();
    let (id, tag) = dial(&mut client);
    client.sent_one("calling.dial");
    assert_eq!(client.jump(), std::time::Duration::from_secs(5));
    assert_eq!(
        client.drain_events(),
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
    // Its request is gone too: nothing completes it a second time.
    assert_eq!(client.engine.stats().pending_requests, 0);
}

#[test]
fn dials_complete_once_when_a_fresh_session_replaces_the_old_one() {
    let mut client = Client::ready();
    let (accepted, _) = dial(&mut client);
    let frame = client.sent_one("calling.dial");
    client.respond(&frame, json!({"code": "200"}));
    let (in_flight, _) = dial(&mut client);
    client.sent_one("calling.dial");
    client.engine.handle_disconnected(client.now);
    // Made while disconnected: it waits and goes out on the new session.
    let (queued, queued_tag) = dial(&mut client);
    let mut events = client.drain_events();
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "proto-2"}));
    let sent = client.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["id"], queued.as_str());
    client.respond(&sent[0], json!({"code": "200"}));
    events.extend(client.drain_events());
    // Then a long wait: nothing completes twice, and only the queued dial remains.
    client.advance(std::time::Duration::from_secs(60));
    events.extend(client.drain_events());
    let completed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::DialCompleted {
                request_id, result, ..
            } => Some((request_id.clone(), result.clone().err())),
            _ => None,
        })
        .collect();
    assert_eq!(
        completed,
        vec![
            (
                in_flight,
                Some(DialError::Request(RequestError::ConnectionLost))
            ),
            (accepted, Some(DialError::SessionLost)),
        ]
    );
    assert_eq!(client.engine.stats().dials, 1);
    client.event(
        "d1",
        "calling.call.dial",
        json!({"tag": queued_tag.as_str(), "node_id": "n", "dial_state": "failed"}),
    );
    assert_eq!(
        dial_results(&client.drain_events()),
        vec![Err(DialError::Failed {
            reason: None,
            source: None
        })]
    );
}

#[test]
fn shutdown_completes_every_dial_before_closed() {
    let mut client = Client::ready();
    let (accepted, _) = dial(&mut client);
    let frame = client.sent_one("calling.dial");
    client.respond(&frame, json!({"code": "200"}));
    let (in_flight, _) = dial(&mut client);
    client.engine.shutdown(client.now);
    let events = client.drain_events();
    let completed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::DialCompleted {
                request_id, result, ..
            } => Some((request_id.clone(), result.clone().err())),
            _ => None,
        })
        .collect();
    let mut expected = vec![
        (accepted, Some(DialError::Closed)),
        (in_flight, Some(DialError::Closed)),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let mut completed_sorted = completed.clone();
    completed_sorted.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(completed_sorted, expected);
    assert_eq!(events.len(), 3, "two dials, then Closed: {events:?}");
    assert!(matches!(events.last(), Some(Event::Closed(_))));
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::RequestCompleted { .. })));
}

#[test]
fn the_default_cap_is_a_thousand_and_the_next_offer_is_passed() {
    let mut client = Client::ready();
    assert_eq!(client.engine.config().max_active_calls, Some(1000));
    for i in 0..1000 {
        client.incoming(&format!("c{i}"));
    }
    client.offer("e-over", "c-over", "n-over");
    let sent = client.sent();
    assert_eq!(sent[0], ack("e-over"));
    assert_eq!(sent[1]["method"], "calling.pass");
    assert_eq!(
        sent[1]["params"],
        json!({"node_id": "n-over", "call_id": "c-over"})
    );
    assert_eq!(
        client.drain_events(),
        vec![Event::CallPassed {
            call_id: CallId::new("c-over"),
            limit: 1000
        }]
    );
    assert_eq!(client.engine.stats().calls, 1000);
}

#[test]
fn a_state_event_without_call_state_leaves_the_call_as_it_was() {
    let mut client = Client::ready();
    client.incoming("c1");
    client.call_state("c1", "answered", None);
    client.sent();
    client.drain_events();
    client.event(
        "s-none",
        "calling.call.state",
        json!({"call_id": "c1", "node_id": "node-1"}),
    );
    assert_eq!(client.sent(), vec![ack("s-none")]);
    assert_eq!(
        client.drain_events(),
        vec![Event::Protocol(
            relay_rs_core::ProtocolError::InvalidEvent {
                event_type: "calling.call.state".into(),
                reason: "no call_state".into()
            }
        )]
    );
    assert_eq!(
        client.engine.call(&CallId::new("c1")).unwrap().state(),
        CallState::Answered
    );
}

#[test]
fn an_empty_call_id_is_refused_never_tracked() {
    let mut client = Client::ready();
    client.offer("r-empty", "", "n1");
    // Acked (the frame was received), never answered.
    assert_eq!(client.sent(), vec![ack("r-empty")]);
    assert_eq!(
        client.drain_events(),
        vec![Event::Protocol(
            relay_rs_core::ProtocolError::InvalidEvent {
                event_type: "calling.call.receive".into(),
                reason: "no call_id or node_id".into()
            }
        )]
    );
    client.event(
        "s-empty",
        "calling.call.state",
        json!({"call_id": "", "node_id": "n1", "call_state": "answered"}),
    );
    client.sent();
    assert!(matches!(
        client.drain_events()[..],
        [Event::Protocol(
            relay_rs_core::ProtocolError::InvalidEvent { .. }
        )]
    ));
    assert_eq!(client.engine.stats().calls, 0);
    assert_eq!(
        client.engine.answer(&CallId::new(""), client.now),
        Err(CommandError::UnknownCall(CallId::new("")))
    );
}

#[test]
fn hangup_after_the_far_end_hung_up_is_call_gone() {
    let mut client = Client::ready();
    client.incoming("c1");
    client.call_state("c1", "ended", Some("hangup"));
    client.sent();
    client.drain_events();
    let c1 = CallId::new("c1");
    assert!(client.engine.call_has_ended(&c1));
    assert_eq!(
        client.engine.hangup(&c1, EndReason::Hangup, client.now),
        Err(CommandError::CallGone(CallGone::ended(c1.clone())))
    );
    assert_eq!(
        client.engine.answer(&c1, client.now),
        Err(CommandError::CallGone(CallGone::ended(c1.clone())))
    );
    assert!(client.sent().is_empty());
    // A repeat of its offer (e.g. after a resume) does not bring it back.
    client.event(
        "r-again",
        "calling.call.receive",
        json!({"call_id": "c1", "node_id": "node-1", "context": "office"}),
    );
    client.sent();
    assert!(client.drain_events().is_empty());
}

#[test]
fn a_404_or_410_reply_to_a_command_is_a_distinct_gone_error() {
    for code in ["404", "410"] {
        let mut client = Client::ready();
        client.incoming("c1");
        let c1 = CallId::new("c1");
        let id = client
            .engine
            .hangup(&c1, EndReason::Hangup, client.now)
            .unwrap();
        let frame = client.sent_one("calling.end");
        client.respond(&frame, json!({"code": code, "message": "gone"}));
        let events = client.drain_events();
        assert!(events.contains(&Event::RequestCompleted {
            request_id: id,
            result: Err(RequestError::CallGone(
                CallGone::server(code, "gone").of(c1.clone())
            ))
        }));
        assert_eq!(
            client.engine.answer(&c1, client.now),
            Err(CommandError::CallGone(CallGone::ended(c1)))
        );
    }
}

#[test]
fn a_dial_takes_the_apps_tag_and_time_out_and_reports_its_states() {
    let mut client = Client::ready();
    let plan = DialPlan::single(Device::phone().from("+1").to("+2"))
        .tag("order-42")
        .timeout(std::time::Duration::from_secs(5));
    let (id, tag) = client.engine.dial(&plan, client.now).unwrap();
    assert_eq!(tag.as_str(), "order-42");
    let frame = client.sent_one("calling.dial");
    assert_eq!(frame["params"]["tag"], "order-42");
    // The tag names a pending dial now: refused, as is an empty one; nothing goes out.
    for bad in ["order-42", ""] {
        let plan = DialPlan::single(Device::phone().from("+1").to("+3")).tag(bad);
        assert_eq!(
            client.engine.dial(&plan, client.now),
            Err(CommandError::InvalidDialTag(relay_rs_core::DialTag::new(
                bad
            )))
        );
    }
    assert!(client.sent().is_empty());
    client.respond(&frame, json!({"code": "200", "message": "Dialing"}));
    client.event(
        "d1",
        "calling.call.dial",
        json!({"tag": "order-42", "node_id": "n", "dial_state": "dialing"}),
    );
    client.sent();
    assert_eq!(
        client.drain_events(),
        vec![Event::DialState {
            request_id: id.clone(),
            tag: tag.clone(),
            state: DialState::Dialing
        }]
    );
    // Its own time-out, not the configured 120 s.
    assert_eq!(client.jump(), std::time::Duration::from_secs(5));
    assert_eq!(
        dial_results(&client.drain_events()),
        vec![Err(DialError::TimedOut)]
    );
    assert_eq!(
        client.engine.dial(
            &DialPlan::single(Device::phone().from("+1").to("+2"))
                .timeout(std::time::Duration::ZERO),
            client.now
        ),
        Err(CommandError::InvalidOption("dial timeout is zero".into()))
    );
}

/// One record per call: the `CallInfo` an `IncomingCall` hands out is the engine's own, so
/// a state the engine records later is what every holder of it reads, with no copy to
/// refresh; and once the call ends the engine lets go of it.
#[test]
fn the_incoming_call_is_the_engines_record_and_follows_its_state() {
    let mut client = Client::ready();
    client.offer("e1", "c1", "n1");
    let events = client.drain_events();
    let [Event::IncomingCall(call)] = &events[..] else {
        panic!("{events:?}")
    };
    let call = call.clone();
    drop(events);
    let id = CallId::new("c1");
    assert!(Arc::ptr_eq(&call, client.engine.call(&id).unwrap()));
    client.call_state("c1", "answered", None);
    assert_eq!(call.state(), CallState::Answered);
    client.call_state("c1", "ended", Some("hangup"));
    client.drain_events();
    assert_eq!(call.state(), CallState::Ended);
    assert!(client.engine.call(&id).is_none());
    assert_eq!(
        Arc::strong_count(&call),
        1,
        "the engine still holds the record"
    );
}

/// A dialled call is announced with the record the engine tracks, in the answered state.
#[test]
fn a_completed_dial_carries_the_engines_record() {
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
        json!({"tag": tag.as_str(), "node_id": "n1", "dial_state": "answered",
               "call": {"call_id": "out-1", "node_id": "n1", "tag": tag.as_str(), "call_state": "answered"}}),
    );
    let events = client.drain_events();
    let Some(Event::DialCompleted {
        result: Ok(call), ..
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    let record = client.engine.call(&CallId::new("out-1")).unwrap();
    assert!(Arc::ptr_eq(call, record));
    assert_eq!(call.state(), CallState::Answered);
    assert_eq!(call.direction, Direction::Outbound);
}
