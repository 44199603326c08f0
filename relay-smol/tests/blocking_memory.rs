//! The blocking facade in memory on virtual time: handler threads of `on_call` run blocking
//! code while `MemoryRelay` drives the fake service; the clock moves only while they wait.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use relay_smol::blocking::BlockingClient;
use relay_smol::testkit::{MemoryRelay, SimConfig};
use relay_smol::{ActionOutcome, CallEnd, CallState};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn on_call_handlers_answer_play_and_hang_up_in_memory() {
    let relay = MemoryRelay::new(SimConfig::new().play_duration(Duration::from_secs(20)));
    let client = BlockingClient::start(relay.client().contexts(["office"])).unwrap();
    let (seen, outcomes) = mpsc::channel();
    client
        .on_call(2, move |call| {
            call.answer().unwrap();
            let play = call.play_silence(Duration::from_secs(20)).unwrap();
            let outcome = play.wait().unwrap();
            call.hangup().unwrap();
            let end = call.wait_for_ended().unwrap();
            seen.send((call.state(), outcome, end)).unwrap();
        })
        .unwrap();
    let ids = relay.run(async {
        relay.wait_ready().await;
        let a = relay
            .offer_call("office", "+15550000001", "+15550000002")
            .unwrap();
        let b = relay
            .offer_call("office", "+15550000003", "+15550000002")
            .unwrap();
        relay
            .wait_until(|r| r.call_state(&a) == Some("ended") && r.call_state(&b) == Some("ended"))
            .await;
        [a, b]
    });
    for _ in ids {
        let (state, outcome, end) = outcomes.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(
            matches!(outcome, ActionOutcome::Finished { .. }),
            "{outcome:?}"
        );
        assert_eq!(state, CallState::Ended);
        assert!(matches!(end, CallEnd::Ended(_)), "{end:?}");
    }
    // Both plays took 20 s of virtual time, side by side on two handler threads.
    assert!(relay.elapsed() >= Duration::from_secs(20));
    assert!(
        relay.elapsed() < Duration::from_secs(40),
        "{:?}",
        relay.elapsed()
    );
    assert_eq!(relay.requests("calling.play").len(), 2);
    // The test's own thread drives the harness for the shutdown's wait.
    assert_eq!(client.shutdown(), Ok(()));
}

#[test]
fn blocking_calls_from_the_test_thread_drive_the_harness() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = BlockingClient::start(relay.client().contexts(["office"])).unwrap();
    relay.run(relay.wait_ready());
    let id = relay
        .offer_call("office", "+15550000001", "+15550000002")
        .unwrap();
    let call = client
        .next_call(Duration::from_secs(5))
        .expect("the offered call");
    assert_eq!(call.id(), &id);
    call.answer().unwrap();
    // Nothing ends the call: the wait times out after 30 s of virtual time.
    let before = relay.elapsed();
    assert_eq!(
        call.wait_for_ended_timeout(Duration::from_secs(30)),
        Err(relay_smol::Error::WaitTimedOut)
    );
    assert_eq!(relay.elapsed() - before, Duration::from_secs(30));
    call.hangup().unwrap();
    assert_eq!(relay.call_state(&id).as_deref(), Some("ended"));
}
