//! `Call::connect`, `Call::disconnect` and dial with every option, in memory on virtual time
//! against the simulator's connect model (`docs/CALLING-API.md` §2.1, §2.3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::StreamExt;
use relay_rs_core::driver::{Call, CallEnd, Client, Error, IncomingCalls};
use relay_rs_core::sim::{Fault, SimConfig, BUSY_NUMBER, NO_ANSWER_NUMBER};
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::CallGone;
use relay_rs_core::{
    BackoffConfig, CallState, ConnectPlan, ConnectState, Device, DialPlan, Direction, EndReason,
    PlayMedia,
};
use serde_json::json;
use std::time::Duration;

const CONTEXT: &str = "office";
const FROM: &str = "+15551110000";
const AGENT: &str = "+15553330000";

fn started() -> (MemoryRelay, Client, IncomingCalls) {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay
        .client()
        .contexts([CONTEXT])
        .backoff(BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
            jitter: 0.0,
        })
        .seed(11)
        .build()
        .unwrap();
    let incoming = client.incoming().unwrap();
    relay.start(&client);
    (relay, client, incoming)
}

async fn answered(relay: &MemoryRelay, incoming: &mut IncomingCalls) -> Call {
    relay.wait_ready().await;
    relay.offer_call(CONTEXT, FROM, "+15552220000").unwrap();
    let call = incoming.next().await.unwrap();
    call.answer().await.unwrap();
    call
}

fn finish(relay: &MemoryRelay, client: &Client) {
    client.shutdown();
    assert_eq!(relay.run(relay.wait_client_stopped()), "ok");
}

#[test]
fn connect_returns_the_peer_as_a_call_and_both_ends_are_observed() {
    let (relay, client, mut incoming) = started();
    relay.run(async {
        let call = answered(&relay, &mut incoming).await;
        let plan = ConnectPlan::single(
            Device::phone()
                .from(FROM)
                .to(AGENT)
                .timeout(Duration::from_secs(20)),
        )
        .ringback([PlayMedia::ringtone("us")]);
        let peer = call.connect(plan).await.unwrap();
        assert_eq!(call.connect_state(), Some(ConnectState::Connected));
        assert_eq!(peer.direction(), &Direction::Outbound);
        assert_eq!(peer.to_number(), Some(AGENT));
        assert_eq!(peer.state(), CallState::Answered);
        assert_eq!(call.peer().unwrap().id(), peer.id());
        assert_eq!(
            relay.with_relay(|r, _| r.peer_of(call.id())),
            Some(peer.id().clone())
        );

        // The agent hangs up: the bridge is over, the caller's call goes on.
        relay.end_call(peer.id(), "hangup");
        call.wait_disconnected().await.unwrap();
        assert_eq!(call.connect_state(), Some(ConnectState::Disconnected));
        assert_eq!(
            peer.wait_for_ended().await.unwrap(),
            CallEnd::Ended(Some(EndReason::Hangup))
        );
        assert!(!call.is_ended());
        call.hangup().await.unwrap();
        call.wait_for_ended().await.unwrap();
    });
    let connect = &relay.requests("calling.connect")[0]["params"];
    assert_eq!(
        connect["devices"],
        json!([[{"type": "phone", "params": {"from_number": FROM, "to_number": AGENT, "timeout": 20}}]])
    );
    assert_eq!(
        connect["ringback"],
        json!([{"type": "ringtone", "params": {"name": "us"}}])
    );
    assert!(connect["tag"].is_string());
    finish(&relay, &client);
}

#[test]
fn the_callers_hangup_ends_the_peer() {
    let (relay, client, mut incoming) = started();
    relay.run(async {
        let call = answered(&relay, &mut incoming).await;
        let peer = call
            .connect(ConnectPlan::single(Device::phone().from(FROM).to(AGENT)))
            .await
            .unwrap();
        relay.end_call(call.id(), "hangup");
        assert_eq!(
            call.wait_disconnected().await,
            Err(Error::CallGone(CallGone::ended(call.id().clone())))
        );
        assert_eq!(
            peer.wait_for_ended().await.unwrap(),
            CallEnd::Ended(Some(EndReason::Hangup))
        );
    });
    finish(&relay, &client);
}

#[test]
fn a_failed_connect_resolves_with_its_reason() {
    let (relay, client, mut incoming) = started();
    relay.run(async {
        let call = answered(&relay, &mut incoming).await;
        let busy = call
            .connect(ConnectPlan::single(
                Device::phone().from(FROM).to(BUSY_NUMBER),
            ))
            .await
            .map(|peer| peer.id().clone());
        assert_eq!(
            busy,
            Err(Error::ConnectFailed {
                reason: Some("busy".into())
            })
        );
        assert_eq!(call.connect_state(), Some(ConnectState::Failed));
        // No answer rings for the device's timeout on virtual time, then the next group.
        let start = relay.elapsed();
        let plan = ConnectPlan::single(
            Device::phone()
                .from(FROM)
                .to(NO_ANSWER_NUMBER)
                .timeout(Duration::from_secs(15)),
        )
        .then(Device::phone().from(FROM).to(AGENT));
        let peer = call.connect(plan).await.unwrap();
        assert_eq!(relay.elapsed() - start, Duration::from_secs(15));
        assert_eq!(peer.to_number(), Some(AGENT));
        // A scripted failure.
        call.disconnect().await.unwrap();
        call.wait_disconnected().await.unwrap();
        assert_eq!(peer.state(), CallState::Answered, "both legs stay up");
        relay.with_relay(|r, _| {
            r.set_fault(Fault::FailConnect {
                reason: "error".into(),
            })
        });
        let failed = call
            .connect(ConnectPlan::single(Device::phone().from(FROM).to(AGENT)))
            .await
            .map(|peer| peer.id().clone());
        assert_eq!(
            failed,
            Err(Error::ConnectFailed {
                reason: Some("error".into())
            })
        );
    });
    finish(&relay, &client);
}

#[test]
fn dial_with_every_option_and_a_failure_reason() {
    let (relay, client, _incoming) = started();
    relay.run(async {
        relay.wait_ready().await;
        let plan = DialPlan::single(Device::sip("sip:me@example.com", "sip:you@example.com"))
            .region("us")
            .max_price_per_minute(0.25)
            .max_duration(Duration::from_secs(90));
        let call = client.dial(plan).await.unwrap();
        assert_eq!(call.state(), CallState::Answered);
        let refused = client
            .dial(DialPlan::single(Device::call("n", "c")))
            .await
            .map(|c| c.id().clone());
        assert!(
            matches!(refused, Err(Error::Command(relay_rs_core::CommandError::ConnectOnlyDevice(ref k))) if k == "call"),
            "{refused:?}"
        );
        let busy = client
            .dial(DialPlan::single(Device::phone().from(FROM).to(BUSY_NUMBER)))
            .await
            .map(|c| c.id().clone());
        assert_eq!(
            busy,
            Err(Error::Dial(relay_rs_core::DialError::Failed {
                reason: Some("busy".into()),
                source: Some("outbound".into())
            }))
        );
    });
    let dial = &relay.requests("calling.dial")[0]["params"];
    assert_eq!(dial["region"], "us");
    assert_eq!(dial["max_price_per_minute"], 0.25);
    assert_eq!(dial["max_duration"], 2, "90 s is 2 minutes, rounded up");
    finish(&relay, &client);
}

/// A connect that rings (no answer for 30 s), for the tests of what ends a pending connect.
fn ringing_plan() -> ConnectPlan {
    ConnectPlan::single(
        Device::phone()
            .from(FROM)
            .to(NO_ANSWER_NUMBER)
            .timeout(Duration::from_secs(30)),
    )
}

#[test]
fn a_connect_pending_when_a_fresh_session_replaces_the_old_one_is_call_gone() {
    let (relay, client, mut incoming) = started();
    relay.run(async {
        let call = answered(&relay, &mut incoming).await;
        let pending = call.connect(ringing_plan());
        let restart = async {
            relay
                .wait_until(|r| !r.requests("calling.connect").is_empty())
                .await;
            relay.with_relay(|r, now| {
                for conn in r.connections() {
                    r.send_disconnect(conn, true, now);
                }
            });
        };
        let (result, ()) = futures_util::join!(pending, restart);
        assert_eq!(
            result.map(|peer| peer.id().clone()),
            Err(Error::CallGone(CallGone::ended(call.id().clone())))
        );
    });
    finish(&relay, &client);
}

#[test]
fn shutdown_resolves_a_pending_connect() {
    let (relay, client, mut incoming) = started();
    relay.run(async {
        let call = answered(&relay, &mut incoming).await;
        let pending = call.connect(ringing_plan());
        let stop = async {
            relay
                .wait_until(|r| !r.requests("calling.connect").is_empty())
                .await;
            client.shutdown();
        };
        let (result, ()) = futures_util::join!(pending, stop);
        assert_eq!(result.map(|peer| peer.id().clone()), Err(Error::Closed));
    });
    assert_eq!(relay.run(relay.wait_client_stopped()), "ok");
}

#[test]
fn dropping_a_pending_connect_spoils_nothing() {
    let (relay, client, mut incoming) = started();
    relay.run(async {
        let call = answered(&relay, &mut incoming).await;
        // Given up on after 5 s: the connect goes on at the service.
        let pending = std::pin::pin!(call.connect(ringing_plan()));
        let timer = std::pin::pin!(relay.sleep(Duration::from_secs(5)));
        assert!(matches!(
            futures_util::future::select(pending, timer).await,
            futures_util::future::Either::Right(_)
        ));
        assert_eq!(call.connect_state(), Some(ConnectState::Connecting));
        // Its end is still observed, by a wait started later.
        let failed = call
            .wait_for(|e| {
                matches!(e, relay_rs_core::CallEvent::Connect { update, .. }
                    if update.state == ConnectState::Failed)
            })
            .await
            .unwrap();
        let relay_rs_core::CallEvent::Connect { update, .. } = failed else {
            unreachable!()
        };
        assert_eq!(update.failed_reason.as_deref(), Some("noAnswer"));
        call.wait_disconnected().await.unwrap();
        // And a new connect works.
        let peer = call
            .connect(ConnectPlan::single(Device::phone().from(FROM).to(AGENT)))
            .await
            .unwrap();
        assert_eq!(peer.to_number(), Some(AGENT));
    });
    finish(&relay, &client);
}

#[test]
fn s2_3_dial_with_two_groups_gets_the_second_groups_winner_and_tracks_no_loser() {
    let relay = MemoryRelay::new(SimConfig::new());
    // Under a cap of two calls, a losing leg left tracked would refuse the second dial.
    let client = relay.client().max_active_calls(2).seed(11).build().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        let start = relay.elapsed();
        let plan = DialPlan::parallel([
            Device::phone()
                .from(FROM)
                .to(NO_ANSWER_NUMBER)
                .timeout(Duration::from_secs(10))
                .into(),
            Device::phone().from(FROM).to(BUSY_NUMBER).into(),
        ])
        .then_parallel([
            Device::phone().from(FROM).to(AGENT).into(),
            Device::phone().from(FROM).to("+15553330001").into(),
        ]);
        let call = client.dial(plan).await.unwrap();
        assert_eq!(relay.elapsed() - start, Duration::from_secs(10));
        assert_eq!(call.to_number(), Some(AGENT));
        assert_eq!(call.state(), CallState::Answered);
        assert_eq!(
            relay.with_relay(|r, _| r.call_ids()),
            [call.id().clone()],
            "the service keeps only the winner"
        );
        let second = client
            .dial(DialPlan::single(Device::phone().from(FROM).to(AGENT)))
            .await
            .unwrap();
        let third = client
            .dial(DialPlan::single(Device::phone().from(FROM).to(AGENT)))
            .await
            .map(|c| c.id().clone());
        assert_eq!(
            third,
            Err(Error::Command(relay_rs_core::CommandError::TooManyCalls {
                limit: 2
            })),
            "the two winners are the only calls tracked"
        );
        second.hangup().await.unwrap();
        call.hangup().await.unwrap();
    });
    finish(&relay, &client);
}
