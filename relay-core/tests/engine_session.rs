//! Session behaviour: connect, auth, pings, acks, disconnect, resume, backoff, queue.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ack, config, Client};
use relay_rs_core::Payload;
use relay_rs_core::{
    CommandError, Credentials, EngineConfig, Event, RequestError, SessionError, Transmit,
};
use serde_json::json;
use std::time::Duration;

#[test]
fn connect_sends_the_full_handshake() {
    let mut client = Client::new(config());
    client.engine.open(client.now);
    assert_eq!(client.transmits(), vec![Transmit::Open]);
    client.engine.handle_connected(client.now);
    let frame = client.sent_one("signalwire.connect");
    assert_eq!(frame["jsonrpc"], "2.0");
    assert_eq!(frame["id"].as_str().unwrap().len(), 36);
    let mut params = frame["params"].clone();
    assert!(params["agent"].as_str().unwrap().starts_with("relay-rs/"));
    params.as_object_mut().unwrap().remove("agent");
    assert_eq!(
        params,
        json!({"version": {"major": 2, "minor": 0, "revision": 0}, "event_acks": true,
               "authentication": {"project": "project-1", "token": "token-1"},
               "contexts": ["office"]})
    );
}

#[test]
fn jwt_authentication_is_sent_as_jwt_token() {
    let mut client = Client::new(EngineConfig::new(Credentials::jwt("eyJ.jwt")));
    client.engine.open(client.now);
    client.transmits();
    client.engine.handle_connected(client.now);
    let frame = client.sent_one("signalwire.connect");
    assert_eq!(
        frame["params"]["authentication"],
        json!({"jwt_token": "eyJ.jwt"})
    );
    assert!(frame["params"].get("contexts").is_none());
}

#[test]
fn result_protocol_and_identity_are_kept() {
    let mut client = Client::new(config());
    client.connect_and_auth("proto-abc");
    assert_eq!(client.engine.protocol(), Some("proto-abc"));
    assert_eq!(client.engine.identity(), Some("id-1"));
    assert!(client.engine.is_ready());
    assert_eq!(
        client.drain_events(),
        vec![Event::Ready {
            protocol: "proto-abc".into(),
            resumed: false
        }]
    );
}

#[test]
fn auth_rejection_is_typed_and_final_after_three() {
    let mut client = Client::new(config());
    client.engine.open(client.now);
    for attempt in 1..=3u32 {
        assert_eq!(client.transmits(), vec![Transmit::Open]);
        client.engine.handle_connected(client.now);
        let connect = client.sent_one("signalwire.connect");
        client.respond_error(&connect, -32002, "Authentication failed");
        let events = client.drain_events();
        assert_eq!(
            events[0],
            Event::AuthRejected {
                code: -32002,
                message: "Authentication failed".into(),
                attempts: attempt
            }
        );
        if attempt < 3 {
            assert_eq!(client.transmits(), vec![Transmit::Close]);
            assert!(matches!(events[1], Event::Disconnected { .. }));
            client.jump();
        } else {
            assert_eq!(client.transmits(), vec![Transmit::Close]);
            assert_eq!(
                events[1],
                Event::Closed(SessionError::AuthRejected {
                    attempts: 3,
                    message: "Authentication failed".into()
                })
            );
        }
    }
    assert!(client.engine.is_closed());
    assert_eq!(client.engine.poll_timeout(), None);
    assert_eq!(
        client.engine.execute("x", json!({}), client.now),
        Err(CommandError::Closed)
    );
}

#[test]
fn a_success_resets_the_rejection_count() {
    let mut client = Client::new(config());
    client.engine.open(client.now);
    for _ in 0..2 {
        client.transmits();
        client.engine.handle_connected(client.now);
        let connect = client.sent_one("signalwire.connect");
        client.respond_error(&connect, -32002, "no");
        client.jump();
    }
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "p"}));
    client.engine.handle_disconnected(client.now);
    client.drain_events();
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond_error(&connect, -32002, "no");
    let events = client.drain_events();
    assert!(matches!(events[0], Event::AuthRejected { attempts: 1, .. }));
    assert!(!client.engine.is_closed());
}

#[test]
fn receive_and_unreceive_send_contexts() {
    let mut client = Client::ready();
    let id = client
        .engine
        .receive(&["sales".to_string()], client.now)
        .unwrap();
    let frame = client.sent_one("signalwire.receive");
    assert_eq!(frame["id"], id.as_str());
    assert_eq!(frame["params"], json!({"contexts": ["sales"]}));
    client.respond(&frame, json!({"code": "200", "message": "Receiving"}));
    assert_eq!(
        client.drain_events(),
        vec![Event::RequestCompleted {
            request_id: id,
            result: Ok(Payload::from(
                json!({"code": "200", "message": "Receiving"})
            ))
        }]
    );
    assert_eq!(client.engine.config().contexts, ["office", "sales"]);
    client
        .engine
        .unreceive(&["office".to_string()], client.now)
        .unwrap();
    let frame = client.sent_one("signalwire.unreceive");
    assert_eq!(frame["params"], json!({"contexts": ["office"]}));
    assert_eq!(client.engine.config().contexts, ["sales"]);
}

#[test]
fn every_server_request_is_acked_first() {
    let mut client = Client::ready();
    client.feed(json!({"jsonrpc": "2.0", "id": "p1", "method": "signalwire.ping", "params": {}}));
    client.event("e1", "some.future.event", json!({"x": 1}));
    assert_eq!(client.sent(), vec![ack("p1"), ack("e1")]);
    assert_eq!(
        client.drain_events(),
        vec![Event::Other {
            event_type: "some.future.event".into(),
            params: json!({"x": 1}).into()
        }]
    );
}

#[test]
fn pings_go_out_on_the_interval_and_three_missed_mean_reconnect() {
    let mut client = Client::ready();
    assert_eq!(client.jump(), Duration::from_secs(30));
    let ping = client.sent_one("signalwire.ping");
    client.respond(&ping, json!({}));
    for _ in 0..3 {
        assert_eq!(client.jump(), Duration::from_secs(30));
        client.sent_one("signalwire.ping");
    }
    client.jump();
    assert_eq!(client.transmits(), vec![Transmit::Close]);
    let events = client.drain_events();
    assert!(matches!(events[..], [Event::Disconnected { .. }]));
    client.jump();
    assert_eq!(client.transmits(), vec![Transmit::Open]);
}

#[test]
fn authorization_state_and_protocol_are_sent_back_on_reconnect() {
    let mut client = Client::ready();
    client.event(
        "a1",
        "signalwire.authorization.state",
        json!({"authorization_state": "opaque-state"}),
    );
    assert_eq!(client.sent(), vec![ack("a1")]);
    assert!(client.engine.has_authorization_state());
    client.engine.handle_disconnected(client.now);
    let events = client.drain_events();
    assert_eq!(
        events,
        vec![Event::Disconnected {
            reconnect_in: match events[0] {
                Event::Disconnected { reconnect_in } => reconnect_in,
                _ => unreachable!(),
            }
        }]
    );
    client.jump();
    assert_eq!(client.transmits(), vec![Transmit::Open]);
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    assert_eq!(connect["params"]["protocol"], "proto-1");
    assert_eq!(connect["params"]["authorization_state"], "opaque-state");
    client.respond(&connect, json!({"protocol": "proto-1"}));
    assert_eq!(
        client.drain_events(),
        vec![Event::Ready {
            protocol: "proto-1".into(),
            resumed: true
        }]
    );
}

fn disconnect_frame(client: &mut Client, id: &str, restart: bool) {
    client.feed(
        json!({"jsonrpc": "2.0", "id": id, "method": "signalwire.disconnect",
                       "params": {"restart": restart}}),
    );
}

#[test]
fn server_disconnect_is_acked_then_drained_until_the_server_closes() {
    let mut client = Client::ready();
    let in_flight = client
        .engine
        .execute("x.before", json!({}), client.now)
        .unwrap();
    let before = client.sent_one("x.before");
    disconnect_frame(&mut client, "d1", false);
    // Only the ack: no close from our side, nothing failed.
    let transmits = client.transmits();
    let [Transmit::Send(text)] = &transmits[..] else {
        panic!("{transmits:?}")
    };
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(text).unwrap(),
        ack("d1")
    );
    assert_eq!(client.drain_events(), vec![]);
    // New requests wait; answers to what is in flight still arrive.
    let queued = client
        .engine
        .execute("x.after", json!({}), client.now)
        .unwrap();
    assert!(client.sent().is_empty());
    client.respond(&before, json!({"code": "200"}));
    assert_eq!(
        client.drain_events(),
        vec![Event::RequestCompleted {
            request_id: in_flight,
            result: Ok(Payload::from(json!({"code": "200"})))
        }]
    );
    // The server closes: the normal jittered backoff, not zero.
    client.engine.handle_disconnected(client.now);
    let events = client.drain_events();
    let [Event::Disconnected { reconnect_in }] = events[..] else {
        panic!("{events:?}")
    };
    assert!(reconnect_in >= Duration::from_secs(1), "{reconnect_in:?}");
    assert!(
        reconnect_in <= Duration::from_millis(1200),
        "{reconnect_in:?}"
    );
    assert!(client.transmits().is_empty());
    assert_eq!(client.jump(), reconnect_in);
    assert_eq!(client.transmits(), vec![Transmit::Open]);
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    assert_eq!(connect["params"]["protocol"], "proto-1");
    client.respond(&connect, json!({"protocol": "proto-1"}));
    let sent = client.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["id"], queued.as_str());
    assert_eq!(sent[0]["method"], "x.after");
}

#[test]
fn server_disconnect_with_restart_starts_fresh() {
    let mut client = Client::ready();
    client.event(
        "a1",
        "signalwire.authorization.state",
        json!({"authorization_state": "s"}),
    );
    disconnect_frame(&mut client, "d1", true);
    client.transmits();
    client.engine.handle_disconnected(client.now);
    client.jump();
    assert_eq!(client.transmits(), vec![Transmit::Open]);
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    assert!(connect["params"].get("protocol").is_none());
    assert!(connect["params"].get("authorization_state").is_none());
}

#[test]
fn a_server_that_never_closes_after_disconnect_is_closed_after_the_grace() {
    let mut cfg = config();
    cfg.disconnect_grace = Duration::from_secs(7);
    let mut client = Client::new(cfg);
    client.connect_and_auth("p");
    client.drain_events();
    disconnect_frame(&mut client, "d1", false);
    client.transmits();
    // No ping goes out while draining; the next deadline is the grace.
    assert_eq!(client.jump(), Duration::from_secs(7));
    assert_eq!(client.transmits(), vec![Transmit::Close]);
    assert!(matches!(
        client.drain_events()[..],
        [Event::Disconnected { .. }]
    ));
}

#[test]
fn repeated_disconnect_frames_do_not_storm() {
    let mut cfg = config();
    cfg.backoff.jitter = 0.0;
    let mut client = Client::new(cfg);
    client.connect_and_auth("p");
    client.drain_events();
    let start = client.now;
    let mut delays = Vec::new();
    // A server that sends a burst of disconnects on every session, then closes it.
    while client.now - start < Duration::from_secs(120) {
        for i in 0..50 {
            disconnect_frame(&mut client, &format!("d{i}"), false);
        }
        let transmits = client.transmits();
        assert_eq!(transmits.len(), 50, "only acks: {transmits:?}");
        client.engine.handle_disconnected(client.now);
        delays.push(client.jump().as_secs());
        assert_eq!(client.transmits(), vec![Transmit::Open]);
        client.engine.handle_connected(client.now);
        let connect = client.sent_one("signalwire.connect");
        client.respond(&connect, json!({"protocol": "p"}));
        client.drain_events();
    }
    // The backoff holds across sessions that did not last: 7 reconnects in two minutes.
    assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
}

#[test]
fn a_session_that_lasted_starts_the_backoff_over() {
    let mut cfg = config();
    cfg.backoff.jitter = 0.0;
    let mut client = Client::new(cfg);
    client.engine.open(client.now);
    for _ in 0..3 {
        client.transmits();
        client.engine.handle_disconnected(client.now);
        client.jump();
    }
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "p"}));
    client.advance(Duration::from_secs(31));
    let ping = client.sent_one("signalwire.ping");
    client.respond(&ping, json!({}));
    client.engine.handle_disconnected(client.now);
    assert_eq!(client.jump(), Duration::from_secs(1));
}

#[test]
fn backoff_doubles_from_one_second_to_thirty() {
    let mut config = config();
    config.backoff.jitter = 0.0;
    let mut client = Client::new(config);
    client.engine.open(client.now);
    let mut delays = Vec::new();
    for _ in 0..7 {
        assert_eq!(client.transmits(), vec![Transmit::Open]);
        client.engine.handle_disconnected(client.now);
        delays.push(client.jump().as_secs());
    }
    assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30]);
}

#[test]
fn requests_made_while_disconnected_go_out_after_auth() {
    let mut client = Client::ready();
    client.engine.handle_disconnected(client.now);
    let id = client
        .engine
        .execute("calling.custom", json!({"a": 1}), client.now)
        .unwrap();
    assert!(client.sent().is_empty());
    assert_eq!(client.engine.stats().queued_requests, 1);
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "proto-1"}));
    let frame = client.sent_one("calling.custom");
    assert_eq!(frame["id"], id.as_str());
    assert_eq!(frame["params"], json!({"a": 1}));
}

#[test]
fn queue_overflow_is_an_error() {
    let mut config = config();
    config.max_queued_requests = 2;
    let mut client = Client::new(config);
    client.engine.open(client.now);
    client.engine.execute("a", json!({}), client.now).unwrap();
    client.engine.execute("b", json!({}), client.now).unwrap();
    assert_eq!(
        client.engine.execute("c", json!({}), client.now),
        Err(CommandError::QueueFull { capacity: 2 })
    );
}

#[test]
fn a_missed_deadline_times_out_and_reconnects() {
    let mut client = Client::ready();
    let id = client
        .engine
        .execute("calling.slow", json!({}), client.now)
        .unwrap();
    client.sent();
    assert_eq!(client.jump(), Duration::from_secs(30));
    let transmits = client.transmits();
    assert!(transmits.contains(&Transmit::Close), "{transmits:?}");
    let events = client.drain_events();
    assert_eq!(
        events[0],
        Event::RequestCompleted {
            request_id: id,
            result: Err(RequestError::Timeout {
                method: "calling.slow".into()
            })
        }
    );
    assert!(matches!(events[1], Event::Disconnected { .. }));
}

#[test]
fn a_queued_request_times_out_without_a_reconnect_storm() {
    let mut client = Client::ready();
    client.engine.handle_disconnected(client.now);
    client.drain_events();
    let id = client.engine.execute("x", json!({}), client.now).unwrap();
    client.advance(Duration::from_secs(31));
    let events = client.drain_events();
    assert!(events.contains(&Event::RequestCompleted {
        request_id: id,
        result: Err(RequestError::Timeout { method: "x".into() })
    }));
    assert_eq!(client.engine.stats().queued_requests, 0);
    assert_eq!(client.engine.stats().deadlines, 0);
}

#[test]
fn in_flight_requests_fail_when_the_socket_drops() {
    let mut client = Client::ready();
    let id = client.engine.execute("x", json!({}), client.now).unwrap();
    client.sent();
    client.engine.handle_disconnected(client.now);
    assert_eq!(
        client.drain_events()[0],
        Event::RequestCompleted {
            request_id: id,
            result: Err(RequestError::ConnectionLost)
        }
    );
}

#[test]
fn shutdown_resolves_everything() {
    let mut client = Client::ready();
    let id = client.engine.execute("x", json!({}), client.now).unwrap();
    client.engine.shutdown(client.now);
    assert_eq!(client.transmits().last(), Some(&Transmit::Close));
    assert_eq!(
        client.drain_events(),
        vec![
            Event::RequestCompleted {
                request_id: id,
                result: Err(RequestError::Closed)
            },
            Event::Closed(SessionError::Shutdown)
        ]
    );
    assert_eq!(client.engine.stats(), Default::default());
}

#[test]
fn debug_output_holds_no_secrets() {
    let mut client = Client::ready();
    client.event(
        "a1",
        "signalwire.authorization.state",
        json!({"authorization_state": "very-secret-state"}),
    );
    let text = format!("{:?}", client.engine);
    assert!(!text.contains("token-1"));
    assert!(!text.contains("very-secret-state"));
    assert!(text.contains("project-1"));
}

#[test]
fn after_a_first_session_rejections_retry_for_ever_and_a_rejected_resume_goes_fresh() {
    let mut client = Client::ready();
    client.event(
        "a1",
        "signalwire.authorization.state",
        json!({"authorization_state": "opaque"}),
    );
    client.sent();
    client.engine.handle_disconnected(client.now);
    client.drain_events();
    for attempt in 1..=10u32 {
        client.jump();
        assert_eq!(client.transmits(), vec![Transmit::Open]);
        client.engine.handle_connected(client.now);
        let connect = client.sent_one("signalwire.connect");
        if attempt == 1 {
            assert_eq!(connect["params"]["protocol"], "proto-1");
            assert_eq!(connect["params"]["authorization_state"], "opaque");
        } else {
            // The rejected resume is retried as a fresh session.
            assert!(connect["params"].get("protocol").is_none());
            assert!(connect["params"].get("authorization_state").is_none());
        }
        client.respond_error(&connect, -32002, "Authentication failed");
        let events = client.drain_events();
        assert_eq!(
            events[0],
            Event::AuthRejected {
                code: -32002,
                message: "Authentication failed".into(),
                attempts: attempt
            }
        );
        assert!(
            matches!(events[1], Event::Disconnected { .. }),
            "{events:?}"
        );
        assert_eq!(client.transmits(), vec![Transmit::Close]);
        assert!(!client.engine.is_closed());
    }
    client.jump();
    client.transmits();
    client.engine.handle_connected(client.now);
    let connect = client.sent_one("signalwire.connect");
    client.respond(&connect, json!({"protocol": "proto-2"}));
    assert!(client.engine.is_ready());
}

#[test]
fn the_client_ping_has_empty_params() {
    let mut client = Client::ready();
    client.jump();
    let ping = client.sent_one("signalwire.ping");
    assert_eq!(ping["params"], json!({}));
}

#[test]
fn a_numeric_server_id_is_acked_as_the_same_number() {
    let mut client = Client::ready();
    client.feed(json!({"jsonrpc": "2.0", "id": 42, "method": "signalwire.ping", "params": {}}));
    assert_eq!(
        client.sent(),
        vec![json!({"jsonrpc": "2.0", "id": 42, "result": {}})]
    );
    client.feed(json!({"jsonrpc": "2.0", "id": 7, "method": "no.such.method"}));
    assert_eq!(client.sent()[0]["id"], json!(7));
}

#[test]
fn the_default_frame_limit_is_ten_mib() {
    let mut client = Client::ready();
    assert_eq!(client.engine.config().max_frame_size, 10 * 1024 * 1024);
    let big = "x".repeat(2 << 20);
    client.event("big", "some.large.event", json!({"blob": big}));
    assert_eq!(client.sent(), vec![ack("big")]);
    assert!(matches!(client.drain_events()[..], [Event::Other { .. }]));
}

mod absurd_config {
    use super::*;
    use proptest::prelude::*;

    fn duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::MAX),
            Just(Duration::from_nanos(1)),
            (0u64..=u64::MAX).prop_map(Duration::from_secs),
            (0u64..10_000).prop_map(Duration::from_millis),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the configuration, the engine never panics and never spins: each
        /// deadline lies strictly ahead, and a session goes through its motions.
        #[test]
        fn any_config_runs_without_panicking(
            ping in duration(), request in duration(), dial in duration(), grace in duration(),
            initial in duration(), max in duration(),
            jitter in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), Just(2.0),
                                  0.0f64..1.0],
            frame in prop_oneof![Just(0usize), Just(1usize), Just(usize::MAX)],
            missed in 0u32..3, failures in 0u32..3,
            cap in prop_oneof![Just(None), Just(Some(0usize)), Just(Some(1usize))],
        ) {
            let mut cfg = config();
            cfg.ping_interval = ping;
            cfg.request_timeout = request;
            cfg.dial_timeout = dial;
            cfg.disconnect_grace = grace;
            cfg.backoff.initial = initial;
            cfg.backoff.max = max;
            cfg.backoff.jitter = jitter;
            cfg.max_frame_size = frame;
            cfg.max_missed_pings = missed;
            cfg.max_auth_failures = failures;
            cfg.max_active_calls = cap;
            let mut client = Client::new(cfg);
            prop_assert!(client.engine.config().validate().is_ok());
            client.connect_and_auth("p");
            client.incoming("c1");
            let _ = client.engine.dial(&relay_rs_core::DialPlan::single(
                relay_rs_core::Device::phone().from("+1").to("+2")), client.now);
            client.feed(json!({"jsonrpc": "2.0", "id": "d", "method": "signalwire.disconnect",
                               "params": {}}));
            for _ in 0..20 {
                let Some(at) = client.engine.poll_timeout() else { break };
                prop_assert!(at > client.now || at == client.now && client.engine.is_closed());
                client.jump();
                if client.transmits().contains(&Transmit::Open) {
                    client.engine.handle_connected(client.now);
                }
                client.drain_events();
            }
        }
    }
}

mod jitter {
    use super::*;
    use proptest::prelude::*;
    use relay_rs_core::Engine;
    use std::collections::BTreeSet;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        /// A rolling deploy: 1,000 clients get `signalwire.disconnect` at the same instant
        /// and their server closes them at the same instant. Their reconnects spread over the
        /// jitter window (1 s to 1.2 s by default) instead of landing together.
        #[test]
        fn a_thousand_clients_disconnected_at_once_reconnect_spread_out(base in 0u64..1 << 48) {
            let mut delays = Vec::with_capacity(1000);
            let now = std::time::Instant::now();
            for i in 0..1000u64 {
                let mut cfg = config();
                cfg.seed = base + i;
                let mut client = Client { engine: Engine::new(cfg), now };
                client.connect_and_auth("p");
                client.drain_events();
                client.feed(json!({"jsonrpc": "2.0", "id": "d", "method": "signalwire.disconnect",
                                   "params": {"restart": false}}));
                client.engine.handle_disconnected(client.now);
                let at = client.engine.poll_timeout().unwrap();
                delays.push(at - now);
            }
            let min = delays.iter().min().unwrap().as_secs_f64();
            let max = delays.iter().max().unwrap().as_secs_f64();
            prop_assert!(min >= 1.0 && max <= 1.2, "{min} {max}");
            // The spread covers most of the 200 ms window...
            prop_assert!(max - min >= 0.18, "spread {}", max - min);
            // ...and no millisecond holds more than a handful of clients.
            let mut per_ms = std::collections::BTreeMap::<u128, usize>::new();
            for d in &delays {
                *per_ms.entry(d.as_millis()).or_default() += 1;
            }
            let distinct: BTreeSet<_> = delays.iter().collect();
            prop_assert!(distinct.len() >= 990, "{} distinct", distinct.len());
            prop_assert!(per_ms.len() >= 180, "{} distinct milliseconds", per_ms.len());
            prop_assert!(per_ms.values().all(|n| *n <= 20), "{per_ms:?}");
        }
    }
}

/// Request ids never repeat: not within one engine across reconnects, and not between two
/// engines of one process given the same seed (each request id routes an answer, so a
/// repeat would hand one request's answer to another).
#[test]
fn request_ids_never_repeat_across_reconnects_or_engines_of_one_seed() {
    let mut ids = std::collections::HashSet::new();
    let mut record = |id: &serde_json::Value| {
        let id = id.as_str().expect("a request id").to_owned();
        assert!(ids.insert(id.clone()), "{id} repeated");
    };
    for _engine in 0..2 {
        let mut client = Client::new(config());
        for session in 0..3 {
            if session == 0 {
                client.engine.open(client.now);
            } else {
                client.engine.handle_disconnected(client.now);
                client.transmits();
                client.jump();
            }
            client.transmits();
            client.engine.handle_connected(client.now);
            let connect = client.sent_one("signalwire.connect");
            record(&connect["id"]);
            client.respond(&connect, json!({"protocol": "proto-1", "identity": "id-1"}));
            client.transmits();
            for _ in 0..5 {
                client
                    .engine
                    .execute("calling.anything", json!({}), client.now)
                    .expect("sent");
                record(&client.sent_one("calling.anything")["id"]);
            }
        }
    }
    // Two engines, three sockets each: a connect and five requests per socket.
    assert_eq!(ids.len(), 2 * 3 * 6);
}
