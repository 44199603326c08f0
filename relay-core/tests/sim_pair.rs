//! The real client engine against the fake relay, in memory with virtual time: connect,
//! inbound calls, streams end to end, pings, half-open sockets, disconnects and resume.
#![allow(clippy::unwrap_used)]

use relay_rs_core::sim::{Fault, Pair, SimConfig, SimOutput, NO_ANSWER_NUMBER};
use relay_rs_core::CallGone;
use relay_rs_core::Payload;
use relay_rs_core::{
    ActionKind, ActionOutcome, ActionState, CallId, CallState, Codec, ControlId, Credentials,
    Device, DialError, DialPlan, EndReason, EngineConfig, Event, HttpMethod, PlayMedia,
    RequestError, SessionError, StreamOptions, Track,
};
use serde_json::{json, Value};
use std::time::Duration;

fn engine_config() -> EngineConfig {
    EngineConfig::new(Credentials::token("project", "token")).contexts(["office"])
}

fn ready(sim: SimConfig) -> Pair {
    let mut pair = Pair::new(engine_config(), sim);
    assert!(pair.open());
    pair.events();
    pair
}

/// A ready pair with an answered inbound call.
fn answered(sim: SimConfig) -> (Pair, CallId) {
    let mut pair = ready(sim);
    let call_id = pair
        .relay
        .offer_inbound_call("office", "+15551110000", "+15552220000", pair.now)
        .unwrap();
    pair.step();
    pair.engine.answer(&call_id, pair.now).unwrap();
    pair.step();
    pair.events();
    (pair, call_id)
}

fn start_stream(pair: &mut Pair, call_id: &CallId, control: &str) -> ControlId {
    let options = StreamOptions::new().control_id(control);
    let start = pair
        .engine
        .stream(call_id, "wss://media.example/audio", &options, pair.now)
        .unwrap();
    pair.step();
    pair.events();
    pair.relay_outputs();
    start.control_id
}

fn finished_outcome(events: &[Event], control: &ControlId) -> Option<ActionOutcome> {
    events.iter().find_map(|e| match e {
        Event::ActionFinished {
            control_id,
            outcome,
            ..
        } if control_id == control => Some(outcome.clone()),
        _ => None,
    })
}

#[test]
fn connects_and_authenticates() {
    let mut pair = Pair::new(engine_config(), SimConfig::new());
    assert!(pair.open());
    let protocol = pair.engine.protocol().unwrap().to_owned();
    assert_eq!(
        pair.events(),
        [Event::Ready {
            protocol: protocol.clone(),
            resumed: false
        }]
    );
    let conn = pair.conn().unwrap();
    assert_eq!(pair.relay.session_of(conn), Some(protocol.as_str()));
    assert_eq!(
        pair.engine.identity(),
        Some(format!("project@{protocol}").as_str())
    );
    assert!(pair.engine.has_authorization_state());
    assert_eq!(
        pair.relay.unacked_events(),
        0,
        "the engine acked auth state"
    );
    let connect = &pair.relay.requests("signalwire.connect")[0];
    assert_eq!(connect["params"]["contexts"], json!(["office"]));
}

#[test]
fn bad_credentials_end_the_session_after_three_rejections() {
    let config = EngineConfig::new(Credentials::token("project", "wrong"));
    let mut pair = Pair::new(config, SimConfig::new());
    pair.engine.open(pair.now);
    assert!(pair.run_until(|p| p.engine.is_closed(), Duration::from_secs(60)));
    let events = pair.events();
    let rejected = events
        .iter()
        .filter(|e| matches!(e, Event::AuthRejected { code: -32002, .. }))
        .count();
    assert_eq!(rejected, 3);
    assert!(matches!(
        events.last(),
        Some(Event::Closed(SessionError::AuthRejected {
            attempts: 3,
            ..
        }))
    ));
    assert_eq!(pair.relay.sessions(), 0);
}

#[test]
fn an_inbound_call_is_offered_and_answered() {
    let mut pair = ready(SimConfig::new());
    let call_id = pair
        .relay
        .offer_inbound_call("office", "+15551110000", "+15552220000", pair.now)
        .unwrap();
    pair.step();
    let events = pair.events();
    let [Event::IncomingCall(info)] = events.as_slice() else {
        panic!("{events:#?}");
    };
    assert_eq!(info.call_id, call_id);
    assert_eq!(info.context.as_deref(), Some("office"));
    assert_eq!(info.from_number(), Some("+15551110000"));
    assert_eq!(info.state(), CallState::Ringing);
    let request = pair.engine.answer(&call_id, pair.now).unwrap();
    pair.step();
    let events = pair.events();
    assert_eq!(
        events,
        [
            Event::RequestCompleted {
                request_id: request,
                result: Ok(Payload::from(
                    json!({"code": "200", "message": "Answering call"})
                ))
            },
            Event::CallState {
                call_id: call_id.clone(),
                state: CallState::Answered,
                end_reason: None
            }
        ]
    );
    assert_eq!(pair.relay.call_state(&call_id), Some("answered"));
    assert_eq!(
        pair.engine.call(&call_id).unwrap().state(),
        CallState::Answered
    );
}

#[test]
fn every_stream_option_reaches_the_relay_exactly() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let options = StreamOptions::new()
        .name("transcriber")
        .codec(Codec::Pcma)
        .track(Track::Both)
        .status_url("https://hooks.example/status")
        .status_url_method(HttpMethod::Get)
        .authorization_bearer_token("bearer-1")
        .custom_parameter("lang", "en")
        .control_id("ctl-1");
    let start = pair
        .engine
        .stream(&call_id, "wss://media.example/audio", &options, pair.now)
        .unwrap();
    pair.step();
    let node_id = pair.relay.node_id(&call_id).unwrap().as_str().to_owned();
    let stream = &pair.relay.requests("calling.stream")[0];
    assert_eq!(stream["id"], start.request_id.as_str());
    assert_eq!(
        stream["params"],
        json!({"node_id": node_id, "call_id": call_id.as_str(), "control_id": "ctl-1",
               "url": "wss://media.example/audio", "name": "transcriber", "codec": "PCMA",
               "track": "both_tracks", "status_url": "https://hooks.example/status",
               "status_url_method": "GET", "authorization_bearer_token": "bearer-1",
               "custom_parameters": {"lang": "en"}})
    );
    let outputs = pair.relay_outputs();
    let [SimOutput::StartMedia(job)] = outputs.as_slice() else {
        panic!("{outputs:#?}");
    };
    assert_eq!(job.track, "both_tracks");
    assert_eq!(job.bearer_token.as_deref(), Some("bearer-1"));
    assert_eq!(job.status_url_method, HttpMethod::Get);
    let events = pair.events();
    assert!(
        matches!(&events[0], Event::RequestCompleted { result: Ok(r), .. }
        if r.get("message") == Some(json!("Stream started")))
    );
}

#[test]
fn auto_media_reaches_the_engine_as_streaming_then_finished() {
    let (mut pair, call_id) = answered(SimConfig::new().auto_media(Duration::from_secs(30)));
    let control = ControlId::new("s1");
    let options = StreamOptions::new().control_id("s1");
    pair.engine
        .stream(&call_id, "wss://a.example", &options, pair.now)
        .unwrap();
    pair.step();
    let events = pair.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::ActionState { control_id, kind: ActionKind::Stream, state, .. }
            if *control_id == control && state == "streaming")));
    assert!(finished_outcome(&events, &control).is_none());
    pair.advance(Duration::from_secs(30));
    let events = pair.events();
    let outcome = finished_outcome(&events, &control).unwrap();
    assert!(
        matches!(&outcome, ActionOutcome::Finished { state, .. } if state == "finished"),
        "{outcome:?}"
    );
    assert!(outcome.is_success());
    assert!(!pair.engine.has_action(&call_id, &control));
}

#[test]
fn driver_reported_media_reaches_the_engine() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let control = start_stream(&mut pair, &call_id, "s1");
    pair.relay.media_started(&control, pair.now);
    pair.step();
    let events = pair.events();
    assert!(matches!(&events[..], [Event::ActionState { state, .. }] if state == "streaming"));
    pair.relay
        .media_failed(&control, "connection_refused", pair.now);
    pair.step();
    let outcome = finished_outcome(&pair.events(), &control).unwrap();
    assert!(matches!(outcome, ActionOutcome::Finished { state, .. } if state == "finished"));
}

#[test]
fn engine_stop_ends_the_stream_as_stopped() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let control = start_stream(&mut pair, &call_id, "s1");
    pair.engine
        .stop_action(&call_id, &control, pair.now)
        .unwrap();
    pair.step();
    let outcome = finished_outcome(&pair.events(), &control).unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Stopped { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        pair.relay_outputs(),
        [SimOutput::StopMedia {
            call_id: call_id.clone(),
            control_id: control
        }]
    );
    assert!(pair.relay.active_streams(&call_id).is_empty());
}

#[test]
fn server_pings_are_acked() {
    let mut pair = ready(SimConfig::new().ping_interval(Duration::from_secs(10)));
    let acks = pair.relay.acks_received();
    pair.advance(Duration::from_secs(25));
    assert_eq!(pair.relay.acks_received(), acks + 2);
    assert!(pair.engine.is_ready());
}

#[test]
fn three_missed_pings_reconnect_and_resume() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let protocol = pair.engine.protocol().unwrap().to_owned();
    let first_conn = pair.conn().unwrap();
    pair.relay.set_fault(Fault::Silent);
    let started = pair.now;
    assert!(pair.run_until(|p| !p.engine.is_ready(), Duration::from_secs(200)));
    assert_eq!(
        pair.now - started,
        Duration::from_secs(120),
        "3 pings missed, then dead"
    );
    assert_eq!(pair.relay.requests("signalwire.ping").len(), 3);
    assert!(!pair.relay.connections().contains(&first_conn));
    assert!(pair
        .events()
        .iter()
        .any(|e| matches!(e, Event::Disconnected { .. })));
    pair.relay.clear_faults();
    assert!(pair.run_until(|p| p.engine.is_ready(), Duration::from_secs(60)));
    assert_eq!(
        pair.events(),
        [Event::Ready {
            protocol: protocol.clone(),
            resumed: true
        }]
    );
    let connects = pair.relay.requests("signalwire.connect");
    let params = &connects.last().unwrap()["params"];
    assert_eq!(params["protocol"], protocol.as_str());
    assert!(params["authorization_state"].is_string());
    // The call survived and still works.
    pair.engine
        .hangup(&call_id, EndReason::Hangup, pair.now)
        .unwrap();
    pair.step();
    assert_eq!(pair.relay.call_state(&call_id), Some("ended"));
}

#[test]
fn disconnect_without_restart_resumes_the_session() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let protocol = pair.engine.protocol().unwrap().to_owned();
    let conn = pair.conn().unwrap();
    pair.relay.send_disconnect(conn, false, pair.now);
    assert!(pair.run_until(
        |p| p.engine.is_ready() && p.conn() != Some(conn),
        Duration::from_secs(5)
    ));
    let events = pair.events();
    assert_eq!(
        events.last(),
        Some(&Event::Ready {
            protocol,
            resumed: true
        })
    );
    assert!(pair.engine.call(&call_id).is_some());
    assert_eq!(pair.relay.sessions(), 1);
}

#[test]
fn disconnect_with_restart_starts_a_fresh_session() {
    let mut pair = ready(SimConfig::new());
    let old = pair.engine.protocol().unwrap().to_owned();
    let conn = pair.conn().unwrap();
    pair.relay.send_disconnect(conn, true, pair.now);
    assert!(pair.run_until(
        |p| p.engine.is_ready() && p.conn() != Some(conn),
        Duration::from_secs(5)
    ));
    let fresh = pair.engine.protocol().unwrap().to_owned();
    assert_ne!(fresh, old);
    assert_eq!(
        pair.events().last(),
        Some(&Event::Ready {
            protocol: fresh,
            resumed: false
        })
    );
    let connect = pair.relay.requests("signalwire.connect").pop().unwrap();
    assert!(connect["params"].get("protocol").is_none());
    assert!(connect["params"].get("authorization_state").is_none());
    assert_eq!(pair.relay.sessions(), 1);
}

#[test]
fn a_far_end_hangup_during_a_stream_finishes_it_as_call_ended() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let control = start_stream(&mut pair, &call_id, "s1");
    pair.relay.end_call(&call_id, "hangup", pair.now);
    pair.step();
    let events = pair.events();
    assert_eq!(
        finished_outcome(&events, &control),
        Some(ActionOutcome::CallEnded)
    );
    assert!(events.contains(&Event::CallState {
        call_id: call_id.clone(),
        state: CallState::Ended,
        end_reason: Some(EndReason::Hangup)
    }));
    assert!(
        !events.iter().any(|e| matches!(e, Event::Protocol(_))),
        "{events:#?}"
    );
    assert_eq!(
        pair.relay_outputs(),
        [SimOutput::StopMedia {
            call_id: call_id.clone(),
            control_id: control
        }]
    );
    assert!(pair.engine.call(&call_id).is_none());
}

#[test]
fn hanging_up_during_a_stream_finishes_it_first() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let control = start_stream(&mut pair, &call_id, "s1");
    pair.engine
        .hangup(&call_id, EndReason::Hangup, pair.now)
        .unwrap();
    pair.step();
    let events = pair.events();
    let outcome = finished_outcome(&events, &control).unwrap();
    // The sim's media never connected, so the stream never reached `streaming`: its
    // `finished` is reported truthfully as not a success.
    assert!(
        matches!(outcome, ActionOutcome::Unsuccessful { ref state, reason: None, .. }
            if *state == ActionState::Finished),
        "{outcome:?}"
    );
    assert!(matches!(
        events.last(),
        Some(Event::CallState {
            state: CallState::Ended,
            ..
        })
    ));
    assert!(
        !events.iter().any(|e| matches!(e, Event::Protocol(_))),
        "{events:#?}"
    );
}

#[test]
fn a_404_on_stream_stop_finishes_the_action_but_keeps_the_call() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let control = start_stream(&mut pair, &call_id, "s1");
    pair.relay.set_fault(Fault::Reply {
        method: "calling.stream.stop".into(),
        code: "404".into(),
    });
    let request = pair
        .engine
        .stop_action(&call_id, &control, pair.now)
        .unwrap();
    pair.step();
    let events = pair.events();
    assert_eq!(
        finished_outcome(&events, &control),
        Some(ActionOutcome::CallGone(
            CallGone::server("404", "Call does not exist").of(call_id.clone())
        ))
    );
    // A 404 on a stop cannot tell "no such call" from "no such control id": the call
    // stays until a call-level command or event says otherwise.
    assert!(!events.iter().any(|e| matches!(e, Event::CallGone(_))));
    assert!(events.contains(&Event::RequestCompleted {
        request_id: request,
        result: Err(RequestError::CallGone(
            CallGone::server("404", "Call does not exist").of(call_id.clone())
        ))
    }));
    assert!(pair.engine.call(&call_id).is_some());
}

#[test]
fn a_socket_dropped_mid_stream_request_fails_the_action_and_resumes() {
    let (mut pair, call_id) = answered(SimConfig::new());
    pair.relay.set_fault(Fault::DropOn("calling.stream".into()));
    let options = StreamOptions::new().control_id("s1");
    pair.engine
        .stream(&call_id, "wss://a.example", &options, pair.now)
        .unwrap();
    pair.step();
    let events = pair.events();
    assert_eq!(
        finished_outcome(&events, &ControlId::new("s1")),
        Some(ActionOutcome::Failed(RequestError::ConnectionLost))
    );
    assert!(pair.run_until(|p| p.engine.is_ready(), Duration::from_secs(60)));
    assert!(matches!(
        pair.events().last(),
        Some(Event::Ready { resumed: true, .. })
    ));
    assert!(pair.relay.active_streams(&call_id).is_empty());
}

#[test]
fn a_delay_beyond_the_request_timeout_forces_a_reconnect() {
    let (mut pair, call_id) = answered(SimConfig::new());
    pair.relay.set_fault(Fault::Delay(Duration::from_secs(40)));
    let request = pair.engine.answer(&call_id, pair.now).unwrap();
    assert!(pair.run_until(|p| !p.engine.is_ready(), Duration::from_secs(35)));
    let events = pair.events();
    assert!(events.contains(&Event::RequestCompleted {
        request_id: request,
        result: Err(RequestError::Timeout {
            method: "calling.answer".into()
        })
    }));
    pair.relay.clear_faults();
    assert!(pair.run_until(|p| p.engine.is_ready(), Duration::from_secs(60)));
}

#[test]
fn dials_answer_or_fail() {
    let mut pair = ready(SimConfig::new());
    let (request, tag) = pair
        .engine
        .dial(
            &DialPlan::single(Device::phone().from("+15551110000").to("+15553330000")),
            pair.now,
        )
        .unwrap();
    pair.step();
    let events = pair.events();
    let Some(Event::DialCompleted {
        request_id,
        tag: done,
        result: Ok(info),
    }) = events.last()
    else {
        panic!("{events:#?}");
    };
    assert_eq!((request_id, done), (&request, &tag));
    assert_eq!(info.state(), CallState::Answered);
    assert_eq!(pair.relay.call_state(&info.call_id), Some("answered"));
    let dial = &pair.relay.requests("calling.dial")[0];
    assert_eq!(dial["params"]["tag"], tag.as_str());

    pair.engine
        .dial(
            &DialPlan::single(Device::phone().from("+15551110000").to(NO_ANSWER_NUMBER)),
            pair.now,
        )
        .unwrap();
    // With no device `timeout`, it rings for 30 s before it fails.
    pair.advance(Duration::from_secs(30));
    let events = pair.events();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::DialCompleted {
            result: Err(DialError::Failed { .. }),
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::CallState {
            state: CallState::Ended,
            end_reason: Some(EndReason::NoAnswer),
            ..
        }
    )));
    assert_eq!(
        pair.engine.stats().calls,
        1,
        "only the answered call is left"
    );
    assert_eq!(pair.engine.stats().dials, 0);
}

#[test]
fn play_finishes_after_the_play_duration() {
    let (mut pair, call_id) = answered(SimConfig::new().play_duration(Duration::from_secs(3)));
    let start = pair
        .engine
        .play(&call_id, &[PlayMedia::tts("hello")], None, pair.now)
        .unwrap();
    pair.step();
    assert!(pair.events().iter().any(|e| matches!(e,
        Event::ActionState { kind: ActionKind::Play, state, .. } if state == "playing")));
    pair.advance(Duration::from_secs(3));
    let outcome = finished_outcome(&pair.events(), &start.control_id).unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
}

#[test]
fn execute_gets_the_services_answer() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let request = pair
        .engine
        .execute(
            // §2: `calling.transfer` to a context, answered as G's table says.
            "calling.transfer",
            json!({"call_id": call_id.as_str(), "node_id": "n", "dest": "context:office"}),
            pair.now,
        )
        .unwrap();
    pair.step();
    assert_eq!(
        pair.events(),
        [Event::RequestCompleted {
            request_id: request,
            result: Ok(Payload::from(
                json!({"code": "200", "message": "Transferring"})
            ))
        }]
    );
}

#[test]
fn offers_on_an_interval_reach_the_engine() {
    let mut pair = ready(SimConfig::new().offer_every(Duration::from_secs(10), "office"));
    pair.advance(Duration::from_secs(35));
    let incoming = pair
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::IncomingCall(_)))
        .count();
    assert_eq!(incoming, 3);
}

#[test]
fn stream_status_callbacks_are_captured() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let options = StreamOptions::new()
        .control_id("s1")
        .status_url("https://hooks.example/s");
    pair.engine
        .stream(&call_id, "wss://a.example", &options, pair.now)
        .unwrap();
    pair.step();
    pair.relay.media_started(&ControlId::new("s1"), pair.now);
    pair.relay.media_finished(&ControlId::new("s1"), pair.now);
    pair.step();
    let states: Vec<Value> = pair
        .relay_outputs()
        .into_iter()
        .filter_map(|o| match o {
            SimOutput::StatusCallback { body, .. } => Some(body["params"]["state"].clone()),
            _ => None,
        })
        .collect();
    assert_eq!(states, [json!("streaming"), json!("finished")]);
}

// ----- engine behaviours these tests expose; see the notes on each -----

/// The server finished a stream while the client's stop was on its way: the stop gets
/// `404` for the unknown control id, and the engine takes that `404` to mean the whole call
/// is gone, though the call is alive.
#[test]

fn a_stop_racing_the_end_of_a_stream_keeps_the_call() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let control = start_stream(&mut pair, &call_id, "s1");
    pair.relay.media_finished(&control, pair.now);
    pair.engine
        .stop_action(&call_id, &control, pair.now)
        .unwrap();
    pair.step();
    let events = pair.events();
    assert!(
        !events.iter().any(|e| matches!(e, Event::CallGone(_))),
        "{events:#?}"
    );
    assert!(pair.engine.call(&call_id).is_some());
}

/// After a fresh (not resumed) session the server has forgotten the old session's calls,
/// but the engine keeps tracking them: they never get another event.
#[test]

fn a_fresh_session_forgets_the_old_sessions_calls() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let conn = pair.conn().unwrap();
    pair.relay.send_disconnect(conn, true, pair.now);
    assert!(pair.run_until(
        |p| p.engine.is_ready() && p.conn() != Some(conn),
        Duration::from_secs(5)
    ));
    assert_eq!(pair.relay.call_state(&call_id), Some("ended"));
    assert!(
        pair.engine.call(&call_id).is_none(),
        "engine still tracks the call"
    );
}

#[test]
fn an_offer_over_the_cap_is_passed_not_ended() {
    let mut config = engine_config();
    config.max_active_calls = Some(1);
    let mut pair = Pair::new(config, SimConfig::new());
    assert!(pair.open());
    let first = pair
        .relay
        .offer_inbound_call("office", "+15551110000", "+15552220000", pair.now)
        .unwrap();
    pair.step();
    let second = pair
        .relay
        .offer_inbound_call("office", "+15551110001", "+15552220000", pair.now)
        .unwrap();
    pair.step();
    let events = pair.events();
    assert!(events.contains(&Event::CallPassed {
        call_id: second.clone(),
        limit: 1
    }));
    assert!(
        !events.iter().any(|e| matches!(e, Event::Protocol(_))),
        "{events:#?}"
    );
    let pass = pair.relay.requests("calling.pass");
    assert_eq!(pass.len(), 1);
    assert_eq!(
        pass[0]["params"],
        json!({"call_id": second.as_str(),
               "node_id": pair.relay.node_id(&second).unwrap().as_str()})
    );
    assert!(pair.relay.requests("calling.end").is_empty());
    // Still ringing for whoever takes it; not this client's to command.
    assert_eq!(pair.relay.call_state(&second), Some("ringing"));
    assert!(pair.engine.call(&first).is_some());
    assert!(pair.engine.call(&second).is_none());
}

#[test]
fn disconnect_drains_then_reconnects_after_the_jittered_backoff() {
    let (mut pair, call_id) = answered(SimConfig::new());
    let conn = pair.conn().unwrap();
    let asked = pair.now;
    pair.relay.send_disconnect(conn, false, pair.now);
    pair.step();
    // The server closed the socket once it had the ack; the client waits its backoff.
    assert_eq!(pair.conn(), None);
    assert!(!pair.engine.is_ready());
    let events = pair.events();
    let Some(Event::Disconnected { reconnect_in }) = events.last() else {
        panic!("{events:#?}")
    };
    assert!(*reconnect_in >= Duration::from_secs(1), "{reconnect_in:?}");
    // A command made meanwhile waits, and reaches the relay after the resume.
    let request = pair
        .engine
        .execute(
            "calling.answer",
            json!({"call_id": call_id.as_str()}),
            pair.now,
        )
        .unwrap();
    assert!(pair.run_until(|p| p.engine.is_ready(), Duration::from_secs(5)));
    assert!(pair.now - asked >= Duration::from_secs(1));
    pair.step();
    assert_eq!(pair.relay.requests("calling.answer").len(), 2);
    let events = pair.events();
    assert!(events.iter().any(|e| matches!(e,
        Event::RequestCompleted { request_id, result: Ok(_) } if *request_id == request)));
    assert!(events.contains(&Event::Ready {
        protocol: pair.engine.protocol().unwrap().to_owned(),
        resumed: true
    }));
    assert!(pair.engine.call(&call_id).is_some());
}

#[test]
fn a_dial_lost_with_a_restarted_session_completes_once() {
    let mut pair = ready(SimConfig::new());
    // The relay ignores the dial, so it is still in flight when the session is restarted.
    let (request_id, tag) = pair
        .engine
        .dial(
            &DialPlan::single(Device::phone().from("+1").to("+2")),
            pair.now,
        )
        .unwrap();
    pair.relay.set_fault(Fault::Silent);
    pair.step();
    pair.relay.clear_faults();
    let conn = pair.conn().unwrap();
    pair.relay.send_disconnect(conn, true, pair.now);
    assert!(pair.run_until(|p| p.engine.is_ready(), Duration::from_secs(5)));
    pair.advance(Duration::from_secs(200));
    let dials: Vec<_> = pair
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::DialCompleted { .. }))
        .collect();
    assert_eq!(
        dials,
        vec![Event::DialCompleted {
            request_id,
            tag,
            result: Err(DialError::Request(RequestError::ConnectionLost))
        }]
    );
    assert_eq!(pair.engine.stats().dials, 0);
}
