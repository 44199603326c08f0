//! The fake relay's call actions against `docs/CALLING-API.md` part 1: for each action the
//! exact events and payloads for scripted callers, its controls and stops, what a call's end
//! does to it, and the answers to unknown methods. Test names carry the spec section
//! (`s1_1_…` is §1.1).
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use relay_rs_core::sim::{
    AnsweredBy, CallerInput, CallerScript, ConnId, FaxScript, FaxTone, PayScript, RecordingScript,
    SimConfig,
};
use relay_rs_core::CallId;
use serde_json::{json, Map, Value};
use std::time::Duration;
use support::{event, Server};

/// An answered inbound call on an authenticated session.
struct Fixture {
    server: Server,
    conn: ConnId,
    call_id: String,
    node_id: String,
}

/// One event as the tests compare it: its type and its params without `call_id`/`node_id`.
type Ev = (String, Value);

impl Fixture {
    fn new(config: SimConfig) -> Self {
        let mut server = Server::new(config);
        let conn = server.open(1);
        server.auth(conn, &["office"]);
        let (call_id, node_id) = server.answered(conn);
        Self {
            server,
            conn,
            call_id,
            node_id,
        }
    }

    fn with(caller: CallerScript) -> Self {
        Self::new(SimConfig::new().caller(caller))
    }

    /// Sends `method` on the call; returns the result and the events that came with it.
    fn call(&mut self, method: &str, params: Value) -> (Value, Vec<Ev>) {
        let mut params = params;
        params["call_id"] = json!(self.call_id);
        params["node_id"] = json!(self.node_id);
        let id = self.server.request(self.conn, method, params);
        let mut frames = self.server.sent();
        assert!(!frames.is_empty(), "no answer to {method}");
        let reply = frames.remove(0);
        assert_eq!(reply["id"], id.as_str(), "{reply:#}");
        let answer = reply.get("result").unwrap_or(&reply["error"]).clone();
        (answer, self.events_of(frames))
    }

    /// The result `code` of `method`, its events dropped.
    fn code(&mut self, method: &str, params: Value) -> Value {
        self.call(method, params).0["code"].clone()
    }

    /// Moves the clock; the events that came due.
    fn advance(&mut self, secs: f64) -> Vec<Ev> {
        self.server.advance(Duration::from_secs_f64(secs));
        let frames = self.server.sent();
        self.events_of(frames)
    }

    fn events_of(&mut self, frames: Vec<Value>) -> Vec<Ev> {
        self.server.ack_all(self.conn, &frames);
        frames
            .iter()
            .map(|frame| {
                let (kind, data) = event(frame);
                let mut data = data.clone();
                let map = data.as_object_mut().unwrap();
                assert_eq!(
                    map.remove("call_id"),
                    Some(json!(self.call_id)),
                    "{frame:#}"
                );
                assert_eq!(
                    map.remove("node_id"),
                    Some(json!(self.node_id)),
                    "{frame:#}"
                );
                (kind.to_owned(), data)
            })
            .collect()
    }

    /// Ends the call from the client (`calling.end`); the events before `ending`.
    fn hang_up(&mut self) -> Vec<Ev> {
        let (result, events) = self.call("calling.end", json!({"reason": "hangup"}));
        assert_eq!(result["code"], "200");
        let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
        let n = kinds.len();
        assert!(n >= 2, "{events:#?}");
        assert_eq!(kinds[n - 2..], ["calling.call.state", "calling.call.state"]);
        events[..n - 2].to_vec()
    }
}

fn ev(kind: &str, params: Value) -> Ev {
    (kind.to_owned(), params)
}

fn tts() -> Value {
    json!([{"type": "tts", "params": {"text": "Press 1 for sales"}}])
}

fn digits_collect() -> Value {
    json!({"digits": {"max": 4, "terminators": "#", "digit_timeout": 3}})
}

fn keys(keys: &str) -> CallerScript {
    CallerScript {
        input: CallerInput::Digits(keys.into()),
        ..CallerScript::default()
    }
}

fn play(control: &str, state: &str) -> Ev {
    ev(
        "calling.call.play",
        json!({"control_id": control, "state": state}),
    )
}

fn collected(control: &str, result: Value, is_final: bool, state: &str) -> Ev {
    ev(
        "calling.call.collect",
        json!({"control_id": control, "result": result, "final": is_final, "state": state}),
    )
}

fn digit(digits: &str, terminator: &str) -> Value {
    json!({"type": "digit", "params": {"digits": digits, "terminator": terminator}})
}

fn detected(control: &str, kind: &str, params: Value) -> Ev {
    ev(
        "calling.call.detect",
        json!({"control_id": control, "detect": {"type": kind, "params": params}}),
    )
}

fn fax(control: &str, kind: &str, params: Value) -> Ev {
    ev(
        "calling.call.fax",
        json!({"control_id": control, "fax": {"type": kind, "params": params}}),
    )
}

// ----- §1.1 play -----

#[test]
fn s1_1_play_is_playing_then_finished_after_its_duration_times_loop() {
    let mut f = Fixture::new(SimConfig::new().play_duration(Duration::from_secs(2)));
    let (result, events) = f.call(
        "calling.play",
        json!({"control_id": "p1", "play": tts(), "volume": -6.0, "loop": 2}),
    );
    assert_eq!(
        result,
        json!({"code": "200", "message": "Playing", "call_id": f.call_id, "control_id": "p1"})
    );
    assert_eq!(events, [play("p1", "playing")]);
    assert!(f.advance(3.9).is_empty());
    assert_eq!(f.advance(0.1), [play("p1", "finished")]);
}

#[test]
fn s1_1_pause_and_resume_send_paused_and_playing_and_keep_the_time_left() {
    let mut f = Fixture::new(SimConfig::new().play_duration(Duration::from_secs(2)));
    f.call("calling.play", json!({"control_id": "p1", "play": tts()}));
    f.advance(0.5);
    let (result, events) = f.call("calling.play.pause", json!({"control_id": "p1"}));
    assert_eq!(result, json!({"code": "200", "message": "Play paused"}));
    assert_eq!(events, [play("p1", "paused")]);
    let (_, again) = f.call("calling.play.pause", json!({"control_id": "p1"}));
    assert!(again.is_empty(), "a second pause changes nothing");
    assert!(f.advance(10.0).is_empty(), "a paused play does not finish");
    let (result, events) = f.call("calling.play.resume", json!({"control_id": "p1"}));
    assert_eq!(result["code"], "200");
    assert_eq!(events, [play("p1", "playing")]);
    assert!(f.advance(1.4).is_empty());
    assert_eq!(f.advance(0.1), [play("p1", "finished")]);
    assert_eq!(
        f.code("calling.play.resume", json!({"control_id": "p1"})),
        "404"
    );
}

#[test]
fn s1_1_volume_needs_a_volume_of_minus_40_to_40_db_and_sends_no_event() {
    let mut f = Fixture::new(SimConfig::new());
    f.call("calling.play", json!({"control_id": "p1", "play": tts()}));
    let (result, events) = f.call(
        "calling.play.volume",
        json!({"control_id": "p1", "volume": 12.5}),
    );
    assert_eq!(result, json!({"code": "200", "message": "Volume set"}));
    assert!(events.is_empty());
    for bad in [json!(41), json!("loud"), Value::Null] {
        let params = json!({"control_id": "p1", "volume": bad});
        assert_eq!(f.code("calling.play.volume", params), "400");
    }
    let params = json!({"control_id": "nope", "volume": 1});
    assert_eq!(f.code("calling.play.volume", params), "404");
}

#[test]
fn s1_1_a_media_it_cannot_play_is_an_error_event_and_no_list_is_400() {
    let mut f = Fixture::new(SimConfig::new());
    let bad = json!([{"type": "tts", "params": {"text": "ok"}},
                     {"type": "audio", "params": {}}]);
    let (result, events) = f.call("calling.play", json!({"control_id": "p1", "play": bad}));
    assert_eq!(result["code"], "200");
    assert_eq!(events, [play("p1", "error")]);
    assert!(f.advance(5.0).is_empty());
    for list in [json!([]), json!("tts"), Value::Null] {
        let params = json!({"control_id": "p2", "play": list});
        assert_eq!(f.code("calling.play", params), "400");
    }
    for (key, value) in [
        ("volume", json!(-41)),
        ("direction", json!("hear")),
        ("loop", json!(-1)),
    ] {
        let mut params = json!({"control_id": "p3", "play": tts()});
        params[key] = value;
        assert_eq!(f.code("calling.play", params), "400", "{key}");
    }
}

#[test]
fn s1_1_loop_zero_plays_until_stopped() {
    let mut f = Fixture::new(SimConfig::new());
    f.call(
        "calling.play",
        json!({"control_id": "p1", "play": tts(), "loop": 0}),
    );
    assert!(f.advance(3600.0).is_empty());
    let (result, events) = f.call("calling.play.stop", json!({"control_id": "p1"}));
    assert_eq!(result, json!({"code": "200", "message": "Play stopped"}));
    assert_eq!(events, [play("p1", "finished")]);
}

// ----- §1.2 record -----

fn record_params(control: &str) -> Value {
    json!({"control_id": control, "record": {"audio": {"format": "wav", "beep": true}}})
}

#[test]
fn s1_2_record_is_recording_then_finished_with_url_duration_and_size() {
    let caller = CallerScript {
        recording: RecordingScript {
            duration: Duration::from_secs(4),
            size: 64_000,
            url: Some("https://files.example/r1.wav".into()),
            no_input: false,
        },
        ..CallerScript::default()
    };
    let mut f = Fixture::with(caller);
    let (result, events) = f.call("calling.record", record_params("r1"));
    assert_eq!(
        result,
        json!({"code": "200", "message": "Recording started", "call_id": f.call_id,
               "control_id": "r1", "url": "https://files.example/r1.wav"})
    );
    let echo = json!({"audio": {"format": "wav", "beep": true}});
    assert_eq!(
        events,
        [ev(
            "calling.call.record",
            json!({"control_id": "r1", "state": "recording", "record": echo})
        )]
    );
    assert!(f.advance(3.9).is_empty());
    assert_eq!(
        f.advance(0.1),
        [ev(
            "calling.call.record",
            json!({"control_id": "r1", "state": "finished", "record": echo,
                   "url": "https://files.example/r1.wav", "duration": 4.0, "size": 64_000})
        )]
    );
}

#[test]
fn s1_2_pause_skip_or_silence_resume_and_stop_report_the_time_recorded() {
    let mut f = Fixture::new(SimConfig::new());
    f.call("calling.record", record_params("r1"));
    f.advance(1.0);
    let (result, events) = f.call("calling.record.pause", json!({"control_id": "r1"}));
    assert_eq!(result, json!({"code": "200", "message": "Record paused"}));
    assert_eq!(events[0].1["state"], "paused");
    assert!(
        f.advance(5.0).is_empty(),
        "a paused recording does not finish"
    );
    let (_, events) = f.call("calling.record.resume", json!({"control_id": "r1"}));
    assert_eq!(events[0].1["state"], "recording");
    f.advance(0.5);
    // A pause filled with silence counts in the duration.
    f.call(
        "calling.record.pause",
        json!({"control_id": "r1", "behavior": "silence"}),
    );
    f.advance(2.0);
    f.call("calling.record.resume", json!({"control_id": "r1"}));
    let (result, events) = f.call("calling.record.stop", json!({"control_id": "r1"}));
    assert_eq!(result, json!({"code": "200", "message": "Record stopped"}));
    assert_eq!(events.len(), 1);
    let done = &events[0].1;
    assert_eq!(done["state"], "finished");
    assert_eq!(done["duration"], 3.5, "1 s + 0.5 s spoken, 2 s of silence");
    assert_eq!(done["size"], 56_000, "48,000 bytes for 3 s, scaled");
    assert_eq!(
        done["url"], "https://files.sim.example/recordings/r1.wav",
        "the default url"
    );
    let params = json!({"control_id": "r1", "behavior": "mute"});
    assert_eq!(f.code("calling.record.pause", params), "400");
    assert_eq!(
        f.code("calling.record.pause", json!({"control_id": "r1"})),
        "404"
    );
}

#[test]
fn s1_2_a_silent_caller_ends_the_recording_with_no_input_after_initial_timeout() {
    let caller = CallerScript {
        recording: RecordingScript {
            no_input: true,
            ..RecordingScript::default()
        },
        ..CallerScript::default()
    };
    let mut f = Fixture::with(caller);
    let mut params = record_params("r1");
    params["record"]["audio"]["initial_timeout"] = json!(2.0);
    f.call("calling.record", params);
    assert!(f.advance(1.9).is_empty());
    let events = f.advance(0.1);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["state"], "no_input");
    assert!(events[0].1.get("url").is_none());
}

#[test]
fn s1_2_record_params_are_checked() {
    let mut f = Fixture::new(SimConfig::new());
    for params in [
        json!({"control_id": "r"}),
        json!({"control_id": "r", "record": "audio"}),
        json!({"control_id": "r", "record": {"audio": {"format": "ogg"}}}),
        json!({"control_id": "r", "record": {"audio": {"initial_timeout": -1}}}),
        json!({"record": {"audio": {}}}),
    ] {
        assert_eq!(f.code("calling.record", params.clone()), "400", "{params}");
    }
    f.call("calling.record", record_params("r"));
    assert_eq!(f.code("calling.record", record_params("r")), "409");
}

// ----- §1.3 collect -----

#[test]
fn s1_3_digits_end_at_a_terminator_with_the_terminator() {
    let mut f = Fixture::with(keys("12#9"));
    let (result, events) = f.call(
        "calling.collect",
        json!({"control_id": "c1", "digits": {"max": 4, "terminators": "#*"}}),
    );
    assert_eq!(
        result,
        json!({"code": "200", "message": "Collecting", "call_id": f.call_id, "control_id": "c1"})
    );
    assert!(events.is_empty(), "nothing until the caller answers");
    assert_eq!(
        f.advance(1.0),
        [collected("c1", digit("12", "#"), true, "finished")]
    );
    assert!(f.advance(60.0).is_empty());
}

#[test]
fn s1_3_digits_end_at_max_with_an_empty_terminator() {
    let mut f = Fixture::with(keys("98765"));
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "digits": {"max": 3}}),
    );
    assert_eq!(
        f.advance(1.0),
        [collected("c1", digit("987", ""), true, "finished")]
    );
}

#[test]
fn s1_3_fewer_digits_end_after_the_digit_timeout() {
    let mut f = Fixture::with(keys("42"));
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "digits": {"max": 4, "terminators": "#", "digit_timeout": 3}}),
    );
    assert!(f.advance(1.0).is_empty());
    assert!(f.advance(2.9).is_empty());
    assert_eq!(
        f.advance(0.1),
        [collected("c1", digit("42", ""), true, "finished")]
    );
}

#[test]
fn s1_3_start_of_input_and_partial_results_come_first_when_asked() {
    let mut f = Fixture::with(keys("123#"));
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "digits": {"max": 5, "terminators": "#"},
               "partial_results": true, "send_start_of_input": true}),
    );
    assert_eq!(
        f.advance(1.0),
        [
            collected("c1", json!({"type": "start_of_input"}), false, "collecting"),
            collected("c1", digit("1", ""), false, "collecting"),
            collected("c1", digit("12", ""), false, "collecting"),
            collected("c1", digit("123", ""), false, "collecting"),
            collected("c1", digit("123", "#"), true, "finished"),
        ]
    );
}

#[test]
fn s1_3_speech_gives_text_and_confidence_with_partial_words_when_asked() {
    let mut f = Fixture::with(CallerScript {
        input: CallerInput::Speech {
            text: "talk to sales".into(),
            confidence: 87.5,
        },
        input_delay: Duration::from_secs(2),
        ..CallerScript::default()
    });
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "speech": {"language": "en-US", "hints": ["sales"]},
               "partial_results": true}),
    );
    let speech =
        |text: &str| json!({"type": "speech", "params": {"text": text, "confidence": 87.5}});
    assert!(f.advance(1.9).is_empty());
    assert_eq!(
        f.advance(0.1),
        [
            collected("c1", speech("talk"), false, "collecting"),
            collected("c1", speech("talk to"), false, "collecting"),
            collected("c1", speech("talk to sales"), true, "finished"),
        ]
    );
}

#[test]
fn s1_3_no_input_counts_from_start_input_timers_only() {
    let mut f = Fixture::with(CallerScript {
        input: CallerInput::Silence,
        ..CallerScript::default()
    });
    // G: `initial_timeout` is used when `start_input_timers` is true; without it the timer
    // waits for `calling.collect.start_input_timers`.
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "digits": {"max": 1}, "initial_timeout": 2}),
    );
    assert!(f.advance(60.0).is_empty());
    let (result, events) = f.call(
        "calling.collect.start_input_timers",
        json!({"control_id": "c1"}),
    );
    assert_eq!(
        result,
        json!({"code": "200", "message": "Input timers started"})
    );
    assert!(events.is_empty());
    assert!(f.advance(1.9).is_empty());
    let no_input = json!({"type": "no_input"});
    assert_eq!(
        f.advance(0.1),
        [collected("c1", no_input.clone(), true, "finished")]
    );

    f.call(
        "calling.collect",
        json!({"control_id": "c2", "digits": {"max": 1}, "start_input_timers": true}),
    );
    assert!(f.advance(3.9).is_empty(), "G: 4 s by default");
    assert_eq!(
        f.advance(0.1),
        [collected("c2", no_input, true, "finished")]
    );
}

#[test]
fn s1_3_input_the_collect_does_not_listen_for_goes_unheard() {
    let mut f = Fixture::with(keys("5"));
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "speech": {}, "start_input_timers": true,
               "initial_timeout": 3}),
    );
    assert_eq!(
        f.advance(3.0),
        [collected(
            "c1",
            json!({"type": "no_input"}),
            true,
            "finished"
        )]
    );
}

#[test]
fn s1_3_no_match_and_error_results() {
    let mut f = Fixture::with(CallerScript {
        input: CallerInput::NoMatch,
        ..CallerScript::default()
    });
    f.call("calling.collect", json!({"control_id": "c1", "speech": {}}));
    assert_eq!(
        f.advance(1.0),
        [collected(
            "c1",
            json!({"type": "no_match"}),
            true,
            "finished"
        )]
    );
    f.server.relay.caller_mut().input = CallerInput::Error;
    f.call(
        "calling.collect",
        json!({"control_id": "c2", "digits": {"max": 2}}),
    );
    assert_eq!(
        f.advance(1.0),
        [collected("c2", json!({"type": "error"}), true, "error")]
    );
}

#[test]
fn s1_3_stop_ends_with_state_finished_and_no_result() {
    let mut f = Fixture::with(CallerScript {
        input: CallerInput::Silence,
        ..CallerScript::default()
    });
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "digits": {"max": 1}}),
    );
    let (result, events) = f.call("calling.collect.stop", json!({"control_id": "c1"}));
    assert_eq!(result, json!({"code": "200", "message": "Collect stopped"}));
    assert_eq!(
        events,
        [ev(
            "calling.call.collect",
            json!({"control_id": "c1", "final": true, "state": "finished"})
        )]
    );
    assert_eq!(
        f.code("calling.collect.stop", json!({"control_id": "c1"})),
        "404"
    );
}

#[test]
fn s1_3_continuous_reports_each_result_and_ends_on_stop() {
    let mut f = Fixture::with(keys("7#"));
    f.call(
        "calling.collect",
        json!({"control_id": "c1", "digits": {"max": 3, "terminators": "#"},
               "continuous": true}),
    );
    assert_eq!(
        f.advance(1.0),
        [collected("c1", digit("7", "#"), true, "finished")]
    );
    assert!(f.advance(30.0).is_empty(), "still listening");
    let (_, events) = f.call("calling.collect.stop", json!({"control_id": "c1"}));
    assert_eq!(events[0].1["state"], "finished");
}

#[test]
fn s1_3_collect_params_are_checked() {
    let mut f = Fixture::new(SimConfig::new());
    for params in [
        json!({"control_id": "c"}),
        json!({"control_id": "c", "digits": {}}),
        json!({"control_id": "c", "digits": {"max": 0}}),
        json!({"control_id": "c", "digits": {"max": 2, "terminators": 5}}),
        json!({"control_id": "c", "speech": "yes"}),
        json!({"control_id": "c", "speech": {}, "partial_results": "yes"}),
        json!({"control_id": "c", "speech": {}, "initial_timeout": "soon"}),
    ] {
        assert_eq!(f.code("calling.collect", params.clone()), "400", "{params}");
    }
}

// ----- §1.4 play_and_collect -----

#[test]
fn s1_4_prompt_plays_then_the_collect_ends_it_on_the_same_control_id() {
    let mut f = Fixture::with(keys("1"));
    let (result, events) = f.call(
        "calling.play_and_collect",
        json!({"control_id": "pc", "play": tts(), "collect": digits_collect()}),
    );
    assert_eq!(
        result,
        json!({"code": "200", "message": "Prompting", "call_id": f.call_id, "control_id": "pc"})
    );
    assert_eq!(events, [play("pc", "playing")]);
    assert_eq!(f.advance(1.0), [play("pc", "finished")], "1 s prompt");
    assert!(f.advance(0.9).is_empty());
    assert!(
        f.advance(0.1).is_empty(),
        "one key of max 4: digit_timeout 3 s"
    );
    assert_eq!(
        f.advance(3.0),
        [collected("pc", digit("1", ""), true, "finished")]
    );
}

#[test]
fn s1_4_no_input_counts_from_the_end_of_the_prompt() {
    let mut f = Fixture::new(
        SimConfig::new()
            .play_duration(Duration::from_secs(5))
            .caller(CallerScript {
                input: CallerInput::Silence,
                ..CallerScript::default()
            }),
    );
    let collect = json!({"initial_timeout": 2, "digits": {"max": 1}});
    f.call(
        "calling.play_and_collect",
        json!({"control_id": "pc", "play": tts(), "collect": collect}),
    );
    assert_eq!(f.advance(5.0), [play("pc", "finished")]);
    assert!(f.advance(1.9).is_empty());
    assert_eq!(
        f.advance(0.1),
        [collected(
            "pc",
            json!({"type": "no_input"}),
            true,
            "finished"
        )]
    );
}

#[test]
fn s1_4_start_input_timers_during_the_prompt_can_end_it_early() {
    let mut f = Fixture::new(
        SimConfig::new()
            .play_duration(Duration::from_secs(10))
            .caller(CallerScript {
                input: CallerInput::Silence,
                ..CallerScript::default()
            }),
    );
    let collect = json!({"initial_timeout": 2, "digits": {"max": 1}});
    f.call(
        "calling.play_and_collect",
        json!({"control_id": "pc", "play": tts(), "collect": collect}),
    );
    let (result, _) = f.call(
        "calling.collect.start_input_timers",
        json!({"control_id": "pc"}),
    );
    assert_eq!(result["code"], "200");
    assert_eq!(
        f.advance(2.0),
        [
            play("pc", "finished"),
            collected("pc", json!({"type": "no_input"}), true, "finished")
        ]
    );
}

#[test]
fn s1_4_stop_and_volume_have_their_own_methods() {
    let mut f = Fixture::new(SimConfig::new());
    let params = json!({"control_id": "pc", "play": tts(), "collect": digits_collect()});
    f.call("calling.play_and_collect", params);
    let volume = json!({"control_id": "pc", "volume": 3});
    assert_eq!(f.code("calling.play.volume", volume.clone()), "404");
    assert_eq!(f.code("calling.play_and_collect.volume", volume), "200");
    assert_eq!(
        f.code("calling.play.stop", json!({"control_id": "pc"})),
        "404"
    );
    assert_eq!(
        f.code("calling.collect.stop", json!({"control_id": "pc"})),
        "404"
    );
    let (result, events) = f.call("calling.play_and_collect.stop", json!({"control_id": "pc"}));
    assert_eq!(result, json!({"code": "200", "message": "Prompt stopped"}));
    assert_eq!(
        events,
        [
            play("pc", "finished"),
            ev(
                "calling.call.collect",
                json!({"control_id": "pc", "final": true, "state": "finished"})
            )
        ]
    );
    // §1.4: PY-Call's pause/resume on a prompt have no such methods.
    let (error, _) = f.call(
        "calling.play_and_collect.pause",
        json!({"control_id": "pc"}),
    );
    assert_eq!(error["code"], -32601);
}

#[test]
fn s1_4_a_prompt_that_cannot_play_errors_and_the_collect_goes_on() {
    let mut f = Fixture::with(keys("3"));
    let collect = json!({"digits": {"max": 1}});
    let (_, events) = f.call(
        "calling.play_and_collect",
        json!({"control_id": "pc", "play": [{"type": "video"}], "collect": collect}),
    );
    assert_eq!(events, [play("pc", "error")]);
    assert_eq!(
        f.advance(1.0),
        [collected("pc", digit("3", ""), true, "finished")]
    );
    for params in [
        json!({"control_id": "x", "play": tts()}),
        json!({"control_id": "x", "play": [], "collect": digits_collect()}),
        json!({"control_id": "x", "play": tts(), "collect": {"digits": {}}}),
        json!({"control_id": "x", "play": tts(), "collect": digits_collect(), "volume": 99}),
    ] {
        assert_eq!(
            f.code("calling.play_and_collect", params.clone()),
            "400",
            "{params}"
        );
    }
}

// ----- §1.5 detect -----

fn machine_detect(control: &str) -> Value {
    json!({"control_id": control, "detect": {"type": "machine", "params": {}}, "timeout": 20})
}

#[test]
fn s1_5_a_human_is_human_then_the_detector_runs_to_its_timeout() {
    let mut f = Fixture::new(SimConfig::new());
    let (result, events) = f.call("calling.detect", machine_detect("d1"));
    assert_eq!(
        result,
        json!({"code": "200", "message": "Detecting", "call_id": f.call_id, "control_id": "d1"})
    );
    assert!(events.is_empty());
    assert_eq!(
        f.advance(1.0),
        [detected("d1", "machine", json!({"event": "HUMAN"}))]
    );
    assert!(f.advance(18.9).is_empty());
    assert_eq!(
        f.advance(0.1),
        [detected("d1", "machine", json!({"event": "finished"}))]
    );
}

#[test]
fn s1_5_a_machine_is_machine_not_ready_then_ready_with_the_beep() {
    let mut f = Fixture::with(CallerScript {
        answered_by: AnsweredBy::Machine { beep: true },
        greeting: Duration::from_secs(4),
        detect_delay: Duration::from_secs(2),
        ..CallerScript::default()
    });
    f.call("calling.detect", machine_detect("d1"));
    assert_eq!(
        f.advance(2.0),
        [
            detected("d1", "machine", json!({"event": "MACHINE"})),
            detected("d1", "machine", json!({"event": "NOT_READY"})),
        ]
    );
    assert!(f.advance(3.9).is_empty());
    assert_eq!(
        f.advance(0.1),
        [detected(
            "d1",
            "machine",
            json!({"event": "READY", "beep": true})
        )]
    );
    let (result, events) = f.call("calling.detect.stop", json!({"control_id": "d1"}));
    assert_eq!(result, json!({"code": "200", "message": "Detect stopped"}));
    assert_eq!(
        events,
        [detected("d1", "machine", json!({"event": "finished"}))]
    );
}

#[test]
fn s1_5_a_machine_without_a_beep_is_ready_without_beep_and_unknown_is_unknown() {
    let mut f = Fixture::with(CallerScript {
        answered_by: AnsweredBy::Machine { beep: false },
        ..CallerScript::default()
    });
    f.call("calling.detect", machine_detect("d1"));
    f.advance(1.0);
    assert_eq!(
        f.advance(3.0),
        [detected("d1", "machine", json!({"event": "READY"}))]
    );
    f.server.relay.caller_mut().answered_by = AnsweredBy::Unknown;
    f.call("calling.detect", machine_detect("d2"));
    assert_eq!(
        f.advance(1.0),
        [detected("d2", "machine", json!({"event": "UNKNOWN"}))]
    );
}

#[test]
fn s1_5_fax_detect_hears_the_scripted_tone_or_runs_to_its_timeout() {
    let mut f = Fixture::with(CallerScript {
        fax_tone: Some(FaxTone::Cng),
        ..CallerScript::default()
    });
    let params = json!({"control_id": "d1", "detect": {"type": "fax", "params": {"tone": "CNG"}}});
    f.call("calling.detect", params);
    assert_eq!(
        f.advance(1.0),
        [detected("d1", "fax", json!({"event": "CNG"}))]
    );
    f.server.relay.caller_mut().fax_tone = None;
    let params = json!({"control_id": "d2", "detect": {"type": "fax", "params": {}}});
    f.call("calling.detect", params);
    f.call("calling.detect.stop", json!({"control_id": "d1"}));
    assert!(f.advance(29.9).is_empty(), "G: 30 s by default");
    assert_eq!(
        f.advance(0.1),
        [detected("d2", "fax", json!({"event": "finished"}))]
    );
}

#[test]
fn s1_5_digit_detect_reports_each_key_it_listens_for() {
    let mut f = Fixture::with(keys("1#29"));
    let params = json!({"control_id": "d1", "detect": {"type": "digit",
                        "params": {"digits": "12"}}});
    f.call("calling.detect", params);
    assert_eq!(
        f.advance(1.0),
        [
            detected("d1", "digit", json!({"event": "1"})),
            detected("d1", "digit", json!({"event": "2"})),
        ]
    );
}

#[test]
fn s1_5_a_failing_detector_sends_error_and_ends() {
    let mut f = Fixture::with(CallerScript {
        detect_error: true,
        ..CallerScript::default()
    });
    f.call("calling.detect", machine_detect("d1"));
    assert_eq!(
        f.advance(1.0),
        [detected("d1", "machine", json!({"event": "error"}))]
    );
    assert!(f.advance(60.0).is_empty());
    for params in [
        json!({"control_id": "d"}),
        json!({"control_id": "d", "detect": {"type": "voice"}}),
        json!({"control_id": "d", "detect": {"type": "fax", "params": {"tone": "X"}}}),
        json!({"control_id": "d", "detect": {"type": "machine"}, "timeout": "long"}),
    ] {
        assert_eq!(f.code("calling.detect", params.clone()), "400", "{params}");
    }
}

// ----- §1.6 tap -----

#[test]
fn s1_6_tap_is_tapping_until_stopped_and_answers_its_source_device() {
    let mut f = Fixture::new(SimConfig::new());
    let tap = json!({"type": "audio", "params": {"direction": "both"}});
    let device = json!({"type": "rtp", "params": {"addr": "203.0.113.5", "port": 9000}});
    let (result, events) = f.call(
        "calling.tap",
        json!({"control_id": "t1", "tap": tap, "device": device}),
    );
    assert_eq!(result["code"], "200");
    assert_eq!(result["source_device"]["type"], "rtp");
    assert!(result["source_device"]["params"]["port"].is_u64());
    assert_eq!(
        events,
        [ev(
            "calling.call.tap",
            json!({"control_id": "t1", "state": "tapping", "tap": tap, "device": device})
        )]
    );
    assert!(f.advance(600.0).is_empty());
    let (result, events) = f.call("calling.tap.stop", json!({"control_id": "t1"}));
    assert_eq!(result, json!({"code": "200", "message": "Tap stopped"}));
    assert_eq!(
        events,
        [ev(
            "calling.call.tap",
            json!({"control_id": "t1", "state": "finished", "tap": tap, "device": device})
        )]
    );
    for (tap, device) in [
        (
            json!({"type": "video"}),
            json!({"type": "ws", "params": {"uri": "wss://t"}}),
        ),
        (
            json!({"type": "audio"}),
            json!({"type": "rtp", "params": {"addr": "1.2.3.4"}}),
        ),
        (json!({"type": "audio"}), json!({"type": "sip"})),
    ] {
        let params = json!({"control_id": "t2", "tap": tap, "device": device});
        assert_eq!(f.code("calling.tap", params), "400");
    }
    let ws = json!({"type": "ws", "params": {"uri": "wss://t.example"}});
    let (result, _) = f.call(
        "calling.tap",
        json!({"control_id": "t3", "tap": {"type": "audio"}, "device": ws}),
    );
    assert_eq!(result["code"], "200");
    assert!(result.get("source_device").is_none());
}

// ----- §1.7 fax -----

#[test]
fn s1_7_send_fax_reports_each_page_then_finished_with_the_result() {
    let mut f = Fixture::with(CallerScript {
        fax: FaxScript {
            pages: 2,
            page_duration: Duration::from_secs(10),
            ..FaxScript::default()
        },
        ..CallerScript::default()
    });
    let (result, events) = f.call(
        "calling.send_fax",
        json!({"control_id": "f1", "document": "https://docs.example/a.pdf",
               "identity": "+15557654321", "header_info": "ACME"}),
    );
    assert_eq!(result["message"], "Sending fax");
    assert!(events.is_empty());
    assert_eq!(
        f.advance(10.0),
        [fax("f1", "page", json!({"direction": "send", "pages": 1}))]
    );
    assert_eq!(
        f.advance(10.0),
        [
            fax("f1", "page", json!({"direction": "send", "pages": 2})),
            fax(
                "f1",
                "finished",
                json!({"direction": "send", "identity": "+15557654321",
                       "remote_identity": "+15550001111",
                       "document": "https://docs.example/a.pdf", "pages": 2, "success": true})
            ),
        ]
    );
}

#[test]
fn s1_7_receive_fax_failure_ends_with_error_and_stop_methods_are_per_direction() {
    let mut f = Fixture::with(CallerScript {
        fax: FaxScript {
            success: false,
            ..FaxScript::default()
        },
        ..CallerScript::default()
    });
    let (result, _) = f.call("calling.receive_fax", json!({"control_id": "f1"}));
    assert_eq!(result["message"], "Receiving fax");
    assert_eq!(
        f.advance(2.0),
        [
            fax("f1", "page", json!({"direction": "receive", "pages": 1})),
            fax(
                "f1",
                "error",
                json!({"direction": "receive", "identity": "+15552220000",
                       "remote_identity": "+15550001111",
                       "document": "https://files.sim.example/faxes/f1.pdf", "pages": 1,
                       "success": false})
            ),
        ]
    );
    f.call("calling.receive_fax", json!({"control_id": "f2"}));
    assert_eq!(
        f.code("calling.send_fax.stop", json!({"control_id": "f2"})),
        "404"
    );
    let (error, _) = f.call("calling.fax.stop", json!({"control_id": "f2"}));
    assert_eq!(error["code"], -32601, "§1.7: not calling.fax.stop");
    let (result, events) = f.call("calling.receive_fax.stop", json!({"control_id": "f2"}));
    assert_eq!(result, json!({"code": "200", "message": "Fax stopped"}));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["fax"]["type"], "finished");
    assert_eq!(events[0].1["fax"]["params"]["pages"], 0);
    assert_eq!(events[0].1["fax"]["params"]["success"], false);
    assert_eq!(
        f.code("calling.send_fax", json!({"control_id": "f3"})),
        "400",
        "send_fax needs a document"
    );
}

// ----- §1.8 pay -----

#[test]
fn s1_8_pay_ends_with_finished_and_the_scripted_fields_or_error() {
    let mut fields = Map::new();
    fields.insert("payment_result".into(), json!("success"));
    fields.insert("payment_card_number".into(), json!("************1111"));
    let mut f = Fixture::with(CallerScript {
        pay: PayScript {
            duration: Duration::from_secs(8),
            error: false,
            fields,
        },
        ..CallerScript::default()
    });
    let connector = "https://pay.example/connector";
    let (result, events) = f.call(
        "calling.pay",
        json!({"control_id": "y1", "payment_connector_url": connector, "charge_amount": "9.99"}),
    );
    assert_eq!(result["message"], "Payment started");
    assert!(events.is_empty());
    assert!(f.advance(7.9).is_empty());
    assert_eq!(
        f.advance(0.1),
        [ev(
            "calling.call.pay",
            json!({"control_id": "y1", "state": "finished", "payment_result": "success",
                   "payment_card_number": "************1111"})
        )]
    );
    f.server.relay.caller_mut().pay.error = true;
    f.call(
        "calling.pay",
        json!({"control_id": "y2", "payment_connector_url": connector}),
    );
    assert_eq!(
        f.advance(8.0),
        [ev(
            "calling.call.pay",
            json!({"control_id": "y2", "state": "error"})
        )]
    );
    f.call(
        "calling.pay",
        json!({"control_id": "y3", "payment_connector_url": connector}),
    );
    let (_, events) = f.call("calling.pay.stop", json!({"control_id": "y3"}));
    assert_eq!(
        events,
        [ev(
            "calling.call.pay",
            json!({"control_id": "y3", "state": "finished"})
        )]
    );
    assert_eq!(f.code("calling.pay", json!({"control_id": "y4"})), "400");
}

// ----- §1.9 transcribe -----

#[test]
fn s1_9_transcribe_runs_until_stopped_one_per_call() {
    let mut f = Fixture::new(SimConfig::new());
    let (result, events) = f.call("calling.transcribe", json!({"control_id": "x1"}));
    assert_eq!(result["message"], "Transcribing");
    assert!(events.is_empty());
    assert_eq!(
        f.code("calling.transcribe", json!({"control_id": "x2"})),
        "409",
        "G: one transcription per call"
    );
    f.advance(2.5);
    let (result, events) = f.call("calling.transcribe.stop", json!({"control_id": "x1"}));
    assert_eq!(result["code"], "200");
    assert_eq!(events.len(), 1);
    let (kind, done) = &events[0];
    assert_eq!(kind, "calling.call.transcribe");
    assert_eq!(done["state"], "finished");
    assert_eq!(
        done["url"],
        "https://files.sim.example/transcriptions/x1.json"
    );
    assert!(done["recording_id"].is_string());
    assert_eq!(done["duration"], 2.5);
    assert_eq!(done["size"], 20_000);
}

// ----- §1.10 send_digits -----

#[test]
fn s1_10_send_digits_finishes_once_every_digit_and_pause_is_sent() {
    let mut f = Fixture::new(SimConfig::new());
    let (result, events) = f.call(
        "calling.send_digits",
        json!({"control_id": "s1", "digits": "12wW#"}),
    );
    assert_eq!(result["message"], "Sending digits");
    assert!(events.is_empty());
    assert!(
        f.advance(1.7).is_empty(),
        "3 tones of 0.1 s, w 0.5 s, W 1 s"
    );
    assert_eq!(
        f.advance(0.1),
        [ev(
            "calling.call.send_digits",
            json!({"control_id": "s1", "state": "finished"})
        )]
    );
    for digits in [json!(""), json!("12x"), json!(12)] {
        let params = json!({"control_id": "s2", "digits": digits});
        assert_eq!(f.code("calling.send_digits", params), "400");
    }
    let (error, _) = f.call("calling.send_digits.stop", json!({"control_id": "s1"}));
    assert_eq!(error["code"], -32601, "§1.10: no stop method");
}

// ----- §1.11 ai -----

#[test]
fn s1_11_ai_runs_until_stopped_and_its_commands_need_a_running_agent() {
    let mut f = Fixture::new(SimConfig::new());
    let message = json!({"message_text": "hello", "role": "user"});
    // Nothing running is a conflict, not a missing call (`404` would end the call).
    for method in ["calling.ai_message", "calling.ai_hold", "calling.ai_unhold"] {
        assert_eq!(f.code(method, message.clone()), "409", "{method}");
    }
    let (result, events) = f.call(
        "calling.ai",
        json!({"control_id": "a1", "prompt": {"text": "You are helpful"}}),
    );
    assert_eq!(result["message"], "AI started");
    assert!(events.is_empty());
    let (result, events) = f.call("calling.ai_message", message);
    assert_eq!(result, json!({"code": "200", "message": "Message sent"}));
    assert!(events.is_empty());
    assert_eq!(
        f.code("calling.ai_message", json!({"role": "robot"})),
        "400"
    );
    assert_eq!(f.code("calling.ai_hold", json!({"timeout": "30"})), "200");
    assert_eq!(
        f.code("calling.ai_unhold", json!({"prompt": "back"})),
        "200"
    );
    assert!(f.advance(600.0).is_empty());
    let (result, events) = f.call("calling.ai.stop", json!({"control_id": "a1"}));
    assert_eq!(result, json!({"code": "200", "message": "AI stopped"}));
    assert_eq!(
        events,
        [ev(
            "calling.call.ai",
            json!({"control_id": "a1", "state": "finished"})
        )]
    );
}

// ----- §1.12 echo -----

#[test]
fn s1_12_echo_is_a_simple_command() {
    let mut f = Fixture::new(SimConfig::new());
    let (result, events) = f.call("calling.echo", json!({"timeout": 10}));
    assert_eq!(result, json!({"code": "200", "message": "Echo started"}));
    assert!(events.is_empty());
    assert_eq!(f.code("calling.echo", json!({"timeout": "x"})), "400");
}

// ----- methods, call end, injected events -----

#[test]
fn s0_a_calling_method_the_spec_does_not_have_is_a_json_rpc_method_not_found() {
    let mut f = Fixture::new(SimConfig::new());
    for method in ["calling.noop", "calling.record.volume", "calling.play.seek"] {
        let id = f
            .server
            .request(f.conn, method, json!({"call_id": f.call_id}));
        assert_eq!(
            f.server.sent_one(),
            json!({"jsonrpc": "2.0", "id": id,
                   "error": {"code": -32601, "message": "Method not found"}}),
            "{method}"
        );
    }
    // A known method with bad params keeps the result code.
    assert_eq!(f.code("calling.play", json!({})), "400");
    // §2 call control is known and modelled.
    assert_eq!(
        f.code("calling.transfer", json!({"dest": "context:office"})),
        "200"
    );
}

#[test]
fn s0_calling_end_finishes_each_open_action_with_its_own_terminal_event() {
    let mut f = Fixture::with(CallerScript {
        input: CallerInput::Silence,
        ..CallerScript::default()
    });
    let connector = "https://pay.example/c";
    let tap = json!({"type": "audio"});
    let device = json!({"type": "ws", "params": {"uri": "wss://t.example"}});
    for (method, params) in [
        ("calling.play", json!({"control_id": "a", "play": tts()})),
        ("calling.record", record_params("b")),
        (
            "calling.collect",
            json!({"control_id": "c", "digits": {"max": 1}}),
        ),
        (
            "calling.play_and_collect",
            json!({"control_id": "d", "play": tts(), "collect": digits_collect()}),
        ),
        ("calling.detect", machine_detect("e")),
        (
            "calling.tap",
            json!({"control_id": "f", "tap": tap, "device": device}),
        ),
        ("calling.receive_fax", json!({"control_id": "g"})),
        (
            "calling.pay",
            json!({"control_id": "h", "payment_connector_url": connector}),
        ),
        ("calling.transcribe", json!({"control_id": "i"})),
        (
            "calling.send_digits",
            json!({"control_id": "j", "digits": "1"}),
        ),
        ("calling.ai", json!({"control_id": "k"})),
        (
            "calling.stream",
            json!({"control_id": "l", "url": "wss://s.example"}),
        ),
    ] {
        assert_eq!(f.code(method, params), "200", "{method}");
    }
    f.server.side();
    let ended: Vec<(String, String, Value)> = f
        .hang_up()
        .into_iter()
        .map(|(kind, mut params)| {
            let control = params["control_id"].as_str().unwrap().to_owned();
            let map = params.as_object_mut().unwrap();
            map.remove("control_id");
            // Only the state-bearing part matters here.
            let state = map
                .get("state")
                .cloned()
                .or_else(|| map.get("detect").map(|d| d["params"]["event"].clone()))
                .or_else(|| map.get("fax").map(|d| d["type"].clone()))
                .unwrap();
            (control, kind, state)
        })
        .collect();
    let expected = [
        ("a", "calling.call.play", "finished"),
        ("b", "calling.call.record", "finished"),
        ("c", "calling.call.collect", "finished"),
        ("d", "calling.call.play", "finished"),
        ("d", "calling.call.collect", "finished"),
        ("e", "calling.call.detect", "finished"),
        ("f", "calling.call.tap", "finished"),
        ("g", "calling.call.fax", "finished"),
        ("h", "calling.call.pay", "finished"),
        ("i", "calling.call.transcribe", "finished"),
        ("j", "calling.call.send_digits", "finished"),
        ("k", "calling.call.ai", "finished"),
        ("l", "calling.call.stream", "finished"),
    ]
    .map(|(c, k, s)| (c.to_owned(), k.to_owned(), json!(s)));
    assert_eq!(ended, expected);
    assert!(f.advance(60.0).is_empty(), "no timer outlives the call");
}

#[test]
fn s0_a_far_end_hangup_sends_no_action_events() {
    let mut f = Fixture::new(SimConfig::new());
    f.call("calling.play", json!({"control_id": "a", "play": tts()}));
    f.call("calling.detect", machine_detect("b"));
    f.call("calling.record", record_params("c"));
    let call = CallId::new(&f.call_id);
    f.server.relay.end_call(&call, "hangup", f.server.now);
    let kinds: Vec<String> = f.advance(0.0).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["calling.call.state", "calling.call.state"]);
    assert!(f.advance(60.0).is_empty());
    assert!(f.server.relay.active_actions(&call).is_empty());
}

#[test]
fn s4_send_event_injects_any_event_on_the_session() {
    let mut f = Fixture::new(SimConfig::new());
    let params = json!({"call_id": f.call_id, "node_id": f.node_id, "denoised": true});
    let now = f.server.now;
    f.server
        .relay
        .send_event(f.conn, "calling.call.denoise", params, now);
    let frame = f.server.sent_one();
    let protocol = f.server.relay.session_of(f.conn).unwrap().to_owned();
    assert_eq!(frame["params"]["event_channel"], protocol.as_str());
    assert_eq!(f.server.relay.unacked_events(), 1);
    assert_eq!(
        f.events_of(vec![frame]),
        [ev("calling.call.denoise", json!({"denoised": true}))]
    );
    assert_eq!(f.server.relay.unacked_events(), 0);
}

#[test]
fn s1_4_a_driver_that_calls_in_late_gets_the_whole_sequence_with_its_spacing() {
    let mut f = Fixture::with(keys("1#"));
    let params = json!({"control_id": "pc", "play": tts(), "collect": digits_collect()});
    f.call("calling.play_and_collect", params);
    let frames_at = |f: &mut Fixture| {
        f.server.advance(Duration::from_secs(120));
        let frames = f.server.sent();
        f.server.ack_all(f.conn, &frames);
        frames
            .iter()
            .map(|frame| frame["params"]["timestamp"].as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    let stamps = frames_at(&mut f);
    assert_eq!(stamps.len(), 2, "prompt finished, then the digits");
    assert!((stamps[1] - stamps[0] - 1.0).abs() < 1e-6, "{stamps:?}");
    assert_eq!(f.server.relay.poll_timeout(), None);
}

#[test]
fn s0_actions_are_listed_while_open_and_controls_of_ended_calls_get_410() {
    let mut f = Fixture::new(SimConfig::new());
    f.call("calling.play", json!({"control_id": "a", "play": tts()}));
    f.call("calling.ai", json!({"control_id": "b"}));
    let call = CallId::new(&f.call_id);
    let open: Vec<String> = f
        .server
        .relay
        .active_actions(&call)
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    assert_eq!(open, ["a", "b"]);
    f.hang_up();
    assert_eq!(
        f.code("calling.play.pause", json!({"control_id": "a"})),
        "410"
    );
}

// ----- no panic, whatever the order -----

/// Valid starts and controls on two control ids, in any order, with time passing between:
/// every interleaving of pauses, stops, timers and call ends keeps the service sound.
fn command(which: usize, control: &str) -> (&'static str, Value) {
    let cases: [(&str, Value); 16] = [
        ("calling.play", json!({"play": tts(), "loop": 2})),
        ("calling.play.pause", json!({})),
        ("calling.play.resume", json!({})),
        ("calling.record", json!({"record": {"audio": {}}})),
        ("calling.record.pause", json!({"behavior": "silence"})),
        ("calling.record.resume", json!({})),
        (
            "calling.collect",
            json!({"digits": {"max": 2}, "partial_results": true}),
        ),
        (
            "calling.play_and_collect",
            json!({"play": tts(), "collect": digits_collect()}),
        ),
        ("calling.collect.start_input_timers", json!({})),
        (
            "calling.detect",
            json!({"detect": {"type": "machine", "params": {}}}),
        ),
        ("calling.receive_fax", json!({})),
        ("calling.send_digits", json!({"digits": "1w2"})),
        ("calling.play_and_collect.stop", json!({})),
        ("calling.record.stop", json!({})),
        ("calling.detect.stop", json!({})),
        ("calling.end", json!({})),
    ];
    let (method, mut params) = cases[which % cases.len()].clone();
    params["control_id"] = json!(control);
    (method, params)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    #[test]
    fn s0_any_order_of_commands_and_time_never_panics(
        steps in proptest::collection::vec((0usize..16, proptest::bool::ANY, 0u64..4_000), 1..24),
        machine in proptest::bool::ANY,
    ) {
        let mut f = Fixture::with(CallerScript {
            answered_by: AnsweredBy::Machine { beep: machine },
            ..keys("1#")
        });
        for (which, first, millis) in steps {
            let (method, mut params) = command(which, if first { "a" } else { "b" });
            params["call_id"] = json!(f.call_id);
            f.server.request(f.conn, method, params);
            f.server.advance(Duration::from_millis(millis));
            let frames = f.server.sent();
            f.server.ack_all(f.conn, &frames);
        }
        f.server.advance(Duration::from_secs(120));
        f.server.sent();
        proptest::prop_assert_eq!(f.server.relay.poll_timeout(), None);
    }
}
