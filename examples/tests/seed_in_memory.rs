//! The seed's handler (`examples::handle_call`, written against `relay_tokio::Call`) unit-
//! tested in memory with the testkit: no socket, virtual time, the same result every run.
//! Answer, stream, stop after the app's limit, hang up; a dropped connection in the middle
//! of a stream; a request time-out of 30 s that takes no real time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use examples::{handle_call, AppSettings};
use relay_tokio::testkit::{Fault, MemoryRelay, SimConfig};
use relay_tokio::{ActionOutcome, CallEnd, Error, RequestError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CONTEXT: &str = "office";

fn settings(stream_for: Option<Duration>) -> Arc<AppSettings> {
    Arc::new(AppSettings {
        stream_url: "wss://media.example.com/in".into(),
        bearer_token: Some("stream-secret".into()),
        stream_for,
        insecure_loopback: false,
    })
}

/// What the handler returned, call by call.
type Outcomes = Arc<Mutex<Vec<Result<ActionOutcome, Error>>>>;

/// A harness and a client running the seed's handler; each outcome lands in the vector.
fn app(
    config: SimConfig,
    stream_for: Option<Duration>,
) -> (MemoryRelay, relay_tokio::Client, Outcomes) {
    let relay = MemoryRelay::new(config);
    let client = relay.client().contexts([CONTEXT]).seed(7).build().unwrap();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let settings = settings(stream_for);
    let sink = outcomes.clone();
    client.on_call(move |call| {
        let settings = settings.clone();
        let sink = sink.clone();
        async move {
            let outcome = handle_call(call, &settings).await;
            sink.lock().unwrap().push(outcome);
        }
    });
    relay.start(&client);
    (relay, client, outcomes)
}

#[test]
fn the_seed_handler_answers_streams_stops_and_hangs_up() {
    let wall = Instant::now();
    let (relay, client, outcomes) = app(SimConfig::new(), Some(Duration::from_secs(20)));
    let call_id = relay.run(async {
        relay.wait_ready().await;
        let id = relay
            .offer_call(CONTEXT, "+15551230001", "+15557650002")
            .unwrap();
        relay
            .wait_until(|r| r.call_state(&id) == Some("ended"))
            .await;
        id
    });

    // The frames as the service saw them: answer, the stream with every option, its stop
    // after the app's 20 s, then the hangup.
    let answer = &relay.requests("calling.answer")[0]["params"];
    assert_eq!(answer["call_id"], call_id.as_str());
    let stream = &relay.requests("calling.stream")[0]["params"];
    assert_eq!(stream["url"], "wss://media.example.com/in");
    assert_eq!(stream["track"], "inbound_track");
    assert_eq!(stream["codec"], "PCMU");
    assert_eq!(stream["name"], "seed-stream");
    assert_eq!(stream["authorization_bearer_token"], "stream-secret");
    assert_eq!(stream["custom_parameters"]["call_id"], call_id.as_str());
    assert_eq!(stream["custom_parameters"]["from"], "+15551230001");
    let stop = &relay.requests("calling.stream.stop")[0]["params"];
    assert_eq!(stop["control_id"], stream["control_id"]);
    assert_eq!(
        relay.requests("calling.end")[0]["params"]["reason"],
        "hangup"
    );
    assert!(matches!(
        outcomes.lock().unwrap().as_slice(),
        [Ok(ActionOutcome::Stopped { .. })]
    ));
    // 20 s of the app's stream limit passed on the virtual clock, none on the real one.
    assert!(relay.elapsed() >= Duration::from_secs(20));
    assert_eq!(relay.sockets_opened(), 0, "the testkit opens no socket");
    client.shutdown();
    assert_eq!(relay.run(relay.wait_client_stopped()), "ok");
    eprintln!(
        "wall time {:?} for {:?} of virtual time",
        wall.elapsed(),
        relay.elapsed()
    );
}

#[test]
fn a_dropped_connection_mid_stream_resumes_and_the_stream_still_finishes() {
    let (relay, client, outcomes) = app(SimConfig::new(), None);
    relay.run(async {
        relay.wait_ready().await;
        let id = relay
            .offer_call(CONTEXT, "+15551230001", "+15557650002")
            .unwrap();
        relay
            .wait_until(|r| !r.active_streams(&id).is_empty())
            .await;
        relay.drop_connections();
        // The client backs off (1 s ± jitter) and resumes the same session.
        relay.wait_until(|r| r.connections().len() == 1).await;
        let control_id = relay.media_jobs()[0].control_id.clone();
        relay.sleep(Duration::from_secs(5)).await;
        relay.finish_media(&control_id);
        relay
            .wait_until(|r| r.call_state(&id) == Some("ended"))
            .await;
    });
    assert_eq!(relay.connections_made(), 2);
    let connects = relay.requests("signalwire.connect");
    assert!(
        connects[1]["params"]["protocol"].is_string(),
        "the second connect resumes"
    );
    assert!(matches!(
        outcomes.lock().unwrap().as_slice(),
        [Ok(ActionOutcome::Finished { .. })]
    ));
    assert_eq!(relay.sockets_opened(), 0);
    client.shutdown();
}

#[test]
fn a_silent_server_times_the_request_out_after_30_s_and_the_client_reconnects() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).seed(7).build().unwrap();
    relay.start(&client);
    let (result, waited) = relay.run(async {
        relay.wait_ready().await;
        relay.with_relay(|r, _| r.set_fault(Fault::Silent));
        let before = relay.now();
        let result = client
            .execute("calling.anything", serde_json::json!({}))
            .await;
        (result, relay.now() - before)
    });
    assert!(
        matches!(result, Err(Error::Request(RequestError::Timeout { .. }))),
        "{result:?}"
    );
    assert_eq!(
        waited,
        Duration::from_secs(30),
        "the default request time-out"
    );
    relay.run(async {
        relay.with_relay(|r, _| r.clear_faults());
        relay
            .wait_until(|r| {
                r.requests("signalwire.connect").len() >= 2 && r.connections().len() == 1
            })
            .await;
    });
    // A half-open socket is abandoned: the client opened a new connection.
    assert!(relay.connections_made() >= 2);
    let outcome = relay.run(client.execute("signalwire.ping", serde_json::json!({})));
    assert!(outcome.is_ok(), "{outcome:?}");
    client.shutdown();
}

#[test]
fn hanging_up_after_the_caller_did_is_not_an_error() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        use futures_util::StreamExt;
        relay.wait_ready().await;
        let id = relay
            .offer_call(CONTEXT, "+15551230001", "+15557650002")
            .unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        relay.end_call(&id, "hangup");
        assert!(matches!(call.wait_for_ended().await, Ok(CallEnd::Ended(_))));
        call.hangup().await.expect("hangup of an ended call is Ok");
        let refused = call.answer().await;
        assert!(
            matches!(refused, Err(Error::CallGone(ref gone)) if gone.call_id.as_ref() == Some(&id)),
            "{refused:?}"
        );
    });
    client.shutdown();
}

#[test]
fn a_stream_its_far_end_refuses_is_reported_as_a_failure_not_a_success() {
    let (relay, client, outcomes) = app(SimConfig::new(), None);
    relay.refuse_stream_urls("wss://media.example.com/");
    relay.run(async {
        relay.wait_ready().await;
        let id = relay
            .offer_call(CONTEXT, "+15551230001", "+15557650002")
            .unwrap();
        relay
            .wait_until(|r| r.call_state(&id) == Some("ended"))
            .await;
    });
    let outcomes = outcomes.lock().unwrap();
    let [Ok(outcome)] = outcomes.as_slice() else {
        panic!("one outcome, got {outcomes:?}");
    };
    assert!(
        matches!(outcome, ActionOutcome::Unsuccessful { reason: None, .. }),
        "{outcome:?}"
    );
    assert!(!outcome.is_success());
    assert_eq!(
        examples::describe(outcome),
        "did not stream: finished (no reason given; see the status_url webhook)"
    );
    // The app still hung up.
    assert_eq!(relay.requests("calling.end").len(), 1);
    client.shutdown();
}
