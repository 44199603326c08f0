//! The async client's behaviour suite in memory, on virtual time (the testkit): the same
//! `Client`/`Call`/`StreamAction` code as on a runtime, against the sans-IO fake service.
//! Frames are asserted as the service saw them; no test opens a socket or sleeps for real.
//! What needs real sockets (WebSocket, TLS, media, the runtimes) stays in `driver_suite`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_channel::oneshot;
use futures_util::StreamExt;
use relay_rs_core::driver::{Call, CallEnd, Client, ClientBuilder, Error, IncomingCalls};
use relay_rs_core::sim::{Fault, SimConfig, BUSY_NUMBER, NO_ANSWER_NUMBER};
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::{
    ActionOutcome, BackoffConfig, CallId, CallState, Codec, ControlId, Device, DialPlan, EndReason,
    HttpMethod, SessionError, StreamOptions, Track,
};
use serde_json::{json, Value};
use std::time::Duration;

const PROJECT: &str = "project";
const TOKEN: &str = "token";
const CONTEXT: &str = "office";
const FROM: &str = "+15551110000";
const TO: &str = "+15552220000";
const MEDIA_URL: &str = "wss://media.example.com/in";

/// A client of `relay` on the test context with a fixed seed and no backoff jitter.
fn client_of(relay: &MemoryRelay) -> ClientBuilder {
    relay
        .client()
        .contexts([CONTEXT])
        .backoff(BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            jitter: 0.0,
        })
        .seed(7)
}

/// A running client whose inbound calls arrive on the returned stream.
fn started(config: SimConfig) -> (MemoryRelay, Client, IncomingCalls) {
    let relay = MemoryRelay::new(config);
    let client = client_of(&relay).build().unwrap();
    let incoming = client.incoming().unwrap();
    relay.start(&client);
    (relay, client, incoming)
}

/// Offers a call once the session is up and returns the app's handle on it, answered.
async fn answered_call(relay: &MemoryRelay, incoming: &mut IncomingCalls) -> Call {
    relay.wait_ready().await;
    let id = relay.offer_call(CONTEXT, FROM, TO).unwrap();
    let call = incoming.next().await.unwrap();
    assert_eq!(call.id(), &id);
    call.answer().await.unwrap();
    call
}

/// The params of the only request with `method`.
fn only_params(relay: &MemoryRelay, method: &str) -> Value {
    let requests = relay.requests(method);
    assert_eq!(requests.len(), 1, "{method}: {requests:?}");
    requests[0]["params"].clone()
}

fn node_of(relay: &MemoryRelay, call_id: &CallId) -> String {
    relay.with_relay(|r, _| r.node_id(call_id).unwrap().as_str().to_owned())
}

/// Shuts the client down and checks that `run` returned `Ok` and no socket was opened.
fn finish(relay: &MemoryRelay, client: &Client) {
    client.shutdown();
    assert_eq!(relay.run(relay.wait_client_stopped()), "ok");
    assert_eq!(relay.sockets_opened(), 0, "the testkit opens no socket");
}

// ---------------------------------------------------------------------------------------
// Session

#[test]
fn auth_sends_the_connect_frame_exactly() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = client_of(&relay).agent("suite/1.0").build().unwrap();
    relay.start(&client);
    relay.run(relay.wait_ready());
    let connect = only_params(&relay, "signalwire.connect");
    assert_eq!(
        connect,
        json!({
            "version": {"major": 2, "minor": 0, "revision": 0},
            "agent": "suite/1.0",
            "event_acks": true,
            "authentication": {"project": PROJECT, "token": TOKEN},
            "contexts": [CONTEXT],
        })
    );
    finish(&relay, &client);
}

#[test]
fn auth_rejected_three_times_is_final() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = client_of(&relay)
        .project_token(PROJECT, "wrong-token")
        .build()
        .unwrap();
    let result = relay.run(client.run());
    match result {
        Err(Error::Session(SessionError::AuthRejected { attempts, .. })) => assert_eq!(attempts, 3),
        other => panic!("expected a final auth rejection, got {other:?}"),
    }
    let connects = relay.requests("signalwire.connect");
    assert_eq!(connects.len(), 3);
    for connect in &connects {
        assert_eq!(
            connect["params"]["authentication"],
            json!({"project": PROJECT, "token": "wrong-token"})
        );
    }
    assert_eq!(relay.sockets_opened(), 0);
}

#[test]
fn jwt_authenticates() {
    let relay = MemoryRelay::new(SimConfig::new().jwt("jwt-abc"));
    let client = client_of(&relay).jwt("jwt-abc").build().unwrap();
    relay.start(&client);
    relay.run(relay.wait_ready());
    let connect = only_params(&relay, "signalwire.connect");
    assert_eq!(connect["authentication"], json!({"jwt_token": "jwt-abc"}));
    assert_eq!(relay.with_relay(|r, _| r.sessions()), 1);
    finish(&relay, &client);
}

// ---------------------------------------------------------------------------------------
// Calls and streams

#[test]
fn inbound_call_answered_and_streamed_with_every_option() {
    const STATUS_URL: &str = "https://hooks.example.com/status";
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (call, stream) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let options = StreamOptions::new()
            .name("every-option")
            .codec(Codec::Pcmu)
            .track(Track::Both)
            .status_url(STATUS_URL)
            .status_url_method(HttpMethod::Post)
            .authorization_bearer_token("stream-secret")
            .custom_parameter("app", "suite")
            .custom_parameter("n", 7)
            .control_id("ctl-every");
        let stream = call.stream(MEDIA_URL, options).await.unwrap();
        (call, stream)
    });
    assert_eq!(call.from_number(), Some(FROM));
    assert_eq!(call.to_number(), Some(TO));
    assert_eq!(call.context(), Some(CONTEXT));
    assert_eq!(call.state(), CallState::Answered);
    assert_eq!(stream.control_id().as_str(), "ctl-every");

    let node = node_of(&relay, call.id());
    assert_eq!(
        only_params(&relay, "calling.answer"),
        json!({"node_id": node, "call_id": call.id().as_str()})
    );
    assert_eq!(
        only_params(&relay, "calling.stream"),
        json!({
            "node_id": node,
            "call_id": call.id().as_str(),
            "control_id": "ctl-every",
            "url": MEDIA_URL,
            "name": "every-option",
            "codec": "PCMU",
            "track": "both_tracks",
            "status_url": STATUS_URL,
            "status_url_method": "POST",
            "authorization_bearer_token": "stream-secret",
            "custom_parameters": {"app": "suite", "n": 7},
        })
    );
    // The media side got everything the request asked for.
    let jobs = relay.media_jobs();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(job.url, MEDIA_URL);
    assert_eq!(job.bearer_token.as_deref(), Some("stream-secret"));
    assert_eq!(job.codec.as_deref(), Some("PCMU"));
    assert_eq!(job.track, "both_tracks");
    assert_eq!(
        Value::Object(job.custom_parameters.clone()),
        json!({"app": "suite", "n": 7})
    );

    relay.finish_media(stream.control_id());
    let outcome = relay.run(stream.wait()).unwrap();
    let ActionOutcome::Finished { state, event } = outcome else {
        panic!("expected Finished, got {outcome:?}");
    };
    assert_eq!(state, "finished");
    assert_eq!(event.to_value()["control_id"], "ctl-every");
    assert_eq!(event.to_value()["state"], "finished");

    // The status webhook: `streaming`, then `finished`, with the stream's params.
    let callbacks = relay.status_callbacks();
    let states: Vec<&Value> = callbacks.iter().map(|b| &b["params"]["state"]).collect();
    assert_eq!(states, [&json!("streaming"), &json!("finished")]);
    let protocol = relay.with_relay(|r, _| {
        let conn = r.connections()[0];
        r.session_of(conn).unwrap().to_owned()
    });
    for (body, state) in callbacks.iter().zip(["streaming", "finished"]) {
        let mut body = body.clone();
        assert!(body["timestamp"].is_f64(), "{body}");
        let segment = body["params"]["segment_id"].clone();
        let tag = body["params"]["tag"].clone();
        assert!(segment.is_string() && tag.is_string(), "{body}");
        body.as_object_mut().unwrap().remove("timestamp");
        assert_eq!(
            body,
            json!({
                "event_type": "calling.call.stream",
                "event_channel": protocol,
                "project_id": PROJECT,
                "space_id": "space",
                "params": {
                    "call_id": call.id().as_str(),
                    "node_id": node,
                    "control_id": "ctl-every",
                    "state": state,
                    "url": MEDIA_URL,
                    "name": "every-option",
                    "segment_id": segment,
                    "tag": tag,
                },
            })
        );
    }
    finish(&relay, &client);
}

#[test]
fn incoming_calls_as_a_stream() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = client_of(&relay).build().unwrap();
    let mut incoming = client.incoming().expect("the stream of calls");
    assert!(client.incoming().is_none(), "only one taker");
    relay.start(&client);
    let (offered, received) = relay.run(async {
        relay.wait_ready().await;
        let first = relay.offer_call(CONTEXT, FROM, TO).unwrap();
        let second = relay.offer_call(CONTEXT, TO, FROM).unwrap();
        let a = incoming.next().await.unwrap();
        let b = incoming.next().await.unwrap();
        (vec![first, second], vec![a.id().clone(), b.id().clone()])
    });
    assert_eq!(received, offered, "in the order offered");
    finish(&relay, &client);
}

#[test]
fn stop_ends_the_stream_as_stopped() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (call, stream, outcome) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let stream = call.stream(MEDIA_URL, StreamOptions::new()).await.unwrap();
        stream.stop().await.unwrap();
        let outcome = stream.wait().await.unwrap();
        (call, stream, outcome)
    });
    let ActionOutcome::Stopped { event } = outcome else {
        panic!("expected Stopped, got {outcome:?}");
    };
    assert_eq!(event.to_value()["control_id"], stream.control_id().as_str());
    assert_eq!(event.to_value()["state"], "finished");
    let stop = &relay.requests("calling.stream.stop")[..];
    assert_eq!(stop.len(), 1);
    assert_eq!(stop[0]["method"], "calling.stream.stop");
    assert_eq!(
        stop[0]["params"],
        json!({
            "node_id": node_of(&relay, call.id()),
            "call_id": call.id().as_str(),
            "control_id": stream.control_id().as_str(),
        })
    );
    assert!(relay
        .with_relay(|r, _| r.active_streams(call.id()))
        .is_empty());
    // Stopping what already ended is not an error and sends nothing.
    relay.run(stream.stop()).unwrap();
    assert_eq!(relay.requests("calling.stream.stop").len(), 1);
    finish(&relay, &client);
}

#[test]
fn wait_with_timeout_does_not_spoil_a_later_wait() {
    let (relay, client, mut incoming) =
        started(SimConfig::new().auto_media(Duration::from_secs(5)));
    let (early, waited, outcome, again, again_waited) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let stream = call.stream(MEDIA_URL, StreamOptions::new()).await.unwrap();
        let before = relay.now();
        let early = stream.wait_timeout(Duration::from_secs(1)).await;
        let waited = relay.now() - before;
        let outcome = stream.wait().await.unwrap();
        let after = relay.now();
        let again = stream.wait().await.unwrap();
        (early, waited, outcome, again, relay.now() - after)
    });
    assert_eq!(early, Err(Error::WaitTimedOut));
    assert_eq!(waited, Duration::from_secs(1), "exactly the time-out");
    assert!(
        matches!(outcome, ActionOutcome::Finished { ref state, .. } if state == "finished"),
        "{outcome:?}"
    );
    // A wait after the end returns the same outcome at once.
    assert_eq!(again, outcome);
    assert_eq!(again_waited, Duration::ZERO);
    finish(&relay, &client);
}

#[test]
fn on_completed_callbacks_run() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (from_sync, from_async) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let stream = call.stream(MEDIA_URL, StreamOptions::new()).await.unwrap();
        let (sync_tx, sync_rx) = oneshot::channel();
        let (async_tx, async_rx) = oneshot::channel();
        stream.on_completed(move |outcome| {
            let _ = sync_tx.send(outcome);
        });
        stream.on_completed_async(move |outcome| async move {
            let _ = async_tx.send(outcome);
        });
        relay.finish_media(stream.control_id());
        (sync_rx.await.unwrap(), async_rx.await.unwrap())
    });
    assert!(
        matches!(from_sync, ActionOutcome::Finished { ref state, .. } if state == "finished"),
        "{from_sync:?}"
    );
    assert_eq!(from_sync, from_async);
    finish(&relay, &client);
}

#[test]
fn call_end_during_a_stream_finishes_it() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (call, outcome, end) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let stream = call.stream(MEDIA_URL, StreamOptions::new()).await.unwrap();
        relay.end_call(call.id(), "hangup");
        let outcome = stream.wait().await.unwrap();
        let end = call.wait_for_ended().await.unwrap();
        (call, outcome, end)
    });
    assert_eq!(outcome, ActionOutcome::CallEnded);
    assert_eq!(end, CallEnd::Ended(Some(EndReason::Hangup)));
    assert!(call.is_ended());
    assert_eq!(call.state(), CallState::Ended);
    assert_eq!(relay.call_state(call.id()).as_deref(), Some("ended"));
    assert!(
        relay.requests("calling.end").is_empty(),
        "the far end hung up"
    );
    finish(&relay, &client);
}

#[test]
fn dropped_socket_reconnects_and_resumes() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (call, protocol) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let protocol = relay.with_relay(|r, _| {
            let conn = r.connections()[0];
            r.session_of(conn).unwrap().to_owned()
        });
        relay.drop_connections();
        relay
            .wait_until(|r| r.sessions() == 1 && r.connections().len() == 1)
            .await;
        (call, protocol)
    });
    assert_eq!(relay.connections_made(), 2);
    let connects = relay.requests("signalwire.connect");
    assert_eq!(connects.len(), 2);
    assert!(connects[0]["params"].get("protocol").is_none());
    let second = &connects[1]["params"];
    assert_eq!(second["protocol"], protocol.as_str(), "resumes the session");
    assert!(
        second["authorization_state"].is_string(),
        "resume sends the authorization state: {second}"
    );
    // The resumed session is the same: the call is still controllable.
    let node = node_of(&relay, call.id());
    let end = relay.run(async {
        call.hangup().await.unwrap();
        call.wait_for_ended().await.unwrap()
    });
    assert_eq!(end, CallEnd::Ended(Some(EndReason::Hangup)));
    assert_eq!(
        only_params(&relay, "calling.end"),
        json!({"node_id": node, "call_id": call.id().as_str(), "reason": "hangup"})
    );
    finish(&relay, &client);
}

#[test]
fn disconnect_with_restart_starts_a_fresh_session() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let fresh = relay.run(async {
        answered_call(&relay, &mut incoming).await;
        relay.with_relay(|r, now| {
            for conn in r.connections() {
                r.send_disconnect(conn, true, now);
            }
        });
        relay
            .wait_until(|r| r.requests("signalwire.connect").len() == 2)
            .await;
        relay.wait_ready().await;
        // The fresh session still receives calls.
        let id = relay.offer_call(CONTEXT, FROM, TO).unwrap();
        let call = incoming.next().await.unwrap();
        assert_eq!(call.id(), &id);
        call
    });
    let connects = relay.requests("signalwire.connect");
    assert_eq!(connects.len(), 2);
    let second = &connects[1]["params"];
    assert!(
        second.get("protocol").is_none(),
        "restart forgets the protocol"
    );
    assert!(second.get("authorization_state").is_none());
    assert_eq!(second["contexts"], json!([CONTEXT]));
    assert_eq!(fresh.state(), CallState::Ringing);
    finish(&relay, &client);
}

#[test]
fn dial_returns_an_answered_call() {
    let (relay, client, _incoming) = started(SimConfig::new());
    let call = relay.run(async {
        relay.wait_ready().await;
        let plan = DialPlan::single(Device::phone().from("+15550001111").to("+15550002222"));
        client.dial(plan).await.unwrap()
    });
    assert_eq!(call.state(), CallState::Answered);
    assert_eq!(call.to_number(), Some("+15550002222"));
    assert_eq!(relay.call_state(call.id()).as_deref(), Some("answered"));
    let dial = only_params(&relay, "calling.dial");
    assert_eq!(
        dial["devices"],
        json!([[{"type": "phone", "params": {"from_number": "+15550001111", "to_number": "+15550002222"}}]])
    );
    assert!(dial["tag"].is_string(), "{dial}");
    finish(&relay, &client);
}

#[test]
fn dial_to_a_number_that_does_not_answer_or_is_busy_fails() {
    let (relay, client, _incoming) = started(SimConfig::new());
    let (no_answer, busy) = relay.run(async {
        relay.wait_ready().await;
        let no_answer = client
            .dial(DialPlan::single(
                Device::phone().from("+15550001111").to(NO_ANSWER_NUMBER),
            ))
            .await;
        let busy = client
            .dial(DialPlan::single(
                Device::phone().from("+15550001111").to(BUSY_NUMBER),
            ))
            .await;
        (
            no_answer.map(|c| c.id().clone()),
            busy.map(|c| c.id().clone()),
        )
    });
    let failed = |reason: &str| {
        Err(Error::Dial(relay_rs_core::DialError::Failed {
            reason: Some(reason.into()),
            source: Some("outbound".into()),
        }))
    };
    assert_eq!(no_answer, failed("noAnswer"));
    assert_eq!(busy, failed("busy"));
    assert_eq!(relay.requests("calling.dial").len(), 2);
    finish(&relay, &client);
}

#[test]
fn shutdown_resolves_every_wait() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (stream_wait, call_wait, refused, run) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let stream = call.stream(MEDIA_URL, StreamOptions::new()).await.unwrap();
        client.shutdown();
        let stream_wait = stream.wait().await;
        let call_wait = call.wait_for_ended().await;
        let refused = call.hangup().await;
        (
            stream_wait,
            call_wait,
            refused,
            relay.wait_client_stopped().await,
        )
    });
    assert_eq!(stream_wait, Err(Error::Closed));
    assert_eq!(call_wait, Err(Error::Closed));
    assert_eq!(refused, Err(Error::Closed));
    assert_eq!(run, "ok");
    assert!(relay.requests("calling.end").is_empty());
    assert_eq!(relay.sockets_opened(), 0);
}

#[test]
fn stream_on_a_gone_call_reports_gone() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (call, result) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        relay.with_relay(|r, _| {
            r.set_fault(Fault::Reply {
                method: "calling.stream".into(),
                code: "410".into(),
            })
        });
        let result = call
            .stream(MEDIA_URL, StreamOptions::new())
            .await
            .map(|s| s.control_id().clone());
        (call, result)
    });
    let gone = result
        .expect_err("gone")
        .call_gone()
        .cloned()
        .expect("call gone");
    assert_eq!(gone.call_id.as_ref(), Some(call.id()));
    assert_eq!(gone.code.as_deref(), Some("410"));
    assert_eq!(relay.requests("calling.stream").len(), 1);
    assert!(relay.media_jobs().is_empty());
    finish(&relay, &client);
}

#[test]
fn several_streams_on_one_call() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (a, b) = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let a = call
            .stream(MEDIA_URL, StreamOptions::new().name("a"))
            .await
            .unwrap();
        let b = call
            .stream(MEDIA_URL, StreamOptions::new().name("b").codec(Codec::Pcma))
            .await
            .unwrap();
        (a, b)
    });
    assert_ne!(a.control_id(), b.control_id());
    let jobs = relay.media_jobs();
    let names: Vec<(Option<&str>, Option<&str>, &ControlId)> = jobs
        .iter()
        .map(|j| (j.name.as_deref(), j.codec.as_deref(), &j.control_id))
        .collect();
    assert_eq!(
        names,
        [
            (Some("a"), None, a.control_id()),
            (Some("b"), Some("PCMA"), b.control_id())
        ]
    );
    // Each ends on its own: finishing `b` leaves `a` running.
    relay.finish_media(b.control_id());
    let b_outcome = relay.run(b.wait()).unwrap();
    assert!(b_outcome.is_success(), "{b_outcome:?}");
    assert!(!a.is_done());
    relay.finish_media(a.control_id());
    let a_outcome = relay.run(a.wait()).unwrap();
    let ActionOutcome::Finished { event, .. } = a_outcome else {
        panic!("expected Finished, got {a_outcome:?}");
    };
    assert_eq!(event.to_value()["control_id"], a.control_id().as_str());
    finish(&relay, &client);
}

#[test]
fn refused_stream_url_finishes_the_stream() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let outcome = relay.run(async {
        let call = answered_call(&relay, &mut incoming).await;
        let stream = call
            .stream(
                "wss://nothing-listens.example.com/in",
                StreamOptions::new().status_url("https://hooks.example.com/status"),
            )
            .await
            .unwrap();
        relay.fail_media(stream.control_id(), "connection_refused");
        stream.wait().await.unwrap()
    });
    assert!(
        matches!(outcome, ActionOutcome::Finished { ref state, .. } if state == "finished"),
        "{outcome:?}"
    );
    // The status webhook says why.
    let last = relay.status_callbacks().pop().unwrap();
    assert_eq!(last["params"]["state"], "finished");
    assert_eq!(last["params"]["error"], "connection_refused");
    finish(&relay, &client);
}

// ---------------------------------------------------------------------------------------
// Liveness

#[test]
fn pings_every_30_s_and_three_missed_pings_reconnect() {
    let (relay, client, _incoming) = started(SimConfig::new());
    let (first_ping_after, healthy_pings, dead_after) = relay.run(async {
        relay.wait_ready().await;
        let ready_at = relay.now();
        relay
            .wait_until(|r| !r.requests("signalwire.ping").is_empty())
            .await;
        let first_ping_after = relay.now() - ready_at;
        relay.sleep(Duration::from_secs(61)).await;
        let healthy_pings = relay.requests("signalwire.ping").len();
        // The socket goes half-open: frames are read, nothing comes back.
        relay.with_relay(|r, _| r.set_fault(Fault::Silent));
        let silent_at = relay.now();
        relay.wait_until(|r| r.connections().is_empty()).await;
        (first_ping_after, healthy_pings, relay.now() - silent_at)
    });
    assert_eq!(first_ping_after, Duration::from_secs(30));
    assert_eq!(healthy_pings, 3, "at 30, 60 and 90 s");
    assert_eq!(
        relay.connections_made(),
        1,
        "answered pings keep the socket"
    );
    // Pings at 120, 150, 180 s go unanswered; the one due at 210 s drops the socket.
    assert_eq!(dead_after, Duration::from_secs(119));
    assert_eq!(relay.requests("signalwire.ping").len(), 6);
    // After the backoff the client connects again and resumes.
    relay.run(async {
        relay.with_relay(|r, _| r.clear_faults());
        relay
            .wait_until(|r| r.connections().len() == 1 && r.sessions() == 1)
            .await;
    });
    let connects = relay.requests("signalwire.connect");
    assert_eq!(connects.len(), 2);
    assert!(connects[1]["params"]["protocol"].is_string());
    finish(&relay, &client);
}

#[test]
fn slow_server_still_serves() {
    let (relay, client, mut incoming) = started(SimConfig::new());
    let (answer_took, hangup_took) = relay.run(async {
        relay.wait_ready().await;
        relay.offer_call(CONTEXT, FROM, TO).unwrap();
        let call = incoming.next().await.unwrap();
        relay.with_relay(|r, _| r.set_fault(Fault::Delay(Duration::from_millis(200))));
        let start = relay.now();
        call.answer().await.unwrap();
        let answer_took = relay.now() - start;
        let start = relay.now();
        call.hangup().await.unwrap();
        (answer_took, relay.now() - start)
    });
    assert_eq!(answer_took, Duration::from_millis(200));
    assert_eq!(hangup_took, Duration::from_millis(200));
    assert_eq!(relay.requests("calling.answer").len(), 1);
    assert_eq!(relay.requests("calling.end").len(), 1);
    finish(&relay, &client);
}
