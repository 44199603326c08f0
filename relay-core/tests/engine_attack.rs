//! A hostile server against the engine (issue 17): events cost the same whatever the number
//! of tracked calls, forged legs and peers are not tracked past what the app asked for, every
//! tracked call counts against one hard bound, and absurd request ids are not echoed.
#![allow(clippy::unwrap_used)]

mod common;

use common::{config, Client};
use relay_rs_core::{
    CallId, ConnectPlan, Device, DialPlan, EngineConfig, EngineStats, Event, ProtocolError,
    StreamOptions, Transmit,
};
use serde_json::json;

/// Feeds a raw `signalwire.event` and throws away the ack (cheaper than parsing it).
fn raw_event(client: &mut Client, id: &str, event_type: &str, params: &str) {
    let frame = format!(
        r#"{{"jsonrpc":"2.0","id":"{id}","method":"signalwire.event","params":{{"event_type":"{event_type}","params":{params}}}}}"#
    );
    client.engine.handle_frame(&frame, client.now);
    while client.engine.poll_transmit().is_some() {}
}

fn offer(client: &mut Client, call_id: &str) {
    let params = format!(
        r#"{{"call_id":"{call_id}","node_id":"n1","context":"office","call_state":"ringing","direction":"inbound"}}"#
    );
    raw_event(
        client,
        &format!("r-{call_id}"),
        "calling.call.receive",
        &params,
    );
}

fn drain(client: &mut Client) -> usize {
    std::iter::from_fn(|| client.engine.poll_event()).count()
}

fn uncapped() -> EngineConfig {
    let mut config = config();
    config.max_active_calls = None;
    config.max_tracked_calls = 200_000;
    config
}

/// Work (call-table visits) per `connected` event without a peer, with `tracked` calls.
fn visits_per_connected_event(tracked: usize) -> u64 {
    let mut client = Client::new(uncapped());
    client.connect_and_auth("p");
    for i in 0..tracked {
        offer(&mut client, &format!("c{i}"));
    }
    drain(&mut client);
    // c0 bridges to an agent; the agent's leg is announced (answered) under the tag. Its id
    // sorts after every other call's, so a scan in id order would visit them all first.
    let plan = ConnectPlan::single(Device::phone().from("+1").to("+2")).tag("bridge");
    client
        .engine
        .connect_call(&CallId::from("c0"), &plan, client.now)
        .unwrap();
    raw_event(
        &mut client,
        "leg",
        "calling.call.state",
        r#"{"call_id":"zz-agent","node_id":"n1","tag":"bridge","call_state":"answered"}"#,
    );
    drain(&mut client);
    let before = client.engine.call_table_visits();
    const EVENTS: u64 = 1000;
    for i in 0..EVENTS {
        raw_event(
            &mut client,
            &format!("x{i}"),
            "calling.call.connect",
            r#"{"call_id":"c0","node_id":"n1","connect_state":"connected"}"#,
        );
    }
    // Each found the agent's leg as the peer.
    let peers = std::iter::from_fn(|| client.engine.poll_event())
        .filter(|e| matches!(e, Event::Connect { update, .. } if update.peer.as_ref().is_some_and(|p| p.call_id.as_str() == "zz-agent")))
        .count();
    assert_eq!(peers, EVENTS as usize);
    (client.engine.call_table_visits() - before) / EVENTS
}

#[test]
fn a_connected_event_costs_the_same_with_100_000_calls_tracked_as_with_10() {
    let few = visits_per_connected_event(10);
    let many = visits_per_connected_event(100_000);
    // A scan of every call would visit 100,000 entries per event here.
    assert_eq!(few, many, "per-event work grows with the number of calls");
    assert!(many <= 16, "{many} call-table visits per event");
}

#[test]
fn a_dial_tracks_at_most_the_legs_its_plan_rings_and_a_real_offer_is_still_taken() {
    let mut config = config();
    config.max_active_calls = Some(10);
    let mut client = Client::new(config);
    client.connect_and_auth("p");
    let plan = DialPlan::parallel([
        Device::phone().from("+1").to("+2").into(),
        Device::phone().from("+1").to("+3").into(),
    ]);
    let (_, tag) = client.engine.dial(&plan, client.now).unwrap();
    drain(&mut client);
    let mut refused = 0;
    for i in 0..200_000 {
        let params = format!(
            r#"{{"call_id":"forged{i}","node_id":"n1","tag":"{}","call_state":"ringing"}}"#,
            tag.as_str()
        );
        raw_event(&mut client, &format!("f{i}"), "calling.call.state", &params);
        refused += std::iter::from_fn(|| client.engine.poll_event())
            .filter(|e| matches!(e, Event::Protocol(ProtocolError::UntrackedLeg { .. })))
            .count();
    }
    assert_eq!(client.engine.stats().calls, 2, "two devices, two legs");
    assert_eq!(refused, 200_000 - 2);
    offer(&mut client, "real");
    let events: Vec<Event> = std::iter::from_fn(|| client.engine.poll_event()).collect();
    assert!(
        matches!(&events[..], [Event::IncomingCall(info)] if info.call_id.as_str() == "real"),
        "{events:?}"
    );
}

#[test]
fn forged_peers_are_not_tracked_on_a_call_that_never_asked_to_connect() {
    let mut config = config();
    config.max_active_calls = Some(10);
    let mut client = Client::new(config);
    client.connect_and_auth("p");
    offer(&mut client, "c0");
    drain(&mut client);
    for i in 0..200_000 {
        let params = format!(
            r#"{{"call_id":"c0","node_id":"n1","connect_state":"connected","peer":{{"call_id":"p{i}","node_id":"n1"}}}}"#
        );
        raw_event(
            &mut client,
            &format!("f{i}"),
            "calling.call.connect",
            &params,
        );
    }
    drain(&mut client);
    assert_eq!(client.engine.stats().calls, 1);
    offer(&mut client, "real");
    assert!(client.engine.call(&CallId::from("real")).is_some());
}

#[test]
fn a_connect_tracks_at_most_the_peers_its_plan_rings() {
    let mut client = Client::new(uncapped());
    client.connect_and_auth("p");
    offer(&mut client, "c0");
    let plan = ConnectPlan::single(Device::phone().from("+1").to("+2"));
    client
        .engine
        .connect_call(&CallId::from("c0"), &plan, client.now)
        .unwrap();
    drain(&mut client);
    for i in 0..1000 {
        let params = format!(
            r#"{{"call_id":"c0","node_id":"n1","connect_state":"connected","peer":{{"call_id":"p{i}","node_id":"n1"}}}}"#
        );
        raw_event(
            &mut client,
            &format!("f{i}"),
            "calling.call.connect",
            &params,
        );
    }
    drain(&mut client);
    assert!(
        client.engine.call(&CallId::from("p0")).is_some(),
        "the real peer"
    );
    assert_eq!(client.engine.stats().calls, 2);
}

#[test]
fn every_tracked_call_counts_against_one_hard_bound() {
    let mut config = config();
    config.max_active_calls = None; // the SDKs' cap switched off: the hard bound still holds
    config.max_tracked_calls = 2;
    let mut client = Client::new(config);
    client.connect_and_auth("p");
    let plan = DialPlan::parallel([
        Device::phone().from("+1").to("+2").into(),
        Device::phone().from("+1").to("+3").into(),
        Device::phone().from("+1").to("+4").into(),
    ]);
    let (_, tag) = client.engine.dial(&plan, client.now).unwrap();
    drain(&mut client);
    for i in 0..3 {
        let params = format!(
            r#"{{"call_id":"leg{i}","node_id":"n1","tag":"{}","call_state":"ringing"}}"#,
            tag.as_str()
        );
        raw_event(&mut client, &format!("l{i}"), "calling.call.state", &params);
    }
    // The plan rings three, but the bound is two tracked calls.
    assert_eq!(client.engine.stats().calls, 2);
    assert!(client.engine.call(&CallId::from("leg2")).is_none());
    drain(&mut client);
    offer(&mut client, "c1");
    let events: Vec<Event> = std::iter::from_fn(|| client.engine.poll_event()).collect();
    assert!(
        matches!(&events[..], [Event::CallPassed { limit: 2, .. }]),
        "{events:?}"
    );
}

#[test]
fn a_server_request_with_an_absurd_id_is_refused_unanswered() {
    let mut client = Client::ready();
    // The limit counts the id as written, quotes included.
    let long = "x".repeat(1023);
    client.feed(json!({"jsonrpc": "2.0", "id": long, "method": "signalwire.ping", "params": {}}));
    assert_eq!(client.transmits(), Vec::<Transmit>::new(), "not echoed");
    assert_eq!(
        client.drain_events(),
        vec![Event::Protocol(ProtocolError::ServerIdTooLong {
            len: 1025,
            limit: 1024
        })]
    );
    // At the limit it is answered.
    let ok = "y".repeat(1022);
    client.feed(json!({"jsonrpc": "2.0", "id": ok, "method": "signalwire.ping", "params": {}}));
    assert_eq!(client.sent(), vec![common::ack(&ok)]);
}

/// Everything a call holds is freed when it ends: 1,000 calls, each with a running stream,
/// come and go, and afterwards the engine's tables are empty and no call record is alive
/// but the copies the test kept. Calls of one node and context share those strings.
#[test]
fn ended_calls_free_their_records_and_tables() {
    let mut client = Client::new(uncapped());
    client.connect_and_auth("p");
    drain(&mut client);
    for i in 0..1000 {
        offer(&mut client, &format!("c{i}"));
    }
    let records: Vec<_> = std::iter::from_fn(|| client.engine.poll_event())
        .filter_map(|event| match event {
            Event::IncomingCall(call) => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(records.len(), 1000);
    assert!(records.windows(2).all(|pair| {
        std::ptr::eq(pair[0].node_id.as_str(), pair[1].node_id.as_str())
            && pair[0]
                .context
                .as_ref()
                .zip(pair[1].context.as_ref())
                .is_some_and(|(a, b)| std::sync::Arc::ptr_eq(a, b))
    }));
    for call in &records {
        let start = client
            .engine
            .stream(
                &call.call_id,
                "wss://media.example.com/s",
                &StreamOptions::new(),
                client.now,
            )
            .unwrap();
        while client.engine.poll_transmit().is_some() {}
        let frame = format!(
            r#"{{"jsonrpc":"2.0","id":"{}","result":{{"code":"200","message":"ok"}}}}"#,
            start.request_id
        );
        client.engine.handle_frame(&frame, client.now);
    }
    let active = client.engine.stats();
    assert_eq!((active.calls, active.actions), (1000, 1000));
    assert_eq!(active.pending_requests, 0);
    for (i, call) in records.iter().enumerate() {
        let params = format!(
            r#"{{"call_id":"{}","node_id":"n1","call_state":"ended","end_reason":"hangup"}}"#,
            call.call_id
        );
        raw_event(&mut client, &format!("e{i}"), "calling.call.state", &params);
    }
    drain(&mut client);
    assert_eq!(client.engine.stats(), EngineStats::default());
    assert!(records
        .iter()
        .all(|call| std::sync::Arc::strong_count(call) == 1));
    assert!(records
        .iter()
        .all(|call| client.engine.call_has_ended(&call.call_id)));
}
