//! SignalWire's server schema (`tests/data/relay_schema.json`) as an oracle: every request we
//! can build, every option set, uses its keys and types, and reaches every key it names for a
//! method we send; the exceptions are the rows of `docs/CALLING-API.md` §7, read here.
#![allow(clippy::unwrap_used)]

mod common;

use common::options::{digits, speech};
use futures_util::StreamExt;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::MemoryRelay;
use relay_rs_core::{
    AgentPrompt, AiHint, AiLanguage, AiMessage, AiOptions, AiPronounce, AiReset, AmazonBedrock,
    BindDigit, CallId, CallState, CallbackEventType, ClearDigitBindings, Codec, CollectOptions,
    ConferenceBeep, ConferenceRecord, ConferenceRegion, ConferenceStream, ConferenceTrim,
    ConnectPlan, ControlId, Credentials, DetectOptions, Detector, Device, DialPlan, DigitsOptions,
    EchoOptions, EndReason, Engine, EngineConfig, FaxTone, HttpMethod, JoinConference, JoinRoom,
    LeaveConference, LiveAction, LiveTranscribe, LiveTranslate, MediaDirection, PauseBehavior,
    PayOptions, PayPrompt, PlayMedia, PlayOptions, PromptOptions, QueueEnter, QueueLeave,
    ReceiveFaxOptions, RecordFormat, RecordOptions, Refer, ReferDevice, SendDigitsOptions,
    SendFaxOptions, SendMessage, SimpleControl, StreamOptions, TapDevice, TapOptions, Track,
    TranscribeOptions, Transfer, UserEvent,
};
use relay_rs_core::{CallCodec, Transmit};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const SCHEMA: &str = include_str!("data/relay_schema.json");
const DOC: &str = include_str!("../../docs/CALLING-API.md");

/// An engine on a virtual clock that keeps every frame it sends and accepts every request.
struct Wire {
    engine: Engine,
    now: Instant,
    frames: Vec<Value>,
}

impl Wire {
    fn new() -> Self {
        let config =
            EngineConfig::new(Credentials::token("project-1", "token-1")).contexts(["office"]);
        let mut wire = Self {
            engine: Engine::new(config),
            now: Instant::now(),
            frames: Vec::new(),
        };
        wire.engine.open(wire.now);
        wire.pump();
        wire
    }

    /// Carries out every transmit: connects at once, answers every request with a 200.
    fn pump(&mut self) {
        while let Some(transmit) = self.engine.poll_transmit() {
            match transmit {
                Transmit::Open => self.engine.handle_connected(self.now),
                Transmit::Send(text) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    if let Some(method) = frame.get("method").and_then(Value::as_str) {
                        let result = match method {
                            "signalwire.connect" => json!({"protocol": "proto-1"}),
                            _ => json!({"code": "200", "message": "OK"}),
                        };
                        let reply = json!({"jsonrpc": "2.0", "id": frame["id"], "result": result});
                        self.frames.push(frame);
                        self.engine.handle_frame(&reply.to_string(), self.now);
                    }
                }
                Transmit::Close => {}
                other => panic!("a transmit this oracle does not know: {other:?}"),
            }
        }
        while self.engine.poll_event().is_some() {}
    }

    fn feed_event(&mut self, event_type: &str, params: Value) {
        let frame = json!({"jsonrpc": "2.0", "id": format!("ev-{}", self.frames.len()),
            "method": "signalwire.event",
            "params": {"event_type": event_type, "timestamp": 1.0, "params": params}});
        self.engine.handle_frame(&frame.to_string(), self.now);
        self.pump();
    }

    fn offer(&mut self, call_id: &str) -> CallId {
        self.feed_event(
            "calling.call.receive",
            json!({"call_id": call_id, "node_id": "node-1", "context": "office",
                   "call_state": "ringing", "direction": "inbound",
                   "device": {"type": "phone",
                              "params": {"from_number": "+15550001", "to_number": "+15550002"}}}),
        );
        CallId::new(call_id)
    }
}

fn map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("an object"),
    }
}

fn media() -> Vec<PlayMedia> {
    vec![
        PlayMedia::audio("https://example.com/a.mp3"),
        PlayMedia::tts("hello")
            .language("en-US")
            .gender(relay_rs_core::Gender::Female)
            .voice("polly.Joanna"),
        PlayMedia::silence(std::time::Duration::from_millis(1500)),
        PlayMedia::ringtone("us").ringtone_duration(std::time::Duration::from_secs(3)),
    ]
}

/// Every option a prompt's `collect` object can carry (§1.4).
fn prompt_collect_options() -> CollectOptions {
    CollectOptions::digits(digits())
        .and_speech(speech())
        .initial_timeout(Duration::from_secs(4))
        .partial_results(true)
}

fn collect_options() -> CollectOptions {
    prompt_collect_options()
        .continuous(true)
        .send_start_of_input(true)
        .start_input_timers(true)
        .status_url("https://example.com/collect")
}

fn leg_states() -> [CallState; 4] {
    [
        CallState::Created,
        CallState::Ringing,
        CallState::Answered,
        CallState::Ended,
    ]
}

/// Every device `calling.dial` takes, each with every option.
fn dial_devices() -> Vec<Device> {
    vec![
        Device::phone()
            .from("+15550001")
            .to("+15550002")
            .timeout(Duration::from_secs(30))
            .max_duration(Duration::from_secs(600))
            .call_state_url("https://example.com/state")
            .call_state_events(leg_states())
            .confirm("https://example.com/confirm.swml")
            .into(),
        Device::sip("sip:a@example.com", "sip:b@example.com")
            .from_name("Alice")
            .timeout(Duration::from_secs(30))
            .max_duration(Duration::from_secs(600))
            .header("X-Account", "42")
            .codecs([CallCodec::Pcmu, CallCodec::Opus])
            .webrtc_media(true)
            .call_state_url("https://example.com/state")
            .call_state_events(leg_states())
            .confirm("https://example.com/confirm.swml")
            .into(),
        Device::webrtc("alice", "bob")
            .timeout(Duration::from_secs(30))
            .codecs([CallCodec::Opus, CallCodec::Vp8])
            .call_state_url("https://example.com/state")
            .call_state_events(leg_states())
            .confirm("https://example.com/confirm.swml")
            .into(),
        Device::agora("alice", "app-1", "channel-1")
            .to("bob")
            .call_state_url("https://example.com/state")
            .call_state_events(leg_states())
            .confirm("https://example.com/confirm.swml")
            .into(),
    ]
}

/// Every device `calling.connect` takes, each with every option.
fn connect_devices() -> Vec<Device> {
    let mut devices = dial_devices();
    devices.push(Device::call("node-2", "c9").into());
    devices.push(Device::queue("node-2", "support").queue_id("q-1").into());
    devices.push(
        Device::stream("wss://example.com/agent")
            .name("agent")
            .codec(Codec::Custom("L16@16000h".into()))
            .status_url("https://example.com/stream")
            .status_url_method(HttpMethod::Get)
            .realtime(true)
            .authorization_bearer_token("secret")
            .custom_parameter("k", "v")
            .into(),
    );
    devices
}

fn stream_options() -> StreamOptions {
    StreamOptions::new()
        .name("s1")
        .codec(Codec::Pcma)
        .track(Track::Both)
        .status_url("https://example.com/stream")
        .status_url_method(HttpMethod::Get)
        .authorization_bearer_token("secret")
        .custom_parameter("k", "v")
}

fn pay_options() -> PayOptions {
    let mut pay = PayOptions::new("https://example.com/pay")
        .charge_amount("10.00")
        .currency("usd")
        .timeout(Duration::from_secs(5))
        .max_attempts(2)
        .security_code(true)
        .parameter("k", "v")
        .status_url("https://example.com/pay-status");
    // Options with no builder method are public fields.
    pay.input_method = Some("dtmf".into());
    pay.payment_method = Some("credit-card".into());
    pay.postal_code = Some("true".into());
    pay.min_postal_code_length = Some(5);
    pay.token_type = Some("one-time".into());
    pay.language = Some("en-US".into());
    pay.voice = Some("woman".into());
    pay.description = Some("order 42".into());
    pay.valid_card_types = Some("visa mastercard".into());
    pay.prompt(
        PayPrompt::new("payment-card-number")
            .say("Your card number")
            .attempt(1)
            .card_type("visa")
            .error_type("timeout")
            .require_matching_inputs(true),
    )
}

fn ai_options() -> AiOptions {
    let mut ai = AiOptions::new()
        .agent("agent-1")
        .prompt(AgentPrompt::new("be nice").temperature(0.3))
        .post_prompt(AgentPrompt::new("summarise"))
        .post_prompt_url("https://example.com/post")
        .global_data(json!({"a": 1}))
        .swaig(json!({"functions": []}))
        .ai_params(json!({"debug": true}));
    ai.post_prompt_auth_user = Some("user".into());
    ai.post_prompt_auth_password = Some("pass".into());
    ai.pronounce([AiPronounce::new("SW", "SignalWire").ignore_case(true)])
        .hints([
            AiHint::from("SignalWire"),
            AiHint::pattern("signal wire", "signal\\s+wire", "SignalWire"),
        ])
        .languages([
            AiLanguage::new("English", "en-US", "gcloud.en-US-Neural2-F")
                .model("arcana")
                .speech_fillers(["umm"])
                .function_fillers(["one moment"]),
        ])
}

fn join_conference() -> JoinConference {
    JoinConference::new("room-1")
        .muted(true)
        .beep(ConferenceBeep::OnEnter)
        .start_on_enter(true)
        .end_on_exit(true)
        .wait_url("https://example.com/hold.mp3")
        .max_participants(10)
        .record(ConferenceRecord::RecordFromStart)
        .region(ConferenceRegion::Eu)
        .trim(ConferenceTrim::DoNotTrim)
        .coach("c7")
        .status_callback("https://example.com/conf")
        .status_callback_events(["start", "end"])
        .status_callback_event_type(CallbackEventType::Cxml)
        .status_callback_method(HttpMethod::Get)
        .recording_status_callback("https://example.com/rec")
        .recording_status_callback_events(["completed"])
        .recording_status_callback_event_type(CallbackEventType::Relay)
        .recording_status_callback_method(HttpMethod::Post)
        .stream(ConferenceStream::new("wss://example.com/conf").options(stream_options()))
}

/// Sends every request the public API can build, each with every option set, and returns
/// the frames that went out.
fn every_request() -> Vec<Value> {
    let mut wire = Wire::new();
    // A resumed session sends `protocol` and `authorization_state` too.
    wire.feed_event(
        "signalwire.authorization.state",
        json!({"authorization_state": "state-1"}),
    );
    wire.engine.handle_disconnected(wire.now);
    wire.pump();
    while !wire.engine.is_ready() {
        wire.now = wire.engine.poll_timeout().unwrap().max(wire.now);
        wire.engine.handle_timeout(wire.now);
        wire.pump();
    }
    // The client's own ping.
    let frames = wire.frames.len();
    while !wire.frames[frames..]
        .iter()
        .any(|f| f["method"] == "signalwire.ping")
    {
        wire.now = wire.engine.poll_timeout().unwrap().max(wire.now);
        wire.engine.handle_timeout(wire.now);
        wire.pump();
    }
    let now = wire.now;
    let e = &mut wire.engine;
    e.receive(&["sales".into()], now).unwrap();
    e.unreceive(&["sales".into()], now).unwrap();
    wire.pump();

    let call = wire.offer("c1");
    let e = &mut wire.engine;
    e.answer(&call, now).unwrap();
    e.hangup(&call, EndReason::Busy, now).unwrap();
    e.stream(
        &call,
        "wss://example.com/audio",
        &stream_options().control_id("stream-1"),
        now,
    )
    .unwrap();
    e.play(&call, &media(), Some(-3.0), now).unwrap();
    e.start(
        &call,
        &PlayOptions::new(media())
            .volume(2.0)
            .direction(MediaDirection::Both)
            .loop_count(2)
            .status_url("https://example.com/play")
            .control_id("play-1"),
        now,
    )
    .unwrap();
    let record = RecordOptions::new()
        .beep(true)
        .format(RecordFormat::Wav)
        .stereo(true)
        .direction(MediaDirection::Both)
        .initial_timeout(Duration::from_secs(5))
        .end_silence_timeout(Duration::from_secs(1))
        .terminators("#*")
        .input_sensitivity(44)
        .status_url("https://example.com/record")
        .control_id("record-1");
    e.start(&call, &record, now).unwrap();
    e.start(&call, &collect_options().control_id("collect-1"), now)
        .unwrap();
    let prompt = PromptOptions::new(media(), prompt_collect_options())
        .volume(1.0)
        .status_url("https://example.com/prompt")
        .control_id("prompt-1");
    e.start(&call, &prompt, now).unwrap();
    let detectors = [
        Detector::Machine {
            initial_timeout: Some(Duration::from_millis(4500)),
            end_silence_timeout: Some(Duration::from_secs(1)),
            machine_ready_timeout: Some(Duration::from_secs(1)),
            machine_voice_threshold: Some(Duration::from_millis(1250)),
            machine_words_threshold: Some(6),
            detect_interruptions: Some(true),
            detect_message_end: Some(true),
        },
        Detector::Fax {
            tone: Some(FaxTone::Cng),
        },
        Detector::Digit {
            digits: Some("123".into()),
        },
    ];
    for (n, detector) in detectors.into_iter().enumerate() {
        let options = DetectOptions::new(detector)
            .timeout(Duration::from_secs(30))
            .wait_for_beep(true)
            .status_url("https://example.com/detect")
            .control_id(format!("detect-{n}"));
        e.start(&call, &options, now).unwrap();
    }
    let taps = [
        TapDevice::Rtp {
            addr: "192.0.2.1".into(),
            port: 4000,
            codec: Some(Codec::Opus),
            ptime: Some(20),
        },
        TapDevice::Ws {
            uri: "wss://example.com/tap".into(),
            codec: Some(Codec::Pcmu),
            rate: Some(8000),
        },
    ];
    for (n, device) in taps.into_iter().enumerate() {
        let options = TapOptions::new(device)
            .direction(MediaDirection::Speak)
            .status_url("https://example.com/tap-status")
            .control_id(format!("tap-{n}"));
        e.start(&call, &options, now).unwrap();
    }
    let send_fax = SendFaxOptions::new("https://example.com/doc.pdf")
        .identity("+15550001")
        .header_info("SignalWire")
        .status_url("https://example.com/fax")
        .control_id("fax-1");
    e.start(&call, &send_fax, now).unwrap();
    let mut receive_fax = ReceiveFaxOptions::new().control_id("fax-2");
    receive_fax.status_url = Some("https://example.com/fax".into());
    e.start(&call, &receive_fax, now).unwrap();
    e.start(&call, &pay_options().control_id("pay-1"), now)
        .unwrap();
    let mut transcribe = TranscribeOptions::new().control_id("transcribe-1");
    transcribe.status_url = Some("https://example.com/transcribe".into());
    e.start(&call, &transcribe, now).unwrap();
    e.start(
        &call,
        &SendDigitsOptions::new("12w#").control_id("digits-1"),
        now,
    )
    .unwrap();
    e.start(&call, &ai_options().control_id("ai-1"), now)
        .unwrap();

    // Every stop; the other controls are built by the driver's handles (`driver_requests`).
    for id in [
        "stream-1",
        "play-1",
        "record-1",
        "collect-1",
        "prompt-1",
        "detect-0",
        "tap-0",
        "fax-1",
        "fax-2",
        "pay-1",
        "transcribe-1",
        "ai-1",
    ] {
        e.stop_action(&call, &ControlId::new(id), now).unwrap();
    }
    // Simple commands (§2).
    e.command(&call, &join_conference(), now).unwrap();
    e.command(&call, &LeaveConference::new("conf-1"), now)
        .unwrap();
    e.command(
        &call,
        &JoinRoom::new("room").status_url("https://example.com/room"),
        now,
    )
    .unwrap();
    for action in [
        LiveAction::start_transcription("en-US"),
        LiveAction::Stop,
        LiveAction::Summarize(map(json!({"webhook": "https://example.com/s"}))),
    ] {
        e.command(&call, &LiveTranscribe::new(action), now).unwrap();
    }
    for action in [
        LiveAction::start_translation("en-US", "es"),
        LiveAction::Inject(map(json!({"message": "hi"}))),
    ] {
        let translate = LiveTranslate::new(action).status_url("https://example.com/lt");
        e.command(&call, &translate, now).unwrap();
    }
    let refer = ReferDevice::new("sip:b@example.com")
        .credentials("user", "pass")
        .header("X-A", "1");
    e.command(
        &call,
        &Refer::new(refer).status_url("https://example.com/refer"),
        now,
    )
    .unwrap();
    let bind = BindDigit::new("*1", "calling.play")
        .params(map(
            json!({"play": [{"type": "tts", "params": {"text": "hi"}}]}),
        ))
        .realm("menu")
        .max_triggers(2);
    e.command(&call, &bind, now).unwrap();
    e.command(&call, &ClearDigitBindings::all(), now).unwrap();
    e.command(&call, &ClearDigitBindings::realm("menu"), now)
        .unwrap();
    for control in [
        SimpleControl::Hold,
        SimpleControl::Unhold,
        SimpleControl::Denoise,
        SimpleControl::DenoiseStop,
        SimpleControl::LeaveRoom,
    ] {
        e.command(&call, &control, now).unwrap();
    }
    e.command(
        &call,
        &UserEvent::new(json!({"kind": "x"})).extra("note", "n"),
        now,
    )
    .unwrap();
    let bedrock = AmazonBedrock::new()
        .prompt(AgentPrompt::new("hi"))
        .swaig(json!({"functions": []}))
        .ai_params(json!({"a": 1}))
        .global_data(json!({"b": 2}))
        .post_prompt(AgentPrompt::new("sum"))
        .post_prompt_url("https://example.com/post");
    e.command(&call, &bedrock, now).unwrap();
    let enter = QueueEnter::new("support")
        .status_url("https://example.com/q")
        .wait_url("https://example.com/wait.mp3")
        .control_id("q-enter");
    e.queue_enter(&call, &enter, now).unwrap();
    let leave = QueueLeave::new("support")
        .queue_id("q-1")
        .status_url("https://example.com/q")
        .control_id("q-leave");
    e.queue_leave(&call, &leave, now).unwrap();
    let connect = connect_devices()
        .into_iter()
        .fold(ConnectPlan::new(), ConnectPlan::then)
        .ringback(media())
        .tag("connect-1")
        .max_duration(Duration::from_secs(120))
        .max_price_per_minute(0.5)
        .status_url("https://example.com/connect");
    e.connect_call(&call, &connect, now).unwrap();
    e.disconnect_call(&call, now).unwrap();
    // Each hands the call over once accepted: all go out before the pump answers them.
    for transfer in [
        Transfer::url("https://example.com/app.swml"),
        Transfer::swml("version: 1.0.0"),
        Transfer::context("office"),
    ] {
        e.command(&call, &transfer, now).unwrap();
    }
    wire.pump();

    let second = wire.offer("c2");
    wire.engine.pass(&second, now).unwrap();
    let dial = DialPlan::parallel(dial_devices())
        .region("us")
        .max_price_per_minute(0.5)
        .max_duration(Duration::from_secs(120));
    wire.engine.dial(&dial, now).unwrap();
    let message = SendMessage::new("+15550001", "+15550002")
        .body("hi")
        .media(["https://example.com/a.png"])
        .tags(["t"])
        .region("us")
        .context("office");
    wire.engine.send_message(&message, now).unwrap();
    wire.pump();
    let mut frames = wire.frames;
    frames.extend(driver_requests());
    frames
}

/// The methods whose params the async client's handles build themselves (not from an option
/// type): `Call::ai_hold`/`ai_unhold`/`ai_message`/`echo` and the action controls.
const DRIVER_BUILT: &[&str] = &[
    "calling.ai_message",
    "calling.ai_hold",
    "calling.ai_unhold",
    "calling.echo",
    "calling.play.pause",
    "calling.play.resume",
    "calling.play.volume",
    "calling.record.pause",
    "calling.record.resume",
    "calling.collect.start_input_timers",
    "calling.play_and_collect.volume",
];

/// What those handles send, every option set, as the simulator received it.
fn driver_requests() -> Vec<Value> {
    let relay = MemoryRelay::new(SimConfig::new());
    let client = relay.client().contexts(["office"]).build().unwrap();
    let mut incoming = client.incoming().unwrap();
    relay.start(&client);
    relay.run(async {
        relay.wait_ready().await;
        relay
            .offer_call("office", "+15550001", "+15550002")
            .unwrap();
        let call = incoming.next().await.unwrap();
        call.answer().await.unwrap();
        // Refusals by the simulator do not matter here: only what was sent does.
        let _ = call.ai(AiOptions::new().agent("agent-1")).await;
        let mut message = AiMessage::new("user", "hi");
        message.reset = Some(AiReset::new().full_reset(true));
        message.global_data = Some(json!({"c": 3}));
        let _ = call.ai_message(message).await;
        let _ = call
            .ai_hold(Some(Duration::from_secs(30)), Some("one moment"))
            .await;
        let _ = call.ai_unhold(Some("back")).await;
        let echo = EchoOptions::new()
            .timeout(Duration::from_secs(10))
            .status_url("https://example.com/echo");
        let _ = call.echo(echo).await;
        let long = PlayMedia::silence(std::time::Duration::from_secs(600));
        let play = call
            .play_with(PlayOptions::new([long.clone()]))
            .await
            .unwrap();
        let _ = play.pause().await;
        let _ = play.resume().await;
        let _ = play.set_volume(-6.0).await;
        let record = call.record(RecordOptions::new()).await.unwrap();
        let _ = record.pause(Some(PauseBehavior::Silence)).await;
        let _ = record.resume().await;
        let waiting = CollectOptions::digits(DigitsOptions::new(4)).start_input_timers(false);
        let collect = call.collect(waiting).await.unwrap();
        let _ = collect.start_input_timers().await;
        let prompt = PromptOptions::new([long], CollectOptions::digits(DigitsOptions::new(4)));
        let prompt = call.play_and_collect(prompt).await.unwrap();
        let _ = prompt.set_volume(3.0).await;
        let _ = prompt.start_input_timers().await;
    });
    let mut frames = Vec::new();
    for method in DRIVER_BUILT {
        let sent = relay.requests(method);
        assert!(!sent.is_empty(), "the client sent no {method}");
        frames.extend(sent);
    }
    frames
}

/// A schema type: a name, or `{type, keys}` / `{type, items}`.
fn type_name(spec: &Value) -> &str {
    spec.as_str()
        .or_else(|| spec["type"].as_str())
        .unwrap_or("any")
}

fn fits(spec: &Value, value: &Value) -> bool {
    match type_name(spec) {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What a frame's params do against the schema of their method.
#[derive(Default)]
struct Walk {
    /// `(method, path)` of keys the schema does not name, or of values of another type.
    misfits: BTreeMap<(String, String), String>,
    /// `(method, path)` of schema keys that carried a value.
    seen: BTreeSet<(String, String)>,
}

impl Walk {
    fn value(&mut self, method: &str, path: &str, spec: &Value, value: &Value) {
        if !fits(spec, value) {
            let why = format!(
                "{} where the schema says {}",
                json_type(value),
                type_name(spec)
            );
            self.misfits.insert((method.into(), path.into()), why);
            return;
        }
        self.seen.insert((method.into(), path.into()));
        if let (Some(keys), Some(object)) = (spec.get("keys"), value.as_object()) {
            self.object(method, path, keys, object);
        }
        if let (Some(items), Some(list)) = (spec.get("items"), value.as_array()) {
            for item in list {
                self.value(method, &format!("{path}[]"), items, item);
            }
        }
    }

    fn object(&mut self, method: &str, prefix: &str, keys: &Value, object: &Map<String, Value>) {
        for (key, value) in object {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match keys.get(key) {
                Some(spec) => self.value(method, &path, spec, value),
                None => {
                    self.misfits
                        .insert((method.into(), path), "not in the schema".into());
                }
            }
        }
    }
}

/// Every key path a schema type names below `prefix`.
fn schema_paths(prefix: &str, spec: &Value, out: &mut Vec<String>) {
    if let Some(keys) = spec.get("keys").and_then(Value::as_object) {
        for (key, inner) in keys {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.push(path.clone());
            schema_paths(&path, inner, out);
        }
    }
    if let Some(items) = spec.get("items") {
        schema_paths(&format!("{prefix}[]"), items, out);
    }
}

fn schema() -> Value {
    serde_json::from_str(SCHEMA).unwrap()
}

/// The rows of the table under `heading` in docs/CALLING-API.md, as their code-quoted cells:
/// `| `a` | `b` | why |` gives `["a", "b"]` (the why must not be empty).
fn doc_rows(heading: &str) -> Vec<Vec<String>> {
    let section = DOC
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("docs/CALLING-API.md has no `{heading}`"))
        .1;
    let section = section.split("\n#").next().unwrap();
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let quoted: Vec<String> = cells
            .iter()
            .take_while(|c| c.starts_with('`') && c.ends_with('`'))
            .map(|c| c.trim_matches('`').to_owned())
            .collect();
        let why = cells.get(quoted.len()).map_or("", |w| w.trim());
        assert!(!why.is_empty(), "no reason given in `{line}`");
        rows.push(quoted);
    }
    rows
}

fn walk(frames: &[Value], schema: &Value) -> (Walk, BTreeSet<String>) {
    let methods = &schema["methods"];
    let mut walk = Walk::default();
    let mut absent = BTreeSet::new();
    for frame in frames {
        let method = frame["method"].as_str().unwrap();
        match methods.get(method) {
            Some(keys) => {
                walk.seen.insert((method.into(), String::new()));
                walk.object(method, "", keys, frame["params"].as_object().unwrap());
            }
            None => {
                absent.insert(method.to_owned());
            }
        }
    }
    (walk, absent)
}

#[test]
fn the_schema_table_names_its_source_and_every_method_has_keys() {
    let schema = schema();
    assert_eq!(schema["source"]["repo"], "signalwire/signalwire-rust");
    assert_eq!(
        schema["source"]["path"],
        "src/relay/protocol_types_generated.rs"
    );
    assert_eq!(schema["source"]["commit"].as_str().unwrap().len(), 40);
    let methods = schema["methods"].as_object().unwrap();
    assert!(methods.len() > 50, "{} methods", methods.len());
    for (method, keys) in methods {
        assert!(
            !keys.as_object().unwrap().is_empty(),
            "{method} has no keys"
        );
    }
}

#[test]
fn every_request_we_build_uses_the_schemas_keys_and_types_or_a_documented_exception() {
    let schema = schema();
    let frames = every_request();
    let (walk, absent) = walk(&frames, &schema);

    let documented: BTreeSet<(String, String)> = doc_rows("### Sent beyond the schema")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let undocumented: Vec<String> = walk
        .misfits
        .iter()
        .filter(|(key, _)| !documented.contains(key))
        .map(|((method, path), why)| format!("{method} {path}: {why}"))
        .collect();
    assert!(
        undocumented.is_empty(),
        "sent outside the schema and not in docs/CALLING-API.md §7:\n{}",
        undocumented.join("\n")
    );
    let stale: Vec<_> = documented
        .iter()
        .filter(|key| !walk.misfits.contains_key(*key))
        .collect();
    assert!(stale.is_empty(), "documented but no longer sent: {stale:?}");

    let listed: BTreeSet<String> = doc_rows("### Methods the schema does not list")
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(
        absent, listed,
        "methods we send that the schema lacks vs docs/CALLING-API.md §7"
    );
}

#[test]
fn every_schema_key_of_a_method_we_send_is_reachable_or_documented_as_not_offered() {
    let schema = schema();
    let frames = every_request();
    let (walk, _) = walk(&frames, &schema);
    let sent: BTreeSet<&str> = walk.seen.iter().map(|(m, _)| m.as_str()).collect();

    let not_offered: BTreeSet<(String, String)> = doc_rows("### Deliberately not offered")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let mut missing = Vec::new();
    for method in &sent {
        let spec = json!({"keys": schema["methods"][*method]});
        let mut paths = Vec::new();
        schema_paths("", &spec, &mut paths);
        for path in paths {
            let key = ((*method).to_owned(), path);
            let reached = walk.seen.contains(&key) || walk.misfits.contains_key(&key);
            if !reached && !not_offered.contains(&key) {
                missing.push(format!("{} {}", key.0, key.1));
            }
            if reached && not_offered.contains(&key) {
                missing.push(format!(
                    "{} {}: sent, yet listed as not offered",
                    key.0, key.1
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "schema keys neither reachable nor in docs/CALLING-API.md §7 \"Deliberately not offered\":\n{}",
        missing.join("\n")
    );
    for (method, path) in &not_offered {
        assert!(
            sent.contains(method.as_str()),
            "`{method}` is listed as not offered but we never send it"
        );
        let spec = json!({"keys": schema["methods"][method]});
        let mut paths = Vec::new();
        schema_paths("", &spec, &mut paths);
        assert!(
            paths.contains(path),
            "`{method}` `{path}` is listed as not offered but is not in the schema"
        );
    }
}

/// The checker itself: a wrong type, an unknown key and a nested unknown key are each caught.
#[test]
fn the_checker_catches_unknown_keys_and_wrong_types() {
    let schema = schema();
    let frame = json!({"method": "calling.play", "params": {
        "call_id": "c1", "node_id": "n1", "control_id": "x", "volume": "loud", "bogus": 1,
        "play": [{"type": "tts", "params": {"text": "hi"}, "extra": true}]}});
    let (walk, _) = walk(&[frame], &schema);
    let misfits: Vec<_> = walk.misfits.keys().map(|(_, p)| p.as_str()).collect();
    assert_eq!(misfits, ["bogus", "play[].extra", "volume"]);
    assert!(walk
        .seen
        .contains(&("calling.play".into(), "play[].params".into())));
}
