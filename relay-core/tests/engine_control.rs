//! Call control (§2 of `docs/CALLING-API.md`) on the wire: for each command the exact frame
//! the engine sends (only the options set), the refusals made before anything is sent, the
//! §4 events read into typed ones, and what a transfer or pass does to the call.
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use relay_rs_core::CallGone;
use relay_rs_core::Payload;
use relay_rs_core::{
    ActionKind, ActionOutcome, AgentPrompt, AmazonBedrock, BindDigit, CallCommand, CallEvent,
    CallId, CallbackEventType, ClearDigitBindings, CommandError, ConferenceBeep, ConferenceEvent,
    ConferenceRecord, ConferenceRegion, ConferenceStream, ConferenceTrim, ControlId, Event,
    HttpMethod, JoinConference, JoinRoom, JoinedConference, LeaveConference, LiveAction,
    LiveTranscribe, LiveTranslate, ProtocolError, QueueEnter, QueueLeave, Refer, ReferDevice,
    ReferEvent, RequestError, SimpleControl, StreamOptions, Track, Transfer, UserEvent,
};
use serde_json::{json, Map, Value};

fn answered() -> Client {
    let mut client = Client::ready();
    client.incoming("c1");
    client
}

fn call() -> CallId {
    CallId::new("c1")
}

/// Sends `command` on `c1` and checks its exact frame; answers it with `result`.
fn sends<C: CallCommand>(client: &mut Client, command: &C, params: Value) -> Vec<Event> {
    sends_with(
        client,
        command,
        params,
        json!({"code": "200", "message": "OK"}),
    )
}

fn sends_with<C: CallCommand>(
    client: &mut Client,
    command: &C,
    params: Value,
    result: Value,
) -> Vec<Event> {
    let method = command.method();
    let id = client.engine.command(&call(), command, client.now).unwrap();
    let frame = client.sent_one(method);
    let mut expected = json!({"node_id": "node-1", "call_id": "c1"});
    for (key, value) in params.as_object().unwrap() {
        expected[key] = value.clone();
    }
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": method, "params": expected})
    );
    client.respond(&frame, result.clone());
    let events = client.drain_events();
    assert!(
        events.contains(&Event::RequestCompleted {
            request_id: id,
            result: Ok(Payload::from(result))
        }),
        "{events:#?}"
    );
    events
}

/// The refusal of `command`, checking that nothing was sent.
fn refused<C: CallCommand>(client: &mut Client, command: &C) -> CommandError {
    let error = client
        .engine
        .command(&call(), command, client.now)
        .unwrap_err();
    assert!(client.sent().is_empty(), "{error}");
    error
}

fn invalid(error: CommandError) {
    assert!(matches!(error, CommandError::InvalidOption(_)), "{error:?}");
}

/// The typed event a `calling.*` event of `c1` becomes.
fn call_event(client: &mut Client, event_type: &str, params: Value) -> CallEvent {
    client.event("ev-1", event_type, params);
    client.sent();
    let events = client.drain_events();
    match events.as_slice() {
        [Event::CallEvent { call_id, event }] if *call_id == call() => event.clone(),
        other => panic!("{other:#?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Transfer and pass (§2 table): the call leaves the client once the service accepts.

#[test]
fn transfer_sends_dest_and_hands_the_call_over() {
    let mut client = answered();
    let events = sends(
        &mut client,
        &Transfer::context("sales"),
        json!({"dest": "context:sales"}),
    );
    assert_eq!(
        events.last(),
        Some(&Event::CallHandedOver {
            call_id: call(),
            method: "calling.transfer".into()
        })
    );
    assert!(client.engine.call(&call()).is_none());
    assert_eq!(
        client
            .engine
            .command(&call(), &SimpleControl::Hold, client.now),
        Err(CommandError::CallGone(CallGone::ended(call())))
    );
}

#[test]
fn transfer_to_a_url_or_inline_swml() {
    let mut client = answered();
    let id = client
        .engine
        .command(
            &call(),
            &Transfer::url("https://example.com/swml"),
            client.now,
        )
        .unwrap();
    let frame = client.sent_one("calling.transfer");
    assert_eq!(frame["id"], id.as_str());
    assert_eq!(frame["params"]["dest"], "https://example.com/swml");
    let script = r#"{"version":"1.0.0","sections":{"main":["hangup"]}}"#;
    client
        .engine
        .command(&call(), &Transfer::swml(script), client.now)
        .unwrap();
    assert_eq!(
        client.sent_one("calling.transfer")["params"]["dest"],
        script
    );
}

#[test]
fn a_refused_transfer_keeps_the_call() {
    let mut client = answered();
    client
        .engine
        .command(&call(), &Transfer::context("sales"), client.now)
        .unwrap();
    let frame = client.sent_one("calling.transfer");
    client.respond(&frame, json!({"code": "400", "message": "Invalid dest"}));
    let events = client.drain_events();
    assert!(matches!(
        events.as_slice(),
        [Event::RequestCompleted { result: Err(RequestError::Failed { code, .. }), .. }] if code == "400"
    ));
    assert!(client.engine.call(&call()).is_some());
}

#[test]
fn a_refused_pass_keeps_the_call() {
    let mut client = answered();
    client.engine.pass(&call(), client.now).unwrap();
    let frame = client.sent_one("calling.pass");
    client.respond(&frame, json!({"code": "409", "message": "Cannot pass"}));
    let events = client.drain_events();
    assert!(matches!(
        events.as_slice(),
        [Event::RequestCompleted { result: Err(RequestError::Failed { code, .. }), .. }] if code == "409"
    ));
    assert!(client.engine.call(&call()).is_some());
}

#[test]
fn transfer_refuses_bad_destinations() {
    let mut client = answered();
    invalid(refused(
        &mut client,
        &Transfer::url("http://example.com/swml"),
    ));
    invalid(refused(&mut client, &Transfer::url("https://")));
    invalid(refused(&mut client, &Transfer::swml("  ")));
    invalid(refused(&mut client, &Transfer::context("")));
    invalid(refused(&mut client, &Transfer::context("a:b")));
}

#[test]
fn pass_forgets_the_call_once_accepted_and_finishes_its_actions() {
    let mut client = answered();
    let start = client
        .engine
        .start_action(&call(), ActionKind::Play, Map::new(), None, client.now)
        .unwrap();
    client.sent();
    let id = client.engine.pass(&call(), client.now).unwrap();
    let frame = client.sent_one("calling.pass");
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1"})
    );
    assert!(
        client.engine.call(&call()).is_some(),
        "still ours until accepted"
    );
    client.respond(&frame, json!({"code": "200", "message": "Passing call"}));
    let events = client.drain_events();
    assert_eq!(
        events,
        [
            Event::RequestCompleted {
                request_id: id,
                result: Ok(Payload::from(
                    json!({"code": "200", "message": "Passing call"})
                ))
            },
            Event::ActionFinished {
                call_id: call(),
                control_id: start.control_id,
                kind: ActionKind::Play,
                outcome: ActionOutcome::CallEnded
            },
            Event::CallHandedOver {
                call_id: call(),
                method: "calling.pass".into()
            },
        ]
    );
}

#[test]
fn a_gone_answer_ends_the_call_as_for_every_command() {
    let mut client = answered();
    client
        .engine
        .command(&call(), &SimpleControl::Denoise, client.now)
        .unwrap();
    let frame = client.sent_one("calling.denoise");
    client.respond(&frame, json!({"code": "410", "message": "Call has ended"}));
    let events = client.drain_events();
    assert!(events.contains(&Event::CallGone(
        CallGone::server("410", "Call has ended").of(call())
    )));
}

// ---------------------------------------------------------------------------------------
// Refer (§2; event §4)

#[test]
fn refer_sends_the_sip_device_and_status_url() {
    let mut client = answered();
    let device = ReferDevice::new("sip:agent@example.com")
        .credentials("alice", "s3cret")
        .header("X-Reason", "escalation");
    let refer = Refer::new(device).status_url("https://example.com/refer");
    sends(
        &mut client,
        &refer,
        json!({"device": {"type": "sip", "params": {"to": "sip:agent@example.com",
                 "username": "alice", "password": "s3cret",
                 "headers": {"X-Reason": "escalation"}}},
               "status_url": "https://example.com/refer"}),
    );
    // Only what is set goes out.
    sends(
        &mut client,
        &Refer::new(ReferDevice::new("sips:b@example.com")),
        json!({"device": {"type": "sip", "params": {"to": "sips:b@example.com"}}}),
    );
    assert!(
        !format!("{refer:?}").contains("s3cret"),
        "the password stays out of logs"
    );
}

#[test]
fn refer_refuses_a_target_that_is_not_sip() {
    let mut client = answered();
    invalid(refused(
        &mut client,
        &Refer::new(ReferDevice::new("+15551230000")),
    ));
    invalid(refused(&mut client, &Refer::new(ReferDevice::new("sip:"))));
    let bad_url = Refer::new(ReferDevice::new("sip:a@b")).status_url("ftp://x");
    assert!(matches!(
        refused(&mut client, &bad_url),
        CommandError::InvalidStatusUrl(_)
    ));
}

#[test]
fn refer_events_are_typed() {
    let mut client = answered();
    let event = call_event(
        &mut client,
        "calling.call.refer",
        json!({"call_id": "c1", "node_id": "node-1", "state": "success",
               "sip_refer_to": "sip:agent@example.com", "sip_refer_response_code": 202,
               "sip_notify_response_code": "200"}),
    );
    let CallEvent::Refer(refer) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (
            refer.state.as_deref(),
            refer.sip_refer_to.as_deref(),
            refer.sip_refer_response_code.as_deref(),
            refer.sip_notify_response_code.as_deref()
        ),
        (
            Some("success"),
            Some("sip:agent@example.com"),
            Some("202"),
            Some("200")
        )
    );
}

// ---------------------------------------------------------------------------------------
// Hold, denoise, rooms (§2, §6 item 13)

#[test]
fn simple_controls_send_only_the_call() {
    let mut client = answered();
    for (command, method) in [
        (SimpleControl::Hold, "calling.hold"),
        (SimpleControl::Unhold, "calling.unhold"),
        (SimpleControl::Denoise, "calling.denoise"),
        (SimpleControl::DenoiseStop, "calling.denoise.stop"),
        (SimpleControl::LeaveRoom, "calling.leave_room"),
    ] {
        assert_eq!(command.method(), method);
        sends(&mut client, &command, json!({}));
    }
}

#[test]
fn an_unsupported_hold_is_a_typed_request_failure() {
    let mut client = answered();
    client
        .engine
        .command(&call(), &SimpleControl::Hold, client.now)
        .unwrap();
    let frame = client.sent_one("calling.hold");
    client.respond(&frame, json!({"code": "501", "message": "Not implemented"}));
    let events = client.drain_events();
    assert!(matches!(
        events.as_slice(),
        [Event::RequestCompleted { result: Err(RequestError::Failed { code, message }), .. }]
            if code == "501" && message == "Not implemented"
    ));
    assert!(client.engine.call(&call()).is_some());
}

#[test]
fn hold_and_denoise_events_are_typed() {
    let mut client = answered();
    let event = call_event(
        &mut client,
        "calling.call.hold",
        json!({"call_id": "c1", "node_id": "node-1", "state": "hold"}),
    );
    assert!(
        matches!(&event, CallEvent::Hold { state: Some(s), .. } if s == "hold"),
        "{event:?}"
    );
    let event = call_event(
        &mut client,
        "calling.call.denoise",
        json!({"call_id": "c1", "node_id": "node-1", "denoised": false}),
    );
    assert!(
        matches!(
            event,
            CallEvent::Denoise {
                denoised: Some(false),
                ..
            }
        ),
        "{event:?}"
    );
}

#[test]
fn join_room_sends_name_and_status_url() {
    let mut client = answered();
    sends(
        &mut client,
        &JoinRoom::new("standup").status_url("https://example.com/room"),
        json!({"name": "standup", "status_url": "https://example.com/room"}),
    );
    invalid(refused(&mut client, &JoinRoom::new(" ")));
}

// ---------------------------------------------------------------------------------------
// Conferences (§2.2; event §4)

#[test]
fn join_conference_sends_every_option_typed() {
    let mut client = answered();
    let options = JoinConference::new("support")
        .muted(true)
        .beep(ConferenceBeep::OnEnter)
        .start_on_enter(false)
        .end_on_exit(true)
        .wait_url("https://example.com/hold.mp3")
        .max_participants(10)
        .record(ConferenceRecord::RecordFromStart)
        .region(ConferenceRegion::Eu)
        .trim(ConferenceTrim::DoNotTrim)
        .coach("c9")
        .status_callback("https://example.com/conf")
        .status_callback_events(["start", "end", "join"])
        .status_callback_event_type(CallbackEventType::Cxml)
        .status_callback_method(HttpMethod::Get)
        .recording_status_callback("https://example.com/rec")
        .recording_status_callback_events(["completed"])
        .recording_status_callback_event_type(CallbackEventType::Relay)
        .recording_status_callback_method(HttpMethod::Post)
        .stream(
            ConferenceStream::new("wss://media.example.com/conf")
                .options(StreamOptions::new().name("conf").track(Track::Both)),
        );
    let events = sends_with(
        &mut client,
        &options,
        json!({"name": "support", "muted": true, "beep": "onEnter", "start_on_enter": false,
               "end_on_exit": true, "wait_url": "https://example.com/hold.mp3",
               "max_participants": 10, "record": "record-from-start", "region": "eu",
               "trim": "do-not-trim", "coach": "c9",
               "status_callback": "https://example.com/conf",
               "status_callback_event": "start end join",
               "status_callback_event_type": "cxml", "status_callback_method": "GET",
               "recording_status_callback": "https://example.com/rec",
               "recording_status_callback_event": "completed",
               "recording_status_callback_event_type": "relay",
               "recording_status_callback_method": "POST",
               "stream": {"url": "wss://media.example.com/conf", "name": "conf",
                          "track": "both_tracks"}}),
        json!({"code": "200", "message": "Joining conference", "conference_id": "conf-1"}),
    );
    let Some(Event::RequestCompleted {
        result: Ok(result), ..
    }) = events.first()
    else {
        panic!("{events:?}")
    };
    let joined = JoinedConference::from_result(result.clone());
    assert_eq!(joined.conference_id.as_deref(), Some("conf-1"));
    // The whole result is kept as the server's exact text.
    assert_eq!(joined.result.as_str(), result.as_str());
    let odd = Payload::from_json(r#"{"conference_id": 7}"#).expect("json");
    assert_eq!(JoinedConference::from_result(odd).conference_id, None);
    assert_eq!(
        JoinedConference::from_result(Payload::from(json!({"code": "200"}))).conference_id,
        None
    );
}

#[test]
fn join_conference_sends_only_the_name_by_default() {
    let mut client = answered();
    sends(
        &mut client,
        &JoinConference::new("support"),
        json!({"name": "support"}),
    );
    sends(
        &mut client,
        &JoinConference::new("x").beep(ConferenceBeep::Always),
        json!({"name": "x", "beep": "true"}),
    );
    sends(
        &mut client,
        &JoinConference::new("x").region(ConferenceRegion::Other("ap".into())),
        json!({"name": "x", "region": "ap"}),
    );
}

#[test]
fn join_conference_refuses_invalid_options() {
    let mut client = answered();
    invalid(refused(&mut client, &JoinConference::new("")));
    invalid(refused(
        &mut client,
        &JoinConference::new("a").max_participants(0),
    ));
    invalid(refused(
        &mut client,
        &JoinConference::new("a").max_participants(251),
    ));
    invalid(refused(
        &mut client,
        &JoinConference::new("a").status_callback_events(["join", "dance"]),
    ));
    invalid(refused(
        &mut client,
        &JoinConference::new("a").recording_status_callback_events(["start"]),
    ));
    invalid(refused(&mut client, &JoinConference::new("a").coach("")));
    assert!(matches!(
        refused(&mut client, &JoinConference::new("a").wait_url("ftp://x")),
        CommandError::InvalidStatusUrl(_)
    ));
    assert!(matches!(
        refused(
            &mut client,
            &JoinConference::new("a").stream(ConferenceStream::new("http://x"))
        ),
        CommandError::InvalidStreamUrl { .. }
    ));
    sends(
        &mut client,
        &JoinConference::new("a").max_participants(250),
        json!({"name": "a", "max_participants": 250}),
    );
}

#[test]
fn leave_conference_sends_the_id() {
    let mut client = answered();
    sends(
        &mut client,
        &LeaveConference::new("conf-1"),
        json!({"conference_id": "conf-1"}),
    );
    invalid(refused(&mut client, &LeaveConference::new("")));
}

#[test]
fn a_participant_conference_event_goes_to_its_call() {
    let mut client = answered();
    let event = call_event(
        &mut client,
        "calling.conference",
        json!({"conference_id": "conf-1", "name": "support", "status": "join",
               "call_id": "c1", "node_id": "node-1"}),
    );
    let CallEvent::Conference(conference) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (
            conference.conference_id.as_deref(),
            conference.name.as_deref(),
            conference.status.as_deref(),
            conference.call_id
        ),
        (Some("conf-1"), Some("support"), Some("join"), Some(call()))
    );
}

#[test]
fn a_conference_level_event_is_a_conference_event_of_the_engine() {
    let mut client = answered();
    let params = json!({"conference_id": "conf-1", "name": "support", "status": "a-new-status"});
    client.event("ev-1", "calling.conference", params.clone());
    assert_eq!(client.sent(), [common::ack("ev-1")]);
    let events = client.drain_events();
    let [Event::Conference(conference)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (
            conference.conference_id.as_deref(),
            conference.name.as_deref(),
            conference.status.as_deref(),
            conference.call_id.as_ref()
        ),
        (Some("conf-1"), Some("support"), Some("a-new-status"), None)
    );
    assert_eq!(conference.params, params);
    assert_eq!(conference, &ConferenceEvent::from_wire(params.into()));
    // A participant that is not one of this client's calls: the same, never an error.
    client.event(
        "ev-2",
        "calling.conference",
        json!({"conference_id": "conf-1", "status": "leave", "call_id": "someone-else"}),
    );
    client.sent();
    let events = client.drain_events();
    assert!(
        matches!(events.as_slice(), [Event::Conference(e)] if e.call_id == Some(CallId::new("someone-else"))),
        "{events:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Queues (§2; §6 item 8; event §4)

#[test]
fn queue_enter_and_leave_carry_a_control_id() {
    let mut client = answered();
    let enter = QueueEnter::new("support")
        .status_url("https://example.com/q")
        .wait_url("https://example.com/music.mp3")
        .control_id("q-1");
    let (id, control_id) = client
        .engine
        .queue_enter(&call(), &enter, client.now)
        .unwrap();
    assert_eq!(control_id, ControlId::new("q-1"));
    assert_eq!(
        client.sent_one("calling.queue.enter"),
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": "calling.queue.enter",
               "params": {"node_id": "node-1", "call_id": "c1", "control_id": "q-1",
                          "queue_name": "support", "status_url": "https://example.com/q",
                          "wait_url": "https://example.com/music.mp3"}})
    );
    let leave = QueueLeave::new("support")
        .queue_id("qid-7")
        .control_id("q-1");
    let (id, _) = client
        .engine
        .queue_leave(&call(), &leave, client.now)
        .unwrap();
    assert_eq!(
        client.sent_one("calling.queue.leave"),
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": "calling.queue.leave",
               "params": {"node_id": "node-1", "call_id": "c1", "control_id": "q-1",
                          "queue_name": "support", "queue_id": "qid-7"}})
    );
    // Without one, the engine makes one.
    let (_, made) = client
        .engine
        .queue_enter(&call(), &QueueEnter::new("support"), client.now)
        .unwrap();
    assert_eq!(
        client.sent_one("calling.queue.enter")["params"]["control_id"],
        made.as_str()
    );
}

#[test]
fn queue_commands_refuse_invalid_options() {
    let mut client = answered();
    let now = client.now;
    let err = |r: Result<_, CommandError>| r.unwrap_err();
    invalid(err(client.engine.queue_enter(
        &call(),
        &QueueEnter::new(""),
        now,
    )));
    invalid(err(client.engine.queue_enter(
        &call(),
        &QueueEnter::new("q").control_id(""),
        now,
    )));
    invalid(err(client.engine.queue_leave(
        &call(),
        &QueueLeave::new("q").queue_id(" "),
        now,
    )));
    assert_eq!(
        err(client
            .engine
            .queue_enter(&CallId::new("nope"), &QueueEnter::new("q"), now)),
        CommandError::UnknownCall(CallId::new("nope"))
    );
    assert!(client.sent().is_empty());
}

#[test]
fn queue_events_are_typed_and_never_unknown_actions() {
    let mut client = answered();
    let event = call_event(
        &mut client,
        "calling.call.queue",
        json!({"call_id": "c1", "node_id": "node-1", "control_id": "q-1", "status": "waiting",
               "id": "qid-7", "name": "support", "position": 2, "size": "5"}),
    );
    let CallEvent::Queue(queue) = event else {
        panic!("{event:?}")
    };
    assert_eq!(
        (
            queue.control_id,
            queue.status.as_deref(),
            queue.queue_id.as_deref(),
            queue.queue_name.as_deref(),
            queue.position,
            queue.size
        ),
        (
            Some(ControlId::new("q-1")),
            Some("waiting"),
            Some("qid-7"),
            Some("support"),
            Some(2),
            Some(5)
        )
    );
}

// ---------------------------------------------------------------------------------------
// Digit bindings (§2)

#[test]
fn bind_digit_sends_every_option() {
    let mut client = answered();
    let mut params = Map::new();
    params.insert(
        "play".into(),
        json!([{"type": "tts", "params": {"text": "Help is on the way"}}]),
    );
    sends(
        &mut client,
        &BindDigit::new("*0", "calling.play")
            .params(params)
            .realm("menu")
            .max_triggers(2),
        json!({"digits": "*0", "bind_method": "calling.play",
               "params": {"play": [{"type": "tts", "params": {"text": "Help is on the way"}}]},
               "realm": "menu", "max_triggers": 2}),
    );
    sends(
        &mut client,
        &BindDigit::new("1", "calling.hold"),
        json!({"digits": "1", "bind_method": "calling.hold"}),
    );
    sends(
        &mut client,
        &ClearDigitBindings::realm("menu"),
        json!({"realm": "menu"}),
    );
    sends(&mut client, &ClearDigitBindings::all(), json!({}));
}

#[test]
fn bind_digit_refuses_invalid_bindings() {
    let mut client = answered();
    invalid(refused(&mut client, &BindDigit::new("", "calling.play")));
    invalid(refused(&mut client, &BindDigit::new("12x", "calling.play")));
    invalid(refused(&mut client, &BindDigit::new("1", "play")));
    invalid(refused(&mut client, &BindDigit::new("1", "calling.")));
    invalid(refused(
        &mut client,
        &BindDigit::new("1", "calling.play").realm(""),
    ));
    invalid(refused(&mut client, &ClearDigitBindings::realm(" ")));
}

#[test]
fn actions_the_service_starts_for_a_binding_are_not_protocol_errors() {
    let mut client = answered();
    let play = json!({"call_id": "c1", "node_id": "node-1", "control_id": "bound-1",
                      "state": "playing"});
    // Before any binding, an unknown control id is an error...
    client.event("ev-1", "calling.call.play", play.clone());
    client.sent();
    assert!(client
        .drain_events()
        .iter()
        .any(|e| matches!(e, Event::Protocol(ProtocolError::UnknownAction { .. }))));
    // ... after one, it is the bound method running.
    sends(
        &mut client,
        &BindDigit::new("1", "calling.play"),
        json!({"digits": "1", "bind_method": "calling.play"}),
    );
    client.event("ev-2", "calling.call.play", play);
    client.sent();
    let events = client.drain_events();
    assert!(
        matches!(
            events.as_slice(),
            [Event::CallEvent {
                event: CallEvent::Play(_),
                ..
            }]
        ),
        "{events:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Live transcription and translation (§2)

#[test]
fn live_actions_put_exactly_one_key_on_the_wire() {
    let mut client = answered();
    sends(
        &mut client,
        &LiveTranscribe::new(LiveAction::start_transcription("en-US")),
        json!({"action": {"start": {"language": "en-US"}}}),
    );
    sends(
        &mut client,
        &LiveTranscribe::new(LiveAction::Summarize(Map::new())),
        json!({"action": {"summarize": {}}}),
    );
    sends(
        &mut client,
        &LiveTranscribe::new(LiveAction::Stop),
        json!({"action": {"stop": {}}}),
    );
    sends(
        &mut client,
        &LiveTranslate::new(LiveAction::start_translation("en-US", "es"))
            .status_url("https://example.com/t"),
        json!({"action": {"start": {"source": "en-US", "target": "es"}},
               "status_url": "https://example.com/t"}),
    );
    let mut message = Map::new();
    message.insert("message".into(), json!("Hold on"));
    sends(
        &mut client,
        &LiveTranslate::new(LiveAction::Inject(message)),
        json!({"action": {"inject": {"message": "Hold on"}}}),
    );
}

#[test]
fn live_actions_refuse_what_the_method_lacks() {
    let mut client = answered();
    let mut message = Map::new();
    message.insert("message".into(), json!("x"));
    invalid(refused(
        &mut client,
        &LiveTranscribe::new(LiveAction::Inject(message)),
    ));
    invalid(refused(
        &mut client,
        &LiveTranslate::new(LiveAction::Inject(Map::new())),
    ));
}

// ---------------------------------------------------------------------------------------
// User events (§6 item 9) and Amazon Bedrock (§2)

#[test]
fn user_event_sends_the_event_as_given() {
    let mut client = answered();
    sends(
        &mut client,
        &UserEvent::new(json!({"type": "agent-joined", "agent": 7})),
        json!({"event": {"type": "agent-joined", "agent": 7}}),
    );
    sends(
        &mut client,
        &UserEvent::new("ping").extra("note", "from the IVR"),
        json!({"event": "ping", "note": "from the IVR"}),
    );
    invalid(refused(&mut client, &UserEvent::new(Value::Null)));
    invalid(refused(
        &mut client,
        &UserEvent::new("x").extra("call_id", "c2"),
    ));
}

#[test]
fn amazon_bedrock_sends_only_what_is_set() {
    let mut client = answered();
    sends(&mut client, &AmazonBedrock::new(), json!({}));
    sends(
        &mut client,
        &AmazonBedrock::new()
            .prompt(AgentPrompt::new("You are a helpful agent"))
            .swaig(json!({"functions": []}))
            .ai_params(json!({"temperature": 0.2}))
            .global_data(json!({"tier": "gold"}))
            .post_prompt("Summarize")
            .post_prompt_url("https://example.com/post"),
        json!({"prompt": {"text": "You are a helpful agent"}, "SWAIG": {"functions": []},
               "params": {"temperature": 0.2}, "global_data": {"tier": "gold"},
               "post_prompt": "Summarize", "post_prompt_url": "https://example.com/post"}),
    );
    assert!(matches!(
        refused(&mut client, &AmazonBedrock::new().post_prompt_url("x")),
        CommandError::InvalidStatusUrl(_)
    ));
}

#[test]
fn commands_on_unknown_or_ended_calls_are_refused() {
    let mut client = answered();
    assert_eq!(
        client
            .engine
            .command(&CallId::new("nope"), &SimpleControl::Hold, client.now),
        Err(CommandError::UnknownCall(CallId::new("nope")))
    );
    client.call_state("c1", "ended", Some("hangup"));
    client.sent();
    client.drain_events();
    assert_eq!(
        client
            .engine
            .command(&call(), &JoinRoom::new("r"), client.now),
        Err(CommandError::CallGone(CallGone::ended(call())))
    );
    assert!(client.sent().is_empty());
    let _ = ReferEvent::from_wire(json!({}).into()); // an empty event reads as all-unknown
}
