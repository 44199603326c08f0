//! Connecting a call to a two-way stream device (`Device::stream`, issue 19 item 1): every
//! option on the exact `calling.connect` frame, L16 at 16 and 24 kHz typed, bad options refused
//! before anything is sent, and the bearer token kept out of `Debug`. In memory on virtual time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use relay_rs_core::driver::Error;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::{Codec, ConnectPlan, Device, HttpMethod, StreamDevice};
use serde_json::json;

const CONTEXT: &str = "office";

fn every_option() -> StreamDevice {
    Device::stream("wss://agent.example/media")
        .name("agent")
        .codec(Codec::L16At24k)
        .status_url("https://hooks.example/stream")
        .status_url_method(HttpMethod::Post)
        .realtime(true)
        .authorization_bearer_token("s3cret-token")
        .custom_parameter("lang", "en")
        .custom_parameter("turns", 3)
}

#[test]
fn l16_codecs_are_typed_and_round_trip() {
    assert_eq!(Codec::L16At16k.as_wire(), "L16@16000h");
    assert_eq!(Codec::L16At24k.as_wire(), "L16@24000h");
    assert_eq!(Codec::from_wire("L16@16000h"), Codec::L16At16k);
    assert_eq!(Codec::from_wire("L16@24000h"), Codec::L16At24k);
    let device: Device = every_option().into();
    assert_eq!(Device::from_wire(&device.to_wire()), Some(device));
}

#[test]
fn the_bearer_token_is_not_in_debug() {
    let shown = format!("{:?}", every_option());
    assert!(!shown.contains("s3cret-token"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
}

#[test]
fn connect_to_a_stream_device_sends_every_option_exactly() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        relay
            .offer_call(CONTEXT, "+15551110000", "+15552220000")
            .unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        let plan = ConnectPlan::single(every_option()).tag("to-agent");
        call.connect(plan).await.unwrap();
        let connect = &relay.requests("calling.connect")[0]["params"];
        assert_eq!(
            connect["devices"],
            json!([[{"type": "stream", "params": {
                "url": "wss://agent.example/media", "name": "agent", "codec": "L16@24000h",
                "status_url": "https://hooks.example/stream", "status_url_method": "POST",
                "realtime": true, "authorization_bearer_token": "s3cret-token",
                "custom_parameters": {"lang": "en", "turns": 3}}}]])
        );
        assert_eq!(connect["tag"], "to-agent");

        // Refused before sending: not wss, an empty token, a codec streams do not carry, a
        // status url that is not HTTP(S).
        let refused = [
            (
                Device::stream("ws://agent.example/media"),
                "InvalidStreamUrl",
            ),
            (
                Device::stream("wss://agent.example/media").authorization_bearer_token(" "),
                "EmptyBearerToken",
            ),
            (
                Device::stream("wss://agent.example/media").codec(Codec::Opus),
                "InvalidOption",
            ),
            (
                Device::stream("wss://agent.example/media").status_url("ftp://x"),
                "InvalidStatusUrl",
            ),
        ];
        for (device, kind) in refused {
            match call.connect(ConnectPlan::single(device)).await {
                Err(Error::Command(error)) => {
                    assert!(
                        format!("{error:?}").starts_with(kind),
                        "{error:?} for {kind}"
                    )
                }
                other => panic!("{kind}: {:?}", other.map(|c| c.id().clone())),
            }
        }
        assert_eq!(relay.requests("calling.connect").len(), 1);
        call.hangup().await.unwrap();
    });
    client.shutdown();
    assert_eq!(relay.run(relay.wait_client_stopped()), "ok");
}
