//! Interop: SignalWire's official Python SDK (`signalwire-sdk`) connects to our simulator over
//! `wss://` with a test CA and drives calls with its own API: it answers a call and starts a
//! stream (the simulator streams real audio to our receiver), and it runs play_and_collect,
//! record, detect and send_digits against a scripted caller; it also sends messages (one
//! delivered, one undelivered) and receives one. The SDK is a model of the
//! protocol that we did not write: each test proves the simulator speaks it as the SDK expects.
//! Needs `signalwire-sdk` in `target/py-venv` (scripts/setup.sh installs it there), or a
//! Python named by `RELAY_PYTHON`.
#![allow(clippy::unwrap_used)]

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

use relay_rs_core::sim::{AnsweredBy, CallerInput, CallerScript, RecordingScript};
use relay_tokio::media::{test_signal, Encoding, MediaTrack};
use relay_tokio::receiver::{ServerRuntime, StreamReceiver};
use relay_tokio::testkit::{
    tls_server_config, AudioSource, Pacing, SimConfig, SimServer, SimServerBuilder,
};
use relay_tokio::CallId;
use serde_json::{json, Value};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn official_python_sdk_answers_and_streams_over_wss() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(interop());
}

async fn interop() {
    let rt: Arc<dyn ServerRuntime> = relay_tokio::runtime();
    let (sim, ca) = start_wss_sim(&rt, SimConfig::new(), "stream").await;
    let mut receiver = StreamReceiver::builder()
        .bearer_token("interop-secret")
        .bind(rt.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();

    let mut python = spawn_probe(
        "answer_and_stream.py",
        &sim,
        &ca.file,
        &[
            ("INTEROP_STREAM_URL", receiver.url().unwrap().as_str()),
            ("INTEROP_STREAM_TOKEN", "interop-secret"),
        ],
    );

    // The SDK authenticates over wss; the call is offered once it receives the context.
    let call_id = offer_when_connected(&rt, &sim).await;
    let recording = suite::within(&rt, 40, "the stream to reach our receiver", async {
        receiver
            .accept()
            .await
            .unwrap()
            .open()
            .await
            .unwrap()
            .collect()
            .await
    })
    .await;

    let steps = finish(&rt, &mut python).await;
    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    assert_eq!(
        names,
        [
            "connected",
            "call",
            "answered",
            "stream_started",
            "stream_finished",
            "hung_up",
            "done"
        ]
    );
    assert_eq!(steps[1]["call_id"], call_id.as_str());
    assert_eq!(steps[4]["state"], "finished");

    // What the SDK put on the wire, as the simulator saw it.
    let connect = &sim.requests("signalwire.connect").await[0]["params"];
    assert_eq!(
        connect["authentication"],
        json!({"project": suite::PROJECT, "token": suite::TOKEN})
    );
    assert_eq!(connect["version"]["major"], 2);
    let stream = &sim.requests("calling.stream").await[0]["params"];
    assert_eq!(stream["codec"], "PCMU");
    assert_eq!(stream["track"], "inbound_track");
    assert_eq!(stream["custom_parameters"], json!({"app": "interop"}));
    assert_eq!(sim.requests("calling.answer").await.len(), 1);
    assert_eq!(sim.requests("calling.end").await.len(), 1);
    let unacked = sim
        .with_relay(|relay, _| relay.unacked_events())
        .await
        .unwrap();
    assert_eq!(unacked, 0, "the SDK acked every event");

    // And the audio the simulator streamed for the SDK's call is intact.
    let start = recording.start.as_ref().expect("start");
    assert_eq!(start.call_sid, call_id.as_str());
    assert_eq!(start.custom_parameters["app"], "interop");
    let expected = Encoding::Mulaw.decode(&Encoding::Mulaw.encode(&test_signal(8000, 400)));
    let assembler = recording.assembler.as_ref().unwrap();
    assert_eq!(assembler.samples(MediaTrack::Inbound), expected.as_slice());
}

/// SignalWire's Python SDK runs `play_and_collect`, a `collect` with partial results, `record`
/// (to its end, then one stopped early), `detect` and `send_digits`
/// (`scripts/interop/call_actions.py`) on an inbound call against a scripted caller who keys
/// `12#`, leaves a 3 s recording of 48,000 bytes and is an answering machine that beeps. The
/// simulator sees the SDK's exact requests, every event is acked, and the SDK's result objects
/// report what the script said. The simulator needed no change: every event it sent had the
/// shape the SDK reads (collect `result`, record `url`/`duration`/`size`, detect
/// `detect.params.event`, send_digits `state`).
///
/// Findings where the SDK and the spec (`docs/CALLING-API.md`) part ways — the SDK is the one
/// that differs each time, so the probe copes as a user of the SDK would:
/// - `send_digits` (§1.10) is an action: it takes a `control_id` and ends with a
///   `calling.call.send_digits` event `state: finished`. The SDK returns only the request's
///   result and keeps no action, so the probe picks the control id itself and watches the
///   call's events (registered before the request, so the event cannot be missed).
/// - `collect` with `partial_results` (§1.3, "Correction"): interim results carry a `result`
///   with `final: false` (JS-Types, JS-Collect). `StandaloneCollectAction` resolves on any
///   event with a `result`, so its `wait()` returns the first partial (`1`, not `12`); the
///   probe reports that and reads the final result (`final: true`) from the call's events.
/// - `detect` (§1.5, correction to the SDK rule): `DetectAction` resolves on the first event
///   that carries a `detect` payload — with a machine, `MACHINE` — and has no `wait_for_beep`.
///   The beep rides on the later `READY`, which the probe reads from the call's events; the
///   detector runs on after its verdict (§1.5), so the probe stops it (`calling.detect.stop`).
/// - No SDK action ends when its call ends (§0 "Common facts"); the probe bounds every wait.
#[test]
fn official_python_sdk_runs_collect_record_detect_and_send_digits() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(call_actions());
}

/// The caller of the call-actions probe; times short so the whole run takes a few seconds.
fn scripted_caller() -> CallerScript {
    CallerScript {
        input: CallerInput::Digits("12#".into()),
        input_delay: Duration::from_millis(200),
        answered_by: AnsweredBy::Machine { beep: true },
        greeting: Duration::from_millis(500),
        detect_delay: Duration::from_millis(200),
        recording: RecordingScript {
            duration: Duration::from_secs(3),
            size: 48_000,
            url: Some(RECORDING_URL.into()),
            no_input: false,
        },
        ..CallerScript::default()
    }
}

const RECORDING_URL: &str = "https://files.sim.example/interop/message.wav";

async fn call_actions() {
    let rt: Arc<dyn ServerRuntime> = relay_tokio::runtime();
    let config = SimConfig::new()
        .caller(scripted_caller())
        .play_duration(Duration::from_millis(300));
    let (sim, ca) = start_wss_sim(&rt, config, "actions").await;
    let mut python = spawn_probe("call_actions.py", &sim, &ca.file, &[]);
    let call_id = offer_when_connected(&rt, &sim).await;
    let steps = finish(&rt, &mut python).await;

    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    assert_eq!(
        names,
        [
            "connected",
            "call",
            "answered",
            "collected",
            "collected_partial",
            "recorded",
            "record_stopped",
            "detected",
            "digits_sent",
            "hung_up",
            "done"
        ],
        "{steps:#?}"
    );
    assert_eq!(steps[1]["call_id"], call_id.as_str());
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap().clone();

    // What the SDK's result objects say equals what the script said.
    let collected = step("collected");
    assert_eq!(collected["type"], "digit");
    assert_eq!(collected["digits"], "12");
    assert_eq!(collected["terminator"], "#");
    assert_eq!(collected["final"], true);
    assert_eq!(collected["state"], "finished");
    assert_eq!(collected["prompt"], json!(["playing", "finished"]));
    let partial = step("collected_partial");
    assert_eq!(
        partial["wait_digits"], "1",
        "the SDK's wait() ends on the first partial"
    );
    assert_eq!(partial["wait_final"], false);
    assert_eq!(partial["partials"], json!(["1", "12"]));
    assert_eq!(partial["type"], "digit");
    assert_eq!(partial["digits"], "12");
    assert_eq!(partial["terminator"], "#");
    assert_eq!(partial["final"], true);
    let recorded = step("recorded");
    assert_eq!(recorded["state"], "finished");
    assert_eq!(recorded["url"], RECORDING_URL);
    assert_eq!(recorded["duration"].as_f64(), Some(3.0));
    assert_eq!(recorded["size"], 48_000);
    let cut = step("record_stopped");
    assert_eq!(cut["stop_code"], "200");
    assert_eq!(cut["state"], "finished");
    assert_eq!(
        cut["url"], RECORDING_URL,
        "the script's url, for every recording"
    );
    // Stopped after about 1 s of a 3 s, 48,000-byte recording: the size scales with the time.
    let seconds = cut["duration"].as_f64().unwrap();
    assert!(seconds > 0.5 && seconds < 3.0, "{cut}");
    let size = cut["size"].as_f64().unwrap();
    // The duration is reported rounded to the millisecond: 16 bytes a millisecond either way.
    assert!((size - 16_000.0 * seconds).abs() <= 32.0, "{cut}");
    let detected = step("detected");
    assert_eq!(detected["type"], "machine");
    assert_eq!(detected["event"], "MACHINE");
    assert_eq!(detected["ready_beep"], true);
    assert_eq!(detected["stop_code"], "200");
    let sent = step("digits_sent");
    assert_eq!(sent["code"], "200");
    assert_eq!(sent["state"], "finished");

    // The SDK's frames, as the simulator saw them.
    let only = |mut frames: Vec<Value>, method: &str| {
        assert_eq!(frames.len(), 1, "one {method}: {frames:#?}");
        frames.remove(0)["params"].take()
    };
    let node_and_call = |params: &Value| {
        assert_eq!(params["call_id"], call_id.as_str(), "{params}");
        assert!(params["node_id"].is_string(), "{params}");
    };
    let prompt = only(
        sim.requests("calling.play_and_collect").await,
        "play_and_collect",
    );
    node_and_call(&prompt);
    assert_eq!(prompt["control_id"], collected["control_id"]);
    assert_eq!(
        prompt["play"],
        json!([{"type": "tts", "params": {"text": "Enter your code, then press pound."}}])
    );
    assert_eq!(
        prompt["collect"],
        json!({"digits": {"max": 4, "terminators": "#", "digit_timeout": 5.0},
               "initial_timeout": 5.0})
    );
    let collect = only(sim.requests("calling.collect").await, "collect");
    node_and_call(&collect);
    assert_eq!(collect["control_id"], partial["control_id"]);
    assert_eq!(collect["digits"], json!({"max": 4, "terminators": "#"}));
    assert_eq!(collect["partial_results"], true);
    assert_eq!(collect["start_input_timers"], true);
    let records = sim.requests("calling.record").await;
    assert_eq!(records.len(), 2, "{records:#?}");
    let (record, second) = (&records[0]["params"], &records[1]["params"]);
    node_and_call(record);
    assert_eq!(record["control_id"], recorded["control_id"]);
    assert_eq!(
        record["record"],
        json!({"audio": {"format": "wav", "direction": "speak", "end_silence_timeout": 2.0}})
    );
    node_and_call(second);
    assert_eq!(second["control_id"], cut["control_id"]);
    assert_eq!(second["record"], json!({"audio": {"beep": true}}));
    let record_stop = only(sim.requests("calling.record.stop").await, "record.stop");
    node_and_call(&record_stop);
    assert_eq!(record_stop["control_id"], cut["control_id"]);
    let detect = only(sim.requests("calling.detect").await, "detect");
    node_and_call(&detect);
    assert_eq!(detect["control_id"], detected["control_id"]);
    assert_eq!(
        detect["detect"],
        json!({"type": "machine", "params": {"initial_timeout": 4.5}})
    );
    assert_eq!(detect["timeout"], 30.0);
    let detect_stop = only(sim.requests("calling.detect.stop").await, "detect.stop");
    node_and_call(&detect_stop);
    assert_eq!(detect_stop["control_id"], detected["control_id"]);
    let digits = only(sim.requests("calling.send_digits").await, "send_digits");
    node_and_call(&digits);
    assert_eq!(digits["control_id"], sent["control_id"]);
    assert_eq!(digits["digits"], "1w2#");
    let end = only(sim.requests("calling.end").await, "end");
    assert_eq!(end["reason"], "hangup");
    assert_eq!(sim.requests("calling.answer").await.len(), 1);
    for stop in [
        "calling.play_and_collect.stop",
        "calling.collect.stop",
        "calling.play.stop",
    ] {
        assert!(sim.requests(stop).await.is_empty(), "no {stop}");
    }

    let (unacked, open) = sim
        .with_relay(move |relay, _| (relay.unacked_events(), relay.active_actions(&call_id)))
        .await
        .unwrap();
    assert_eq!(unacked, 0, "the SDK acked every event");
    assert!(open.is_empty(), "no action left open: {open:?}");
}

/// SignalWire's Python SDK runs `connect` (§2.1) on an inbound call against the simulator
/// (`scripts/interop/connect.py`): to a busy number (the SDK hears `failed` with
/// `failed_reason: busy`), then to an agent with a ringback and a tag (it hears `connected`
/// with the `peer`, whose ids are the simulator's peer leg), then `disconnect` (it hears
/// `disconnected`; both legs stay up). The simulator needed no change for the SDK.
///
/// Findings (the SDK is the one that differs from the spec):
/// - `Call.connect` returns only the request's result (`{code, message: "connecting"}`): no
///   handle resolves on `connected`/`failed`; the probe watches `calling.call.connect` itself.
/// - The SDK keeps no `Call` for the peer leg: its `calling.call.state` events carry the
///   connect's tag, which the SDK only matches against pending *dials*, so they are dropped
///   and the peer can only be steered with raw `execute` requests (the probe ends it with
///   `calling.end`). Our client tracks the peer as a call (§2.1 "The peer leg also gets
///   `calling.call.state` events").
#[test]
fn official_python_sdk_connects_an_inbound_call() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(connect_probe());
}

const AGENT: &str = "+15553330000";

async fn connect_probe() {
    use relay_rs_core::sim::BUSY_NUMBER;
    let rt: Arc<dyn ServerRuntime> = relay_tokio::runtime();
    let (sim, ca) = start_wss_sim(&rt, SimConfig::new(), "connect").await;
    let mut python = spawn_probe(
        "connect.py",
        &sim,
        &ca.file,
        &[("INTEROP_AGENT", AGENT), ("INTEROP_BUSY", BUSY_NUMBER)],
    );
    let call_id = offer_when_connected(&rt, &sim).await;
    let steps = finish(&rt, &mut python).await;
    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    assert_eq!(
        names,
        [
            "connected",
            "call",
            "answered",
            "connect_failed",
            "connect_connected",
            "disconnected",
            "peer_hung_up",
            "hung_up",
            "done"
        ],
        "{steps:#?}"
    );
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap().clone();
    let failed = step("connect_failed");
    assert_eq!(failed["code"], "200");
    assert_eq!(failed["message"], "connecting");
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["failed_reason"], "busy");
    let connected = step("connect_connected");
    assert_eq!(connected["state"], "connected");
    assert_eq!(connected["tag"], "py-bridge");
    let peer = &connected["peer"];
    assert_eq!(peer["tag"], "py-bridge");
    assert_eq!(
        peer["device"],
        json!({"type": "phone", "params": {"from_number": "+15550001111", "to_number": AGENT}})
    );
    let peer_id = CallId::new(peer["call_id"].as_str().unwrap());
    let disconnected = step("disconnected");
    assert_eq!(disconnected["code"], "200");
    assert_eq!(disconnected["peer"], peer["call_id"]);
    assert_eq!(step("peer_hung_up")["code"], "200");

    // The SDK's frames, as the simulator saw them.
    let connects = sim.requests("calling.connect").await;
    assert_eq!(connects.len(), 2, "{connects:#?}");
    let second = &connects[1]["params"];
    assert_eq!(second["call_id"], call_id.as_str());
    assert_eq!(second["tag"], "py-bridge");
    assert_eq!(
        second["ringback"],
        json!([{"type": "ringtone", "params": {"name": "us"}}])
    );
    assert_eq!(sim.requests("calling.disconnect").await.len(), 1);
    let ends = sim.requests("calling.end").await;
    assert_eq!(ends.len(), 2);
    assert_eq!(ends[0]["params"]["call_id"], peer_id.as_str());
    let (unacked, peer_state) = sim
        .with_relay(move |relay, _| {
            (
                relay.unacked_events(),
                relay.call_state(&peer_id).map(str::to_owned),
            )
        })
        .await
        .unwrap();
    assert_eq!(unacked, 0, "the SDK acked every event");
    assert_eq!(peer_state.as_deref(), Some("ended"));
}

/// How long the Python SDK may take for a whole probe; every wait of these tests is bounded by
/// it.
const PROBE_SECS: u64 = 40;

/// The test CA's certificate in a file of its own, for the SDK; removed with the value.
struct CaFile {
    dir: PathBuf,
    file: PathBuf,
}

impl Drop for CaFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The simulator over `wss://` on loopback with the test PKI's server certificate, and the
/// CA file the SDK trusts it with. `name` keeps the files of tests that run at once apart.
async fn start_wss_sim(
    rt: &Arc<dyn ServerRuntime>,
    config: SimConfig,
    name: &str,
) -> (SimServer, CaFile) {
    let pki = suite::test_pki();
    let dir = std::env::temp_dir().join(format!("relay-interop-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ca.pem");
    std::fs::write(&file, &pki.ca_pem).unwrap();
    let tls = tls_server_config(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).unwrap();
    let sim = SimServerBuilder::new(config)
        .tls(tls)
        .audio(AudioSource::TestSignal { duration_ms: 400 })
        .pacing(Pacing::Fast)
        .start(rt.clone())
        .await
        .unwrap();
    (sim, CaFile { dir, file })
}

/// Starts `scripts/interop/<script>` against `sim`, with the SDK's settings and `extra`
/// variables.
fn spawn_probe(script: &str, sim: &SimServer, ca_file: &Path, extra: &[(&str, &str)]) -> Child {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/interop")
        .join(script);
    let mut command = Command::new(python_interpreter());
    command
        .arg(path)
        .env("SIGNALWIRE_PROJECT_ID", suite::PROJECT)
        .env("SIGNALWIRE_API_TOKEN", suite::TOKEN)
        .env("SIGNALWIRE_SPACE", sim.host())
        .env("SIGNALWIRE_RELAY_CA_FILE", ca_file)
        .env("INTEROP_CONTEXT", suite::CONTEXT)
        .env("INTEROP_TIMEOUT", PROBE_SECS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in extra {
        command.env(key, value);
    }
    command.spawn().expect("the Python interpreter runs")
}

/// Offers one inbound call as soon as the SDK's session receives the context.
async fn offer_when_connected(rt: &Arc<dyn ServerRuntime>, sim: &SimServer) -> CallId {
    suite::within(rt, PROBE_SECS, "the Python SDK to connect", async {
        loop {
            if let Some(id) = sim
                .offer_call(suite::CONTEXT, "+15551112222", "+15553334444")
                .await
            {
                return id;
            }
            rt.sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Waits (bounded) for the probe to exit, asserts it succeeded and returns its JSON steps.
async fn finish(rt: &Arc<dyn ServerRuntime>, python: &mut Child) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(PROBE_SECS);
    let status = loop {
        if let Some(status) = python.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = python.kill();
            let _ = python.wait();
            panic!("the Python SDK did not finish within {PROBE_SECS} s");
        }
        rt.sleep(Duration::from_millis(20)).await;
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = python.stdout.take() {
        out.read_to_string(&mut stdout).unwrap();
    }
    if let Some(mut err) = python.stderr.take() {
        err.read_to_string(&mut stderr).unwrap();
    }
    assert!(status.success(), "python failed: {stdout}\n{stderr}");
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The virtual environment's Python that scripts/setup.sh prepares, unless `RELAY_PYTHON`
/// names another.
fn python_interpreter() -> PathBuf {
    if let Some(python) = std::env::var_os("RELAY_PYTHON") {
        return python.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/py-venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run `bash scripts/setup.sh` first (or set RELAY_PYTHON)",
        venv.display()
    );
    venv
}

/// SignalWire's Python SDK sends a text and follows it to `delivered`, sends one that ends
/// `undelivered` with a reason, and receives an inbound message in its `on_message` handler
/// (`scripts/interop/messaging.py`), against our simulator over `wss://`.
///
/// Findings (SDK 3.7.5; `docs/CALLING-API.md` §3):
/// - The SDK registers a sent message only when `messaging.send`'s result arrives: a
///   `messaging.state` that overtakes the result is dropped ("unknown message", debug log) and
///   that message's `wait()` would then hang unless a later state comes. Our engine buffers such
///   states (bounded) and replays them once the id is known.
/// - A result without `message_id` leaves the SDK's message untracked and its `wait()`
///   unresolvable; ours resolves with `MessageError::NoMessageId`.
/// - `wait()` resolves the same way for `delivered`, `undelivered` and `failed`: the caller
///   must read `state`/`reason`. Ours makes only `delivered` an `Ok`.
/// - The default context is the session's protocol (`"default"` before one exists), so the
///   states come back to the sending session; our simulator routes them that way.
/// - Nothing ends a message in flight when the session is replaced or closed (its `wait()`
///   hangs without a timeout); ours resolves with `SessionLost` / `Closed`.
#[test]
fn official_python_sdk_sends_and_receives_messages() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(messaging());
}

async fn messaging() {
    use relay_tokio::testkit::{UNDELIVERED_NUMBER, UNDELIVERED_REASON};
    const FROM: &str = "+15557770000";
    const TO: &str = "+15558880000";
    let rt: Arc<dyn ServerRuntime> = relay_tokio::runtime();
    let (sim, ca) = start_wss_sim(&rt, SimConfig::new(), "messaging").await;
    let mut python = spawn_probe(
        "messaging.py",
        &sim,
        &ca.file,
        &[
            ("INTEROP_FROM", FROM),
            ("INTEROP_TO", TO),
            ("INTEROP_UNDELIVERED", UNDELIVERED_NUMBER),
        ],
    );
    // An inbound text as soon as the SDK's session receives the context.
    let inbound = suite::within(&rt, PROBE_SECS, "the Python SDK to connect", async {
        loop {
            if let Some(id) = sim.deliver_message(suite::CONTEXT, TO, FROM, "HELP").await {
                return id;
            }
            rt.sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let steps = finish(&rt, &mut python).await;
    let names: Vec<&str> = steps.iter().filter_map(|s| s["step"].as_str()).collect();
    assert_eq!(
        names,
        [
            "connected",
            "delivered_accepted",
            "delivered",
            "undelivered_accepted",
            "undelivered",
            "received",
            "done"
        ],
        "{steps:#?}"
    );
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap().clone();
    assert_eq!(step("delivered_accepted")["state"], "queued");
    let delivered = step("delivered");
    assert_eq!(delivered["state"], "delivered");
    assert_eq!(delivered["event_state"], "delivered");
    assert_eq!(
        delivered["states"],
        json!(["queued", "initiated", "sent", "delivered"])
    );
    let undelivered = step("undelivered");
    assert_eq!(undelivered["state"], "undelivered");
    assert_eq!(undelivered["reason"], UNDELIVERED_REASON);
    let received = step("received");
    assert_eq!(received["message_id"], inbound.as_str());
    assert_eq!(received["body"], "HELP");
    assert_eq!(received["from_number"], TO);
    assert_eq!(received["to_number"], FROM);
    assert_eq!(received["state"], "received");
    assert_eq!(received["direction"], "inbound");
    assert_eq!(received["segments"], 1);

    // The SDK's frames, as the simulator saw them: its protocol (`signalwire_…`) as the
    // context, only the options given.
    let sends = sim.requests("messaging.send").await;
    assert_eq!(sends.len(), 2, "{sends:#?}");
    let first = &sends[0]["params"];
    assert_eq!(
        first,
        &json!({"context": first["context"], "to_number": TO, "from_number": FROM,
                "body": "hello from python", "tags": ["interop"]})
    );
    assert!(first["context"]
        .as_str()
        .unwrap()
        .starts_with("signalwire_"));
    assert_eq!(sends[1]["params"]["to_number"], UNDELIVERED_NUMBER);
    let unacked = sim
        .with_relay(|relay, _| relay.unacked_events())
        .await
        .unwrap();
    assert_eq!(unacked, 0, "the SDK acked every event");
}
