//! Call control (§2) over a real loopback WebSocket to the simulator, run on every runtime
//! like the action suite: each method from the typed `Call` API, its frame as the simulator
//! received it, and its result or events back through the client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::suite::*;
use futures_util::StreamExt;
use relay_rs_core::driver::{Call, CallEnd, Client, ClientBuilder, Error};
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::{Fault, SimConfig};
use relay_rs_core::testkit::{Pacing, SimServer};
use relay_rs_core::CallGone;
use relay_rs_core::{
    AmazonBedrock, BackoffConfig, BindDigit, CallEvent, ClearDigitBindings, ConferenceBeep,
    JoinConference, JoinRoom, LiveAction, LiveTranslate, QueueEnter, Refer, ReferDevice,
    RequestError, Transfer, UserEvent,
};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// One `#[test]` per call-control behaviour for a runtime (see `behaviour_tests!`).
#[macro_export]
macro_rules! control_tests {
    ($block_on:path, $runtime:path) => {
        control_tests!(@tests $block_on, $runtime;
            transfer_hands_the_call_to_the_client_of_the_context,
            pass_hands_an_offer_on,
            refer_on_a_sip_call_reports_its_events,
            hold_unhold_and_denoise_report_their_events,
            two_calls_join_a_conference_and_leave_it,
            rooms_are_joined_and_left,
            a_queue_entry_reports_its_position,
            a_digit_binding_plays_and_bindings_clear,
            live_transcription_and_translation_on_the_wire,
            user_event_and_amazon_bedrock_are_accepted,
            a_refused_command_is_a_typed_error,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { control::$name($runtime()).await });
            }
        )*
    };
}

async fn setup(
    rt: &Arc<dyn ServerRuntime>,
) -> (
    SimServer,
    Client,
    futures_channel::mpsc::UnboundedReceiver<Call>,
) {
    let config = SimConfig::new().play_duration(Duration::from_millis(100));
    let sim = start_sim(rt, config, 100, Pacing::Fast).await;
    let (client, calls) = ready_client(rt, &sim).await;
    (sim, client, calls)
}

/// The params of the only request with `method` on `call`, without `node_id` and `call_id`.
async fn sent(sim: &SimServer, call: &Call, method: &str) -> Value {
    let requests: Vec<Value> = sim
        .requests(method)
        .await
        .into_iter()
        .filter(|r| r["params"]["call_id"] == call.id().as_str())
        .collect();
    assert_eq!(requests.len(), 1, "one {method}: {requests:?}");
    let mut params = requests[0]["params"].clone();
    assert!(params["node_id"].is_string(), "{method}");
    let object = params.as_object_mut().unwrap();
    object.remove("call_id");
    object.remove("node_id");
    params
}

/// The next event of `events` matching `pick`, within 5 s.
async fn next_matching<T>(
    rt: &Arc<dyn ServerRuntime>,
    events: &mut (impl futures_util::Stream<Item = CallEvent> + Unpin),
    what: &str,
    mut pick: impl FnMut(CallEvent) -> Option<T>,
) -> T {
    within(rt, 5, what, async {
        loop {
            let event = events.next().await.expect("the call goes on");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await
}

pub async fn transfer_hands_the_call_to_the_client_of_the_context(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    // A second client, on `sales` only.
    let sales = ClientBuilder::new(rt.clone())
        .project_token(PROJECT, TOKEN)
        .host(sim.host())
        .allow_insecure_loopback(true)
        .contexts(["sales"])
        .backoff(BackoffConfig {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            jitter: 0.0,
        })
        .build()
        .unwrap();
    let mut sales_calls = sales.incoming().unwrap();
    drop(spawn_run(&rt, &sales));
    within(&rt, 10, "the sales client", async {
        while sim.with_relay(|r, _| r.sessions()).await != Some(2) {
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    within(
        &rt,
        5,
        "transfer",
        call.transfer(Transfer::context("sales")),
    )
    .await
    .unwrap();
    assert_eq!(
        sent(&sim, &call, "calling.transfer").await,
        json!({"dest": "context:sales"})
    );
    assert_eq!(
        within(&rt, 5, "handed over", call.wait_for_ended())
            .await
            .unwrap(),
        CallEnd::HandedOver("calling.transfer".into())
    );
    let taken = within(&rt, 5, "the sales client gets it", sales_calls.next())
        .await
        .unwrap();
    assert_eq!(taken.id(), call.id());
    within(&rt, 5, "sales holds it", taken.hold())
        .await
        .unwrap();
    let refused = within(&rt, 5, "no longer ours", call.hold()).await;
    assert_eq!(
        refused,
        Err(Error::CallGone(CallGone::ended(call.id().clone())))
    );
    sales.shutdown();
    client.shutdown();
}

pub async fn pass_hands_an_offer_on(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    offer(&rt, &sim).await;
    let call = within(&rt, 10, "the offer", calls.next()).await.unwrap();
    within(&rt, 5, "pass", call.pass()).await.unwrap();
    assert_eq!(sent(&sim, &call, "calling.pass").await, json!({}));
    assert_eq!(
        within(&rt, 5, "handed over", call.wait_for_ended())
            .await
            .unwrap(),
        CallEnd::HandedOver("calling.pass".into())
    );
    client.shutdown();
}

pub async fn refer_on_a_sip_call_reports_its_events(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let device = json!({"type": "sip", "params": {"from": "sip:alice@example.com",
                                                  "to": "sip:office@example.com"}});
    within(&rt, 10, "a SIP offer", async {
        loop {
            let device = device.clone();
            let offered = sim
                .with_relay(move |r, now| r.offer_inbound_device(CONTEXT, device, now))
                .await
                .flatten();
            if offered.is_some() {
                return;
            }
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let call = within(&rt, 10, "the SIP call", calls.next()).await.unwrap();
    within(&rt, 5, "answer", call.answer()).await.unwrap();
    let mut events = call.events();
    let refer = Refer::new(ReferDevice::new("sip:agent@example.com").header("X-Case", "42"))
        .status_url("https://example.com/refer");
    within(&rt, 5, "refer", call.refer(refer)).await.unwrap();
    assert_eq!(
        sent(&sim, &call, "calling.refer").await,
        json!({"device": {"type": "sip", "params": {"to": "sip:agent@example.com",
                "headers": {"X-Case": "42"}}}, "status_url": "https://example.com/refer"})
    );
    let done = next_matching(&rt, &mut events, "refer success", |e| match e {
        CallEvent::Refer(r) if r.state.as_deref() == Some("success") => Some(r),
        _ => None,
    })
    .await;
    assert_eq!(done.sip_refer_to.as_deref(), Some("sip:agent@example.com"));
    assert_eq!(done.sip_notify_response_code.as_deref(), Some("200"));
    client.shutdown();
}

pub async fn hold_unhold_and_denoise_report_their_events(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let mut events = call.events();
    within(&rt, 5, "hold", call.hold()).await.unwrap();
    within(&rt, 5, "unhold", call.unhold()).await.unwrap();
    within(&rt, 5, "denoise", call.denoise()).await.unwrap();
    within(&rt, 5, "denoise stop", call.denoise_stop())
        .await
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let event = next_matching(&rt, &mut events, "control events", |e| match e {
            CallEvent::Hold { state, .. } => state,
            CallEvent::Denoise { denoised, .. } => denoised.map(|d| format!("denoised {d}")),
            _ => None,
        })
        .await;
        seen.push(event);
    }
    assert_eq!(seen, ["hold", "unhold", "denoised true", "denoised false"]);
    for method in [
        "calling.hold",
        "calling.unhold",
        "calling.denoise",
        "calling.denoise.stop",
    ] {
        assert_eq!(sent(&sim, &call, method).await, json!({}), "{method}");
    }
    client.shutdown();
}

pub async fn two_calls_join_a_conference_and_leave_it(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let mut conference = client.conference_events();
    let a = answered_call(&rt, &sim, &mut calls).await;
    let b = answered_call(&rt, &sim, &mut calls).await;
    let options = JoinConference::new("support")
        .beep(ConferenceBeep::OnEnter)
        .max_participants(2);
    let joined = within(&rt, 5, "a joins", a.join_conference(options))
        .await
        .unwrap();
    let id = joined.conference_id.unwrap();
    let joined = within(
        &rt,
        5,
        "b joins",
        b.join_conference(JoinConference::new("support")),
    )
    .await
    .unwrap();
    assert_eq!(joined.conference_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        sent(&sim, &a, "calling.join_conference").await,
        json!({"name": "support", "beep": "onEnter", "max_participants": 2})
    );
    within(&rt, 5, "a leaves", a.leave_conference(&id))
        .await
        .unwrap();
    within(&rt, 5, "b hangs up", b.hangup()).await.unwrap();
    let mut statuses = Vec::new();
    while statuses.len() < 6 {
        let event = within(&rt, 5, "conference events", conference.next())
            .await
            .unwrap();
        assert_eq!(event.conference_id.as_deref(), Some(id.as_str()));
        statuses.push(event.status.unwrap());
    }
    assert_eq!(statuses, ["start", "join", "join", "leave", "leave", "end"]);
    client.shutdown();
}

pub async fn rooms_are_joined_and_left(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let room = JoinRoom::new("standup").status_url("https://example.com/room");
    within(&rt, 5, "join", call.join_room(room)).await.unwrap();
    within(&rt, 5, "leave", call.leave_room()).await.unwrap();
    assert_eq!(
        sent(&sim, &call, "calling.join_room").await,
        json!({"name": "standup", "status_url": "https://example.com/room"})
    );
    assert_eq!(sent(&sim, &call, "calling.leave_room").await, json!({}));
    let again = within(&rt, 5, "leave again", call.leave_room()).await;
    assert!(
        matches!(&again, Err(Error::Request(RequestError::Failed { code, .. })) if code == "409"),
        "{again:?}"
    );
    assert!(!call.is_ended(), "a state refusal leaves the call up");
    client.shutdown();
}

pub async fn a_queue_entry_reports_its_position(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let a = answered_call(&rt, &sim, &mut calls).await;
    let b = answered_call(&rt, &sim, &mut calls).await;
    let mut first = within(
        &rt,
        5,
        "a enters",
        a.queue_enter(QueueEnter::new("support")),
    )
    .await
    .unwrap();
    let mut second = within(
        &rt,
        5,
        "b enters",
        b.queue_enter(QueueEnter::new("support")),
    )
    .await
    .unwrap();
    let event = within(&rt, 5, "b entered", second.next()).await.unwrap();
    assert_eq!((event.position, event.size), (Some(2), Some(2)));
    assert_eq!(
        sent(&sim, &a, "calling.queue.enter")
            .await
            .as_object()
            .unwrap()
            .len(),
        2,
        "control_id and queue_name"
    );
    within(&rt, 5, "a leaves", first.leave()).await.unwrap();
    let left = within(&rt, 5, "a's events", async {
        loop {
            let event = first.next().await.unwrap();
            if event.status.as_deref() == Some("left") {
                return event;
            }
        }
    })
    .await;
    assert_eq!(left.queue_name.as_deref(), Some("support"));
    let moved = within(&rt, 5, "b moves up", second.next()).await.unwrap();
    assert_eq!(
        (moved.status.as_deref(), moved.position),
        (Some("waiting"), Some(1))
    );
    assert_eq!(
        sent(&sim, &a, "calling.queue.leave").await,
        json!({"control_id": first.control_id().as_str(), "queue_name": "support"})
    );
    client.shutdown();
}

pub async fn a_digit_binding_plays_and_bindings_clear(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let mut params = Map::new();
    params.insert(
        "play".into(),
        json!([{"type": "tts", "params": {"text": "Agent"}}]),
    );
    let binding = BindDigit::new("0", "calling.play")
        .params(params)
        .realm("menu");
    within(&rt, 5, "bind", call.bind_digit(binding))
        .await
        .unwrap();
    let mut events = call.events();
    let id = call.id().clone();
    sim.with_relay(move |r, now| r.caller_presses(&id, "0", now))
        .await;
    next_matching(&rt, &mut events, "the bound play ends", |e| match e {
        CallEvent::Play(p)
            if p.state
                .as_ref()
                .is_some_and(|s| format!("{s:?}") == "Finished") =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    within(
        &rt,
        5,
        "clear",
        call.clear_digit_bindings(ClearDigitBindings::realm("menu")),
    )
    .await
    .unwrap();
    assert_eq!(
        sent(&sim, &call, "calling.bind_digit").await,
        json!({"digits": "0", "bind_method": "calling.play", "realm": "menu",
               "params": {"play": [{"type": "tts", "params": {"text": "Agent"}}]}})
    );
    assert_eq!(
        sent(&sim, &call, "calling.clear_digit_bindings").await,
        json!({"realm": "menu"})
    );
    let id = call.id().clone();
    assert_eq!(
        sim.with_relay(move |r, _| r.digit_bindings(&id)).await,
        Some(vec![])
    );
    client.shutdown();
}

pub async fn live_transcription_and_translation_on_the_wire(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    within(
        &rt,
        5,
        "transcribe",
        call.live_transcribe(LiveAction::start_transcription("en-US")),
    )
    .await
    .unwrap();
    let translate = LiveTranslate::new(LiveAction::start_translation("en-US", "es"))
        .status_url("https://example.com/t");
    within(&rt, 5, "translate", call.live_translate(translate))
        .await
        .unwrap();
    assert_eq!(
        sent(&sim, &call, "calling.live_transcribe").await,
        json!({"action": {"start": {"language": "en-US"}}})
    );
    assert_eq!(
        sent(&sim, &call, "calling.live_translate").await,
        json!({"action": {"start": {"source": "en-US", "target": "es"}},
               "status_url": "https://example.com/t"})
    );
    client.shutdown();
}

pub async fn user_event_and_amazon_bedrock_are_accepted(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let event = UserEvent::new(json!({"kind": "vip"}));
    within(&rt, 5, "user event", call.user_event(event))
        .await
        .unwrap();
    let bedrock = AmazonBedrock::new()
        .prompt("Be brief")
        .global_data(json!({"tier": 1}));
    within(&rt, 5, "bedrock", call.amazon_bedrock(bedrock))
        .await
        .unwrap();
    assert_eq!(
        sent(&sim, &call, "calling.user_event").await,
        json!({"event": {"kind": "vip"}})
    );
    assert_eq!(
        sent(&sim, &call, "calling.amazon_bedrock").await,
        json!({"prompt": "Be brief", "global_data": {"tier": 1}})
    );
    client.shutdown();
}

pub async fn a_refused_command_is_a_typed_error(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, mut calls) = setup(&rt).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    sim.with_relay(|r, _| {
        r.set_fault(Fault::ReplyWith {
            method: "calling.join_conference".into(),
            code: "503".into(),
            message: "Conferencing unavailable".into(),
        })
    })
    .await;
    let refused = within(
        &rt,
        5,
        "join",
        call.join_conference(JoinConference::new("x")),
    )
    .await;
    assert_eq!(
        refused,
        Err(Error::Request(RequestError::Failed {
            code: "503".into(),
            message: "Conferencing unavailable".into()
        }))
    );
    // Refused locally: nothing goes out.
    let local = within(
        &rt,
        5,
        "bad join",
        call.join_conference(JoinConference::new("")),
    )
    .await;
    assert!(matches!(local, Err(Error::Command(_))), "{local:?}");
    assert_eq!(sim.requests("calling.join_conference").await.len(), 1);
    client.shutdown();
}
