//! Dials in memory (issue 18): a tag the app chooses, a time-out per dial or per client, and
//! the dial's typed states as events.
#![allow(clippy::unwrap_used)]

use relay_rs_core::driver::{ClientEvent, Error};
use relay_rs_core::sim::{SimConfig, NO_ANSWER_NUMBER};
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::{CommandError, Device, DialError, DialPlan, DialState, DialTag, Event};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FROM: &str = "+15551110000";

fn phone(to: &str) -> Device {
    Device::phone().from(FROM).to(to).into()
}

#[test]
fn a_dial_carries_the_apps_tag_and_its_states_are_events() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().seed(7).build().unwrap();
    let states = Arc::new(Mutex::new(Vec::new()));
    let sink = states.clone();
    client.on_event(move |event| {
        if let ClientEvent::Engine(Event::DialState { tag, state, .. }) = event {
            sink.lock().unwrap().push((tag.clone(), state.clone()));
        }
    });
    relay.start(&client);
    let call = relay.run(async {
        relay.wait_ready().await;
        let plan = DialPlan::single(phone("+15552220000")).tag("order-42");
        client.dial(plan).await.unwrap()
    });
    let dials = relay.requests("calling.dial");
    assert_eq!(dials[0]["params"]["tag"], "order-42");
    assert_eq!(call.info().tag, Some(DialTag::new("order-42")));
    let states = states.lock().unwrap().clone();
    assert_eq!(
        states,
        vec![(DialTag::new("order-42"), DialState::Answered)]
    );
    assert!(states[0].1.is_terminal());
    assert!(!DialState::Dialing.is_terminal());
    client.shutdown();
}

#[test]
fn a_per_dial_time_out_ends_a_dial_that_rings_on() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().seed(7).build().unwrap();
    relay.start(&client);
    let result = relay.run(async {
        relay.wait_ready().await;
        // The number rings 30 s; the dial gives up after 5.
        let plan = DialPlan::single(phone(NO_ANSWER_NUMBER)).timeout(Duration::from_secs(5));
        client.dial(plan).await.map(|call| call.id().clone())
    });
    assert_eq!(result, Err(Error::Dial(DialError::TimedOut)));
    assert!(relay.elapsed() >= Duration::from_secs(5));
    assert!(
        relay.elapsed() < Duration::from_secs(30),
        "{:?}",
        relay.elapsed()
    );
    client.shutdown();
}

#[test]
fn the_client_builder_sets_the_dial_time_out_and_a_tag_in_use_is_refused() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay
        .client()
        .seed(7)
        .dial_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    relay.start(&client);
    let (first, second, empty) = relay.run(async {
        relay.wait_ready().await;
        let ringing = client.dial(DialPlan::single(phone(NO_ANSWER_NUMBER)).tag("t1"));
        let again = client.dial(DialPlan::single(phone("+15552220000")).tag("t1"));
        let empty = client
            .dial(DialPlan::single(phone("+15552220000")).tag(""))
            .await;
        let (first, second) = futures_util::future::join(ringing, again).await;
        (
            first.map(|c| c.id().clone()),
            second.map(|c| c.id().clone()),
            empty.map(|c| c.id().clone()),
        )
    });
    assert_eq!(first, Err(Error::Dial(DialError::TimedOut)));
    assert!(relay.elapsed() >= Duration::from_secs(3));
    assert!(
        relay.elapsed() < Duration::from_secs(30),
        "{:?}",
        relay.elapsed()
    );
    assert_eq!(
        second,
        Err(Error::Command(CommandError::InvalidDialTag(DialTag::new(
            "t1"
        ))))
    );
    assert_eq!(
        empty,
        Err(Error::Command(CommandError::InvalidDialTag(DialTag::new(
            ""
        ))))
    );
    client.shutdown();
}

/// One record per call: the `Call` a dial returns holds the very record the engine announced
/// the call with (not a copy), so the state the engine records is what `Call::state` says.
#[test]
fn a_dialled_call_holds_the_engines_record() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().seed(3).build().unwrap();
    let announced = Arc::new(Mutex::new(None));
    let sink = announced.clone();
    client.on_event(move |event| {
        if let ClientEvent::Engine(Event::DialCompleted {
            result: Ok(call), ..
        }) = event
        {
            *sink.lock().unwrap() = Some(call.clone());
        }
    });
    relay.start(&client);
    let call = relay.run(async {
        relay.wait_ready().await;
        client
            .dial(DialPlan::single(phone("+15552220000")))
            .await
            .unwrap()
    });
    let announced = announced.lock().unwrap().clone().unwrap();
    assert!(Arc::ptr_eq(&announced, call.info()));
    relay.run(async { call.hangup().await.unwrap() });
    relay.run(async { call.wait_for_ended().await.unwrap() });
    assert_eq!(announced.state(), relay_rs_core::CallState::Ended);
    assert_eq!(call.state(), relay_rs_core::CallState::Ended);
}
