//! The call-centre example (`examples::call_centre`, written against `relay_tokio::Call`) run
//! offline: in memory on virtual time against the simulator (an agent who answers then hangs
//! up, a caller who hangs up first, a busy agent, an agent who does not answer), and once
//! over a real loopback WebSocket on tokio.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod loopback;

use examples::call_centre::{
    handle_inbound, Agents, Outcome, CONNECTING, GOODBYE, VOICEMAIL, WELCOME,
};
use futures_util::StreamExt;
use relay_tokio::json::{json, Value};
use relay_tokio::testkit::{
    CallerInput, CallerScript, MemoryRelay, SimConfig, BUSY_NUMBER, NO_ANSWER_NUMBER,
};
use relay_tokio::{CallId, Error};
use std::time::Duration;

const CONTEXT: &str = "office";
const SALES: &str = "+15553330001";

fn agents(support: &str) -> Agents {
    Agents {
        from: "+15550009999".into(),
        sales: SALES.into(),
        support: support.into(),
        ring_for: Duration::from_secs(20),
    }
}

fn presses(keys: &str) -> CallerScript {
    CallerScript {
        input: CallerInput::Digits(keys.into()),
        ..Default::default()
    }
}

/// Who ends a bridge once it is up, after how long.
enum HangsUp {
    Agent(Duration),
    Caller(Duration),
    /// The caller hangs up this long after the offer, bridge or not.
    CallerAt(Duration),
    Nobody,
}

/// Runs the app on one offered call; `hangs_up` plays the far ends once the bridge is up.
/// Returns what the app returned, the caller's call id and the simulator.
fn centre(
    caller: CallerScript,
    agents: Agents,
    hangs_up: HangsUp,
) -> (Result<Outcome, Error>, CallId, MemoryRelay) {
    let relay = MemoryRelay::new(SimConfig::new().caller(caller));
    let client = relay.client().contexts([CONTEXT]).seed(9).build().unwrap();
    let (done, mut outcomes) = futures_channel::mpsc::unbounded();
    client.on_call(move |call| {
        let done = done.clone();
        let agents = agents.clone();
        async move {
            let _ = done.unbounded_send(handle_inbound(call, &agents).await);
        }
    });
    relay.start(&client);
    let (outcome, call_id) = relay.run(async {
        relay.wait_ready().await;
        let call_id = relay
            .offer_call(CONTEXT, "+15551230001", "+15557650002")
            .unwrap();
        let far_end = async {
            let (after, agent) = match hangs_up {
                HangsUp::Agent(after) => (after, true),
                HangsUp::Caller(after) => (after, false),
                HangsUp::CallerAt(after) => {
                    relay.sleep(after).await;
                    return relay.end_call(&call_id, "hangup");
                }
                HangsUp::Nobody => return,
            };
            relay.wait_until(|r| r.peer_of(&call_id).is_some()).await;
            relay.sleep(after).await;
            let peer = relay.with_relay(|r, _| r.peer_of(&call_id)).unwrap();
            relay.end_call(if agent { &peer } else { &call_id }, "hangup");
        };
        let (outcome, ()) = futures_util::join!(outcomes.next(), far_end);
        (outcome.unwrap(), call_id)
    });
    client.shutdown();
    (outcome, call_id, relay)
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
fn pressing_1_connects_to_sales_and_hangs_up_when_the_agent_does() {
    let (outcome, call_id, relay) = centre(
        presses("1"),
        agents(BUSY_NUMBER),
        HangsUp::Agent(Duration::from_secs(90)),
    );
    let Outcome::Talked {
        agent,
        peer,
        by_caller,
    } = outcome.unwrap()
    else {
        panic!("no bridge")
    };
    assert_eq!(agent, SALES);
    assert!(!by_caller);
    assert_eq!(relay.call_state(&peer).as_deref(), Some("ended"));
    assert_eq!(relay.call_state(&call_id).as_deref(), Some("ended"));
    let prompt = &relay.requests("calling.play_and_collect")[0]["params"];
    assert_eq!(prompt["play"][0]["params"]["text"], WELCOME);
    let connect = &relay.requests("calling.connect")[0]["params"];
    assert_eq!(
        connect["devices"],
        json!([[{"type": "phone", "params": {"from_number": "+15550009999", "to_number": SALES, "timeout": 20}}]])
    );
    assert_eq!(
        connect["ringback"],
        json!([{"type": "ringtone", "params": {"name": "us"}}])
    );
    assert_eq!(said(relay.requests("calling.play")), [CONNECTING]);
    assert!(relay.requests("calling.record").is_empty());
    // The app hung up the caller once the agent had.
    let end = &relay.requests("calling.end")[0]["params"];
    assert_eq!(end["call_id"], call_id.as_str());
}

#[test]
fn a_caller_who_hangs_up_ends_the_agent_leg_too() {
    let (outcome, _, relay) = centre(
        presses("1"),
        agents(BUSY_NUMBER),
        HangsUp::Caller(Duration::from_secs(30)),
    );
    let Outcome::Talked {
        peer, by_caller, ..
    } = outcome.unwrap()
    else {
        panic!("no bridge")
    };
    assert!(by_caller);
    assert_eq!(relay.call_state(&peer).as_deref(), Some("ended"));
}

#[test]
fn a_caller_who_hangs_up_during_the_menu_is_a_normal_end() {
    let (outcome, _, relay) = centre(
        presses("1"),
        agents(SALES),
        HangsUp::CallerAt(Duration::from_millis(500)),
    );
    assert_eq!(outcome, Ok(Outcome::CallerLeft));
    assert!(relay.requests("calling.connect").is_empty());
}

#[test]
fn a_busy_agent_means_a_voicemail_after_the_beep() {
    let (outcome, _, relay) = centre(presses("2"), agents(BUSY_NUMBER), HangsUp::Nobody);
    let Outcome::Voicemail { reason, message } = outcome.unwrap() else {
        panic!("no voicemail")
    };
    assert_eq!(reason.as_deref(), Some("busy"));
    assert!(message.is_success(), "{message:?}");
    assert_eq!(message.duration, Some(3.0));
    assert_eq!(
        said(relay.requests("calling.play")),
        [CONNECTING, VOICEMAIL, GOODBYE]
    );
    let record = &relay.requests("calling.record")[0]["params"]["record"]["audio"];
    assert_eq!(record["beep"], true);
    assert_eq!(record["format"], "wav");
    assert_eq!(relay.requests("calling.end").len(), 1);
}

#[test]
fn an_agent_who_does_not_answer_rings_for_20_s_then_voicemail() {
    let (outcome, _, relay) = centre(presses("2"), agents(NO_ANSWER_NUMBER), HangsUp::Nobody);
    let Outcome::Voicemail { reason, .. } = outcome.unwrap() else {
        panic!("no voicemail")
    };
    assert_eq!(reason.as_deref(), Some("noAnswer"));
    // Prompt, 20 s of ringing, the voicemail: more than 20 s of virtual time.
    assert!(
        relay.elapsed() > Duration::from_secs(20),
        "{:?}",
        relay.elapsed()
    );
}

#[test]
fn the_call_centre_over_a_real_loopback_socket_on_tokio() {
    loopback::on_tokio(async {
        let mut caller = presses("2");
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
                let _ = done.unbounded_send(handle_inbound(call, &agents(BUSY_NUMBER)).await);
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
        .expect("the call centre ends within 10 s");
        let Outcome::Voicemail { reason, message } = outcome.unwrap() else {
            panic!("no voicemail")
        };
        assert_eq!(reason.as_deref(), Some("busy"));
        assert_eq!(message.duration, Some(0.2));
        let connect = &sim.requests("calling.connect").await[0]["params"];
        assert_eq!(connect["devices"][0][0]["params"]["to_number"], BUSY_NUMBER);
        assert_eq!(sim.requests("calling.end").await.len(), 1);
        client.shutdown();
    });
}
