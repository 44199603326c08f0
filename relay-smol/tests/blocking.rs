//! The blocking facade end to end: no async in the test body, a real simulator and a real
//! stream receiver on loopback.

#[allow(unused_macros, unused_imports)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

use relay_core::driver::{Pacing, StreamReceiver};
use relay_core::sim::SimConfig;
use relay_core::{ActionOutcome, StreamOptions};
use relay_smol::blocking::BlockingClient;
use relay_smol::CallEnd;
use std::net::SocketAddr;
use std::time::Duration;

#[test]
fn blocking_client_answers_streams_stops_and_hangs_up() {
    let rt = relay_smol::runtime();
    let sim = smol::block_on(suite::start_sim(
        &rt,
        SimConfig::new(),
        20_000,
        Pacing::RealTime,
    ));
    let mut receiver = smol::block_on(StreamReceiver::bind(
        rt.as_ref(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
        None,
        None,
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
