//! The fault suite, run on every runtime like the behaviour suite: the simulator drops,
//! silences, delays and floods; each test asserts what the user's code sees.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::suite::*;
use futures_util::StreamExt;
use relay_rs_core::driver::{Call, Error};
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::{Fault, SimConfig};
use relay_rs_core::testkit::{Pacing, SimServer};
use relay_rs_core::{ActionOutcome, RequestError, StreamOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One `#[test]` per fault for a runtime (see `behaviour_tests!`).
#[macro_export]
macro_rules! fault_tests {
    ($block_on:path, $runtime:path) => {
        fault_tests!(@tests $block_on, $runtime;
            socket_dropped_during_authentication,
            socket_dropped_mid_request,
            socket_dropped_mid_stream,
            half_open_socket_is_detected_by_pings,
            slow_server_still_serves,
            event_flood_with_a_slow_handler_loses_nothing,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { faults::$name($runtime()).await });
            }
        )*
    };
}

async fn fault(sim: &SimServer, fault: Fault) {
    sim.with_relay(move |relay, _| relay.set_fault(fault)).await;
}

async fn clear(sim: &SimServer) {
    sim.with_relay(|relay, _| relay.clear_faults()).await;
}

async fn connects_at_least(rt: &Arc<dyn ServerRuntime>, sim: &SimServer, n: usize) {
    within(rt, 10, "connect attempts", async {
        while sim.requests("signalwire.connect").await.len() < n {
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

pub async fn socket_dropped_during_authentication(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    fault(&sim, Fault::DropOn("signalwire.connect".into())).await;
    let (client, _calls) = ready_client(&rt, &sim).await;
    connects_at_least(&rt, &sim, 2).await;
    // The user's code sees nothing but a later start: the client keeps trying.
    clear(&sim).await;
    offer(&rt, &sim).await;
    client.shutdown();
}

pub async fn socket_dropped_mid_request(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    fault(&sim, Fault::DropOn("calling.end".into())).await;
    let result = within(&rt, 10, "hangup over a dropped socket", call.hangup()).await;
    assert_eq!(result, Err(Error::Request(RequestError::ConnectionLost)));
    clear(&sim).await;
    connects_at_least(&rt, &sim, 2).await;
    // After the reconnect the same call can be hung up.
    within(&rt, 10, "hangup after reconnect", call.hangup())
        .await
        .unwrap();
    client.shutdown();
}

pub async fn socket_dropped_mid_stream(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 600, Pacing::RealTime).await;
    let mut receiver = relay_rs_core::receiver::StreamReceiver::bind(
        rt.clone(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let stream = call
        .stream(
            &receiver.url().unwrap(),
            StreamOptions::new().allow_insecure_loopback(true),
        )
        .await
        .unwrap();
    let reader = receiver.accept().await.unwrap().open().await.unwrap();
    sim.with_relay(|relay, _| {
        for conn in relay.connections() {
            relay.drop_connection(conn);
        }
    })
    .await;
    // The media goes on while the client reconnects; the `finished` event reaches the
    // resumed session and the stream's wait.
    let recording = within(&rt, 10, "the media to end", reader.collect()).await;
    assert!(recording.stopped);
    let outcome = within(&rt, 10, "the stream's wait", stream.wait())
        .await
        .unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Finished { .. }),
        "{outcome:?}"
    );
    let connects = sim.requests("signalwire.connect").await;
    assert!(connects.len() >= 2);
    assert!(connects[1]["params"]["protocol"].is_string());
    client.shutdown();
}

pub async fn half_open_socket_is_detected_by_pings(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let client = client_of(&rt, &sim)
        .ping_interval(Duration::from_millis(40))
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let _done = spawn_run(&rt, &client);
    offer(&rt, &sim).await;
    fault(&sim, Fault::Silent).await;
    // Three unanswered pings: the client drops the socket and connects again.
    connects_at_least(&rt, &sim, 2).await;
    assert!(sim.requests("signalwire.ping").await.len() >= 3);
    clear(&sim).await;
    offer(&rt, &sim).await;
    client.shutdown();
}

pub async fn slow_server_still_serves(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    offer(&rt, &sim).await;
    let call = within(&rt, 10, "a call", calls.next()).await.unwrap();
    fault(&sim, Fault::Delay(Duration::from_millis(200))).await;
    within(&rt, 10, "a slow answer", call.answer())
        .await
        .unwrap();
    within(&rt, 10, "a slow hangup", call.hangup())
        .await
        .unwrap();
    client.shutdown();
}

pub async fn event_flood_with_a_slow_handler_loses_nothing(rt: Arc<dyn ServerRuntime>) {
    const CALLS: usize = 300;
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let client = client_of(&rt, &sim).build().unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    let held: Arc<std::sync::Mutex<Vec<Call>>> = Arc::default();
    let (count, keep, sleeper) = (answered.clone(), held.clone(), rt.clone());
    client.on_call(move |call| {
        let (count, keep, sleeper) = (count.clone(), keep.clone(), sleeper.clone());
        async move {
            // A handler much slower than the event rate.
            sleeper.sleep(Duration::from_millis(30)).await;
            if call.answer().await.is_ok() {
                count.fetch_add(1, Ordering::SeqCst);
            }
            keep.lock().unwrap().push(call);
        }
    });
    let _done = spawn_run(&rt, &client);
    offer(&rt, &sim).await;
    sim.with_relay(|relay, now| {
        for i in 1..CALLS {
            relay.offer_inbound_call(CONTEXT, &format!("+1555{i:07}"), "+15550000000", now);
        }
    })
    .await;
    within(&rt, 20, "every call answered", async {
        while answered.load(Ordering::SeqCst) < CALLS {
            rt.sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(sim.requests("calling.answer").await.len(), CALLS);
    // Every wait resolves once the client stops.
    client.shutdown();
    let calls: Vec<Call> = held.lock().unwrap().clone();
    for call in calls {
        let end = within(
            &rt,
            10,
            "wait_for_ended after shutdown",
            call.wait_for_ended(),
        )
        .await;
        assert_eq!(end, Err(Error::Closed));
    }
}
