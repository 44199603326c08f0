//! A call's typed events through the async client, in memory on virtual time: `events()`,
//! several subscribers, `wait_for`, `wait_for_state`, an event type nobody knows, and the
//! typed play handle (its controls on the wire, its result on finish, stop and call end).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::{FutureExt, StreamExt};
use relay_rs_core::driver::{Call, CallEnd, ClientEvent, Error};
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::{
    ActionOutcome, ActionState, CallEvent, CallState, CollectOptions, DigitsOptions, EndReason,
    Event, PlayMedia, PlayOptions, StreamOptions,
};
use serde_json::json;
use std::time::Duration;

const CONTEXT: &str = "office";

/// Runs `test` with an answered inbound call.
fn with_call<T>(test: impl AsyncFnOnce(&MemoryRelay, Call) -> T) -> T {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        test(&relay, call).await
    })
}

#[test]
fn every_subscriber_sees_the_streams_events_and_the_stream_ends_with_the_call() {
    let events = with_call(async |relay, call| {
        let first = call.events();
        let second = call.events();
        let stream = call
            .stream("wss://media.example.com/a", StreamOptions::new())
            .await
            .unwrap();
        relay.finish_media(stream.control_id());
        stream.wait().await.unwrap();
        relay.end_call(call.id(), "hangup");
        let first: Vec<CallEvent> = first.collect().await;
        let second: Vec<CallEvent> = second.collect().await;
        assert_eq!(first, second);
        first
    });
    assert_eq!(
        kinds(&events),
        [
            "stream streaming",
            "stream finished",
            "state Ending",
            "state Ended"
        ],
        "{events:#?}"
    );
}

/// The kinds of `events`, as `state Ended`, `stream finished` or the event type.
fn kinds(events: &[CallEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            CallEvent::State { state, .. } => format!("state {state:?}"),
            CallEvent::Stream(s) => format!("stream {}", s.state.clone().unwrap()),
            other => other.event_type().to_owned(),
        })
        .collect()
}

#[test]
fn a_subscriber_that_comes_later_sees_every_event_from_then_on() {
    let (early, late) = with_call(async |relay, call| {
        // Nobody listens while the stream starts: its events are not copied for anyone.
        let stream = call
            .stream("wss://media.example.com/a", StreamOptions::new())
            .await
            .unwrap();
        let early = call.events();
        relay.finish_media(stream.control_id());
        stream.wait().await.unwrap();
        // A second subscriber, and at once an event the client did not ask for.
        let late = call.events();
        relay.end_call(call.id(), "hangup");
        let early: Vec<CallEvent> = early.collect().await;
        let late: Vec<CallEvent> = late.collect().await;
        (early, late)
    });
    let early = kinds(&early);
    assert!(
        early.ends_with(&[
            "stream finished".into(),
            "state Ending".into(),
            "state Ended".into()
        ]),
        "{early:?}"
    );
    assert!(!early.contains(&"state Answered".into()), "{early:?}");
    assert_eq!(kinds(&late), ["state Ending", "state Ended"]);
}

#[test]
fn an_on_event_hook_sees_every_call_event_of_a_call_nobody_subscribed_to() {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let hook_seen = seen.clone();
    client.on_event(move |event| {
        if let ClientEvent::Engine(Event::CallEvent { event, .. }) = event {
            hook_seen.lock().unwrap().push(event.clone());
        }
    });
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        relay.end_call(call.id(), "hangup");
        call.wait_for_ended().await.unwrap();
    });
    assert_eq!(
        kinds(&seen.lock().unwrap()),
        ["state Answered", "state Ending", "state Ended"]
    );
}

#[test]
fn an_event_type_nobody_knows_reaches_the_call_with_its_payload() {
    let (event, stream_done) = with_call(async |relay, call| {
        let mut events = call.events();
        let params = json!({"call_id": call.id().as_str(), "node_id": call.info().node_id.as_str(),
                            "mood": "sunny"});
        relay.with_relay(|r, now| {
            let conn = r.connections()[0];
            r.send_event(conn, "calling.call.weather", params, now)
        });
        let event = call
            .wait_for(|e| e.event_type() == "calling.call.weather")
            .await
            .unwrap();
        let seen = events.next().await.unwrap();
        assert_eq!(seen, event);
        relay.end_call(call.id(), "hangup");
        (event, call.wait_for(|_| false).await)
    });
    let CallEvent::Other { event_type, params } = event else {
        panic!("{event:?}")
    };
    assert_eq!(event_type, "calling.call.weather");
    assert_eq!(params.to_value()["mood"], "sunny");
    assert!(matches!(stream_done, Err(Error::CallGone(_))));
}

#[test]
fn wait_for_state_resolves_on_the_state_and_at_once_when_already_there() {
    with_call(async |relay, call| {
        call.wait_for_state(CallState::Answered).await.unwrap();
        let waiter = call.clone();
        let id = call.id().clone();
        let end = relay.clone();
        let (ended, ()) = futures_util::join!(waiter.wait_for_state(CallState::Ended), async {
            end.sleep(Duration::from_secs(1)).await;
            end.end_call(&id, "hangup");
        });
        ended.unwrap();
        // Past the end, every state of the call's order has been passed.
        call.wait_for_state(CallState::Ended).await.unwrap();
        call.wait_for_state(CallState::Ringing).await.unwrap();
        // A state outside the order must be seen itself.
        assert!(matches!(
            call.wait_for_state(CallState::Other("parked".into())).await,
            Err(Error::CallGone(_))
        ));
    });
}

#[test]
fn waiting_for_a_state_the_call_has_passed_resolves_at_once() {
    with_call(async |relay, call| {
        assert_eq!(call.state(), CallState::Answered);
        let before = relay.elapsed();
        for passed in [CallState::Created, CallState::Ringing, CallState::Answered] {
            let wait = call.wait_for_state(passed.clone()).now_or_never();
            assert_eq!(wait, Some(Ok(())), "{passed:?} on an answered call");
        }
        assert_eq!(relay.elapsed(), before, "no time passed");
        // Ending is ahead: it waits for the hang-up.
        let ahead = call.clone();
        let id = call.id().clone();
        let end = relay.clone();
        let (ending, ()) = futures_util::join!(ahead.wait_for_state(CallState::Ending), async {
            end.sleep(Duration::from_secs(5)).await;
            end.end_call(&id, "hangup");
        });
        ending.unwrap();
        assert_eq!(relay.elapsed() - before, Duration::from_secs(5));
        for passed in [
            CallState::Created,
            CallState::Answered,
            CallState::Ending,
            CallState::Ended,
        ] {
            let wait = call.wait_for_state(passed.clone()).now_or_never();
            assert_eq!(wait, Some(Ok(())), "{passed:?} on an ended call");
        }
    });
}

#[test]
fn wait_for_ended_timeout_times_out_then_sees_the_end() {
    with_call(async |relay, call| {
        let before = relay.elapsed();
        assert_eq!(
            call.wait_for_ended_timeout(Duration::from_secs(10)).await,
            Err(Error::WaitTimedOut)
        );
        assert_eq!(relay.elapsed() - before, Duration::from_secs(10));
        relay.end_call(call.id(), "hangup");
        let end = call
            .wait_for_ended_timeout(Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(end, CallEnd::Ended(Some(EndReason::Hangup)));
    });
}

#[test]
fn play_is_typed_its_controls_go_out_and_its_state_is_seen() {
    with_call(async |relay, call| {
        let mut events = call.events();
        let play = call
            .play_with(
                PlayOptions::new([PlayMedia::tts("hello").voice("v1")])
                    .volume(2.0)
                    .control_id("p1"),
            )
            .await
            .unwrap();
        let Some(CallEvent::Play(playing)) = events.next().await else {
            panic!("no play event")
        };
        assert_eq!(playing.state, Some(ActionState::Playing));
        assert_eq!(playing.control_id.as_ref().map(|c| c.as_str()), Some("p1"));
        play.pause().await.unwrap();
        play.resume().await.unwrap();
        play.set_volume(-3.0).await.unwrap();
        assert!(play.set_volume(99.0).await.is_err());
        let sent: Vec<_> = [
            "calling.play.pause",
            "calling.play.resume",
            "calling.play.volume",
        ]
        .iter()
        .map(|m| relay.requests(m)[0]["params"].clone())
        .collect();
        assert_eq!(sent[0]["control_id"], "p1");
        assert_eq!(sent[2]["volume"], -3.0);
        assert_eq!(relay.requests("calling.play")[0]["params"]["volume"], 2.0);
        let outcome = play.wait().await.unwrap();
        assert!(outcome.is_success(), "{outcome:?}");
        assert_eq!(play.state(), Some(ActionState::Playing));
    });
}

#[test]
fn a_play_stopped_or_cut_by_the_call_end_resolves_with_its_result() {
    with_call(async |relay, call| {
        let play = call.play_tts("one").await.unwrap();
        play.stop().await.unwrap();
        assert!(matches!(
            play.wait().await.unwrap(),
            ActionOutcome::Stopped { .. }
        ));
        let play = call.play_audio("https://a/b.mp3").await.unwrap();
        let (tx, rx) = futures_channel::oneshot::channel();
        play.on_completed(move |outcome| drop(tx.send(outcome)));
        relay.end_call(call.id(), "hangup");
        assert_eq!(play.wait().await.unwrap(), ActionOutcome::CallEnded);
        assert_eq!(rx.await.unwrap(), ActionOutcome::CallEnded);
        // A new action on the ended call is refused as gone.
        let collect = CollectOptions::digits(DigitsOptions::new(1));
        assert!(matches!(
            call.collect(collect).await,
            Err(Error::CallGone(_))
        ));
    });
}

/// Runs `test` with an answered call on a simulator whose caller follows `caller`.
fn with_caller<T>(
    caller: relay_rs_core::sim::CallerScript,
    test: impl AsyncFnOnce(&MemoryRelay, Call) -> T,
) -> T {
    let relay = MemoryRelay::new(SimConfig::new().caller(caller));
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        test(&relay, call).await
    })
}

#[test]
fn a_prompt_resolves_with_the_digits_the_simulated_caller_presses() {
    let result = with_caller(Default::default(), async |_, call| {
        let collect = CollectOptions::digits(DigitsOptions::new(4).terminators("#"));
        let prompt = call.prompt_tts("Press a key", collect).await.unwrap();
        prompt.wait().await.unwrap()
    });
    assert!(result.is_success(), "{result:?}");
    assert_eq!(result.digits(), Some("1"));
}

#[test]
fn a_machine_detection_with_wait_for_beep_resolves_once_the_greeting_is_over() {
    let caller = relay_rs_core::sim::CallerScript {
        answered_by: relay_rs_core::sim::AnsweredBy::Machine { beep: true },
        ..Default::default()
    };
    let (result, elapsed) = with_caller(caller, async |relay, call| {
        let detect = call.detect_answering_machine(true).await.unwrap();
        let result = detect.wait().await.unwrap();
        (result, relay.elapsed())
    });
    assert!(result.is_success(), "{result:?}");
    assert!(matches!(
        result.detection,
        Some(relay_rs_core::Detection::Machine { .. })
    ));
    // The greeting (3 s by default) was waited for.
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn a_recording_resolves_with_its_url_duration_and_size() {
    let result = with_caller(Default::default(), async |_, call| {
        let record = call
            .record(relay_rs_core::RecordOptions::new().control_id("rec-1"))
            .await
            .unwrap();
        record.wait().await.unwrap()
    });
    assert!(result.is_success(), "{result:?}");
    assert!(result.url.is_some(), "{result:?}");
    assert!(
        result.duration.is_some() && result.size.is_some(),
        "{result:?}"
    );
}

#[test]
fn a_sent_fax_resolves_with_its_pages_and_success() {
    let result = with_caller(Default::default(), async |_, call| {
        let fax = call
            .send_fax(relay_rs_core::SendFaxOptions::new(
                "https://docs.example.com/a.pdf",
            ))
            .await
            .unwrap();
        fax.wait().await.unwrap()
    });
    assert!(result.is_success() && result.success, "{result:?}");
    assert!(result.pages.is_some_and(|p| p > 0), "{result:?}");
}

#[test]
fn send_digits_ends_on_finished() {
    let outcome = with_caller(Default::default(), async |_, call| {
        call.send_digits("12#").await.unwrap().wait().await.unwrap()
    });
    assert!(outcome.is_success(), "{outcome:?}");
}

/// A running stream reports `streaming` through its state and keeps no copy of the event
/// that said so (10,000 running streams would hold 10,000 texts that say `streaming`); its
/// subscribers still see the whole event.
#[test]
fn a_running_stream_keeps_its_state_not_its_event() {
    with_call(async |_, call| {
        let mut events = call.events();
        let stream = call
            .stream("wss://media.example.com/a", StreamOptions::new())
            .await
            .unwrap();
        let seen = loop {
            match events.next().await.unwrap() {
                CallEvent::Stream(event) => break event,
                _ => continue,
            }
        };
        assert_eq!(seen.state, Some(ActionState::Streaming));
        assert_eq!(stream.state(), Some(ActionState::Streaming));
        assert_eq!(stream.last_event(), None);
        assert_eq!(stream.as_action().last_event(), None);
    });
}

/// A collect's progress carries data (a partial result): the handle keeps the last one.
#[test]
fn a_running_collect_keeps_its_partial_result() {
    with_call(async |relay, call| {
        let collect = call
            .collect(CollectOptions::speech(Default::default()).partial_results(true))
            .await
            .unwrap();
        let partial = json!({"call_id": call.id().as_str(),
            "node_id": call.info().node_id.as_str(),
            "control_id": collect.control_id().as_str(), "final": false,
            "result": {"type": "speech", "params": {"text": "hel", "confidence": 50.0}}});
        let mut events = call.events();
        relay.with_relay(|r, now| {
            let conn = r.connections()[0];
            r.send_event(conn, "calling.call.collect", partial.clone(), now)
        });
        while !matches!(events.next().await.unwrap(), CallEvent::Collect { .. }) {}
        assert_eq!(collect.state(), Some(ActionState::Partial));
        let kept = collect.last_event().expect("the partial result is kept");
        assert_eq!(kept.to_value(), partial);
    });
}
