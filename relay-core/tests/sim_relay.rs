//! The fake relay alone, driven by hand-written client frames: authentication, contexts,
//! offers, answer, end, dial, streams with their media jobs and webhooks, play, and the
//! `404`/`409`/`410` answers.
#![allow(clippy::unwrap_used)]

#[path = "sim_support.rs"]
mod support;

use relay_rs_core::sim::{SimConfig, SimOutput, BUSY_NUMBER, NO_ANSWER_NUMBER};
use relay_rs_core::{CallId, ControlId, HttpMethod};
use serde_json::{json, Value};
use std::time::Duration;
use support::{connect_params, event, kinds, result_of, Server};

#[test]
fn project_and_token_authenticate_without_echoing_the_token() {
    let mut server = Server::new(SimConfig::new().credentials("proj-1", "s3cret"));
    let conn = server.open(1);
    let id = server.request(
        conn,
        "signalwire.connect",
        connect_params("proj-1", "s3cret"),
    );
    let frames = server.sent();
    assert_eq!(kinds(&frames), ["result", "signalwire.authorization.state"]);
    let result = result_of(&frames[0], &id);
    let protocol = result["protocol"].as_str().unwrap();
    assert!(protocol.starts_with("signalwire_"), "{protocol}");
    assert_eq!(
        result,
        &json!({"identity": format!("proj-1@{protocol}"),
                "authorization": {"project": "proj-1", "expires_at": null, "scope": "calling"},
                "protocol": protocol, "ice_servers": []})
    );
    assert!(!frames[0].to_string().contains("s3cret"));
    let (_, data) = event(&frames[1]);
    assert!(data["authorization_state"].is_string());
    assert_eq!(frames[1]["params"]["event_channel"], protocol);
    assert_eq!(server.relay.sessions(), 1);
    assert_eq!(server.relay.session_of(conn), Some(protocol));
    assert_eq!(server.relay.unacked_events(), 1);
    server.ack(conn, &frames[1]);
    assert_eq!(server.relay.unacked_events(), 0);
    assert_eq!(server.relay.acks_received(), 1);
}

#[test]
fn bad_credentials_get_a_json_rpc_error() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    for (project, token) in [("project", "wrong"), ("other", "token"), ("", "")] {
        let id = server.request(conn, "signalwire.connect", connect_params(project, token));
        assert_eq!(
            server.sent(),
            [json!({"jsonrpc": "2.0", "id": id,
                    "error": {"code": -32002, "message": "Authentication failed"}})]
        );
    }
    let id = server.request(conn, "signalwire.connect", json!({"version": {"major": 2}}));
    assert_eq!(server.sent_one()["error"]["code"], -32002, "{id}");
    assert_eq!(server.relay.sessions(), 0);
    let id = server.request(conn, "calling.answer", json!({"call_id": "c"}));
    assert_eq!(
        server.sent_one(),
        json!({"jsonrpc": "2.0", "id": id,
               "error": {"code": -32001, "message": "Not authenticated"}})
    );
}

#[test]
fn jwt_authenticates_when_configured() {
    let mut server = Server::new(SimConfig::new().jwt("eyJ.good").project_id("p-9"));
    let conn = server.open(1);
    let mut params = connect_params("x", "y");
    params["authentication"] = json!({"jwt_token": "eyJ.good"});
    let id = server.request(conn, "signalwire.connect", params.clone());
    let frames = server.sent();
    let result = result_of(&frames[0], &id);
    assert_eq!(result["authorization"]["project"], "p-9");
    assert!(!frames[0].to_string().contains("eyJ.good"));
    params["authentication"] = json!({"jwt_token": "eyJ.bad"});
    server.request(conn, "signalwire.connect", params.clone());
    assert_eq!(server.sent_one()["error"]["code"], -32002);

    let mut no_jwt = Server::new(SimConfig::new());
    let conn = no_jwt.open(1);
    params["authentication"] = json!({"jwt_token": "eyJ.good"});
    no_jwt.request(conn, "signalwire.connect", params);
    assert_eq!(no_jwt.sent_one()["error"]["code"], -32002);
}

#[test]
fn an_unsupported_version_is_refused() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let mut params = connect_params("project", "token");
    params["version"]["major"] = json!(3);
    server.request(conn, "signalwire.connect", params);
    assert_eq!(
        server.sent_one()["error"],
        json!({"code": -32602, "message": "Unsupported protocol version"})
    );
}

#[test]
fn receive_and_unreceive_decide_where_calls_go() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    let offer = |s: &mut Server| s.relay.offer_inbound_call("office", "+1", "+2", s.now);
    assert_eq!(offer(&mut server), None);
    let id = server.request(conn, "signalwire.receive", json!({"contexts": ["office"]}));
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "200", "message":
            "Receiving all inbound related to the requested relay contexts and available scopes"})
    );
    assert!(offer(&mut server).is_some());
    server.sent();
    let id = server.request(
        conn,
        "signalwire.unreceive",
        json!({"contexts": ["office"]}),
    );
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "200");
    assert_eq!(offer(&mut server), None);
    let id = server.request(conn, "signalwire.receive", json!({"contexts": "office"}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "400");
}

#[test]
fn an_offer_goes_only_to_a_session_receiving_its_context() {
    let mut server = Server::new(SimConfig::new().project_id("proj"));
    let office = server.open(1);
    let lab = server.open(2);
    let office_protocol = server.auth(office, &["office"]);
    server.auth(lab, &["lab"]);
    let call_id = server
        .relay
        .offer_inbound_call("office", "+15551110000", "+15552220000", server.now)
        .unwrap();
    let frames = server.sent_with_conn();
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, office);
    let (event_type, data) = event(&frames[0].1);
    assert_eq!(event_type, "calling.call.receive");
    assert_eq!(frames[0].1["params"]["event_channel"], office_protocol);
    let node_id = data["node_id"].as_str().unwrap();
    let tag = data["tag"].as_str().unwrap();
    let segment_id = data["segment_id"].as_str().unwrap();
    assert_eq!(
        data,
        &json!({"call_id": call_id.as_str(), "node_id": node_id, "context": "office",
                "tag": tag, "call_state": "ringing", "direction": "inbound",
                "device": {"type": "phone", "params": {"from_number": "+15551110000",
                                                       "to_number": "+15552220000"}},
                "segment_id": segment_id, "project_id": "proj"})
    );
    assert_eq!(server.relay.call_ids(), std::slice::from_ref(&call_id));
    assert_eq!(server.relay.call_state(&call_id), Some("ringing"));
    assert_eq!(
        server
            .relay
            .offer_inbound_call("nowhere", "+1", "+2", server.now),
        None
    );
}

#[test]
fn answer_replies_then_reports_answered() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, receive) = server.inbound(conn);
    let data = &receive["params"]["params"];
    let id = server.request(
        conn,
        "calling.answer",
        json!({"call_id": call_id, "node_id": data["node_id"]}),
    );
    let frames = server.sent();
    assert_eq!(
        result_of(&frames[0], &id),
        &json!({"code": "200", "message": "Answering call"})
    );
    let (event_type, state) = event(&frames[1]);
    assert_eq!(event_type, "calling.call.state");
    assert_eq!(
        state,
        &json!({"call_id": call_id, "node_id": data["node_id"], "tag": data["tag"],
                "call_state": "answered", "direction": "inbound", "device": data["device"],
                "segment_id": data["segment_id"]})
    );
    assert_eq!(
        server.relay.call_state(&CallId::new(&call_id)),
        Some("answered")
    );
}

#[test]
fn end_reports_ending_then_ended_with_the_reason() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, node_id) = server.answered(conn);
    let id = server.request(
        conn,
        "calling.end",
        json!({"call_id": call_id, "node_id": node_id, "reason": "busy"}),
    );
    let frames = server.sent();
    assert_eq!(
        result_of(&frames[0], &id),
        &json!({"code": "200", "message": "Ending call"})
    );
    let states: Vec<(&str, &Value)> = frames[1..]
        .iter()
        .map(|f| {
            let (_, data) = event(f);
            (data["call_state"].as_str().unwrap(), &data["end_reason"])
        })
        .collect();
    assert_eq!(
        states,
        [("ending", &Value::Null), ("ended", &json!("busy"))]
    );
    let call = CallId::new(&call_id);
    assert_eq!(server.relay.call_state(&call), Some("ended"));
    assert!(server.relay.call_ids().is_empty());
    let id = server.request(conn, "calling.answer", json!({"call_id": call_id}));
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "410", "message": "Call has ended"})
    );
}

#[test]
fn unknown_calls_and_control_ids_get_404() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let id = server.request(
        conn,
        "calling.answer",
        json!({"call_id": "nope", "node_id": "n"}),
    );
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "404", "message": "Call does not exist"})
    );
    let (call_id, node_id) = server.answered(conn);
    let id = server.request(
        conn,
        "calling.stream.stop",
        json!({"call_id": call_id, "node_id": node_id, "control_id": "ghost"}),
    );
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "404", "message": "Control id does not exist"})
    );
    let id = server.request(conn, "calling.answer", json!({"node_id": node_id}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "400");
}

#[test]
fn a_call_of_another_session_is_a_conflict() {
    let mut server = Server::new(SimConfig::new());
    let office = server.open(1);
    let other = server.open(2);
    server.auth(office, &["office"]);
    server.auth(other, &[]);
    let (call_id, _) = server.inbound(office);
    let id = server.request(other, "calling.answer", json!({"call_id": call_id}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "409");
}

#[test]
fn dial_reports_states_then_the_answered_call() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    let device = json!({"type": "phone", "params": {"from_number": "+15551110000",
                                                    "to_number": "+15553330000", "timeout": 30}});
    let id = server.request(
        conn,
        "calling.dial",
        json!({"tag": "tag-1", "devices": [[device]]}),
    );
    let frames = server.sent();
    assert_eq!(
        result_of(&frames[0], &id),
        &json!({"code": "200", "message": "Dialing"})
    );
    assert_eq!(
        kinds(&frames[1..]),
        [
            "calling.call.state",
            "calling.call.state",
            "calling.call.state",
            "calling.call.dial"
        ]
    );
    let call_ids = server.relay.call_ids();
    let call_id = call_ids[0].as_str();
    for (frame, state) in frames[1..4].iter().zip(["created", "ringing", "answered"]) {
        let (_, data) = event(frame);
        assert_eq!(data["call_state"], state);
        assert_eq!(data["tag"], "tag-1");
        assert_eq!(data["direction"], "outbound");
        assert_eq!(data["device"], device);
        assert_eq!(data["call_id"], call_id);
    }
    let (_, dial) = event(&frames[4]);
    let node_id = dial["node_id"].as_str().unwrap();
    assert_eq!(
        dial,
        &json!({"tag": "tag-1", "node_id": node_id, "dial_state": "answered",
                "call": {"call_id": call_id, "node_id": node_id, "tag": "tag-1",
                         "call_state": "answered", "device": device, "direction": "outbound",
                         "segment_id": dial["call"]["segment_id"], "dial_winner": true}})
    );
    assert_eq!(server.relay.call_state(&call_ids[0]), Some("answered"));
}

#[test]
fn dialling_the_failure_numbers_ends_the_call_then_fails() {
    // Busy ends at once; no answer rings for 30 s (no device `timeout`) first.
    for (number, reason, rings) in [(NO_ANSWER_NUMBER, "noAnswer", 30), (BUSY_NUMBER, "busy", 0)] {
        let mut server = Server::new(SimConfig::new());
        let conn = server.open(1);
        server.auth(conn, &[]);
        let device = json!({"type": "phone", "params": {"from_number": "+1", "to_number": number}});
        server.request(
            conn,
            "calling.dial",
            json!({"tag": "t", "devices": [[device]]}),
        );
        let mut frames = server.sent();
        if rings > 0 {
            assert_eq!(
                kinds(&frames),
                ["result", "calling.call.state", "calling.call.state"]
            );
            server.ack_all(conn, &frames);
            server.advance(Duration::from_secs(rings - 1));
            assert!(server.sent().is_empty(), "still ringing");
            server.advance(Duration::from_secs(1));
            frames.extend(server.sent());
        }
        assert_eq!(
            kinds(&frames),
            [
                "result",
                "calling.call.state",
                "calling.call.state",
                "calling.call.state",
                "calling.call.state",
                "calling.call.dial"
            ]
        );
        let (_, ended) = event(&frames[4]);
        assert_eq!(ended["call_state"], "ended");
        assert_eq!(ended["end_reason"], reason);
        let (_, failed) = event(&frames[5]);
        assert_eq!(failed["dial_state"], "failed");
        assert_eq!(failed["reason"], reason);
        assert!(server.relay.call_ids().is_empty());
    }
}

#[test]
fn dial_without_tag_or_devices_is_400() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &[]);
    let id = server.request(conn, "calling.dial", json!({"devices": [[]]}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "400");
    let id = server.request(conn, "calling.dial", json!({"tag": "t", "devices": [[]]}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "400");
}

fn full_stream_params(call_id: &str, node_id: &str) -> Value {
    json!({"call_id": call_id, "node_id": node_id, "control_id": "ctl-1",
           "url": "wss://media.example/audio", "name": "transcriber", "codec": "PCMA",
           "track": "both_tracks", "status_url": "https://hooks.example/status",
           "status_url_method": "GET", "authorization_bearer_token": "bearer-1",
           "custom_parameters": {"lang": "en", "n": 3}})
}

#[test]
fn stream_with_every_option_becomes_a_media_job() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, node_id) = server.answered(conn);
    let id = server.request(
        conn,
        "calling.stream",
        full_stream_params(&call_id, &node_id),
    );
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "200", "message": "Stream started", "call_id": call_id,
                "control_id": "ctl-1"})
    );
    let side = server.side();
    let [SimOutput::StartMedia(job)] = side.as_slice() else {
        panic!("expected StartMedia, got {side:#?}");
    };
    assert_eq!(job.call_id, CallId::new(&call_id));
    assert_eq!(job.control_id, ControlId::new("ctl-1"));
    assert_eq!(job.url, "wss://media.example/audio");
    assert_eq!(job.name.as_deref(), Some("transcriber"));
    assert_eq!(job.codec.as_deref(), Some("PCMA"));
    assert_eq!(job.track, "both_tracks");
    assert_eq!(job.bearer_token.as_deref(), Some("bearer-1"));
    assert_eq!(
        Value::Object(job.custom_parameters.clone()),
        json!({"lang": "en", "n": 3})
    );
    assert_eq!(
        job.status_url.as_deref(),
        Some("https://hooks.example/status")
    );
    assert_eq!(job.status_url_method, HttpMethod::Get);
    assert!(!format!("{job:?}").contains("bearer-1"));
    assert_eq!(
        server.relay.active_streams(&CallId::new(&call_id)),
        [ControlId::new("ctl-1")]
    );
}

#[test]
fn a_minimal_stream_gets_the_defaults() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        json!({"call_id": call_id, "control_id": "c", "url": "ws://127.0.0.1:9/x"}),
    );
    server.sent();
    let side = server.side();
    let [SimOutput::StartMedia(job)] = side.as_slice() else {
        panic!("{side:#?}");
    };
    assert_eq!(
        (
            job.name.clone(),
            job.codec.clone(),
            job.track.as_str(),
            job.bearer_token.clone()
        ),
        (None, None, "inbound_track", None)
    );
    assert!(job.custom_parameters.is_empty());
    assert_eq!(
        (job.status_url.clone(), job.status_url_method),
        (None, HttpMethod::Post)
    );
}

#[test]
fn invalid_streams_are_400_and_duplicates_409() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    let base = json!({"call_id": call_id, "control_id": "c1", "url": "wss://a.example"});
    let cases = [
        ("url", json!("https://a.example")),
        ("url", json!("wss://")),
        ("url", json!(5)),
        ("control_id", json!("")),
        ("track", json!("sideways")),
        ("status_url_method", json!("PUT")),
        ("status_url", json!("ftp://x")),
        ("custom_parameters", json!([1])),
    ];
    for (key, value) in cases {
        let mut params = base.clone();
        params[key] = value;
        let id = server.request(conn, "calling.stream", params);
        assert_eq!(result_of(&server.sent_one(), &id)["code"], "400", "{key}");
    }
    server.request(conn, "calling.stream", base.clone());
    server.sent();
    let id = server.request(conn, "calling.stream", base);
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "409", "message": "Control id already in use"})
    );
}

#[test]
fn media_reports_become_stream_events_and_status_callbacks() {
    let mut server = Server::new(SimConfig::new().project_id("proj").space_id("space-1"));
    let conn = server.open(1);
    let protocol = server.auth(conn, &["office"]);
    let (call_id, node_id) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        full_stream_params(&call_id, &node_id),
    );
    server.sent();
    server.side();
    let control = ControlId::new("ctl-1");

    server.relay.media_started(&control, server.now);
    let frame = server.sent_one();
    let (event_type, data) = event(&frame);
    assert_eq!(event_type, "calling.call.stream");
    let segment_id = data["segment_id"].as_str().unwrap().to_owned();
    let tag = data["tag"].clone();
    let payload = |state: &str| {
        json!({"call_id": call_id, "node_id": node_id, "control_id": "ctl-1", "state": state,
               "url": "wss://media.example/audio", "name": "transcriber",
               "segment_id": segment_id, "tag": tag})
    };
    assert_eq!(data, &payload("streaming"));
    let side = server.side();
    let [SimOutput::StatusCallback { url, method, body }] = side.as_slice() else {
        panic!("{side:#?}");
    };
    assert_eq!(url, "https://hooks.example/status");
    assert_eq!(*method, HttpMethod::Get);
    assert_eq!(
        body,
        &json!({"event_type": "calling.call.stream", "event_channel": protocol,
                "timestamp": body["timestamp"], "project_id": "proj", "space_id": "space-1",
                "params": payload("streaming")})
    );
    assert!(body["timestamp"].is_f64());
    // A second start report changes nothing.
    server.relay.media_started(&control, server.now);
    assert!(server.sent().is_empty());

    server.relay.media_finished(&control, server.now);
    let frame = server.sent_one();
    assert_eq!(event(&frame).1, &payload("finished"));
    let side = server.side();
    let [SimOutput::StatusCallback { body, .. }] = side.as_slice() else {
        panic!("{side:#?}");
    };
    assert_eq!(body["params"], payload("finished"));
    assert!(server
        .relay
        .active_streams(&CallId::new(&call_id))
        .is_empty());
}

#[test]
fn failed_media_finishes_the_stream_with_the_error_in_the_callback() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, node_id) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        full_stream_params(&call_id, &node_id),
    );
    server.sent();
    server.side();
    server
        .relay
        .media_failed(&ControlId::new("ctl-1"), "connection_refused", server.now);
    let frame = server.sent_one();
    assert_eq!(event(&frame).1["state"], "finished");
    assert!(event(&frame).1.get("error").is_none());
    let side = server.side();
    let [SimOutput::StatusCallback { body, .. }] = side.as_slice() else {
        panic!("{side:#?}");
    };
    assert_eq!(body["params"]["state"], "finished");
    assert_eq!(body["params"]["error"], "connection_refused");
}

#[test]
fn stream_stop_replies_stops_media_and_finishes() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, node_id) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        json!({"call_id": call_id, "node_id": node_id, "control_id": "s1",
               "url": "wss://a.example"}),
    );
    server.sent();
    server.side();
    let id = server.request(
        conn,
        "calling.stream.stop",
        json!({"call_id": call_id, "node_id": node_id, "control_id": "s1"}),
    );
    let frames = server.sent();
    assert_eq!(
        result_of(&frames[0], &id),
        &json!({"code": "200", "message": "Stream stopped"})
    );
    assert_eq!(event(&frames[1]).1["state"], "finished");
    assert_eq!(
        server.side(),
        [SimOutput::StopMedia {
            call_id: CallId::new(&call_id),
            control_id: ControlId::new("s1")
        }]
    );
    // A media report after the stop is ignored.
    server
        .relay
        .media_finished(&ControlId::new("s1"), server.now);
    assert!(server.sent().is_empty());
}

#[test]
fn auto_media_streams_at_once_and_finishes_later() {
    let mut server = Server::new(SimConfig::new().auto_media(Duration::from_secs(5)));
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        json!({"call_id": call_id, "control_id": "s1", "url": "wss://a.example"}),
    );
    let frames = server.sent();
    assert_eq!(kinds(&frames), ["result", "calling.call.stream"]);
    assert_eq!(event(&frames[1]).1["state"], "streaming");
    assert!(server.side().is_empty(), "no StartMedia with auto_media");
    assert_eq!(
        server.relay.poll_timeout(),
        Some(server.now + Duration::from_secs(5))
    );
    server.advance(Duration::from_secs(4));
    assert!(server.sent().is_empty());
    server.advance(Duration::from_secs(1));
    let frame = server.sent_one();
    assert_eq!(event(&frame).1["state"], "finished");
    assert!(
        server.side().is_empty(),
        "no StopMedia without a media driver"
    );
}

#[test]
fn play_finishes_after_its_duration_or_at_once_when_stopped() {
    let mut server = Server::new(SimConfig::new().play_duration(Duration::from_secs(2)));
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, node_id) = server.answered(conn);
    let play = json!([{"type": "tts", "params": {"text": "hi"}}]);
    let id = server.request(
        conn,
        "calling.play",
        json!({"call_id": call_id, "node_id": node_id, "control_id": "p1", "play": play}),
    );
    let frames = server.sent();
    assert_eq!(
        result_of(&frames[0], &id),
        &json!({"code": "200", "message": "Playing", "call_id": call_id, "control_id": "p1"})
    );
    let (event_type, data) = event(&frames[1]);
    assert_eq!(event_type, "calling.call.play");
    assert_eq!(
        data,
        &json!({"call_id": call_id, "node_id": node_id, "control_id": "p1", "state": "playing"})
    );
    server.advance(Duration::from_secs(2));
    assert_eq!(event(&server.sent_one()).1["state"], "finished");

    server.request(
        conn,
        "calling.play",
        json!({"call_id": call_id, "control_id": "p2", "play": play}),
    );
    server.sent();
    let id = server.request(
        conn,
        "calling.play.stop",
        json!({"call_id": call_id, "control_id": "p2"}),
    );
    let frames = server.sent();
    assert_eq!(result_of(&frames[0], &id)["message"], "Play stopped");
    assert_eq!(event(&frames[1]).1["state"], "finished");
    server.advance(Duration::from_secs(5));
    assert!(server.sent().is_empty(), "the stopped play's timer is void");
    let id = server.request(
        conn,
        "calling.play",
        json!({"call_id": call_id, "control_id": "p3"}),
    );
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "400");
}

#[test]
fn calling_end_finishes_every_action_before_the_call() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        json!({"call_id": call_id, "control_id": "s1", "url": "wss://a.example",
               "status_url": "http://hooks.example/s"}),
    );
    server.request(
        conn,
        "calling.play",
        json!({"call_id": call_id, "control_id": "p1",
               "play": [{"type": "silence", "params": {"duration": 1}}]}),
    );
    server.sent();
    server.side();
    server.request(
        conn,
        "calling.end",
        json!({"call_id": call_id, "reason": "hangup"}),
    );
    let frames = server.sent();
    assert_eq!(
        kinds(&frames),
        [
            "result",
            "calling.call.play",
            "calling.call.stream",
            "calling.call.state",
            "calling.call.state"
        ]
    );
    assert_eq!(event(&frames[1]).1["state"], "finished");
    assert_eq!(event(&frames[2]).1["state"], "finished");
    assert_eq!(event(&frames[4]).1["end_reason"], "hangup");
    let side = server.side();
    assert_eq!(side.len(), 2, "{side:#?}");
    assert!(matches!(&side[0], SimOutput::StopMedia { .. }));
    assert!(matches!(&side[1], SimOutput::StatusCallback { body, .. }
        if body["params"]["state"] == "finished"));
}

#[test]
fn a_far_end_hangup_ends_the_call_and_stops_media_without_action_events() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    server.request(
        conn,
        "calling.stream",
        json!({"call_id": call_id, "control_id": "s1", "url": "wss://a.example"}),
    );
    server.sent();
    server.side();
    let call = CallId::new(&call_id);
    server.relay.end_call(&call, "hangup", server.now);
    let frames = server.sent();
    assert_eq!(kinds(&frames), ["calling.call.state", "calling.call.state"]);
    assert_eq!(event(&frames[0]).1["call_state"], "ending");
    assert_eq!(event(&frames[1]).1["call_state"], "ended");
    assert_eq!(event(&frames[1]).1["end_reason"], "hangup");
    assert_eq!(
        server.side(),
        [SimOutput::StopMedia {
            call_id: call.clone(),
            control_id: ControlId::new("s1")
        }]
    );
    assert_eq!(server.relay.call_state(&call), Some("ended"));
}

#[test]
fn other_methods_get_a_generic_answer_or_method_not_found() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    let (call_id, _) = server.answered(conn);
    // Part 2 call control (§2) is known (transfer answers as G's table says); a `calling.*`
    // name the spec does not have is not found, as any other unknown method.
    let id = server.request(
        conn,
        "calling.transfer",
        json!({"call_id": call_id, "dest": "context:office"}),
    );
    assert_eq!(
        result_of(&server.sent_one(), &id),
        &json!({"code": "200", "message": "Transferring"})
    );
    let id = server.request(conn, "calling.bogus", json!({"call_id": call_id}));
    assert_eq!(
        server.sent_one(),
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}})
    );
    // `messaging.send` is modelled (§3): empty params are a 400, not an unknown method.
    let id = server.request(conn, "messaging.send", json!({}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "400");
    let id = server.request(conn, "messaging.bogus", json!({}));
    assert_eq!(
        server.sent_one(),
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found"}})
    );
    let id = server.request(conn, "signalwire.ping", json!({"timestamp": 1}));
    assert_eq!(result_of(&server.sent_one(), &id), &json!({}));
}

#[test]
fn client_pings_are_answered_even_before_auth() {
    let mut server = Server::new(SimConfig::new());
    let conn = server.open(1);
    let id = server.request(conn, "signalwire.ping", json!({}));
    assert_eq!(
        server.sent_one(),
        json!({"jsonrpc": "2.0", "id": id, "result": {}})
    );
}

#[test]
fn server_pings_go_out_on_the_interval_and_acks_are_counted() {
    let mut server = Server::new(SimConfig::new().ping_interval(Duration::from_secs(10)));
    let conn = server.open(1);
    server.auth(conn, &[]);
    let acks = server.relay.acks_received();
    server.advance(Duration::from_secs(9));
    assert!(server.sent().is_empty());
    server.advance(Duration::from_secs(1));
    let ping = server.sent_one();
    assert_eq!(ping["method"], "signalwire.ping");
    assert!(ping["params"]["timestamp"].is_f64());
    server.ack(conn, &ping);
    assert_eq!(server.relay.acks_received(), acks + 1);
    server.advance(Duration::from_secs(10));
    assert_eq!(server.sent_one()["method"], "signalwire.ping");
    server.relay.send_ping(conn, server.now);
    assert_eq!(server.sent_one()["method"], "signalwire.ping");
}

#[test]
fn offers_arrive_on_the_configured_interval() {
    let mut server = Server::new(SimConfig::new().offer_every(Duration::from_secs(3), "office"));
    let conn = server.open(1);
    server.auth(conn, &["office"]);
    server.advance(Duration::from_secs(3));
    let frame = server.sent_one();
    assert_eq!(event(&frame).0, "calling.call.receive");
    assert_eq!(event(&frame).1["context"], "office");
    server.advance(Duration::from_secs(3));
    assert_eq!(server.sent().len(), 1);
    assert_eq!(server.relay.call_ids().len(), 2);
}

#[test]
fn offers_rotate_over_receiving_sessions() {
    let mut server = Server::new(SimConfig::new());
    let a = server.open(1);
    let b = server.open(2);
    server.auth(a, &["office"]);
    server.auth(b, &["office"]);
    let mut seen = Vec::new();
    for _ in 0..4 {
        server
            .relay
            .offer_inbound_call("office", "+1", "+2", server.now);
        seen.push(server.sent_with_conn()[0].0);
    }
    assert_eq!(seen[0], seen[2]);
    assert_eq!(seen[1], seen[3]);
    assert_ne!(seen[0], seen[1]);
}

#[test]
fn same_seed_same_frames() {
    let run = || {
        let mut server = Server::new(SimConfig::new().seed(42));
        let conn = server.open(1);
        server.auth(conn, &["office"]);
        server
            .relay
            .offer_inbound_call("office", "+1", "+2", server.now);
        server.sent()
    };
    assert_eq!(run(), run());
}

#[test]
fn received_and_requests_record_every_parsed_frame() {
    let mut server = Server::new(SimConfig::new());
    let a = server.open(1);
    let b = server.open(2);
    server.auth(a, &["office"]);
    server.raw(b, "not json");
    server.request(b, "signalwire.ping", json!({}));
    server.sent();
    assert_eq!(server.relay.received(b).len(), 1);
    assert_eq!(server.relay.requests("signalwire.connect").len(), 1);
    assert_eq!(server.relay.requests("signalwire.ping").len(), 1);
    let all = server.relay.received_all();
    assert_eq!(all.first().map(|(c, _)| *c), Some(a));
    assert_eq!(all.last().map(|(c, _)| *c), Some(b));
    assert_eq!(server.relay.connections(), [a, b]);
}

#[test]
fn a_passed_offer_goes_to_another_session_of_the_context() {
    let mut server = Server::new(SimConfig::new());
    let first = server.open(1);
    server.auth(first, &["office"]);
    let second = server.open(2);
    server.auth(second, &["office"]);
    let call = server
        .relay
        .offer_inbound_call("office", "+1555", "+1666", server.now)
        .unwrap();
    let offered = server.sent_with_conn();
    let (owner, offer) = offered[0].clone();
    let other = if owner == first { second } else { first };
    server.ack(owner, &offer);
    let (_, data) = event(&offer);
    let node_id = data["node_id"].as_str().unwrap().to_owned();
    let id = server.request(
        owner,
        "calling.pass",
        json!({"call_id": call.as_str(), "node_id": node_id}),
    );
    let frames = server.sent_with_conn();
    assert_eq!(frames[0].0, owner);
    assert_eq!(
        result_of(&frames[0].1, &id),
        &json!({"code": "200", "message": "Call passed"})
    );
    // The other session is offered the same call, still ringing.
    assert_eq!(frames.len(), 2, "{frames:#?}");
    assert_eq!(frames[1].0, other);
    let (kind, data) = event(&frames[1].1);
    assert_eq!(kind, "calling.call.receive");
    assert_eq!(data["call_id"], call.as_str());
    assert_eq!(data["call_state"], "ringing");
    assert_eq!(server.relay.call_state(&call), Some("ringing"));
    // The session that passed it no longer controls it.
    let id = server.request(owner, "calling.answer", json!({"call_id": call.as_str()}));
    assert_eq!(result_of(&server.sent_one(), &id)["code"], "409");
}

#[test]
fn the_record_keeps_the_last_frames_within_its_bounds() {
    let mut server = Server::new(SimConfig::new().record_bounds(3, 1 << 20));
    let conn = server.open(1);
    for n in 0..10 {
        server.request(conn, "signalwire.ping", json!({ "n": n }));
    }
    server.sent();
    let kept: Vec<&Value> = server.relay.received(conn);
    assert_eq!(
        kept.iter()
            .map(|f| f["params"]["n"].clone())
            .collect::<Vec<_>>(),
        [json!(7), json!(8), json!(9)]
    );
    assert_eq!(server.relay.forgotten_frames(), 7);
    // The byte bound: a frame past it pushes out the oldest ones.
    let mut server = Server::new(SimConfig::new().record_bounds(100, 200));
    let conn = server.open(1);
    server.request(conn, "signalwire.ping", json!({"pad": "x".repeat(100)}));
    server.request(conn, "signalwire.ping", json!({"pad": "y".repeat(100)}));
    assert_eq!(server.relay.received(conn).len(), 1);
    assert_eq!(
        server.relay.received(conn)[0]["params"]["pad"],
        "y".repeat(100)
    );
}

#[test]
fn a_bad_auth_flood_leaves_a_bounded_record_unless_a_test_asks_for_all() {
    let flood = |config: SimConfig| {
        let mut server = Server::new(config);
        let conn = server.open(1);
        for _ in 0..relay_rs_core::sim::DEFAULT_MAX_RECORDED_FRAMES + 50 {
            server.request(
                conn,
                "signalwire.connect",
                connect_params("project", "wrong"),
            );
        }
        server.sent();
        (
            server.relay.received(conn).len(),
            server.relay.forgotten_frames(),
        )
    };
    let bounded = relay_rs_core::sim::DEFAULT_MAX_RECORDED_FRAMES;
    assert_eq!(flood(SimConfig::new()), (bounded, 50));
    assert_eq!(
        flood(SimConfig::new().record_everything()),
        (bounded + 50, 0)
    );
}

#[test]
fn a_socket_that_does_not_authenticate_in_time_is_closed() {
    let mut server = Server::new(SimConfig::new().auth_timeout(Duration::from_secs(10)));
    let idle = server.open(1);
    let authed = server.open(2);
    server.auth(authed, &["office"]);
    server.now += Duration::from_millis(9_999);
    server.relay.handle_timeout(server.now);
    assert!(server.side().is_empty(), "not yet");
    server.now += Duration::from_millis(1);
    server.relay.handle_timeout(server.now);
    assert_eq!(server.side(), [SimOutput::Close { conn: idle }]);
    assert_eq!(server.relay.connections(), [authed]);
    assert_eq!(server.relay.auth_timeouts(), 1);
    // A socket id used again is a new socket with a deadline of its own.
    let again = server.open(1);
    server.now += Duration::from_secs(5);
    server.relay.handle_timeout(server.now);
    assert!(server.side().is_empty());
    assert_eq!(server.relay.connections(), [again, authed]);
}
