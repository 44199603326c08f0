//! The IVR example (`examples::ivr`, written against `relay_tokio::Call`) run offline: in
//! memory on virtual time against the simulator's scripted caller (a key pressed, none, an
//! answering machine that beeps), and once over a real loopback WebSocket on tokio.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod loopback;

use examples::ivr::{
    handle_inbound, leave_reminder, MenuOutcome, Reached, GOODBYE, LEAVE_A_MESSAGE, MENU,
    NO_CHOICE, REMINDER,
};
use futures_util::StreamExt;
use relay_tokio::json::{json, Value};
use relay_tokio::testkit::{AnsweredBy, CallerInput, CallerScript, MemoryRelay, SimConfig};
use relay_tokio::{ActionOutcome, Error};
use std::time::Duration;

const CONTEXT: &str = "office";

/// Runs the inbound menu on one offered call whose caller follows `caller`; returns what the
/// app returned and the simulator, for its requests.
fn inbound(caller: CallerScript) -> (Result<MenuOutcome, Error>, MemoryRelay) {
    let relay = MemoryRelay::new(SimConfig::new().caller(caller));
    let client = relay.client().contexts([CONTEXT]).seed(3).build().unwrap();
    let (done, mut outcomes) = futures_channel::mpsc::unbounded();
    client.on_call(move |call| {
        let done = done.clone();
        async move {
            let _ = done.unbounded_send(handle_inbound(call).await);
        }
    });
    relay.start(&client);
    let outcome = relay.run(async {
        relay.wait_ready().await;
        relay.offer_call(CONTEXT, "+15551230001", "+15557650002");
        outcomes.next().await.unwrap()
    });
    client.shutdown();
    (outcome, relay)
}

fn presses(keys: &str) -> CallerScript {
    CallerScript {
        input: CallerInput::Digits(keys.into()),
        ..Default::default()
    }
}

/// The texts of every `calling.play` (each a single TTS), in order.
fn said(requests: Vec<Value>) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            r["params"]["play"][0]["params"]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn pressing_1_records_a_message_after_the_beep_then_says_goodbye() {
    let (outcome, relay) = inbound(presses("1"));
    let MenuOutcome::Message(message) = outcome.unwrap() else {
        panic!("no message")
    };
    assert!(message.is_success(), "{message:?}");
    assert!(matches!(message.outcome, ActionOutcome::Finished { .. }));
    assert!(
        message.url.as_deref().is_some_and(|u| u.ends_with(".wav")),
        "{message:?}"
    );
    assert_eq!(message.duration, Some(3.0), "the scripted 3 s");
    assert_eq!(message.size, Some(48_000));

    let prompt = &relay.requests("calling.play_and_collect")[0]["params"];
    assert_eq!(prompt["play"][0]["params"]["text"], MENU);
    assert_eq!(
        prompt["collect"],
        json!({"initial_timeout": 5, "digits": {"max": 1, "digit_timeout": 3}})
    );
    let records = relay.requests("calling.record");
    assert_eq!(records.len(), 1);
    let mut params = records[0]["params"].clone();
    let object = params.as_object_mut().unwrap();
    for generated in ["call_id", "node_id", "control_id"] {
        assert!(object.remove(generated).is_some_and(|v| v.is_string()));
    }
    assert_eq!(
        params,
        json!({"record": {"audio": {
            "beep": true,
            "format": "wav",
            "initial_timeout": 10,
            "end_silence_timeout": 3,
            "terminators": "#",
        }}})
    );
    assert_eq!(
        said(relay.requests("calling.play")),
        [LEAVE_A_MESSAGE, GOODBYE]
    );
    assert_eq!(relay.requests("calling.end").len(), 1);
}

#[test]
fn pressing_2_says_the_time_and_records_nothing() {
    let (outcome, relay) = inbound(presses("2"));
    let MenuOutcome::Time(time) = outcome.unwrap() else {
        panic!("not the time")
    };
    assert!(
        time.starts_with("It is ") && time.ends_with(" UTC."),
        "{time}"
    );
    assert_eq!(
        said(relay.requests("calling.play")),
        [time.as_str(), GOODBYE]
    );
    assert!(relay.requests("calling.record").is_empty());
    assert_eq!(relay.requests("calling.end").len(), 1);
}

#[test]
fn no_input_says_sorry_and_goodbye() {
    let caller = CallerScript {
        input: CallerInput::Silence,
        ..Default::default()
    };
    let (outcome, relay) = inbound(caller);
    assert_eq!(outcome.unwrap(), MenuOutcome::NoChoice(None));
    assert_eq!(said(relay.requests("calling.play")), [NO_CHOICE, GOODBYE]);
    assert!(relay.requests("calling.record").is_empty());
    assert_eq!(relay.requests("calling.end").len(), 1);
}

#[test]
fn a_key_the_menu_does_not_offer_is_no_choice() {
    let (outcome, relay) = inbound(presses("9"));
    assert_eq!(outcome.unwrap(), MenuOutcome::NoChoice(Some("9".into())));
    assert!(relay.requests("calling.record").is_empty());
}

/// Runs the outbound reminder against a far end answered by `answered_by`; returns what the
/// app returned, the virtual time when the reminder's play was requested, and the simulator.
fn outbound(answered_by: AnsweredBy) -> (Result<Reached, Error>, Duration, MemoryRelay) {
    let caller = CallerScript {
        answered_by,
        ..Default::default()
    };
    let relay = MemoryRelay::new(SimConfig::new().caller(caller));
    let client = relay.client().contexts([CONTEXT]).seed(5).build().unwrap();
    relay.start(&client);
    let (reached, played_at) = relay.run(async {
        relay.wait_ready().await;
        let app = leave_reminder(&client, "+15550001000", "+15557654321");
        let watch = async {
            relay
                .wait_until(|r| !r.requests("calling.play").is_empty())
                .await;
            relay.elapsed()
        };
        futures_util::join!(app, watch)
    });
    client.shutdown();
    (reached, played_at, relay)
}

#[test]
fn a_machine_that_beeps_gets_the_reminder_after_ready() {
    let (reached, played_at, relay) = outbound(AnsweredBy::Machine { beep: true });
    assert_eq!(reached.unwrap(), Reached::Machine);
    // MACHINE comes after the detector's 1 s; READY after the 3 s greeting: the reminder
    // waited for the latter.
    assert!(played_at >= Duration::from_secs(3), "{played_at:?}");
    let dial = &relay.requests("calling.dial")[0]["params"];
    assert_eq!(
        dial["devices"],
        json!([[{"type": "phone", "params": {"from_number": "+15550001000", "to_number": "+15557654321"}}]])
    );
    let detect = &relay.requests("calling.detect")[0]["params"];
    assert_eq!(detect["detect"], json!({"type": "machine", "params": {}}));
    assert_eq!(said(relay.requests("calling.play")), [REMINDER]);
    assert_eq!(relay.requests("calling.end").len(), 1);
}

#[test]
fn a_person_hears_the_reminder_at_once() {
    let (reached, played_at, relay) = outbound(AnsweredBy::Human);
    assert_eq!(reached.unwrap(), Reached::Human);
    assert!(played_at < Duration::from_secs(3), "{played_at:?}");
    assert_eq!(said(relay.requests("calling.play")), [REMINDER]);
}

#[test]
fn the_menu_over_a_real_loopback_socket_on_tokio() {
    loopback::on_tokio(async {
        let mut caller = presses("1");
        caller.input_delay = Duration::from_millis(50);
        caller.recording.duration = Duration::from_millis(200);
        let config = SimConfig::new()
            .play_duration(Duration::from_millis(100))
            .caller(caller);
        let (sim, client) = loopback::sim_and_client(config, CONTEXT).await;
        let (done, mut outcomes) = futures_channel::mpsc::unbounded();
        client.on_call(move |call| {
            let done = done.clone();
            async move {
                let _ = done.unbounded_send(handle_inbound(call).await);
            }
        });
        let running = client.clone();
        tokio::spawn(async move { running.run().await });
        let outcome = tokio::time::timeout(Duration::from_secs(10), async {
            while sim
                .offer_call(CONTEXT, "+15551230001", "+15557650002")
                .await
                .is_none()
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            outcomes.next().await.unwrap()
        })
        .await
        .expect("the menu ends within 10 s");
        let MenuOutcome::Message(message) = outcome.unwrap() else {
            panic!("no message")
        };
        assert!(message.is_success(), "{message:?}");
        assert_eq!(message.duration, Some(0.2));
        let record = &sim.requests("calling.record").await[0]["params"]["record"];
        assert_eq!(record["audio"]["terminators"], "#");
        assert_eq!(record["audio"]["beep"], true);
        assert_eq!(sim.requests("calling.end").await.len(), 1);
        client.shutdown();
    });
}
