//! The call actions over a real loopback WebSocket to the simulator, run on every runtime like
//! the behaviour suite: each test starts an action on an answered call, lets the scripted
//! caller do its part (short, real-time durations), and asserts both the typed result and the
//! frames the simulator received.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::suite::*;
use relay_rs_core::driver::{Call, Client, Error};
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::{AnsweredBy, CallerInput, CallerScript, Fault, SimConfig};
use relay_rs_core::testkit::{Pacing, SimServer};
use relay_rs_core::{
    ActionOutcome, ActionState, AgentPrompt, AiMessage, AiOptions, CollectInput, CollectOptions,
    Detection, DigitsOptions, EchoOptions, MediaDirection, PauseBehavior, PayOptions, PlayMedia,
    PlayOptions, PromptOptions, ReceiveFaxOptions, RecordOptions, SendFaxOptions, TapDevice,
    TapOptions, TranscribeOptions,
};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One `#[test]` per action behaviour for a runtime (see `behaviour_tests!`).
#[macro_export]
macro_rules! action_tests {
    ($block_on:path, $runtime:path) => {
        action_tests!(@tests $block_on, $runtime;
            play_finishes_with_its_params_on_the_wire,
            play_pauses_resumes_and_stops,
            record_finishes_with_the_scripted_url_duration_and_size,
            record_pauses_and_resumes,
            collect_resolves_with_the_scripted_digits,
            collect_resolves_with_no_input,
            play_and_collect_resolves_with_the_scripted_digits,
            prompt_resolves_with_no_input,
            detect_a_machine_waits_for_the_beep,
            detect_a_human,
            send_digits_finishes,
            tap_runs_until_stopped,
            send_fax_reports_pages_and_success,
            receive_fax_reports_pages_and_the_document,
            pay_finishes_with_the_scripted_fields,
            transcribe_finishes_on_stop_with_its_file,
            ai_runs_takes_messages_and_stops,
            echo_is_accepted,
            wait_resolves_on_stop,
            wait_resolves_on_call_end,
            wait_resolves_on_a_gone_call,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { actions::$name($runtime()).await });
            }
        )*
    };
}

/// A caller whose every step takes a fraction of a second.
fn quick_caller() -> CallerScript {
    let mut caller = CallerScript {
        input_delay: Duration::from_millis(100),
        greeting: Duration::from_millis(300),
        detect_delay: Duration::from_millis(100),
        ..Default::default()
    };
    caller.recording.duration = Duration::from_millis(300);
    caller.recording.size = 4_800;
    caller.recording.url = Some("https://files.example.com/message.wav".into());
    caller.fax.pages = 3;
    caller.fax.page_duration = Duration::from_millis(50);
    caller.pay.duration = Duration::from_millis(100);
    caller
}

/// A simulator with quick plays and `caller`, a running client, and an answered call.
async fn call_with(rt: &Arc<dyn ServerRuntime>, caller: CallerScript) -> (SimServer, Client, Call) {
    let config = SimConfig::new()
        .play_duration(Duration::from_millis(200))
        .caller(caller);
    let sim = start_sim(rt, config, 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(rt, &sim).await;
    let call = answered_call(rt, &sim, &mut calls).await;
    (sim, client, call)
}

/// The params of the only request with `method`, without `node_id` and `call_id` (checked to
/// be the call's).
async fn sent(sim: &SimServer, call: &Call, method: &str) -> Value {
    let requests = sim.requests(method).await;
    assert_eq!(requests.len(), 1, "one {method}: {requests:?}");
    let mut params = requests[0]["params"].clone();
    assert_eq!(params["call_id"], call.id().as_str(), "{method}");
    assert!(params["node_id"].is_string(), "{method}");
    let object = params.as_object_mut().unwrap();
    object.remove("call_id");
    object.remove("node_id");
    params
}

// ---------------------------------------------------------------------------------------
// Play (§1.1)

pub async fn play_finishes_with_its_params_on_the_wire(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = PlayOptions::new([
        PlayMedia::tts("Welcome").voice("polly.Joanna"),
        PlayMedia::audio("https://cdn.example.com/hold.mp3"),
    ])
    .volume(-2.0)
    .direction(MediaDirection::Listen)
    .control_id("play-1");
    let play = within(&rt, 5, "play start", call.play_with(options))
        .await
        .unwrap();
    let outcome = within(&rt, 5, "play end", play.wait()).await.unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Finished { ref state, .. } if *state == ActionState::Finished),
        "{outcome:?}"
    );
    assert_eq!(
        sent(&sim, &call, "calling.play").await,
        json!({
            "control_id": "play-1",
            "play": [
                {"type": "tts", "params": {"text": "Welcome", "voice": "polly.Joanna"}},
                {"type": "audio", "params": {"url": "https://cdn.example.com/hold.mp3"}},
            ],
            "volume": -2.0,
            "direction": "listen",
        })
    );
    client.shutdown();
}

pub async fn play_pauses_resumes_and_stops(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = PlayOptions::new([PlayMedia::silence(Duration::from_secs(1))]).loop_count(0);
    let play = within(&rt, 5, "play start", call.play_with(options))
        .await
        .unwrap();
    within(&rt, 5, "pause", play.pause()).await.unwrap();
    within(&rt, 5, "paused", async {
        while play.state() != Some(ActionState::Paused) {
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    within(&rt, 5, "resume", play.resume()).await.unwrap();
    within(&rt, 5, "volume", play.set_volume(4.0))
        .await
        .unwrap();
    within(&rt, 5, "stop", play.stop()).await.unwrap();
    let outcome = within(&rt, 5, "play end", play.wait()).await.unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Stopped { .. }),
        "{outcome:?}"
    );
    let control = json!({"control_id": play.control_id().as_str()});
    assert_eq!(sent(&sim, &call, "calling.play.pause").await, control);
    assert_eq!(sent(&sim, &call, "calling.play.resume").await, control);
    assert_eq!(sent(&sim, &call, "calling.play.stop").await, control);
    let mut volume = control.clone();
    volume["volume"] = json!(4.0);
    assert_eq!(sent(&sim, &call, "calling.play.volume").await, volume);
    assert_eq!(sent(&sim, &call, "calling.play").await["loop"], 0);
    client.shutdown();
}

// ---------------------------------------------------------------------------------------
// Record (§1.2)

pub async fn record_finishes_with_the_scripted_url_duration_and_size(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = RecordOptions::new()
        .beep(true)
        .end_silence_timeout(Duration::from_secs(2))
        .terminators("#")
        .control_id("rec-1");
    let record = within(&rt, 5, "record start", call.record(options))
        .await
        .unwrap();
    let result = within(&rt, 5, "record end", record.wait()).await.unwrap();
    assert!(result.is_success(), "{result:?}");
    assert_eq!(
        result.url.as_deref(),
        Some("https://files.example.com/message.wav")
    );
    assert_eq!(result.duration, Some(0.3));
    assert_eq!(result.size, Some(4_800));
    let params = sent(&sim, &call, "calling.record").await;
    assert_eq!(params["control_id"], "rec-1");
    let audio = &params["record"]["audio"];
    assert_eq!(audio["beep"], true);
    assert_eq!(audio["end_silence_timeout"], 2.0);
    assert_eq!(audio["terminators"], "#");
    client.shutdown();
}

pub async fn record_pauses_and_resumes(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let record = within(&rt, 5, "record start", call.record(RecordOptions::new()))
        .await
        .unwrap();
    within(&rt, 5, "pause", record.pause(Some(PauseBehavior::Skip)))
        .await
        .unwrap();
    within(&rt, 5, "resume", record.resume()).await.unwrap();
    let result = within(&rt, 5, "record end", record.wait()).await.unwrap();
    assert!(result.is_success(), "{result:?}");
    assert!(result.url.is_some() && result.size.is_some(), "{result:?}");
    let control = json!({"control_id": record.control_id().as_str()});
    let mut pause = control.clone();
    pause["behavior"] = json!("skip");
    assert_eq!(sent(&sim, &call, "calling.record.pause").await, pause);
    assert_eq!(sent(&sim, &call, "calling.record.resume").await, control);
    client.shutdown();
}

// ---------------------------------------------------------------------------------------
// Collect and prompt (§1.3, §1.4)

pub async fn collect_resolves_with_the_scripted_digits(rt: Arc<dyn ServerRuntime>) {
    let caller = CallerScript {
        input: CallerInput::Digits("42#".into()),
        ..quick_caller()
    };
    let (sim, client, call) = call_with(&rt, caller).await;
    let options = CollectOptions::digits(
        DigitsOptions::new(4)
            .terminators("#")
            .digit_timeout(Duration::from_secs(1)),
    )
    .initial_timeout(Duration::from_secs(2));
    let collect = within(&rt, 5, "collect start", call.collect(options))
        .await
        .unwrap();
    let result = within(&rt, 5, "collect end", collect.wait()).await.unwrap();
    assert!(result.is_success(), "{result:?}");
    assert_eq!(result.digits(), Some("42"));
    assert!(
        matches!(result.input, Some(CollectInput::Digits { ref terminator, .. }) if terminator.as_deref() == Some("#")),
        "{result:?}"
    );
    let params = sent(&sim, &call, "calling.collect").await;
    assert_eq!(params["initial_timeout"], 2.0);
    assert_eq!(
        params["digits"],
        json!({"max": 4, "terminators": "#", "digit_timeout": 1})
    );
    client.shutdown();
}

pub async fn collect_resolves_with_no_input(rt: Arc<dyn ServerRuntime>) {
    let caller = CallerScript {
        input: CallerInput::Silence,
        ..quick_caller()
    };
    let (sim, client, call) = call_with(&rt, caller).await;
    let options =
        CollectOptions::digits(DigitsOptions::new(1)).initial_timeout(Duration::from_millis(200));
    let collect = within(&rt, 5, "collect start", call.collect(options))
        .await
        .unwrap();
    // A standalone collect's no-input timer waits for `start_input_timers` (§1.3).
    within(&rt, 5, "start_input_timers", collect.start_input_timers())
        .await
        .unwrap();
    let result = within(&rt, 5, "collect end", collect.wait()).await.unwrap();
    assert!(!result.is_success(), "{result:?}");
    assert_eq!(result.input, Some(CollectInput::NoInput));
    assert!(
        matches!(result.outcome, ActionOutcome::Finished { ref state, .. } if *state == ActionState::NoInput),
        "{result:?}"
    );
    assert_eq!(
        sent(&sim, &call, "calling.collect").await["initial_timeout"],
        0.2
    );
    assert_eq!(
        sent(&sim, &call, "calling.collect.start_input_timers").await,
        json!({"control_id": collect.control_id().as_str()})
    );
    client.shutdown();
}

pub async fn play_and_collect_resolves_with_the_scripted_digits(rt: Arc<dyn ServerRuntime>) {
    let caller = CallerScript {
        input: CallerInput::Digits("2".into()),
        ..quick_caller()
    };
    let (sim, client, call) = call_with(&rt, caller).await;
    let collect = CollectOptions::digits(DigitsOptions::new(1));
    let options = PromptOptions::new([PlayMedia::tts("Press 1 or 2")], collect)
        .volume(1.0)
        .control_id("menu");
    let prompt = within(&rt, 5, "prompt start", call.play_and_collect(options))
        .await
        .unwrap();
    let result = within(&rt, 5, "prompt end", prompt.wait()).await.unwrap();
    assert!(result.is_success(), "{result:?}");
    assert_eq!(result.digits(), Some("2"));
    let params = sent(&sim, &call, "calling.play_and_collect").await;
    assert_eq!(params["control_id"], "menu");
    assert_eq!(params["volume"], 1.0);
    assert_eq!(
        params["play"],
        json!([{"type": "tts", "params": {"text": "Press 1 or 2"}}])
    );
    assert_eq!(params["collect"]["digits"], json!({"max": 1}));
    client.shutdown();
}

pub async fn prompt_resolves_with_no_input(rt: Arc<dyn ServerRuntime>) {
    let caller = CallerScript {
        input: CallerInput::Silence,
        ..quick_caller()
    };
    let (sim, client, call) = call_with(&rt, caller).await;
    let collect =
        CollectOptions::digits(DigitsOptions::new(1)).initial_timeout(Duration::from_millis(200));
    let prompt = within(&rt, 5, "prompt start", call.prompt_tts("Anyone?", collect))
        .await
        .unwrap();
    let result = within(&rt, 5, "prompt end", prompt.wait()).await.unwrap();
    assert_eq!(result.input, Some(CollectInput::NoInput), "{result:?}");
    assert!(!result.is_success());
    assert_eq!(
        sent(&sim, &call, "calling.play_and_collect").await["collect"]["initial_timeout"],
        0.2
    );
    client.shutdown();
}

// ---------------------------------------------------------------------------------------
// Detect (§1.5)

pub async fn detect_a_machine_waits_for_the_beep(rt: Arc<dyn ServerRuntime>) {
    let caller = CallerScript {
        answered_by: AnsweredBy::Machine { beep: true },
        ..quick_caller()
    };
    let (sim, client, call) = call_with(&rt, caller).await;
    let started = Instant::now();
    let detect = within(&rt, 5, "detect start", call.detect_answering_machine(true))
        .await
        .unwrap();
    let result = within(&rt, 5, "detect end", detect.wait()).await.unwrap();
    assert!(result.is_success(), "{result:?}");
    assert!(
        matches!(result.detection, Some(Detection::Machine { .. })),
        "{result:?}"
    );
    let event = result.outcome.event().unwrap().to_value();
    assert_eq!(event["detect"]["params"]["event"], "READY", "{event}");
    // The greeting (0.3 s) was waited for.
    assert!(started.elapsed() >= Duration::from_millis(300));
    let params = sent(&sim, &call, "calling.detect").await;
    assert_eq!(params["detect"]["type"], "machine");
    // `wait_for_beep` is the client's to apply, never sent (CALLING-API §1.5).
    assert_eq!(params["detect"], json!({"type": "machine", "params": {}}));
    client.shutdown();
}

pub async fn detect_a_human(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let detect = within(&rt, 5, "detect start", call.detect_answering_machine(false))
        .await
        .unwrap();
    let result = within(&rt, 5, "detect end", detect.wait()).await.unwrap();
    assert!(result.is_success(), "{result:?}");
    assert_eq!(result.detection, Some(Detection::Human));
    assert_eq!(
        sent(&sim, &call, "calling.detect").await["detect"]["type"],
        "machine"
    );
    client.shutdown();
}

// ---------------------------------------------------------------------------------------
// The other actions (§1.6–§1.12)

pub async fn send_digits_finishes(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let digits = within(&rt, 5, "send_digits start", call.send_digits("12w#"))
        .await
        .unwrap();
    let outcome = within(&rt, 5, "send_digits end", digits.wait())
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    let params = sent(&sim, &call, "calling.send_digits").await;
    assert_eq!(params["digits"], "12w#");
    assert_eq!(params["control_id"], digits.control_id().as_str());
    client.shutdown();
}

pub async fn tap_runs_until_stopped(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = TapOptions::new(TapDevice::ws("wss://tap.example.com/audio"))
        .direction(MediaDirection::Both)
        .control_id("tap-1");
    let tap = within(&rt, 5, "tap start", call.tap(options))
        .await
        .unwrap();
    within(&rt, 5, "tapping", async {
        while tap.state() != Some(ActionState::Tapping) {
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    within(&rt, 5, "tap stop", tap.stop()).await.unwrap();
    let outcome = within(&rt, 5, "tap end", tap.wait()).await.unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Stopped { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        sent(&sim, &call, "calling.tap").await,
        json!({
            "control_id": "tap-1",
            "tap": {"type": "audio", "params": {"direction": "both"}},
            "device": {"type": "ws", "params": {"uri": "wss://tap.example.com/audio"}},
        })
    );
    assert_eq!(
        sent(&sim, &call, "calling.tap.stop").await,
        json!({"control_id": "tap-1"})
    );
    client.shutdown();
}

pub async fn send_fax_reports_pages_and_success(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = SendFaxOptions::new("https://docs.example.com/contract.pdf")
        .identity("+15550002222")
        .header_info("Contract");
    let fax = within(&rt, 5, "fax start", call.send_fax(options))
        .await
        .unwrap();
    let result = within(&rt, 5, "fax end", fax.wait()).await.unwrap();
    assert!(result.is_success() && result.success, "{result:?}");
    assert_eq!(result.pages, Some(3));
    assert_eq!(result.direction.as_deref(), Some("send"));
    assert_eq!(result.remote_identity.as_deref(), Some("+15550001111"));
    assert_eq!(
        result.document.as_deref(),
        Some("https://docs.example.com/contract.pdf")
    );
    let params = sent(&sim, &call, "calling.send_fax").await;
    assert_eq!(params["document"], "https://docs.example.com/contract.pdf");
    assert_eq!(params["identity"], "+15550002222");
    assert_eq!(params["header_info"], "Contract");
    client.shutdown();
}

pub async fn receive_fax_reports_pages_and_the_document(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = ReceiveFaxOptions::new().status_url("https://hooks.example.com/fax");
    let fax = within(&rt, 5, "fax start", call.receive_fax(options))
        .await
        .unwrap();
    let result = within(&rt, 5, "fax end", fax.wait()).await.unwrap();
    assert!(result.is_success() && result.success, "{result:?}");
    assert_eq!(result.pages, Some(3));
    assert_eq!(result.direction.as_deref(), Some("receive"));
    assert_eq!(result.remote_identity.as_deref(), Some("+15550001111"));
    let params = sent(&sim, &call, "calling.receive_fax").await;
    assert_eq!(params["status_url"], "https://hooks.example.com/fax");
    assert!(params["control_id"].is_string());
    client.shutdown();
}

pub async fn pay_finishes_with_the_scripted_fields(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = PayOptions::new("https://pay.example.com/connector")
        .charge_amount("9.99")
        .currency("usd");
    let pay = within(&rt, 5, "pay start", call.pay(options))
        .await
        .unwrap();
    let outcome = within(&rt, 5, "pay end", pay.wait()).await.unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        outcome.event().unwrap().to_value()["payment_result"],
        "success"
    );
    let params = sent(&sim, &call, "calling.pay").await;
    assert_eq!(
        params["payment_connector_url"],
        "https://pay.example.com/connector"
    );
    assert_eq!(params["charge_amount"], "9.99");
    assert_eq!(params["currency"], "usd");
    client.shutdown();
}

pub async fn transcribe_finishes_on_stop_with_its_file(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let transcribe = within(
        &rt,
        5,
        "transcribe start",
        call.transcribe(TranscribeOptions::new()),
    )
    .await
    .unwrap();
    rt.sleep(Duration::from_millis(100)).await;
    within(&rt, 5, "transcribe stop", transcribe.stop())
        .await
        .unwrap();
    let result = within(&rt, 5, "transcribe end", transcribe.wait())
        .await
        .unwrap();
    assert!(result.is_success(), "{result:?}");
    assert!(
        result.url.is_some() && result.recording_id.is_some(),
        "{result:?}"
    );
    assert!(result.duration.is_some_and(|d| d > 0.0), "{result:?}");
    let control = json!({"control_id": transcribe.control_id().as_str()});
    assert_eq!(sent(&sim, &call, "calling.transcribe").await, control);
    assert_eq!(sent(&sim, &call, "calling.transcribe.stop").await, control);
    client.shutdown();
}

pub async fn ai_runs_takes_messages_and_stops(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = AiOptions::new().prompt(AgentPrompt::new("You are a receptionist."));
    let ai = within(&rt, 5, "ai start", call.ai(options)).await.unwrap();
    within(
        &rt,
        5,
        "ai_message",
        call.ai_message(AiMessage::new("system", "Be brief.")),
    )
    .await
    .unwrap();
    within(
        &rt,
        5,
        "ai_hold",
        call.ai_hold(Some(Duration::from_secs(30)), None),
    )
    .await
    .unwrap();
    within(&rt, 5, "ai_unhold", call.ai_unhold(None))
        .await
        .unwrap();
    within(&rt, 5, "ai stop", ai.stop()).await.unwrap();
    let outcome = within(&rt, 5, "ai end", ai.wait()).await.unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Stopped { .. }),
        "{outcome:?}"
    );
    let params = sent(&sim, &call, "calling.ai").await;
    assert_eq!(params["prompt"], json!({"text": "You are a receptionist."}));
    let message = sent(&sim, &call, "calling.ai_message").await;
    assert_eq!(message["role"], "system");
    assert_eq!(message["message_text"], "Be brief.");
    // TS-Gen and the SDKs send the hold timeout as a string (CALLING-API §1.11).
    assert_eq!(sent(&sim, &call, "calling.ai_hold").await["timeout"], "30");
    sent(&sim, &call, "calling.ai_unhold").await;
    assert_eq!(
        sent(&sim, &call, "calling.ai.stop").await,
        json!({"control_id": ai.control_id().as_str()})
    );
    client.shutdown();
}

pub async fn echo_is_accepted(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let options = EchoOptions::new().timeout(Duration::from_secs(5));
    within(&rt, 5, "echo", call.echo(options)).await.unwrap();
    assert_eq!(
        sent(&sim, &call, "calling.echo").await,
        json!({"timeout": 5})
    );
    client.shutdown();
}

// ---------------------------------------------------------------------------------------
// The typed `wait()` on stop, call end and a gone call

pub async fn wait_resolves_on_stop(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let long = RecordingLong::start(&rt, &sim, &call).await;
    within(&rt, 5, "record stop", long.0.stop()).await.unwrap();
    let result = within(&rt, 5, "record end", long.0.wait()).await.unwrap();
    assert!(
        matches!(result.outcome, ActionOutcome::Stopped { .. }),
        "{result:?}"
    );
    // A stopped recording still reports its file.
    assert!(result.url.is_some(), "{result:?}");
    assert_eq!(
        sent(&sim, &call, "calling.record.stop").await,
        json!({"control_id": long.0.control_id().as_str()})
    );
    client.shutdown();
}

pub async fn wait_resolves_on_call_end(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let long = RecordingLong::start(&rt, &sim, &call).await;
    let collect =
        CollectOptions::digits(DigitsOptions::new(9)).initial_timeout(Duration::from_secs(30));
    sim.with_relay(|relay, _| relay.caller_mut().input = CallerInput::Silence)
        .await;
    let collect = within(&rt, 5, "collect start", call.collect(collect))
        .await
        .unwrap();
    sim.end_call(call.id(), "hangup").await;
    let record = within(&rt, 5, "record end", long.0.wait()).await.unwrap();
    let collected = within(&rt, 5, "collect end", collect.wait()).await.unwrap();
    assert!(
        matches!(
            record.outcome,
            ActionOutcome::CallEnded | ActionOutcome::Finished { .. }
        ),
        "{record:?}"
    );
    assert!(!collected.is_success(), "{collected:?}");
    assert!(collected.digits().is_none(), "{collected:?}");
    within(&rt, 5, "call end", call.wait_for_ended())
        .await
        .unwrap();
    // Nothing new starts on the ended call.
    let refused = within(&rt, 5, "play on an ended call", call.play_tts("late")).await;
    assert!(matches!(refused, Err(Error::CallGone(_))), "{refused:?}");
    assert!(sim.requests("calling.play").await.is_empty());
    client.shutdown();
}

pub async fn wait_resolves_on_a_gone_call(rt: Arc<dyn ServerRuntime>) {
    let (sim, client, call) = call_with(&rt, quick_caller()).await;
    let long = RecordingLong::start(&rt, &sim, &call).await;
    // The service says the call is gone when the next command arrives.
    sim.with_relay(|relay, _| {
        relay.set_fault(Fault::Reply {
            method: "calling.play".into(),
            code: "410".into(),
        })
    })
    .await;
    let refused = within(&rt, 5, "play on a gone call", call.play_tts("hello")).await;
    assert!(matches!(refused, Err(Error::CallGone(_))), "{refused:?}");
    let result = within(&rt, 5, "record end", long.0.wait()).await.unwrap();
    assert!(
        matches!(&result.outcome, ActionOutcome::CallGone(gone)
            if gone.code.as_deref() == Some("410") && gone.call_id.as_ref() == Some(call.id())),
        "{:?}",
        result.outcome
    );
    assert!(!result.is_success());
    assert_eq!(sim.requests("calling.play").await.len(), 1);
    client.shutdown();
}

/// A recording that outlasts the test unless something ends it.
struct RecordingLong(relay_rs_core::driver::RecordAction);

impl RecordingLong {
    async fn start(rt: &Arc<dyn ServerRuntime>, sim: &SimServer, call: &Call) -> Self {
        sim.with_relay(|relay, _| relay.caller_mut().recording.duration = Duration::from_secs(30))
            .await;
        let options = RecordOptions::new().end_silence_timeout(Duration::from_secs(30));
        let record = within(rt, 5, "record start", call.record(options))
            .await
            .unwrap();
        Self(record)
    }
}
