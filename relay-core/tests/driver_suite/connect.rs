//! `calling.connect` and `calling.disconnect` over a real loopback WebSocket to the simulator,
//! run on every runtime like the behaviour suite (`docs/CALLING-API.md` §2.1): the peer comes
//! back as a call, both legs' ends are observed, a failed connect says why, disconnect
//! leaves both legs up.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::suite::*;
use relay_rs_core::driver::{CallEnd, Error};
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::{SimConfig, BUSY_NUMBER, NO_ANSWER_NUMBER};
use relay_rs_core::testkit::Pacing;
use relay_rs_core::{
    ConnectPlan, ConnectState, Device, DialError, DialPlan, Direction, EndReason, PlayMedia,
};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// One `#[test]` per connect behaviour for a runtime (see `behaviour_tests!`).
#[macro_export]
macro_rules! connect_tests {
    ($block_on:path, $runtime:path) => {
        connect_tests!(@tests $block_on, $runtime;
            connect_returns_the_peer_leg,
            both_legs_ends_are_observed,
            a_failed_connect_resolves_with_its_reason,
            disconnect_leaves_both_legs_up,
            dial_with_every_option_answers,
            a_failed_dial_says_why,
            a_stream_device_connect_sends_every_option,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { connect::$name($runtime()).await });
            }
        )*
    };
}

const FROM: &str = "+15550001111";
const AGENT: &str = "+15553330000";

pub async fn connect_returns_the_peer_leg(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let plan = ConnectPlan::single(
        Device::phone()
            .from(FROM)
            .to(AGENT)
            .timeout(Duration::from_secs(20)),
    )
    .ringback([PlayMedia::ringtone("us")])
    .tag("suite-bridge");
    let peer = within(&rt, 10, "connect", call.connect(plan))
        .await
        .unwrap();
    assert_eq!(peer.to_number(), Some(AGENT));
    assert_eq!(call.connect_state(), Some(ConnectState::Connected));
    let sim_peer = sim
        .with_relay({
            let id = call.id().clone();
            move |relay, _| relay.peer_of(&id)
        })
        .await
        .flatten();
    assert_eq!(sim_peer.as_ref(), Some(peer.id()));
    let connect = &sim.requests("calling.connect").await[0]["params"];
    assert_eq!(connect["tag"], "suite-bridge");
    assert_eq!(
        connect["devices"],
        json!([[{"type": "phone", "params": {"from_number": FROM, "to_number": AGENT, "timeout": 20}}]])
    );
    client.shutdown();
}

pub async fn both_legs_ends_are_observed(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let peer = within(
        &rt,
        10,
        "connect",
        call.connect(ConnectPlan::single(Device::phone().from(FROM).to(AGENT))),
    )
    .await
    .unwrap();
    // The agent hangs up: the bridge is over and the caller's call goes on.
    sim.end_call(peer.id(), "hangup").await;
    within(&rt, 10, "disconnected", call.wait_disconnected())
        .await
        .unwrap();
    let end = within(&rt, 10, "peer end", peer.wait_for_ended())
        .await
        .unwrap();
    assert_eq!(end, CallEnd::Ended(Some(EndReason::Hangup)));
    assert!(!call.is_ended());
    // A second bridge; this time the caller hangs up, which ends the peer.
    let second = within(
        &rt,
        10,
        "connect again",
        call.connect(ConnectPlan::single(Device::phone().from(FROM).to(AGENT))),
    )
    .await
    .unwrap();
    within(&rt, 10, "hangup", call.hangup()).await.unwrap();
    let end = within(&rt, 10, "second peer end", second.wait_for_ended())
        .await
        .unwrap();
    assert_eq!(end, CallEnd::Ended(Some(EndReason::Hangup)));
    client.shutdown();
}

pub async fn a_failed_connect_resolves_with_its_reason(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let busy = within(
        &rt,
        10,
        "busy connect",
        call.connect(ConnectPlan::single(
            Device::phone().from(FROM).to(BUSY_NUMBER),
        )),
    )
    .await
    .map(|peer| peer.id().clone());
    assert_eq!(
        busy,
        Err(Error::ConnectFailed {
            reason: Some("busy".into())
        })
    );
    // No answer within the device's 1 s timeout, then the plan has nothing left.
    let plan = ConnectPlan::single(
        Device::phone()
            .from(FROM)
            .to(NO_ANSWER_NUMBER)
            .timeout(Duration::from_secs(1)),
    );
    let no_answer = within(&rt, 10, "unanswered connect", call.connect(plan))
        .await
        .map(|peer| peer.id().clone());
    assert_eq!(
        no_answer,
        Err(Error::ConnectFailed {
            reason: Some("noAnswer".into())
        })
    );
    assert_eq!(call.connect_state(), Some(ConnectState::Failed));
    client.shutdown();
}

pub async fn disconnect_leaves_both_legs_up(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let peer = within(
        &rt,
        10,
        "connect",
        call.connect(ConnectPlan::single(Device::phone().from(FROM).to(AGENT))),
    )
    .await
    .unwrap();
    within(&rt, 10, "disconnect", call.disconnect())
        .await
        .unwrap();
    within(&rt, 10, "disconnected", call.wait_disconnected())
        .await
        .unwrap();
    assert_eq!(call.connect_state(), Some(ConnectState::Disconnected));
    assert!(!call.is_ended() && !peer.is_ended());
    // The peer is a call of its own: hang it up.
    within(&rt, 10, "peer hangup", peer.hangup()).await.unwrap();
    within(&rt, 10, "peer end", peer.wait_for_ended())
        .await
        .unwrap();
    assert_eq!(sim.requests("calling.disconnect").await.len(), 1);
    client.shutdown();
}

pub async fn dial_with_every_option_answers(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, _calls) = ready_client(&rt, &sim).await;
    let plan = DialPlan::single(
        Device::phone()
            .from(FROM)
            .to(AGENT)
            .timeout(Duration::from_secs(20)),
    )
    .region("us")
    .max_price_per_minute(0.25)
    .max_duration(Duration::from_secs(90));
    let call = within(&rt, 10, "dial", client.dial(plan)).await.unwrap();
    assert_eq!(call.direction(), &Direction::Outbound);
    assert_eq!(call.to_number(), Some(AGENT));
    let dial = &sim.requests("calling.dial").await[0]["params"];
    assert_eq!(dial["region"], "us");
    assert_eq!(dial["max_price_per_minute"], 0.25);
    assert_eq!(dial["max_duration"], 2, "minutes on the wire, rounded up");
    assert_eq!(
        dial["devices"],
        json!([[{"type": "phone", "params": {"from_number": FROM, "to_number": AGENT, "timeout": 20}}]])
    );
    within(&rt, 10, "hangup", call.hangup()).await.unwrap();
    let end = within(&rt, 10, "end", call.wait_for_ended()).await.unwrap();
    assert_eq!(end, CallEnd::Ended(Some(EndReason::Hangup)));
    client.shutdown();
}

pub async fn a_failed_dial_says_why(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, _calls) = ready_client(&rt, &sim).await;
    let busy = within(
        &rt,
        10,
        "busy dial",
        client.dial(DialPlan::single(Device::phone().from(FROM).to(BUSY_NUMBER))),
    )
    .await
    .map(|call| call.id().clone());
    match busy {
        Err(Error::Dial(DialError::Failed { reason, .. })) => {
            assert_eq!(reason.as_deref(), Some("busy"))
        }
        other => panic!("a busy dial gave {other:?}"),
    }
    client.shutdown();
}

/// The two-way stream device of issue 19 with every option; the same frame on every runtime.
pub fn every_option_stream_device() -> relay_rs_core::StreamDevice {
    Device::stream("wss://agent.example/media")
        .name("agent")
        .codec(relay_rs_core::Codec::L16At16k)
        .status_url("https://hooks.example/stream")
        .status_url_method(relay_rs_core::HttpMethod::Get)
        .realtime(false)
        .authorization_bearer_token("tok")
        .custom_parameter("lang", "en")
}

/// What [`every_option_stream_device`] looks like in `calling.connect`.
pub fn every_option_stream_device_wire() -> serde_json::Value {
    json!([[{"type": "stream", "params": {
        "url": "wss://agent.example/media", "name": "agent", "codec": "L16@16000h",
        "status_url": "https://hooks.example/stream", "status_url_method": "GET",
        "realtime": false, "authorization_bearer_token": "tok",
        "custom_parameters": {"lang": "en"}}}]])
}

pub async fn a_stream_device_connect_sends_every_option(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let plan = ConnectPlan::single(every_option_stream_device());
    within(&rt, 10, "connect", call.connect(plan))
        .await
        .unwrap();
    let connect = &sim.requests("calling.connect").await[0]["params"];
    assert_eq!(connect["devices"], every_option_stream_device_wire());
    client.shutdown();
}
