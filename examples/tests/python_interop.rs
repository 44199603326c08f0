//! Interop: SignalWire's official Python SDK (`signalwire-sdk`) connects to our simulator over
//! `wss://` with a test CA, answers a call and starts a stream; the simulator streams real
//! audio to our receiver. Proves the simulator speaks the protocol as the real service does.
//! Needs `signalwire-sdk` in `target/py-venv` (scripts/setup.sh installs it there), or a
//! Python named by `RELAY_PYTHON`.
#![allow(clippy::unwrap_used)]

#[allow(unused_macros)]
#[path = "../../relay-core/tests/driver_suite/mod.rs"]
mod suite;

use relay_tokio::media::{test_signal, Encoding, MediaTrack};
use relay_tokio::receiver::{ServerRuntime, StreamReceiver};
use relay_tokio::testkit::{tls_server_config, AudioSource, Pacing, SimConfig, SimServerBuilder};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
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
    let rt: std::sync::Arc<dyn ServerRuntime> = relay_tokio::runtime();
    let pki = suite::test_pki();
    let dir = std::env::temp_dir().join(format!("relay-interop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();

    let tls = tls_server_config(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes()).unwrap();
    let sim = SimServerBuilder::new(SimConfig::new())
        .tls(tls)
        .audio(AudioSource::TestSignal { duration_ms: 400 })
        .pacing(Pacing::Fast)
        .start(rt.clone())
        .await
        .unwrap();
    let mut receiver = StreamReceiver::builder()
        .bearer_token("interop-secret")
        .bind(rt.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/interop/answer_and_stream.py"
    );
    let mut python = Command::new(python_interpreter())
        .arg(script)
        .env("SIGNALWIRE_PROJECT_ID", suite::PROJECT)
        .env("SIGNALWIRE_API_TOKEN", suite::TOKEN)
        .env("SIGNALWIRE_SPACE", sim.host())
        .env("SIGNALWIRE_RELAY_CA_FILE", &ca_file)
        .env("INTEROP_CONTEXT", suite::CONTEXT)
        .env("INTEROP_STREAM_URL", receiver.url().unwrap())
        .env("INTEROP_STREAM_TOKEN", "interop-secret")
        .env("INTEROP_TIMEOUT", "40")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the Python interpreter runs");

    // The SDK authenticates over wss; the call is offered once it receives the context.
    let call_id = suite::within(&rt, 40, "the Python SDK to connect", async {
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
    .await;
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

    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(status) = python.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = python.kill();
            panic!("the Python SDK did not finish within 40 s");
        }
        rt.sleep(Duration::from_millis(20)).await;
    };
    let output = python.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let steps: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        status.success(),
        "python failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
    let _ = std::fs::remove_dir_all(dir);
}

/// The virtual environment's Python that scripts/setup.sh prepares, unless `RELAY_PYTHON`
/// names another.
fn python_interpreter() -> std::path::PathBuf {
    if let Some(python) = std::env::var_os("RELAY_PYTHON") {
        return python.into();
    }
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/py-venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run `bash scripts/setup.sh` first (or set RELAY_PYTHON)",
        venv.display()
    );
    venv
}
