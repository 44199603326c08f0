//! `calling.stream` through the one start path (issue 16 item 4): `StreamOptions` is an
//! `ActionRequest` like every other action's options, so `Engine::start` with options that
//! carry their url and `Engine::stream(url, options)` send the same frame and run the same
//! checks.
#![allow(clippy::unwrap_used)]

mod common;

use common::Client;
use relay_rs_core::{
    ActionKind, ActionRequest, CallId, Codec, CommandError, ControlId, StreamOptions, Track,
};
use serde_json::json;

fn answered() -> (Client, CallId) {
    let mut client = Client::ready();
    client.incoming("c1");
    (client, CallId::new("c1"))
}

fn options() -> StreamOptions {
    StreamOptions::new()
        .name("s")
        .codec(Codec::Pcma)
        .track(Track::Both)
        .authorization_bearer_token("tok")
        .custom_parameter("k", "v")
        .control_id("ctl-1")
}

#[test]
fn start_and_stream_send_the_same_frame() {
    let (mut client, call) = answered();
    let request = options().url("wss://h/a");
    assert_eq!(request.kind(), ActionKind::Stream);
    let started = client.engine.start(&call, &request, client.now).unwrap();
    let by_start = client.sent_one("calling.stream");

    let (mut client, call) = answered();
    let streamed = client
        .engine
        .stream(&call, "wss://h/a", &options(), client.now)
        .unwrap();
    let by_stream = client.sent_one("calling.stream");

    assert_eq!(started.control_id, ControlId::new("ctl-1"));
    assert_eq!(streamed.control_id, started.control_id);
    assert_eq!(by_start["params"], by_stream["params"]);
    assert_eq!(
        by_start["params"],
        json!({"node_id": "node-1", "call_id": "c1", "control_id": "ctl-1",
               "url": "wss://h/a", "name": "s", "codec": "PCMA", "track": "both_tracks",
               "authorization_bearer_token": "tok", "custom_parameters": {"k": "v"}})
    );
}

#[test]
fn the_url_argument_of_stream_wins_over_the_options_own() {
    let (mut client, call) = answered();
    let options = StreamOptions::new().url("wss://old/x");
    client
        .engine
        .stream(&call, "wss://new/y", &options, client.now)
        .unwrap();
    assert_eq!(
        client.sent_one("calling.stream")["params"]["url"],
        "wss://new/y"
    );
}

#[test]
fn start_refuses_what_stream_refuses_before_any_frame() {
    let (mut client, call) = answered();
    let no_url = StreamOptions::new();
    assert!(matches!(
        client.engine.start(&call, &no_url, client.now),
        Err(CommandError::InvalidStreamUrl { .. })
    ));
    let empty_token = StreamOptions::new()
        .url("wss://h")
        .authorization_bearer_token(" ");
    assert_eq!(
        client.engine.start(&call, &empty_token, client.now),
        Err(CommandError::EmptyBearerToken)
    );
    let bad_status = StreamOptions::new().url("wss://h").status_url("ftp://x");
    assert_eq!(
        client.engine.start(&call, &bad_status, client.now),
        Err(CommandError::InvalidStatusUrl("ftp://x".into()))
    );
    assert!(client.sent().is_empty());
}
