//! The blocking facade end to end: no async in the test body, a real simulator and a real
//! stream receiver on loopback.

#[allow(unused_macros, unused_imports)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

use relay_smol::blocking::BlockingClient;
use relay_smol::receiver::{ServerRuntime, StreamReceiver};
use relay_smol::testkit::{Pacing, SimConfig};
use relay_smol::{
    ActionOutcome, CallEnd, CallState, Direction, EndReason, PlayMedia, StreamOptions,
};
use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn blocking_client_answers_streams_stops_and_hangs_up() {
    let rt: Arc<dyn ServerRuntime> = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(
        &rt,
        SimConfig::new(),
        20_000,
        Pacing::RealTime,
    ));
    let mut receiver = smol::block_on(StreamReceiver::bind(
        rt.clone(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    ))
    .expect("receiver");
    let url = receiver.url().expect("url");
    let client = BlockingClient::start(suite::client_of(&rt, &sim)).expect("client starts");
    let offered = smol::block_on(suite::offer(&rt, &sim));

    let call = client.next_call(Duration::from_secs(10)).expect("a call");
    assert_eq!(call.0.id(), &offered);
    call.answer().expect("answer");
    let stream = call
        .stream(&url, StreamOptions::new().allow_insecure_loopback(true))
        .expect("stream");
    let incoming = smol::block_on(async {
        receiver
            .accept()
            .await?
            .open()
            .await
            .map_err(std::io::Error::other)
    })
    .expect("the stream connects");
    assert!(matches!(
        stream.wait_timeout(Duration::from_millis(50)),
        Err(relay_smol::Error::WaitTimedOut)
    ));
    stream.stop().expect("stop");
    assert!(matches!(stream.wait(), Ok(ActionOutcome::Stopped { .. })));
    assert!(smol::block_on(incoming.collect()).stopped);
    call.hangup().expect("hangup");
    assert!(matches!(call.wait_for_ended(), Ok(CallEnd::Ended(_))));
    client.shutdown().expect("clean shutdown");
}

#[test]
fn blocking_call_and_stream_have_the_async_accessors_and_controls() {
    let rt: Arc<dyn ServerRuntime> = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(
        &rt,
        SimConfig::new().play_duration(Duration::from_millis(30)),
        20_000,
        Pacing::RealTime,
    ));
    let mut receiver = smol::block_on(StreamReceiver::bind(
        rt.clone(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    ))
    .expect("receiver");
    let url = receiver.url().expect("url");
    let client = BlockingClient::start(suite::client_of(&rt, &sim)).expect("client starts");
    let offered = smol::block_on(suite::offer(&rt, &sim));

    let call = client.next_call(Duration::from_secs(10)).expect("a call");
    assert_eq!(call.id(), &offered);
    assert_eq!(call.direction(), &Direction::Inbound);
    assert_eq!(call.context(), Some(suite::CONTEXT));
    assert!(call.from_number().is_some() && call.to_number().is_some());
    call.answer().expect("answer");
    assert_eq!(call.state(), CallState::Answered);

    let play = call
        .play(vec![PlayMedia::silence(Duration::from_millis(30))])
        .expect("play");
    assert!(matches!(play.wait(), Ok(ActionOutcome::Finished { .. })));

    let stream = call
        .stream(&url, StreamOptions::new().allow_insecure_loopback(true))
        .expect("stream");
    assert_eq!(stream.call_id(), call.id());
    assert!(!stream.control_id().as_str().is_empty());
    let (done_tx, done_rx) = mpsc::channel();
    stream.on_completed(move |outcome| {
        let _ = done_tx.send(outcome);
    });
    let _incoming = smol::block_on(async {
        receiver
            .accept()
            .await?
            .open()
            .await
            .map_err(std::io::Error::other)
    })
    .expect("the stream connects");
    stream.stop().expect("stop");
    let outcome = done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("on_completed ran");
    assert!(
        matches!(outcome, ActionOutcome::Stopped { .. }),
        "{outcome:?}"
    );
    assert!(stream.is_done());
    assert_eq!(stream.outcome(), Some(outcome));

    call.hangup_with(EndReason::Busy)
        .expect("hangup with a reason");
    assert!(matches!(
        call.wait_for_ended_timeout(Duration::from_secs(10)),
        Ok(CallEnd::Ended(_))
    ));
    assert!(call.is_ended());
    // The call is over: hanging up again is not an error.
    call.hangup().expect("a second hangup is Ok");
    let hangups = smol::block_on(sim.requests("calling.end"));
    assert_eq!(hangups[0]["params"]["reason"], "busy");
    client.shutdown().expect("clean shutdown");
}

#[test]
fn blocking_play_has_its_controls_and_the_call_its_events() {
    let rt: Arc<dyn ServerRuntime> = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(
        &rt,
        SimConfig::new().play_duration(Duration::from_millis(300)),
        20_000,
        Pacing::RealTime,
    ));
    let client = BlockingClient::start(suite::client_of(&rt, &sim)).expect("client starts");
    smol::block_on(suite::offer(&rt, &sim));
    let call = client.next_call(Duration::from_secs(10)).expect("a call");
    call.answer().expect("answer");
    let play = call
        .play_with(relay_smol::PlayOptions::new([PlayMedia::tts("hi")]).volume(1.0))
        .expect("play");
    play.pause().expect("pause");
    play.resume().expect("resume");
    play.set_volume(-2.0).expect("volume");
    assert!(play.wait().expect("ends").is_success());
    let pauses = smol::block_on(sim.requests("calling.play.pause"));
    assert_eq!(
        pauses[0]["params"]["control_id"].as_str(),
        Some(play.control_id().as_str())
    );
    call.hangup().expect("hangup");
    call.wait_for_state(CallState::Ended).expect("ended");
    client.shutdown().expect("clean shutdown");
}

#[test]
fn blocking_connect_returns_the_peer_then_disconnects_and_dials_with_options() {
    use relay_smol::{ConnectPlan, ConnectState, Device, DialPlan};
    let rt: Arc<dyn ServerRuntime> = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(&rt, SimConfig::new(), 100, Pacing::Fast));
    let client = BlockingClient::start(suite::client_of(&rt, &sim)).expect("client starts");
    smol::block_on(suite::offer(&rt, &sim));
    let call = client.next_call(Duration::from_secs(10)).expect("a call");
    call.answer().expect("answer");
    let peer = call
        .connect(ConnectPlan::single(
            Device::phone().from("+15550001111").to("+15553330000"),
        ))
        .expect("connected");
    assert_eq!(call.connect_state(), Some(ConnectState::Connected));
    assert_eq!(call.peer().map(|p| p.id().clone()), Some(peer.id().clone()));
    call.disconnect().expect("disconnect");
    call.wait_disconnected(Duration::from_secs(10))
        .expect("disconnected");
    assert_eq!(peer.state(), CallState::Answered);
    let busy = call
        .connect(ConnectPlan::single(
            Device::phone()
                .from("+15550001111")
                .to(relay_smol::testkit::BUSY_NUMBER),
        ))
        .map(|p| p.id().clone());
    assert_eq!(
        busy,
        Err(relay_smol::Error::ConnectFailed {
            reason: Some("busy".into())
        })
    );
    let dialled = client
        .dial(
            DialPlan::single(Device::sip("sip:me@example.com", "sip:you@example.com"))
                .region("us")
                .max_price_per_minute(0.1),
        )
        .expect("dialled");
    assert_eq!(dialled.direction(), &Direction::Outbound);
    peer.hangup().expect("peer hangup");
    call.hangup().expect("hangup");
    client.shutdown().expect("clean shutdown");
}
