//! The real-socket behaviour suite of the async client, written once and run on every
//! runtime: a real WebSocket (plain and TLS) on loopback to the local simulator, real media to
//! a real stream receiver, real HTTP status callbacks. Only behaviours where the sockets, TLS
//! or the runtime are the point live here; the client's logic is tested in memory on virtual
//! time in `relay-core/tests/client_behaviour.rs`. `relay-tokio` and `relay-smol` include
//! this file and run `behaviour_tests!` with their own runtime; other suites reuse its helpers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use futures_channel::oneshot;
use futures_util::future::{self, Either};
use relay_rs_core::driver::{Call, CallEnd, Client, ClientBuilder, Error, OpenError};
use relay_rs_core::media::{test_signal, Encoding, MediaTrack};
use relay_rs_core::receiver::StreamReceiver;
use relay_rs_core::server::ServerRuntime;
use relay_rs_core::sim::SimConfig;
use relay_rs_core::testkit::{AudioSource, Pacing, SimServer, SimServerBuilder};
use relay_rs_core::{
    ActionOutcome, BackoffConfig, CallState, Codec, EndReason, HttpMethod, StreamOptions, Track,
};
use serde_json::{json, Value};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const PROJECT: &str = "project";
pub const TOKEN: &str = "token";
pub const CONTEXT: &str = "office";
const LOOPBACK: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

/// Generates one `#[test]` per behaviour for a runtime: `$block_on` runs a future to its end,
/// `$runtime` makes the `Arc<dyn ServerRuntime>` (called inside `$block_on`).
#[macro_export]
macro_rules! behaviour_tests {
    ($block_on:path, $runtime:path) => {
        behaviour_tests!(@tests $block_on, $runtime;
            auth_sends_the_connect_frame_and_serves,
            inbound_call_answered_and_streamed_with_every_option,
            incoming_calls_as_a_stream,
            receive_and_unreceive_contexts,
            dropped_socket_reconnects_and_resumes,
            shutdown_resolves_every_wait,
            several_streams_on_one_call,
            wss_with_a_test_ca,
            wss_without_the_ca_never_authenticates,
        );
    };
    (@tests $block_on:path, $runtime:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $block_on(async { suite::$name($runtime()).await });
            }
        )*
    };
}

/// Fails the test if `fut` takes longer than `secs` seconds.
pub async fn within<T>(
    rt: &Arc<dyn ServerRuntime>,
    secs: u64,
    what: &str,
    fut: impl Future<Output = T>,
) -> T {
    let fut = std::pin::pin!(fut);
    match future::select(fut, rt.sleep(Duration::from_secs(secs))).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("timed out after {secs} s: {what}"),
    }
}

/// A simulator on loopback with `audio_ms` of test signal per stream.
pub async fn start_sim(
    rt: &Arc<dyn ServerRuntime>,
    config: SimConfig,
    audio_ms: u32,
    pacing: Pacing,
) -> SimServer {
    SimServerBuilder::new(config)
        .audio(AudioSource::TestSignal {
            duration_ms: audio_ms,
        })
        .pacing(pacing)
        .start(rt.clone())
        .await
        .expect("simulator starts")
}

/// A client of `sim` with fast reconnects.
pub fn client_of(rt: &Arc<dyn ServerRuntime>, sim: &SimServer) -> ClientBuilder {
    ClientBuilder::new(rt.clone())
        .project_token(PROJECT, TOKEN)
        .host(sim.host())
        .allow_insecure_loopback(true)
        .contexts([CONTEXT])
        .backoff(BackoffConfig {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(100),
            jitter: 0.0,
        })
        .seed(7)
}

/// Runs the client in the background; the receiver gets `run`'s result.
pub fn spawn_run(
    rt: &Arc<dyn ServerRuntime>,
    client: &Client,
) -> oneshot::Receiver<Result<(), Error>> {
    let (done, result) = oneshot::channel();
    let client = client.clone();
    rt.spawn(Box::pin(async move {
        let _ = done.send(client.run().await);
    }));
    result
}

/// Offers a call as soon as the client's session receives the context.
pub async fn offer(rt: &Arc<dyn ServerRuntime>, sim: &SimServer) -> relay_rs_core::CallId {
    within(rt, 10, "the client to receive the context", async {
        loop {
            if let Some(id) = sim
                .offer_call(CONTEXT, "+15551110000", "+15552220000")
                .await
            {
                return id;
            }
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

/// A client whose inbound calls arrive on the returned channel.
pub async fn ready_client(
    rt: &Arc<dyn ServerRuntime>,
    sim: &SimServer,
) -> (Client, futures_channel::mpsc::UnboundedReceiver<Call>) {
    let client = client_of(rt, sim).build().expect("client");
    let (calls_tx, calls) = futures_channel::mpsc::unbounded();
    client.on_call(move |call| {
        let calls_tx = calls_tx.clone();
        async move {
            let _ = calls_tx.unbounded_send(call);
        }
    });
    drop(spawn_run(rt, &client));
    (client, calls)
}

/// Offers a call and returns the app's handle on it, answered.
pub async fn answered_call(
    rt: &Arc<dyn ServerRuntime>,
    sim: &SimServer,
    calls: &mut futures_channel::mpsc::UnboundedReceiver<Call>,
) -> Call {
    use futures_util::StreamExt;
    offer(rt, sim).await;
    let call = within(rt, 10, "the call to reach the handler", calls.next())
        .await
        .expect("a call");
    within(rt, 10, "answer", call.answer())
        .await
        .expect("answered");
    call
}

async fn receiver(rt: &Arc<dyn ServerRuntime>, token: Option<&str>) -> StreamReceiver {
    let mut builder = StreamReceiver::builder();
    if let Some(token) = token {
        builder = builder.bearer_token(token);
    }
    builder
        .bind(rt.clone(), SocketAddr::from(LOOPBACK))
        .await
        .expect("receiver binds")
}

fn loopback_options() -> StreamOptions {
    StreamOptions::new().allow_insecure_loopback(true)
}

/// A one-shot HTTP server that records request heads and bodies (status callbacks).
async fn http_sink(rt: &Arc<dyn ServerRuntime>) -> (String, Arc<Mutex<Vec<String>>>) {
    use futures_util::{AsyncReadExt, AsyncWriteExt};
    let mut listener = rt
        .bind_tcp(SocketAddr::from(LOOPBACK))
        .await
        .expect("http sink binds");
    let url = format!("http://{}/status", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let spawner = rt.clone();
    rt.spawn(Box::pin(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let record = record.clone();
            spawner.spawn(Box::pin(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // Read until the body announced by Content-Length is complete.
                loop {
                    let Ok(n) = stream.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if body.len() >= length {
                            break;
                        }
                    }
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                    .await;
                record
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&request).to_string());
            }));
        }
    }));
    (url, seen)
}

// ---------------------------------------------------------------------------------------
// Session

pub async fn auth_sends_the_connect_frame_and_serves(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let client = client_of(&rt, &sim).agent("suite/1.0").build().unwrap();
    let done = spawn_run(&rt, &client);
    offer(&rt, &sim).await;
    let connects = sim.requests("signalwire.connect").await;
    assert_eq!(connects.len(), 1);
    let params = &connects[0]["params"];
    assert_eq!(
        params["version"],
        json!({"major": 2, "minor": 0, "revision": 0})
    );
    assert_eq!(params["agent"], "suite/1.0");
    assert_eq!(params["event_acks"], true);
    assert_eq!(
        params["authentication"],
        json!({"project": PROJECT, "token": TOKEN})
    );
    assert_eq!(params["contexts"], json!([CONTEXT]));
    assert!(
        params.get("protocol").is_none(),
        "a first connect resumes nothing"
    );
    client.shutdown();
    let result = within(&rt, 5, "run to return", done).await.unwrap();
    assert_eq!(result, Ok(()));
}

// ---------------------------------------------------------------------------------------
// Calls and streams

pub async fn inbound_call_answered_and_streamed_with_every_option(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 200, Pacing::Fast).await;
    let mut receiver = receiver(&rt, Some("stream-secret")).await;
    let (status_url, callbacks) = http_sink(&rt).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    assert_eq!(call.from_number(), Some("+15551110000"));
    assert_eq!(call.to_number(), Some("+15552220000"));
    assert_eq!(call.context(), Some(CONTEXT));
    assert_eq!(call.state(), CallState::Answered);

    let url = receiver.url().unwrap();
    let options = loopback_options()
        .name("every-option")
        .codec(Codec::Pcmu)
        .track(Track::Both)
        .status_url(status_url.clone())
        .status_url_method(HttpMethod::Post)
        .authorization_bearer_token("stream-secret")
        .custom_parameter("app", "suite")
        .custom_parameter("n", 7)
        .control_id("ctl-every");
    let stream = within(&rt, 10, "stream start", call.stream(&url, options))
        .await
        .unwrap();
    assert_eq!(stream.control_id().as_str(), "ctl-every");

    let incoming = within(&rt, 10, "stream connection", async {
        receiver.accept().await.unwrap().open().await
    })
    .await
    .expect("bearer accepted");
    assert_eq!(
        incoming.handshake().authorization.as_deref(),
        Some("Bearer stream-secret")
    );
    let recording = within(&rt, 10, "stream audio", incoming.collect()).await;
    let outcome = within(&rt, 10, "stream wait", stream.wait()).await.unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Finished { ref state, .. } if state == "finished"),
        "{outcome:?}"
    );

    let sent = sim.requests("calling.stream").await;
    assert_eq!(sent.len(), 1);
    let mut params = sent[0]["params"].clone();
    assert!(params["node_id"].is_string());
    assert_eq!(params["call_id"], call.id().as_str());
    params.as_object_mut().unwrap().remove("node_id");
    params.as_object_mut().unwrap().remove("call_id");
    assert_eq!(
        params,
        json!({
            "control_id": "ctl-every",
            "url": url,
            "name": "every-option",
            "codec": "PCMU",
            "track": "both_tracks",
            "status_url": status_url,
            "status_url_method": "POST",
            "authorization_bearer_token": "stream-secret",
            "custom_parameters": {"app": "suite", "n": 7},
        })
    );

    let start = recording.start.as_ref().expect("start message");
    assert_eq!(
        start.tracks,
        vec![MediaTrack::Inbound, MediaTrack::Outbound]
    );
    assert_eq!(
        Value::Object(start.custom_parameters.clone()),
        json!({"app": "suite", "n": 7})
    );
    assert_eq!(start.call_sid, call.id().as_str());
    assert!(recording.stopped);
    let assembler = recording.assembler.as_ref().unwrap();
    let expected = Encoding::Mulaw.decode(&Encoding::Mulaw.encode(&test_signal(8000, 200)));
    assert_eq!(assembler.samples(MediaTrack::Inbound), expected.as_slice());
    assert!(assembler.gaps().is_empty());
    assert_eq!(
        recording.media_messages, 20,
        "10 packets of 20 ms on each of two tracks"
    );

    // The status callbacks arrive over HTTP: `streaming`, then `finished`.
    let posts = within(&rt, 10, "status callbacks", async {
        loop {
            let posts = callbacks.lock().unwrap().clone();
            if posts.len() >= 2 {
                return posts;
            }
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let states: Vec<String> = posts
        .iter()
        .map(|p| {
            let body: Value = serde_json::from_str(p.split_once("\r\n\r\n").unwrap().1).unwrap();
            assert!(p.starts_with("POST /status HTTP/1.1"));
            body["params"]["state"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut sorted = states.clone();
    sorted.sort();
    assert_eq!(sorted, ["finished", "streaming"]);
    client.shutdown();
}

pub async fn incoming_calls_as_a_stream(rt: Arc<dyn ServerRuntime>) {
    use futures_util::StreamExt;
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let client = client_of(&rt, &sim).build().unwrap();
    let mut incoming = client.incoming().expect("the stream of calls");
    assert!(client.incoming().is_none(), "only one taker");
    let _done = spawn_run(&rt, &client);
    let id = offer(&rt, &sim).await;
    let call = within(&rt, 10, "incoming call", incoming.next())
        .await
        .unwrap();
    assert_eq!(call.id(), &id);
    client.shutdown();
}

/// `signalwire.receive` / `signalwire.unreceive`: calls on a context arrive only while the
/// client receives it.
pub async fn receive_and_unreceive_contexts(rt: Arc<dyn ServerRuntime>) {
    use futures_util::StreamExt;
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let client = client_of(&rt, &sim).build().unwrap();
    let mut incoming = client.incoming().expect("the stream of calls");
    let _done = spawn_run(&rt, &client);
    offer(&rt, &sim).await; // the session is up
    let _first = within(&rt, 10, "first call", incoming.next()).await;
    within(&rt, 10, "receive", client.receive(vec!["sales".into()]))
        .await
        .unwrap();
    let id = sim
        .offer_call("sales", "+15551110000", "+15552220000")
        .await;
    let call = within(&rt, 10, "a call on sales", incoming.next())
        .await
        .unwrap();
    assert_eq!(Some(call.id()), id.as_ref());
    within(&rt, 10, "unreceive", client.unreceive(vec!["sales".into()]))
        .await
        .unwrap();
    let none = sim
        .offer_call("sales", "+15551110000", "+15552220000")
        .await;
    assert_eq!(none, None, "nobody receives sales any more");
    client.shutdown();
}

pub async fn dropped_socket_reconnects_and_resumes(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let first = sim.requests("signalwire.connect").await;
    assert_eq!(first.len(), 1);
    sim.with_relay(|relay, _| {
        for conn in relay.connections() {
            relay.drop_connection(conn);
        }
    })
    .await;
    let second = within(&rt, 10, "the reconnect", async {
        loop {
            let connects = sim.requests("signalwire.connect").await;
            if connects.len() >= 2 {
                return connects[1].clone();
            }
            rt.sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(
        second["params"]["protocol"].is_string(),
        "resume sends the protocol: {second}"
    );
    assert!(
        second["params"]["authorization_state"].is_string(),
        "resume sends the authorization state: {second}"
    );
    // The call survived the reconnect: it can still be hung up.
    within(&rt, 10, "hangup after reconnect", call.hangup())
        .await
        .unwrap();
    let end = within(&rt, 10, "call end", call.wait_for_ended())
        .await
        .unwrap();
    assert_eq!(end, CallEnd::Ended(Some(EndReason::Hangup)));
    client.shutdown();
}

pub async fn shutdown_resolves_every_wait(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 20_000, Pacing::RealTime).await;
    let receiver = receiver(&rt, None).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let stream = call
        .stream(&receiver.url().unwrap(), loopback_options())
        .await
        .unwrap();
    client.shutdown();
    let waited = within(&rt, 10, "stream wait after shutdown", stream.wait()).await;
    assert!(
        matches!(
            waited,
            Ok(ActionOutcome::SessionClosed) | Err(Error::Closed)
        ),
        "{waited:?}"
    );
    let ended = within(&rt, 10, "call wait after shutdown", call.wait_for_ended()).await;
    assert_eq!(ended, Err(Error::Closed));
    let refused = within(&rt, 10, "a command after shutdown", call.hangup()).await;
    assert_eq!(refused, Err(Error::Closed));
}

pub async fn several_streams_on_one_call(rt: Arc<dyn ServerRuntime>) {
    let sim = start_sim(&rt, SimConfig::new(), 100, Pacing::Fast).await;
    let mut receiver = receiver(&rt, None).await;
    let (client, mut calls) = ready_client(&rt, &sim).await;
    let call = answered_call(&rt, &sim, &mut calls).await;
    let url = receiver.url().unwrap();
    let a = call
        .stream(&url, loopback_options().name("a"))
        .await
        .unwrap();
    let b = call
        .stream(&url, loopback_options().name("b").codec(Codec::Pcma))
        .await
        .unwrap();
    assert_ne!(a.control_id(), b.control_id());
    let mut encodings = Vec::new();
    for _ in 0..2 {
        let recording = receiver
            .accept()
            .await
            .unwrap()
            .open()
            .await
            .unwrap()
            .collect()
            .await;
        encodings.push(recording.format().unwrap().encoding);
    }
    encodings.sort_by_key(|e| e.mime());
    assert_eq!(encodings, [Encoding::Alaw, Encoding::Mulaw]);
    assert!(matches!(
        a.wait().await.unwrap(),
        ActionOutcome::Finished { .. }
    ));
    assert!(matches!(
        b.wait().await.unwrap(),
        ActionOutcome::Finished { .. }
    ));
    client.shutdown();
}

// ---------------------------------------------------------------------------------------
// TLS

/// A test CA and a server certificate for 127.0.0.1 and localhost, in PEM.
pub struct TestPki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "relay-rs test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    let cert = params.signed_by(&key, &issuer).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

async fn tls_sim(rt: &Arc<dyn ServerRuntime>, pki: &TestPki) -> SimServer {
    let tls =
        relay_rs_core::server::tls_server_config(pki.cert_pem.as_bytes(), pki.key_pem.as_bytes())
            .unwrap();
    SimServerBuilder::new(SimConfig::new())
        .tls(tls)
        .pacing(Pacing::Fast)
        .start(rt.clone())
        .await
        .unwrap()
}

pub async fn wss_with_a_test_ca(rt: Arc<dyn ServerRuntime>) {
    let pki = test_pki();
    let sim = tls_sim(&rt, &pki).await;
    assert!(sim.url().starts_with("wss://"));
    let client = ClientBuilder::new(rt.clone())
        .project_token(PROJECT, TOKEN)
        .host(sim.host())
        .extra_ca_pem(pki.ca_pem.as_bytes())
        .contexts([CONTEXT])
        .build()
        .unwrap();
    let _done = spawn_run(&rt, &client);
    offer(&rt, &sim).await;
    assert_eq!(sim.requests("signalwire.connect").await.len(), 1);
    client.shutdown();
}

pub async fn wss_without_the_ca_never_authenticates(rt: Arc<dyn ServerRuntime>) {
    let pki = test_pki();
    let sim = tls_sim(&rt, &pki).await;
    let client = ClientBuilder::new(rt.clone())
        .project_token(PROJECT, TOKEN)
        .host(sim.host())
        .contexts([CONTEXT])
        .backoff(BackoffConfig {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(50),
            jitter: 0.0,
        })
        .build()
        .unwrap();
    // An unknown CA is a certificate error: permanent, so `run` gives up after its tries.
    let result = within(&rt, 10, "run to give up", client.run()).await;
    match result {
        Err(Error::Open(OpenError::Tls {
            failure: relay_rs_core::driver::TlsFailure::Certificate,
            ..
        })) => {}
        other => panic!("expected a certificate error, got {other:?}"),
    }
    assert!(
        sim.requests("signalwire.connect").await.is_empty(),
        "an unknown CA must fail the TLS handshake"
    );
}
