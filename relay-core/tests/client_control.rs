//! Call control (§2) through the async client, in memory against the simulator on virtual
//! time: a conference with two calls, queue events followed by the entry, a digit binding
//! that plays, transfer and pass handing the call over, and typed failures (the call going
//! on after a refusal).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use relay_rs_core::driver::{Call, CallEnd, Error, IncomingCalls};
use relay_rs_core::sim::{Fault, SimConfig};
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::CallGone;
use relay_rs_core::{
    AiMessage, BindDigit, CallEvent, ConferenceEvent, JoinConference, QueueEnter, RequestError,
    Transfer,
};
use serde_json::{json, Map};

const CONTEXT: &str = "office";

async fn answered(relay: &MemoryRelay, incoming: &mut IncomingCalls) -> Call {
    relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
    let call = incoming.next().await.unwrap();
    call.answer().await.unwrap();
    call
}

/// Runs `test` on a ready client with its incoming calls.
fn with_client<T>(
    config: SimConfig,
    test: impl AsyncFnOnce(&MemoryRelay, &relay_rs_core::driver::Client, IncomingCalls) -> T,
) -> T {
    let relay = MemoryRelay::new(config);
    let client = relay.client().contexts([CONTEXT]).build().unwrap();
    let incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        test(&relay, &client, incoming).await
    })
}

fn summary(event: &ConferenceEvent, calls: &[&Call]) -> String {
    let who = match &event.call_id {
        Some(id) => calls
            .iter()
            .position(|c| c.id() == id)
            .map_or("?".to_owned(), |i| format!("call{i}")),
        None => "conference".to_owned(),
    };
    format!("{} {}", event.status.as_deref().unwrap_or("-"), who)
}

#[test]
fn two_calls_share_a_conference_and_its_events() {
    with_client(SimConfig::new(), async |relay, client, mut incoming| {
        let mut conference_events = client.conference_events();
        let a = answered(relay, &mut incoming).await;
        let b = answered(relay, &mut incoming).await;
        let mut a_events = a.events();
        let joined = a
            .join_conference(JoinConference::new("support"))
            .await
            .unwrap();
        let id = joined.conference_id.clone().expect("the sim gives the id");
        let again = b
            .join_conference(JoinConference::new("support").muted(true))
            .await
            .unwrap();
        assert_eq!(again.conference_id.as_deref(), Some(id.as_str()));
        b.leave_conference(&id).await.unwrap();
        a.hangup().await.unwrap();
        let mut seen = Vec::new();
        for _ in 0..6 {
            let event = conference_events.next().await.unwrap();
            assert_eq!(event.conference_id.as_deref(), Some(id.as_str()));
            assert_eq!(event.name.as_deref(), Some("support"));
            seen.push(summary(&event, &[&a, &b]));
        }
        assert_eq!(
            seen,
            [
                "start conference",
                "join call0",
                "join call1",
                "leave call1",
                "leave call0",
                "end conference"
            ]
        );
        // The participant's own events are on its call too.
        let first = a_events.next().await.unwrap();
        assert!(
            matches!(&first, CallEvent::Conference(e) if e.status.as_deref() == Some("join")),
            "{first:?}"
        );
    });
}

#[test]
fn a_queue_entry_follows_its_own_events() {
    with_client(SimConfig::new(), async |relay, _client, mut incoming| {
        let a = answered(relay, &mut incoming).await;
        let b = answered(relay, &mut incoming).await;
        let mut first = a.queue_enter(QueueEnter::new("support")).await.unwrap();
        let mut second = b
            .queue_enter(QueueEnter::new("support").control_id("mine"))
            .await
            .unwrap();
        assert_eq!(second.control_id().as_str(), "mine");
        let entered = first.next().await.unwrap();
        assert_eq!(
            (entered.status.as_deref(), entered.position, entered.size),
            (Some("entered"), Some(1), Some(1))
        );
        assert_eq!(entered.queue_name.as_deref(), Some("support"));
        let entered = second.next().await.unwrap();
        assert_eq!((entered.position, entered.size), (Some(2), Some(2)));
        first.leave().await.unwrap();
        let left = first.next().await.unwrap();
        assert_eq!(left.status.as_deref(), Some("left"));
        let moved = second.next().await.unwrap();
        assert_eq!(
            (moved.status.as_deref(), moved.position, moved.size),
            (Some("waiting"), Some(1), Some(1))
        );
        assert!(moved.queue_id.is_some());
        // The stream ends with the call.
        relay.end_call(b.id(), "hangup");
        assert!(second.next().await.is_none());
    });
}

#[test]
fn a_digit_binding_plays_when_the_caller_presses_it() {
    with_client(SimConfig::new(), async |relay, _client, mut incoming| {
        let call = answered(relay, &mut incoming).await;
        let mut params = Map::new();
        params.insert(
            "play".into(),
            json!([{"type": "tts", "params": {"text": "Connecting you"}}]),
        );
        call.bind_digit(
            BindDigit::new("*0", "calling.play")
                .params(params)
                .max_triggers(1),
        )
        .await
        .unwrap();
        let mut events = call.events();
        let id = call.id().clone();
        relay.with_relay(|r, now| r.caller_presses(&id, "*0", now));
        let mut states = Vec::new();
        while states.len() < 2 {
            if let CallEvent::Play(play) = events.next().await.unwrap() {
                states.push(format!("{:?}", play.state.unwrap()));
            }
        }
        assert_eq!(states, ["Playing", "Finished"]);
        assert!(relay.with_relay(|r, _| r.digit_bindings(&id)).is_empty());
    });
}

#[test]
fn transfer_and_pass_hand_the_call_over() {
    with_client(SimConfig::new(), async |relay, _client, mut incoming| {
        let call = answered(relay, &mut incoming).await;
        call.transfer(Transfer::url("https://example.com/swml"))
            .await
            .unwrap();
        assert_eq!(
            call.wait_for_ended().await.unwrap(),
            CallEnd::HandedOver("calling.transfer".into())
        );
        assert_eq!(
            call.hold().await,
            Err(Error::CallGone(CallGone::ended(call.id().clone())))
        );
        relay.offer_call(CONTEXT, "+1555", "+1666").unwrap();
        let offer = incoming.next().await.unwrap();
        offer.pass().await.unwrap();
        assert_eq!(
            offer.wait_for_ended().await.unwrap(),
            CallEnd::HandedOver("calling.pass".into())
        );
        // A refused transfer keeps the call.
        let kept = answered(relay, &mut incoming).await;
        let refused = kept.transfer(Transfer::url("https://")).await;
        assert!(matches!(refused, Err(Error::Command(_))), "{refused:?}");
        assert!(!kept.is_ended());
    });
}

#[test]
fn a_service_without_hold_is_a_typed_request_error() {
    with_client(SimConfig::new(), async |relay, _client, mut incoming| {
        let call = answered(relay, &mut incoming).await;
        relay.with_relay(|r, _| {
            r.set_fault(Fault::ReplyWith {
                method: "calling.hold".into(),
                code: "501".into(),
                message: "Not implemented".into(),
            })
        });
        assert_eq!(
            call.hold().await,
            Err(Error::Request(RequestError::Failed {
                code: "501".into(),
                message: "Not implemented".into()
            }))
        );
        let mut events = call.events();
        call.hold().await.unwrap();
        let event = events.next().await.unwrap();
        assert!(matches!(event, CallEvent::Hold { state: Some(s), .. } if s == "hold"));
    });
}

#[test]
fn s1_11_ai_commands_with_no_agent_running_are_refused_and_the_call_goes_on() {
    with_client(SimConfig::new(), async |relay, _client, mut incoming| {
        let call = answered(relay, &mut incoming).await;
        let refused = Err(Error::Request(RequestError::Failed {
            code: "409".into(),
            message: "No AI running".into(),
        }));
        assert_eq!(call.ai_message(AiMessage::new("user", "hi")).await, refused);
        assert_eq!(call.ai_hold(None, None).await, refused);
        assert_eq!(call.ai_unhold(None).await, refused);
        assert!(!call.is_ended());
        call.hangup().await.unwrap();
        call.wait_for_ended().await.unwrap();
    });
}

/// The params of the request `method` the service received last, without the ids.
fn last_params(relay: &MemoryRelay, method: &str) -> serde_json::Value {
    let frames = relay.requests(method);
    let mut params = frames.last().expect(method)["params"].clone();
    for id in ["node_id", "call_id", "control_id"] {
        params.as_object_mut().unwrap().remove(id);
    }
    params
}

#[test]
fn action_controls_and_raw_starts_take_typed_params() {
    with_client(SimConfig::new(), async |relay, _client, mut incoming| {
        let call = answered(relay, &mut incoming).await;
        // A raw start and a raw control take any `Serialize` params, a struct of one's own.
        #[derive(serde::Serialize)]
        struct Louder {
            volume: f64,
        }
        let silence = json!({"play": [{"type": "silence", "params": {"duration": 60}}]});
        let play = call
            .start_action(relay_rs_core::ActionKind::Play, silence.clone())
            .await
            .unwrap();
        play.control("calling.play.volume", Louder { volume: 2.5 })
            .await
            .unwrap();
        play.control("calling.play.pause", ()).await.unwrap();
        assert_eq!(last_params(relay, "calling.play"), silence);
        assert_eq!(
            last_params(relay, "calling.play.volume"),
            json!({"volume": 2.5})
        );
        assert_eq!(last_params(relay, "calling.play.pause"), json!({}));
        // A method the action does not list is refused before anything is sent.
        let refused = play.control("calling.record.pause", ()).await;
        assert!(matches!(refused, Err(Error::Command(_))), "{refused:?}");
        assert!(relay.requests("calling.record.pause").is_empty());
        play.stop().await.unwrap();
        // The record's pause: `behavior` only when chosen.
        let record = call
            .record(relay_rs_core::RecordOptions::new())
            .await
            .unwrap();
        record
            .pause(Some(relay_rs_core::PauseBehavior::Silence))
            .await
            .unwrap();
        assert_eq!(
            last_params(relay, "calling.record.pause"),
            json!({"behavior": "silence"})
        );
        record.pause(None).await.unwrap();
        assert_eq!(last_params(relay, "calling.record.pause"), json!({}));
    });
}

#[test]
fn params_whose_serialize_panics_fail_that_request_and_the_client_goes_on() {
    with_client(SimConfig::new(), async |relay, _client, mut incoming| {
        let call = answered(relay, &mut incoming).await;
        // The user's `Serialize` runs on the event loop when the frame is written.
        struct Broken;
        impl serde::Serialize for Broken {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                panic!("broken params")
            }
        }
        let start = call
            .start_action(relay_rs_core::ActionKind::Play, Broken)
            .await;
        assert!(
            matches!(&start, Err(Error::Command(relay_rs_core::CommandError::InvalidOption(m))) if m.contains("broken params")),
            "{start:?}"
        );
        let command = call.command("calling.pass", Broken).await;
        assert!(matches!(command, Err(Error::Command(_))), "{command:?}");
        assert!(relay.requests("calling.play").is_empty());
        // The loop lives: the same call takes the next action.
        let silence = json!({"play": [{"type": "silence", "params": {"duration": 1}}]});
        let play = call
            .start_action(relay_rs_core::ActionKind::Play, silence.clone())
            .await
            .unwrap();
        assert_eq!(last_params(relay, "calling.play"), silence);
        play.stop().await.unwrap();
    });
}
