//! Every call action on the wire: the exact start, stop and control frames, and the event
//! sequences of `docs/CALLING-API.md` §1 read into typed results (success, stop, failure,
//! call end, gone call).
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use relay_rs_core::action::descriptor::ActionDescriptor;
use relay_rs_core::CallGone;
use relay_rs_core::{
    ActionKind, ActionOutcome, ActionRequest, ActionResult, ActionStart, ActionState, AgentPrompt,
    AiOptions, CallId, CollectInput, CollectOptions, CollectResult, CommandError, ControlId,
    DetectOptions, DetectResult, Detection, Detector, DigitsOptions, Event, FaxResult, FaxTone,
    Gender, MediaDirection, PayOptions, PlayMedia, PlayOptions, PromptOptions, ReceiveFaxOptions,
    RecordFormat, RecordOptions, RecordResult, RequestError, SendDigitsOptions, SendFaxOptions,
    SpeechOptions, TapDevice, TapOptions, TerminalRule, TranscribeOptions, TranscribeResult,
};
use serde_json::{json, Map, Value};
use std::time::Duration;

fn answered() -> (Client, CallId) {
    let mut client = Client::ready();
    client.incoming("c1");
    (client, CallId::new("c1"))
}

/// Starts `request` with control id `ctl`, checks the exact start frame, accepts it.
fn start<R: ActionRequest>(client: &mut Client, request: &R, method: &str, params: Value) {
    let call = CallId::new("c1");
    let start = client.engine.start(&call, request, client.now).unwrap();
    assert_eq!(start.control_id, ControlId::new("ctl"));
    let frame = client.sent_one(method);
    let mut expected = json!({"node_id": "node-1", "call_id": "c1", "control_id": "ctl"});
    for (key, value) in params.as_object().unwrap() {
        expected[key] = value.clone();
    }
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": start.request_id.as_str(), "method": method,
               "params": expected})
    );
    client.respond(&frame, json!({"code": "200", "message": "OK"}));
    client.drain_events();
}

/// Feeds one event of the action `ctl` on call `c1`.
fn event(client: &mut Client, n: u32, event_type: &str, mut params: Value) {
    params["call_id"] = json!("c1");
    params["node_id"] = json!("node-1");
    params["control_id"] = json!("ctl");
    client.event(&format!("ev-{n}"), event_type, params);
    client.sent();
}

/// The outcome of `ctl` if it finished among `events`.
fn finished(events: &[Event]) -> Option<ActionOutcome> {
    events.iter().find_map(|e| match e {
        Event::ActionFinished {
            control_id,
            outcome,
            ..
        } if control_id.as_str() == "ctl" => Some(outcome.clone()),
        _ => None,
    })
}

/// The states reported for `ctl` among `events`.
fn states(events: &[Event]) -> Vec<ActionState> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ActionState { state, .. } => Some(state.clone()),
            _ => None,
        })
        .collect()
}

/// Sends a control and checks its exact frame.
fn control(client: &mut Client, method: &str, extra: Value) {
    let call = CallId::new("c1");
    let mut params = extra.as_object().cloned().unwrap_or_default();
    let ctl = ControlId::new("ctl");
    let id = client
        .engine
        .control_action(&call, &ctl, method, params.clone(), client.now)
        .unwrap();
    params.insert("node_id".into(), json!("node-1"));
    params.insert("call_id".into(), json!("c1"));
    params.insert("control_id".into(), json!("ctl"));
    assert_eq!(
        client.sent_one(method),
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": method, "params": params})
    );
}

fn stop(client: &mut Client, method: &str) {
    let id = client
        .engine
        .stop_action(&CallId::new("c1"), &ControlId::new("ctl"), client.now)
        .unwrap();
    let frame = client.sent_one(method);
    assert_eq!(
        frame,
        json!({"jsonrpc": "2.0", "id": id.as_str(), "method": method,
               "params": {"node_id": "node-1", "call_id": "c1", "control_id": "ctl"}})
    );
    client.respond(&frame, json!({"code": "200", "message": "Stopping"}));
}

#[test]
fn play_sends_every_option_and_its_controls() {
    let (mut client, _) = answered();
    let options = PlayOptions::new([
        PlayMedia::tts("hello")
            .language("en-US")
            .gender(Gender::Female)
            .voice("polly.Joanna"),
        PlayMedia::ringtone("us").ringtone_duration(Duration::from_secs(2)),
        PlayMedia::silence(Duration::from_millis(1500)),
    ])
    .volume(-6.0)
    .direction(MediaDirection::Both)
    .loop_count(2)
    .status_url("https://example.com/s")
    .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.play",
        json!({"play": [
                {"type": "tts", "params": {"text": "hello", "language": "en-US",
                                           "gender": "female", "voice": "polly.Joanna"}},
                {"type": "ringtone", "params": {"name": "us", "duration": 2.0}},
                {"type": "silence", "params": {"duration": 1.5}}],
               "volume": -6.0, "direction": "both", "loop": 2,
               "status_url": "https://example.com/s"}),
    );
    control(&mut client, "calling.play.pause", json!({}));
    control(&mut client, "calling.play.resume", json!({}));
    control(&mut client, "calling.play.volume", json!({"volume": 3.5}));
    event(
        &mut client,
        1,
        "calling.call.play",
        json!({"state": "playing"}),
    );
    event(
        &mut client,
        2,
        "calling.call.play",
        json!({"state": "paused"}),
    );
    event(
        &mut client,
        3,
        "calling.call.play",
        json!({"state": "finished"}),
    );
    let events = client.drain_events();
    assert_eq!(states(&events), [ActionState::Playing, ActionState::Paused]);
    let outcome = finished(&events).unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
}

#[test]
fn play_error_is_unsuccessful_and_bad_options_send_nothing() {
    let (mut client, call) = answered();
    let now = client.now;
    for options in [
        PlayOptions::new([]),
        PlayOptions::new([PlayMedia::audio("https://a/b.mp3")]).volume(41.0),
        PlayOptions::new([PlayMedia::tts(" ")]),
        PlayOptions::new([PlayMedia::audio("u")]).status_url("ftp://x"),
    ] {
        let refused = client.engine.start(&call, &options, now).unwrap_err();
        // `Engine::play` (what `Call::play(media)` reached before) runs the same checks.
        if options.status_url.is_none() {
            let plain = client
                .engine
                .play(&call, &options.media, options.volume, now);
            assert_eq!(plain.unwrap_err(), refused);
        }
    }
    assert!(client.sent().is_empty());
    let options = PlayOptions::new([PlayMedia::audio("https://a/b.mp3")]).control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.play",
        json!({"play": [{"type": "audio", "params": {"url": "https://a/b.mp3"}}]}),
    );
    event(
        &mut client,
        1,
        "calling.call.play",
        json!({"state": "error"}),
    );
    let outcome = finished(&client.drain_events()).unwrap();
    assert!(matches!(
        outcome,
        ActionOutcome::Unsuccessful {
            state: ActionState::Error,
            ..
        }
    ));
}

#[test]
fn record_sends_audio_options_pause_resume_and_reads_the_result() {
    let (mut client, _) = answered();
    let options = RecordOptions::new()
        .beep(true)
        .format(RecordFormat::Wav)
        .stereo(false)
        .direction(MediaDirection::Both)
        .initial_timeout(Duration::from_secs(5))
        .end_silence_timeout(Duration::from_millis(1500))
        .terminators("#")
        .input_sensitivity(44)
        .status_url("https://example.com/r")
        .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.record",
        json!({"record": {"audio": {"beep": true, "format": "wav", "stereo": false,
                                    "direction": "both", "initial_timeout": 5,
                                    "end_silence_timeout": 1.5, "terminators": "#",
                                    "input_sensitivity": 44}},
               "status_url": "https://example.com/r"}),
    );
    control(
        &mut client,
        "calling.record.pause",
        json!({"behavior": "silence"}),
    );
    control(&mut client, "calling.record.resume", json!({}));
    event(
        &mut client,
        1,
        "calling.call.record",
        json!({"state": "recording"}),
    );
    event(
        &mut client,
        2,
        "calling.call.record",
        json!({"state": "finished", "url": "https://top/level.wav",
               "record": {"url": "https://rec/1.wav", "duration": 4.5, "size": 1200}}),
    );
    let events = client.drain_events();
    assert_eq!(states(&events), [ActionState::Recording]);
    let result = RecordResult::from_outcome(finished(&events).unwrap());
    assert!(result.is_success());
    assert_eq!(result.url.as_deref(), Some("https://rec/1.wav"));
    assert_eq!(result.duration, Some(4.5));
    assert_eq!(result.size, Some(1200));
}

#[test]
fn record_without_options_sends_an_empty_audio_object_and_no_input_is_no_success() {
    let (mut client, _) = answered();
    start(
        &mut client,
        &RecordOptions::new().control_id("ctl"),
        "calling.record",
        json!({"record": {"audio": {}}}),
    );
    event(
        &mut client,
        1,
        "calling.call.record",
        json!({"state": "no_input"}),
    );
    let result = RecordResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert!(!result.is_success());
    assert_eq!(result.url, None);
}

#[test]
fn collect_ends_on_a_final_result_not_on_partial_or_start_of_input() {
    let (mut client, _) = answered();
    let options = CollectOptions::digits(
        DigitsOptions::new(4)
            .terminators("#")
            .digit_timeout(Duration::from_secs(3)),
    )
    .and_speech(
        SpeechOptions::new()
            .language("en-US")
            .hint("yes")
            .hint("no"),
    )
    .initial_timeout(Duration::from_secs(4))
    .partial_results(true)
    .send_start_of_input(true)
    .start_input_timers(false)
    .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.collect",
        json!({"digits": {"max": 4, "terminators": "#", "digit_timeout": 3},
               "speech": {"language": "en-US", "hints": ["yes", "no"]},
               "initial_timeout": 4, "partial_results": true, "send_start_of_input": true,
               "start_input_timers": false}),
    );
    control(&mut client, "calling.collect.start_input_timers", json!({}));
    event(
        &mut client,
        1,
        "calling.call.collect",
        json!({"result": {"type": "start_of_input"}}),
    );
    event(
        &mut client,
        2,
        "calling.call.collect",
        json!({"final": false, "result": {"type": "speech", "params": {"text": "ye"}}}),
    );
    assert_eq!(
        states(&client.drain_events()),
        [ActionState::StartOfInput, ActionState::Partial]
    );
    event(
        &mut client,
        3,
        "calling.call.collect",
        json!({"final": true, "result": {"type": "speech",
                                          "params": {"text": "yes", "confidence": 0.9}}}),
    );
    let result = CollectResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert!(result.is_success());
    assert_eq!(
        result.input,
        Some(CollectInput::Speech {
            text: "yes".into(),
            confidence: Some(0.9)
        })
    );
    assert_eq!(result.speech(), Some("yes"));
}

#[test]
fn collect_results_digits_no_input_no_match_error_and_stop() {
    for (result, input, success) in [
        (
            json!({"type": "digit", "params": {"digits": "123", "terminator": "#"}}),
            Some(CollectInput::Digits {
                digits: "123".into(),
                terminator: Some("#".into()),
            }),
            true,
        ),
        (
            json!({"type": "no_input"}),
            Some(CollectInput::NoInput),
            false,
        ),
        (
            json!({"type": "no_match"}),
            Some(CollectInput::NoMatch),
            false,
        ),
        (json!({"type": "error"}), Some(CollectInput::Error), false),
    ] {
        let (mut client, _) = answered();
        let options = CollectOptions::digits(DigitsOptions::new(3)).control_id("ctl");
        start(
            &mut client,
            &options,
            "calling.collect",
            json!({"digits": {"max": 3}}),
        );
        event(
            &mut client,
            1,
            "calling.call.collect",
            json!({"result": result}),
        );
        let outcome = CollectResult::from_outcome(finished(&client.drain_events()).unwrap());
        assert_eq!(outcome.input, input);
        assert_eq!(outcome.is_success(), success, "{outcome:?}");
    }
    let (mut client, _) = answered();
    let options = CollectOptions::digits(DigitsOptions::new(1)).control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.collect",
        json!({"digits": {"max": 1}}),
    );
    stop(&mut client, "calling.collect.stop");
    event(
        &mut client,
        1,
        "calling.call.collect",
        json!({"state": "finished"}),
    );
    let result = CollectResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert!(matches!(result.outcome, ActionOutcome::Stopped { .. }));
    assert_eq!(result.input, None);
}

#[test]
fn a_malformed_final_collect_result_is_unsuccessful_with_the_raw_event() {
    for result in [
        json!({"type": "digit", "params": {"digits": 42, "terminator": "#"}}),
        json!({"type": "digit"}),
        json!({"type": "speech", "params": {"text": {"a": 1}, "confidence": 0.9}}),
    ] {
        let (mut client, _) = answered();
        let options = CollectOptions::digits(DigitsOptions::new(3)).control_id("ctl");
        start(
            &mut client,
            &options,
            "calling.collect",
            json!({"digits": {"max": 3}}),
        );
        event(
            &mut client,
            1,
            "calling.call.collect",
            json!({"result": result}),
        );
        let outcome = CollectResult::from_outcome(finished(&client.drain_events()).unwrap());
        assert!(!outcome.is_success(), "{outcome:?}");
        assert_eq!(outcome.input, None, "never a success with empty digits");
        let ActionOutcome::Unsuccessful { event, .. } = &outcome.outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(event.to_value()["result"], result, "the raw event is kept");
    }
}

#[test]
fn collect_needs_digits_or_speech() {
    let (mut client, call) = answered();
    let now = client.now;
    assert!(matches!(
        client.engine.start(&call, &CollectOptions::default(), now),
        Err(CommandError::InvalidOption(_))
    ));
    assert!(client
        .engine
        .start(&call, &CollectOptions::digits(DigitsOptions::new(0)), now)
        .is_err());
    assert!(client.sent().is_empty());
}

#[test]
fn play_and_collect_hears_play_and_collect_and_ends_on_collect_only() {
    let (mut client, _) = answered();
    let options = PromptOptions::new(
        [PlayMedia::tts("Press 1")],
        CollectOptions::digits(DigitsOptions::new(1)).initial_timeout(Duration::from_secs(5)),
    )
    .volume(2.0)
    .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.play_and_collect",
        json!({"play": [{"type": "tts", "params": {"text": "Press 1"}}], "volume": 2.0,
               "collect": {"digits": {"max": 1}, "initial_timeout": 5}}),
    );
    control(
        &mut client,
        "calling.play_and_collect.volume",
        json!({"volume": -3.0}),
    );
    control(&mut client, "calling.collect.start_input_timers", json!({}));
    event(
        &mut client,
        1,
        "calling.call.play",
        json!({"state": "playing"}),
    );
    event(
        &mut client,
        2,
        "calling.call.play",
        json!({"state": "finished"}),
    );
    let events = client.drain_events();
    assert_eq!(
        states(&events),
        [ActionState::Playing, ActionState::Finished]
    );
    assert!(finished(&events).is_none());
    assert!(events.iter().all(|e| !matches!(e, Event::Protocol(_))));
    event(
        &mut client,
        3,
        "calling.call.collect",
        json!({"result": {"type": "digit", "params": {"digits": "1", "terminator": ""}}}),
    );
    let result = CollectResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert_eq!(result.digits(), Some("1"));
    assert_eq!(
        result.input,
        Some(CollectInput::Digits {
            digits: "1".into(),
            terminator: None
        })
    );
}

#[test]
fn play_and_collect_stops_with_its_own_method() {
    let (mut client, _) = answered();
    let options = PromptOptions::new(
        [PlayMedia::audio("https://a/p.mp3")],
        CollectOptions::speech(SpeechOptions::new()),
    )
    .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.play_and_collect",
        json!({"play": [{"type": "audio", "params": {"url": "https://a/p.mp3"}}],
               "collect": {"speech": {}}}),
    );
    stop(&mut client, "calling.play_and_collect.stop");
    event(
        &mut client,
        1,
        "calling.call.collect",
        json!({"state": "finished"}),
    );
    let outcome = finished(&client.drain_events()).unwrap();
    assert!(matches!(outcome, ActionOutcome::Stopped { .. }));
}

fn detect_event(client: &mut Client, n: u32, kind: &str, what: &str) {
    event(
        client,
        n,
        "calling.call.detect",
        json!({"detect": {"type": kind, "params": {"event": what}}}),
    );
}

#[test]
fn detect_machine_with_wait_for_beep_ends_on_ready_and_wait_for_beep_is_not_sent() {
    let (mut client, _) = answered();
    let options = DetectOptions::new(Detector::Machine {
        initial_timeout: Some(Duration::from_millis(4500)),
        end_silence_timeout: None,
        machine_ready_timeout: None,
        machine_voice_threshold: None,
        machine_words_threshold: Some(6),
        detect_interruptions: None,
        detect_message_end: Some(true),
    })
    .timeout(Duration::from_secs(30))
    .wait_for_beep(true)
    .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.detect",
        json!({"detect": {"type": "machine",
                          "params": {"initial_timeout": 4.5, "machine_words_threshold": 6,
                                     "detect_message_end": true}},
               "timeout": 30}),
    );
    detect_event(&mut client, 1, "machine", "MACHINE");
    detect_event(&mut client, 2, "machine", "NOT_READY");
    assert!(finished(&client.drain_events()).is_none());
    detect_event(&mut client, 3, "machine", "READY");
    let result = DetectResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert!(result.is_success());
    assert_eq!(result.detection, Some(Detection::Machine { beep: None }));
    // The detect goes on reporting until `finished`: late events are no error.
    detect_event(&mut client, 4, "machine", "finished");
    let events = client.drain_events();
    assert!(
        events.iter().all(|e| !matches!(e, Event::Protocol(_))),
        "{events:?}"
    );
    assert!(matches!(&events[..], [Event::CallEvent { .. }]));
}

#[test]
fn detect_ends_on_the_first_outcome_without_wait_for_beep() {
    for (kind, what, detection) in [
        ("machine", "HUMAN", Detection::Human),
        ("machine", "MACHINE", Detection::Machine { beep: None }),
        ("machine", "UNKNOWN", Detection::Unknown),
        ("fax", "CED", Detection::Fax(FaxTone::Ced)),
        ("digit", "5", Detection::Digit("5".into())),
    ] {
        let (mut client, _) = answered();
        let detector = match kind {
            "machine" => Detector::machine(),
            "fax" => Detector::Fax {
                tone: Some(FaxTone::Ced),
            },
            _ => Detector::Digit {
                digits: Some("5".into()),
            },
        };
        let options = DetectOptions::new(detector).control_id("ctl");
        let params = match kind {
            "machine" => json!({}),
            "fax" => json!({"tone": "CED"}),
            _ => json!({"digits": "5"}),
        };
        start(
            &mut client,
            &options,
            "calling.detect",
            json!({"detect": {"type": kind, "params": params}}),
        );
        if kind == "machine" {
            detect_event(&mut client, 1, kind, "NOT_READY");
        }
        detect_event(&mut client, 2, kind, what);
        let result = DetectResult::from_outcome(finished(&client.drain_events()).unwrap());
        assert_eq!(result.detection, Some(detection));
    }
}

#[test]
fn detect_finished_without_an_outcome_is_no_result() {
    let (mut client, _) = answered();
    let options = DetectOptions::new(Detector::machine()).control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.detect",
        json!({"detect": {"type": "machine", "params": {}}}),
    );
    detect_event(&mut client, 1, "machine", "finished");
    let result = DetectResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert!(!result.is_success());
    assert_eq!(result.detection, None);
}

#[test]
fn send_fax_reads_pages_and_success_from_the_fax_object() {
    let (mut client, _) = answered();
    let options = SendFaxOptions::new("https://docs/a.pdf")
        .identity("+15550001")
        .header_info("ACME")
        .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.send_fax",
        json!({"document": "https://docs/a.pdf", "identity": "+15550001",
               "header_info": "ACME"}),
    );
    event(
        &mut client,
        1,
        "calling.call.fax",
        json!({"fax": {"type": "page", "params": {"direction": "send", "pages": 1}}}),
    );
    event(
        &mut client,
        2,
        "calling.call.fax",
        json!({"fax": {"type": "finished", "params": {"direction": "send",
               "identity": "+15550001", "remote_identity": "+15550002",
               "document": "https://docs/a.pdf", "pages": 2, "success": true}}}),
    );
    let events = client.drain_events();
    assert_eq!(states(&events), [ActionState::Page]);
    let result = FaxResult::from_outcome(finished(&events).unwrap());
    assert!(result.is_success() && result.success);
    assert_eq!(result.pages, Some(2));
    assert_eq!(result.remote_identity.as_deref(), Some("+15550002"));
    assert_eq!(result.direction.as_deref(), Some("send"));
}

#[test]
fn receive_fax_stops_with_its_own_method_and_a_failed_fax_is_no_success() {
    let (mut client, _) = answered();
    let options = ReceiveFaxOptions::new().control_id("ctl");
    start(&mut client, &options, "calling.receive_fax", json!({}));
    event(
        &mut client,
        1,
        "calling.call.fax",
        json!({"fax": {"type": "error", "params": {"success": false}}}),
    );
    let result = FaxResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert!(!result.is_success() && !result.success);

    let (mut client, _) = answered();
    start(&mut client, &options, "calling.receive_fax", json!({}));
    stop(&mut client, "calling.receive_fax.stop");
    event(
        &mut client,
        1,
        "calling.call.fax",
        json!({"state": "finished"}),
    );
    let outcome = finished(&client.drain_events()).unwrap();
    assert!(matches!(outcome, ActionOutcome::Stopped { .. }));
}

#[test]
fn tap_sends_its_device_and_always_tap_params() {
    let (mut client, call) = answered();
    let options = TapOptions::new(TapDevice::Rtp {
        addr: "192.0.2.1".into(),
        port: 4000,
        codec: Some(relay_rs_core::Codec::Pcmu),
        ptime: Some(20),
    })
    .direction(MediaDirection::Listen)
    .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.tap",
        json!({"tap": {"type": "audio", "params": {"direction": "listen"}},
               "device": {"type": "rtp", "params": {"addr": "192.0.2.1", "port": 4000,
                                                    "codec": "PCMU", "ptime": 20}}}),
    );
    event(
        &mut client,
        1,
        "calling.call.tap",
        json!({"state": "tapping"}),
    );
    stop(&mut client, "calling.tap.stop");
    event(
        &mut client,
        2,
        "calling.call.tap",
        json!({"state": "finished"}),
    );
    let events = client.drain_events();
    assert_eq!(states(&events), [ActionState::Tapping]);
    assert!(matches!(
        finished(&events),
        Some(ActionOutcome::Stopped { .. })
    ));
    let now = client.now;
    let bad = TapOptions::new(TapDevice::rtp("example.com", 1));
    assert!(client.engine.start(&call, &bad, now).is_err());
    let insecure = TapOptions::new(TapDevice::ws("ws://example.com/tap"));
    assert!(client.engine.start(&call, &insecure, now).is_err());
    assert!(client.sent().is_empty());
}

#[test]
fn pay_sends_strings_as_the_server_schema_declares() {
    let (mut client, _) = answered();
    let options = PayOptions::new("https://pay/connector")
        .charge_amount("10.50")
        .currency("usd")
        .timeout(Duration::from_secs(5))
        .max_attempts(2)
        .security_code(true)
        .parameter("order", "42")
        .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.pay",
        json!({"payment_connector_url": "https://pay/connector", "charge_amount": "10.50",
               "currency": "usd", "timeout": "5", "max_attempts": "2",
               "security_code": "true", "parameters": [{"name": "order", "value": "42"}]}),
    );
    event(
        &mut client,
        1,
        "calling.call.pay",
        json!({"state": "finished", "x": 1}),
    );
    let outcome = finished(&client.drain_events()).unwrap();
    assert!(outcome.is_success());
    assert_eq!(outcome.event().unwrap().to_value()["x"], json!(1));
}

#[test]
fn transcribe_reads_its_url() {
    let (mut client, _) = answered();
    let options = TranscribeOptions::new()
        .status_url("https://example.com/t")
        .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.transcribe",
        json!({"status_url": "https://example.com/t"}),
    );
    event(
        &mut client,
        1,
        "calling.call.transcribe",
        json!({"state": "finished", "url": "https://t/1", "recording_id": "r1",
               "duration": 3.0, "size": 10}),
    );
    let result = TranscribeResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert_eq!(result.url.as_deref(), Some("https://t/1"));
    assert_eq!(result.recording_id.as_deref(), Some("r1"));
}

#[test]
fn send_digits_ends_on_finished_and_cannot_be_stopped() {
    let (mut client, call) = answered();
    let now = client.now;
    assert!(client
        .engine
        .start(&call, &SendDigitsOptions::new("12x"), now)
        .is_err());
    let options = SendDigitsOptions::new("1w2#").control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.send_digits",
        json!({"digits": "1w2#"}),
    );
    assert_eq!(
        client
            .engine
            .stop_action(&call, &ControlId::new("ctl"), now),
        Err(CommandError::UnsupportedControl {
            control_id: ControlId::new("ctl"),
            method: "calling.send_digits.stop".into()
        })
    );
    event(
        &mut client,
        1,
        "calling.call.send_digits",
        json!({"state": "finished"}),
    );
    assert!(finished(&client.drain_events()).unwrap().is_success());
}

#[test]
fn ai_runs_until_stopped_or_the_call_ends() {
    let (mut client, _) = answered();
    let options = AiOptions::new()
        .prompt(AgentPrompt::new("You are helpful"))
        .swaig(json!({"functions": []}))
        .ai_params(json!({"debug": true}))
        .control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.ai",
        json!({"prompt": {"text": "You are helpful"}, "SWAIG": {"functions": []},
               "params": {"debug": true}}),
    );
    client.call_state("c1", "ended", Some("hangup"));
    let outcome = finished(&client.drain_events()).unwrap();
    assert_eq!(outcome, ActionOutcome::CallEnded);
}

#[test]
fn call_end_gone_call_and_a_failed_start_are_typed_results_too() {
    let (mut client, call) = answered();
    let record = RecordOptions::new().control_id("ctl");
    start(
        &mut client,
        &record,
        "calling.record",
        json!({"record": {"audio": {}}}),
    );
    client.call_state("c1", "ended", Some("hangup"));
    let result = RecordResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert_eq!(result.outcome, ActionOutcome::CallEnded);
    assert_eq!(result.url, None);

    let (mut client, _) = answered();
    let ActionStart { .. } = client.engine.start(&call, &record, client.now).unwrap();
    let frame = client.sent_one("calling.record");
    client.respond(
        &frame,
        json!({"code": "404", "message": "Call does not exist"}),
    );
    let result = RecordResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert_eq!(
        result.outcome,
        ActionOutcome::CallGone(CallGone::server("404", "Call does not exist").of(call.clone()))
    );

    let (mut client, _) = answered();
    client.engine.start(&call, &record, client.now).unwrap();
    let frame = client.sent_one("calling.record");
    client.respond(&frame, json!({"code": "409", "message": "busy"}));
    let result = CollectResult::from_outcome(finished(&client.drain_events()).unwrap());
    assert!(matches!(
        result.outcome,
        ActionOutcome::Failed(RequestError::Failed { .. })
    ));
}

#[test]
fn an_unknown_call_event_reaches_the_call_with_its_payload_and_no_error() {
    let (mut client, call) = answered();
    let params = json!({"call_id": "c1", "node_id": "node-1", "mood": "sunny"});
    client.event("ev-1", "calling.call.weather", params.clone());
    client.event(
        "ev-2",
        "calling.call.denoise",
        json!({"call_id": "c1", "node_id": "node-1", "denoised": true}),
    );
    let events = client.drain_events();
    assert_eq!(
        events[0],
        Event::CallEvent {
            call_id: call.clone(),
            event: relay_rs_core::CallEvent::Other {
                event_type: "calling.call.weather".into(),
                params: params.into()
            }
        }
    );
    assert!(matches!(
        &events[1],
        Event::CallEvent {
            event: relay_rs_core::CallEvent::Denoise {
                denoised: Some(true),
                ..
            },
            ..
        }
    ));
    assert_eq!(events.len(), 2);
}

#[test]
fn with_every_call_event_routed_events_reach_the_call_too() {
    let mut client = Client::new(common::config().every_call_event(true));
    client.connect_and_auth("proto-1");
    client.drain_events();
    client.incoming("c1");
    let options = PlayOptions::new([PlayMedia::audio("https://a")]).control_id("ctl");
    start(
        &mut client,
        &options,
        "calling.play",
        json!({"play": [{"type": "audio", "params": {"url": "https://a"}}]}),
    );
    event(
        &mut client,
        1,
        "calling.call.play",
        json!({"state": "playing"}),
    );
    client.call_state("c1", "answered", None);
    let events = client.drain_events();
    assert!(matches!(&events[..], [
        Event::CallEvent { event: relay_rs_core::CallEvent::Play(play), .. },
        Event::ActionState { event_type, .. },
        Event::CallEvent { event: relay_rs_core::CallEvent::State { .. }, .. },
        Event::CallState { .. },
    ] if play.state == Some(ActionState::Playing) && event_type == "calling.call.play"));
}

/// Starts a play `ctl` on `c1`, then feeds a play event and an answered state of `c1` and
/// a ringing state of `c2`: the events of each kind that a watched call may add copies of.
fn play_then_states(client: &mut Client) -> Vec<Event> {
    let options = PlayOptions::new([PlayMedia::audio("https://a")]).control_id("ctl");
    start(
        client,
        &options,
        "calling.play",
        json!({"play": [{"type": "audio", "params": {"url": "https://a"}}]}),
    );
    event(client, 1, "calling.call.play", json!({"state": "playing"}));
    client.call_state("c1", "answered", None);
    client.call_state("c2", "ringing", None);
    client.drain_events()
}

fn call_events_of(events: &[Event]) -> Vec<(&str, &str)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::CallEvent { call_id, event } => Some((call_id.as_str(), event.event_type())),
            _ => None,
        })
        .collect()
}

#[test]
fn without_every_call_event_routed_events_are_not_copied_for_an_unwatched_call() {
    let (mut client, _) = answered();
    client.incoming("c2");
    client.drain_events();
    let events = play_then_states(&mut client);
    assert_eq!(
        call_events_of(&events),
        [] as [(&str, &str); 0],
        "{events:#?}"
    );
    assert!(
        matches!(
            &events[..],
            [
                Event::ActionState { .. },
                Event::CallState { .. },
                Event::CallState { .. },
            ]
        ),
        "{events:#?}"
    );
}

#[test]
fn a_watched_call_gets_every_event_and_the_others_do_not() {
    let (mut client, call) = answered();
    client.incoming("c2");
    client.drain_events();
    client.engine.watch_call_events(&call).unwrap();
    assert!(client.transmits().is_empty(), "watching sends nothing");
    let events = play_then_states(&mut client);
    assert_eq!(
        call_events_of(&events),
        [("c1", "calling.call.play"), ("c1", "calling.call.state")],
        "{events:#?}"
    );
    assert!(
        matches!(
            &events[..],
            [
                Event::CallEvent { .. },
                Event::ActionState { .. },
                Event::CallEvent { .. },
                Event::CallState { .. },
                Event::CallState { .. },
            ]
        ),
        "{events:#?}"
    );
}

#[test]
fn watching_an_unknown_or_ended_call_is_refused() {
    let (mut client, call) = answered();
    assert_eq!(
        client.engine.watch_call_events(&CallId::new("nope")),
        Err(CommandError::UnknownCall(CallId::new("nope")))
    );
    client.call_state("c1", "ended", Some("hangup"));
    assert_eq!(
        client.engine.watch_call_events(&call),
        Err(CommandError::CallGone(CallGone::ended(call.clone())))
    );
}

#[test]
fn every_call_event_can_be_turned_on_later_for_every_call() {
    let (mut client, _) = answered();
    client.incoming("c2");
    client.drain_events();
    client.engine.set_every_call_event(true);
    let events = play_then_states(&mut client);
    assert_eq!(
        call_events_of(&events),
        [
            ("c1", "calling.call.play"),
            ("c1", "calling.call.state"),
            ("c2", "calling.call.state")
        ],
        "{events:#?}"
    );
}

#[test]
fn a_custom_descriptor_runs_an_action_this_library_does_not_know() {
    let (mut client, call) = answered();
    let mut descriptor =
        ActionDescriptor::simple("hum", TerminalRule::states(&["done"])).control("louder");
    descriptor
        .event_types
        .push("calling.call.hum_progress".into());
    let kind = ActionKind::Custom(Box::new(descriptor));
    let mut params = Map::new();
    params.insert("tune".into(), json!("la"));
    let start = client
        .engine
        .start_action(&call, kind, params, Some(ControlId::new("ctl")), client.now)
        .unwrap();
    let frame = client.sent_one("calling.hum");
    assert_eq!(
        frame["params"],
        json!({"node_id": "node-1", "call_id": "c1", "control_id": "ctl", "tune": "la"})
    );
    assert_eq!(start.control_id.as_str(), "ctl");
    control(&mut client, "calling.hum.louder", json!({}));
    let refused = client.engine.control_action(
        &call,
        &ControlId::new("ctl"),
        "calling.hum.softer",
        Map::new(),
        client.now,
    );
    assert!(matches!(
        refused,
        Err(CommandError::UnsupportedControl { .. })
    ));
    event(
        &mut client,
        1,
        "calling.call.hum_progress",
        json!({"state": "humming"}),
    );
    event(&mut client, 2, "calling.call.hum", json!({"state": "done"}));
    let events = client.drain_events();
    assert_eq!(states(&events), [ActionState::Other("humming".into())]);
    assert!(finished(&events).unwrap().is_success());
}

#[test]
fn a_prompts_collect_option_it_cannot_send_is_refused_not_dropped() {
    let (mut client, call) = answered();
    let now = client.now;
    let digits = || CollectOptions::digits(DigitsOptions::new(1));
    for (collect, named) in [
        (digits().continuous(true), "continuous"),
        (digits().send_start_of_input(true), "send_start_of_input"),
        (digits().start_input_timers(false), "start_input_timers"),
        (digits().status_url("https://a/s"), "status_url"),
        (digits().control_id("inner"), "control_id"),
    ] {
        let prompt = PromptOptions::new([PlayMedia::tts("Press one.")], collect);
        match client.engine.start(&call, &prompt, now) {
            Err(CommandError::InvalidOption(why)) => assert!(why.contains(named), "{why}"),
            other => panic!("{named}: {other:?}"),
        }
    }
    assert!(client.sent().is_empty());
    // The prompt's own status url is the one play_and_collect has, at the top level.
    let prompt = PromptOptions::new([PlayMedia::tts("Press one.")], digits())
        .status_url("https://a/s")
        .control_id("ctl");
    start(
        &mut client,
        &prompt,
        "calling.play_and_collect",
        json!({
            "play": [{"type": "tts", "params": {"text": "Press one."}}],
            "collect": {"digits": {"max": 1}},
            "status_url": "https://a/s"
        }),
    );
}

/// An action whose control id the engine makes goes out under a request id of the same
/// text, sharing its string: one id string per action, not two. A control id of the
/// user's own (which may repeat on another call) gets a request id of its own.
#[test]
fn an_action_start_goes_out_under_its_generated_control_id() {
    let (mut client, call) = answered();
    let start = client
        .engine
        .start(&call, &PlayOptions::new([PlayMedia::tts("hi")]), client.now)
        .unwrap();
    assert_eq!(start.request_id.as_str(), start.control_id.as_str());
    assert_eq!(
        start.request_id.as_str().as_ptr(),
        start.control_id.as_str().as_ptr(),
        "one string for both"
    );
    let frame = client.sent_one("calling.play");
    assert_eq!(frame["id"], frame["params"]["control_id"]);
    let own = client
        .engine
        .start(
            &call,
            &PlayOptions::new([PlayMedia::tts("hi")]).control_id("mine"),
            client.now,
        )
        .unwrap();
    assert_eq!(own.control_id.as_str(), "mine");
    assert_ne!(own.request_id.as_str(), "mine");
}

/// Only families whose progress carries data keep their last event (see
/// `ActionHandle::last_event`): a stream's or a play's progress says only its state.
#[test]
fn descriptors_say_which_families_keep_their_last_event() {
    let keeps = |kind: ActionKind| kind.descriptor().keeps_last_event;
    for kind in [ActionKind::Stream, ActionKind::Play, ActionKind::SendDigits] {
        assert!(!keeps(kind.clone()), "{kind:?}");
    }
    for kind in [
        ActionKind::Collect,
        ActionKind::PlayAndCollect,
        ActionKind::Detect,
        ActionKind::Record,
        ActionKind::Tap,
        ActionKind::SendFax,
        ActionKind::ReceiveFax,
        ActionKind::Pay,
        ActionKind::Transcribe,
        ActionKind::Ai,
        ActionKind::Other("hum".into()),
    ] {
        assert!(keeps(kind.clone()), "{kind:?}");
    }
    let quiet = ActionDescriptor::simple("hum", TerminalRule::states(&["finished"]));
    assert!(!quiet.without_last_event().keeps_last_event);
}
