//! Devices both ways through the engine (§2.3 of `docs/CALLING-API.md`): a device read from
//! a `calling.call.receive` event and written back into `calling.connect` and `calling.dial`
//! is the same JSON, for every device type with every option; and each invalid device is
//! refused with its typed error before anything is sent.
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use relay_rs_core::{
    CallCodec, CallId, CallState, CommandError, ConnectPlan, Device, DialPlan, Event, StreamDevice,
    StreamOptions, Track,
};
use serde_json::{json, Value};
use std::time::Duration;

/// Every device type with every option set, as the server could send it.
fn every_device_on_the_wire() -> Vec<Value> {
    vec![
        json!({"type": "phone", "params": {
            "from_number": "+15550001111", "to_number": "+15550002222", "timeout": 30,
            "max_duration": 3600, "call_state_url": "https://hooks.example/state",
            "call_state_events": ["created", "ringing", "answered", "ended"],
            "confirm": "https://swml.example/whisper.yaml"}}),
        json!({"type": "sip", "params": {
            "from": "sip:me@example.com", "to": "sip:you@example.com", "from_name": "Front desk",
            "timeout": 20, "max_duration": 60,
            "headers": [{"name": "X-Account", "value": "42"}, {"name": "X-Empty", "value": ""}],
            "codecs": ["OPUS", "G722", "H264"], "webrtc_media": true,
            "call_state_url": "https://hooks.example/sip", "call_state_events": ["ended"],
            "confirm": "version: 1.0.0"}}),
        json!({"type": "webrtc", "params": {
            "from": "+15550001111", "to": "support-room", "timeout": 10,
            "codecs": ["PCMU", "VP8"], "call_state_url": "https://hooks.example/rtc",
            "call_state_events": ["answered"], "confirm": "https://swml.example/c"}}),
        json!({"type": "agora", "params": {
            "from": "+15550001111", "to": "alice", "appid": "app-1", "channel": "chan-1",
            "call_state_url": "https://hooks.example/agora", "call_state_events": ["ended"],
            "confirm": "https://swml.example/a"}}),
        json!({"type": "call", "params": {"node_id": "node-9", "call_id": "call-9"}}),
        json!({"type": "queue", "params": {
            "node_id": "node-9", "queue_name": "support", "queue_id": "q-1"}}),
        json!({"type": "stream", "params": {
            "url": "wss://agent.example/media", "name": "agent", "codec": "L16@16000h",
            "status_url": "https://hooks.example/stream", "status_url_method": "GET",
            "realtime": true, "authorization_bearer_token": "tok",
            "custom_parameters": {"lang": "en", "turns": 3, "nested": {"a": [1, 2]}}}}),
        json!({"type": "carrier-pigeon", "params": {"loft": 7, "legs": ["a"]}}),
    ]
}

/// Offers an inbound call from `device` and gives the device the engine read.
fn received(client: &mut Client, call_id: &str, device: &Value) -> Device {
    client.event(
        &format!("recv-{call_id}"),
        "calling.call.receive",
        json!({"call_id": call_id, "node_id": "node-1", "context": "office",
               "call_state": "ringing", "direction": "inbound", "device": device}),
    );
    client.sent();
    let events = client.drain_events();
    let [Event::IncomingCall(call)] = &events[..] else {
        panic!("{events:?}")
    };
    call.device().cloned().expect("a device")
}

#[test]
fn a_received_device_goes_back_out_unchanged_in_connect_and_dial() {
    let mut client = Client::ready();
    for (i, wire) in every_device_on_the_wire().into_iter().enumerate() {
        let call_id = format!("c{i}");
        let device = received(&mut client, &call_id, &wire);
        assert_eq!(device.kind(), wire["type"], "{device:?}");

        let plan = ConnectPlan::single(device.clone());
        client
            .engine
            .connect_call(&CallId::new(call_id.as_str()), &plan, client.now)
            .unwrap();
        let connect = client.sent_one("calling.connect");
        assert_eq!(connect["params"]["devices"], json!([[wire]]), "connect");

        if !device.is_connect_only() {
            client
                .engine
                .dial(&DialPlan::single(device), client.now)
                .unwrap();
            let dial = client.sent_one("calling.dial");
            assert_eq!(dial["params"]["devices"], json!([[wire]]), "dial");
        }
    }
}

/// One invalid device of each kind of mistake, and the error that refuses it.
fn invalid_devices() -> Vec<(Device, CommandError)> {
    let option = |what: &str| CommandError::InvalidOption(what.into());
    let phone = || Device::phone().from("+1").to("+2");
    let stream = || StreamOptions::new().url("wss://agent.example/media");
    vec![
        (
            Device::phone().to("+2").into(),
            option("phone from_number is empty"),
        ),
        (
            Device::phone().from("+1").into(),
            option("phone to_number is empty"),
        ),
        (
            phone().timeout(Duration::ZERO).into(),
            option("phone timeout is zero"),
        ),
        (
            phone().max_duration(Duration::ZERO).into(),
            option("phone max_duration is zero"),
        ),
        (
            phone().call_state_url("ftp://hooks.example").into(),
            CommandError::InvalidStatusUrl("ftp://hooks.example".into()),
        ),
        (phone().confirm(" ").into(), option("confirm is empty")),
        (
            Device::sip("", "sip:b@x").into(),
            option("sip from is empty"),
        ),
        (
            Device::sip("sip:a@x", "sip:b@x").header(" ", "v").into(),
            option("sip header name is empty"),
        ),
        (
            Device::sip("sip:a@x", "sip:b@x")
                .max_duration(Duration::ZERO)
                .into(),
            option("sip max_duration is zero"),
        ),
        (Device::webrtc("a", "").into(), option("webrtc to is empty")),
        (
            Device::webrtc("a", "b").timeout(Duration::ZERO).into(),
            option("webrtc timeout is zero"),
        ),
        (
            Device::agora("a", "", "c").into(),
            option("agora appid is empty"),
        ),
        (
            Device::agora("a", "app", "").into(),
            option("agora channel is empty"),
        ),
        (
            Device::call("n1", "").into(),
            option("call call_id is empty"),
        ),
        (
            Device::call("", "c1").into(),
            option("call node_id is empty"),
        ),
        (
            Device::queue("n1", "").into(),
            option("queue queue_name is empty"),
        ),
        (
            Device::stream("wss://agent.example/media")
                .authorization_bearer_token(" ")
                .into(),
            CommandError::EmptyBearerToken,
        ),
        (
            Device::stream("wss://agent.example/media")
                .status_url("ftp://hooks.example")
                .into(),
            CommandError::InvalidStatusUrl("ftp://hooks.example".into()),
        ),
        (
            Device::stream("wss://agent.example/media")
                .codec(relay_rs_core::Codec::Opus)
                .into(),
            option("stream codec OPUS is not PCMU, PCMA or L16"),
        ),
        (
            StreamDevice::new(stream().track(Track::Both)).into(),
            option("a stream device has no track: it carries both ways"),
        ),
        (
            StreamDevice::new(stream().control_id("ctl")).into(),
            option("a stream device has no control_id: it is not an action"),
        ),
        (
            Device::from_wire(&json!({"type": "", "params": {}})).unwrap(),
            option("device type is empty"),
        ),
    ]
}

#[test]
fn each_invalid_device_is_refused_with_its_typed_error_before_anything_is_sent() {
    let mut client = Client::ready();
    client.incoming("c1");
    let call = CallId::new("c1");
    for (device, error) in invalid_devices() {
        let plan = ConnectPlan::single(device.clone());
        assert_eq!(
            client.engine.connect_call(&call, &plan, client.now),
            Err(error.clone()),
            "connect {device:?}"
        );
        if !device.is_connect_only() {
            let plan = DialPlan::single(Device::phone().from("+1").to("+2")).then(device);
            assert_eq!(
                client.engine.dial(&plan, client.now),
                Err(error),
                "dial {plan:?}"
            );
        }
    }
    // A stream device that is not wss:// names the url and why.
    let plan = ConnectPlan::single(Device::stream("ws://agent.example/media"));
    assert!(matches!(
        client.engine.connect_call(&call, &plan, client.now),
        Err(CommandError::InvalidStreamUrl { url, .. }) if url == "ws://agent.example/media"
    ));
    assert!(client.sent().is_empty());
    assert_eq!(client.engine.stats().dials, 0);
}

#[test]
fn a_device_built_here_reads_back_as_the_same_device() {
    let devices: Vec<Device> = vec![
        Device::phone()
            .from("+1")
            .to("+2")
            .timeout(Duration::from_secs(5))
            .call_state_events([CallState::Ringing])
            .into(),
        Device::sip("sip:a@x", "sip:b@y")
            .codecs([CallCodec::Pcma])
            .header("X", "1")
            .into(),
        Device::stream("wss://a.example/s")
            .realtime(false)
            .custom_parameter("k", "v")
            .into(),
    ];
    for device in devices {
        let text = serde_json::to_string(&device).unwrap();
        assert_eq!(serde_json::from_str::<Device>(&text).unwrap(), device);
    }
}
